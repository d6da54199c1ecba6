"""How the pyqtgraph plots look: theme colours, styled axes, and the setup shared by the
line plots (cost, parameter history, gradient norms)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPalette
from PySide6.QtWidgets import QLabel

from engine.core.notation import number, scientific

TICK_GAP_PX = 14.0  # at least this much room between two tick labels
MAX_AXIS_SHARE = 0.4  # a value axis widened for its labels takes at most this share of its view
MIN_CAPPED_AXIS_PX = 44.0  # ... but never gets narrower than this for it
END_LABEL_OVERHANG_PX = 16  # how far an end label may reach past its axis


def foreground(palette: QPalette) -> QColor:
    """Text colour of the current theme."""
    return palette.color(QPalette.ColorRole.WindowText)


def background(palette: QPalette) -> QColor:
    """Plot background of the current theme."""
    return palette.color(QPalette.ColorRole.Base)


def style_plot(plot: pg.PlotItem, palette: QPalette) -> None:
    """Axis lines and tick labels in the palette's text colour; axes whose text space only
    grows (see `stabilize_axis`)."""
    text = foreground(palette)
    line = QColor(text)
    line.setAlpha(160)
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(line))
        axis.setTextPen(pg.mkPen(text))
        stabilize_axis(axis)


def stabilize_axis(axis: pg.AxisItem) -> None:
    """Let the axis's text space grow to fit its labels but never shrink on its own.

    pyqtgraph shrinks an axis whose labels got more than 10 px narrower. In a plot whose
    range follows its pixel size (an aspect-locked view, or ticks spaced by pixels), that
    feeds back: a narrower axis gives a wider view, whose ticks are spaced differently
    ("2" instead of "-0.5"), whose labels are wider, which widens the axis again, forever
    (the window froze at some widths). Growth only can flip at most once per label width,
    so the layout always settles. `reset_axis_text_space` starts over for new data.
    """
    axis.setStyle(autoReduceTextSpace=False)


def reset_axis_text_space(axis: pg.AxisItem) -> None:
    """Forget the widest label seen so far (call when the plot shows new data): the axis
    grows again from the labels of its next paint."""
    if axis.orientation in ("left", "right"):
        axis.textWidth = 0
        axis._updateWidth()  # pyqtgraph has no public way to shrink it
    else:
        axis.textHeight = 0
        axis._updateHeight()


def graphics_layout(palette: QPalette) -> pg.GraphicsLayoutWidget:
    """An empty pyqtgraph layout on the theme's plot background, with narrow margins, that
    follows palette changes (`follow_palette`)."""
    graphics = pg.GraphicsLayoutWidget()
    graphics.setBackground(background(palette))
    graphics.ci.setContentsMargins(2, 2, 2, 2)
    follow_palette(graphics)
    return graphics


class _PaletteFollower(QObject):
    """Restyles the pyqtgraph view it watches when its palette changes."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            restyle(watched)  # type: ignore[arg-type]
        return False


def follow_palette(view: pg.GraphicsView) -> None:
    """Keep `view`'s background, axes, titles, labels and legends in its palette's colours
    while the app runs (a light or dark system theme, switched at any time)."""
    view.installEventFilter(_PaletteFollower(view))


def restyle(view: pg.GraphicsView) -> None:
    """Put `view`'s plots in its current palette's colours (the theme changed)."""
    palette = view.palette()
    view.setBackground(background(palette))
    if isinstance(view, pg.PlotWidget):
        items: list[object] = [view.getPlotItem()]
    elif isinstance(view, pg.GraphicsLayoutWidget):
        items = list(view.ci.items)
    else:
        items = []
    for item in items:
        if isinstance(item, pg.PlotItem):
            _restyle_plot(item, palette)
        elif isinstance(item, pg.LegendItem):
            _restyle_legend(item, palette)


def _restyle_legend(legend: pg.LegendItem, palette: QPalette) -> None:
    """Legend labels in the text colour; a filled legend on the new background."""
    text = foreground(palette)
    legend.setLabelTextColor(text)
    for _sample, label in legend.items:
        label.setText(label.text, color=text.name())
    if legend.brush().style() != Qt.BrushStyle.NoBrush:
        fill = QColor(background(palette))
        fill.setAlpha(legend.brush().color().alpha())
        legend.setBrush(pg.mkBrush(fill))


def _restyle_plot(plot: pg.PlotItem, palette: QPalette) -> None:
    text = foreground(palette)
    line = QColor(text)
    line.setAlpha(160)
    for entry in plot.axes.values():
        axis = entry["item"]
        axis.setPen(pg.mkPen(line))
        axis.setTextPen(pg.mkPen(text))
        if axis.labelText:
            axis.labelStyle["color"] = text.name()
            axis.label.setHtml(axis.labelString())
    if plot.titleLabel.text:
        plot.titleLabel.setText(plot.titleLabel.text, color=text.name())
    if plot.legend is not None:
        _restyle_legend(plot.legend, palette)


def style_line_plot(plot: pg.PlotItem, palette: QPalette) -> None:
    """A plot of curves over steps or epochs: styled axes, a faint grid, peak downsampling,
    no pyqtgraph buttons or context menu, and an x range set by `fit_x`, never auto-ranged."""
    style_plot(plot, palette)
    # Room on the right for the last step's label, centred under the plot's right edge.
    plot.setContentsMargins(0, 0, END_LABEL_OVERHANG_PX, 0)
    plot.getViewBox().enableAutoRange(axis="x", enable=False)
    plot.showGrid(x=True, y=True, alpha=0.15)
    for name in ("left", "bottom"):  # grid lines at major and minor ticks only: the third
        plot.getAxis(name).setStyle(maxTickLevel=1)  # level halved each frame's axis painting
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)
    plot.hideButtons()
    plot.setMenuEnabled(False)


def tick_strings(values: list[float], spacing: float) -> list[str]:
    """Labels for linear ticks `spacing` apart, readable at any magnitude: plain decimals
    (0.25, 4000) between 1e-3 and 1e4, else scientific with as many digits as the spacing
    needs (1.5e−13, 2e−13), never an SI prefix or a separate "(x0.001)" scale."""
    finite = [abs(value) for value in values if math.isfinite(value)]
    largest = max(finite, default=0.0)
    if spacing <= 0 or not math.isfinite(spacing):
        return [number(value, 6) for value in values]
    if largest == 0 or 1e-3 <= largest < 1e4 and spacing >= 1e-4:
        places = max(0, math.ceil(-math.log10(spacing) - 1e-9))
        return [f"{value + 0.0:.{places}f}".replace("-", "\u2212") for value in values]
    digits = max(1, math.floor(math.log10(largest)) - math.floor(math.log10(spacing) + 1e-9) + 1)
    texts = [scientific(value, digits) if value != 0 else "0" for value in values]
    if all(".0e" in text or "." not in text for text in texts):  # 5e4, 1e5, not 5.0e4
        texts = [text.replace(".0e", "e") for text in texts]
    return texts


class ReadableAxis(pg.AxisItem):
    """An axis whose labels never collide and read at any magnitude: no SI-prefix scale, no
    tick text on minor ticks, and major ticks spaced so their labels fit with a gap."""

    def __init__(self, orientation: str, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        self._width_group: list[ReadableAxis] = [self]  # axes that keep one width
        # Labels at the ends may reach a little past the axis ("0" under the left edge):
        # hidden, a narrow plot kept one label of its step axis.
        self.setStyle(maxTextLevel=0, hideOverlappingLabels=END_LABEL_OVERHANG_PX)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        """pyqtgraph's, plus room for end labels along the axis: with a grid it drops the
        overhang its hideOverlappingLabels style allows, so "0" under a plot's left edge
        was never drawn and a narrow plot kept one label."""
        rect = super().boundingRect()
        if self.grid is False or self.linkedView() is None:
            return rect
        reach = float(END_LABEL_OVERHANG_PX)
        if self.orientation in ("top", "bottom"):
            return rect.adjusted(-reach, 0.0, reach, 0.0)
        return rect.adjusted(0.0, -reach, 0.0, reach)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        if self.logMode:
            return super().tickStrings(values, scale, spacing)
        strings = tick_strings([value * scale for value in values], spacing * scale)
        self._widen_for(strings)
        return strings

    def _widen_for(self, strings: list[str]) -> None:
        """A vertical axis given a fixed width (to line up stacked plots) grows to fit its
        labels ("−1.5e−13"): pyqtgraph would leave out a label that does not fit. It only
        grows, so the layout settles (see `stabilize_axis`)."""
        if self.orientation not in ("left", "right") or self.fixedWidth is None or not strings:
            return
        metrics = QFontMetricsF(self.style.get("tickFont") or QFont())
        label = self.label.boundingRect().height() if self.label.isVisible() else 0.0
        needed = (max(metrics.horizontalAdvance(text) for text in strings) + label
                  + self.style["tickTextOffset"][0] + max(0, self.style["tickLength"]) + 2)
        # Grows only, up to its share of the view (which also pulls it back in a view that
        # got narrower): the cap follows the view's size, never the axis's, so it settles.
        width = math.ceil(min(max(needed, self.fixedWidth), self._widest_allowed()))
        if width != self.fixedWidth:
            for axis in self._width_group:  # stacked plots stay lined up
                axis.setWidth(width)

    def _widest_allowed(self) -> float:
        """At most MAX_AXIS_SHARE of the view's width: unbounded, long labels once made the
        axis as wide as a narrow dock and the plot beside it a few pixels wide."""
        scene = self.scene()
        views = scene.views() if scene is not None else []
        if not views:
            return math.inf
        return max(MIN_CAPPED_AXIS_PX, MAX_AXIS_SHARE * views[0].width())

    def share_width_with(self, other: ReadableAxis) -> None:
        """Keep this axis and `other` (of a plot stacked with this one) equally wide."""
        group = self._width_group + [axis for axis in other._width_group
                                     if axis not in self._width_group]
        for axis in group:
            axis._width_group = group

    def label_extent(self, low: float, high: float, spacing: float) -> float:
        """Pixels one label needs along the axis (its width, or height on a vertical axis)."""
        font = self.style.get("tickFont") or QFont()
        metrics = QFontMetricsF(font)
        if self.orientation in ("left", "right"):
            return metrics.height()
        texts = tick_strings([low, high, (low + high) / 2], spacing)
        return max(metrics.horizontalAdvance(text) for text in texts)

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:  # noqa: N802
        levels = super().tickSpacing(minVal, maxVal, size)
        if self.logMode or not levels or size <= 0 or not maxVal > minVal or self._tickLevels:
            return levels
        major = levels[0][0]
        per_unit = size / (maxVal - minVal)
        steps = (1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0)
        for factor in steps:
            spacing = major * factor
            if spacing * per_unit >= self.label_extent(minVal, maxVal, spacing) + TICK_GAP_PX:
                break
        return [(spacing, 0.0)] + [level for level in levels[1:] if level[0] < spacing]


def readable_axes() -> dict[str, pg.AxisItem]:
    """Left and bottom `ReadableAxis` items for a new line plot (addPlot(axisItems=...))."""
    return {"left": ReadableAxis("left"), "bottom": ReadableAxis("bottom")}


def empty_state(text: str, object_name: str) -> QLabel:
    """The text an empty plot shows instead of axes with nothing (or made-up ranges) on them."""
    label = QLabel(text, objectName=object_name, wordWrap=True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setEnabled(False)  # the palette's muted text
    return label


class LogFriendlyAxis(ReadableAxis):
    """An axis whose log-mode labels stay readable: within a decade only 1, 2 and 5 get text."""

    def __init__(self, orientation: str, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.setStyle(maxTextLevel=2)  # log mode labels 2 and 5 on the minor ticks

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        strings = super().logTickStrings(values, scale, spacing)
        if len(values) <= 4:
            return strings
        kept = []
        for value, text in zip(values, strings, strict=True):
            mantissa = 10.0 ** (value - math.floor(value))
            readable = any(math.isclose(mantissa, k, rel_tol=1e-6) for k in (1.0, 2.0, 5.0, 10.0))
            kept.append(text if readable else "")
        return kept


def fit_x(plot: pg.PlotItem, values: np.ndarray, padding: float = 0.02) -> None:
    """Show the span of `values` (steps or epochs) on the x axis of a line plot.

    Set here rather than auto-ranged: pyqtgraph auto-ranges x from the curves as drawn,
    clipped to the view and downsampled for its pixel width, so the range depends on the
    view's size and feeds back into it; two x-linked plots then pushed slightly different
    ranges to each other forever (the window froze at some sizes).
    """
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        plot.setXRange(0.0, 1.0, padding=0.0)
        return
    low, high = float(finite.min()), float(finite.max())
    if high - low < 1.0:
        plot.setXRange(low - 0.5, high + 0.5, padding=0.0)
    else:
        plot.setXRange(low, high, padding=padding)


def fit_y(view_box: pg.ViewBox, values: np.ndarray, log: bool) -> None:
    """Auto-range y unless the values span less than 2% (of their size, or of a decade)."""
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.log10(values)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return
    low, high = float(values.min()), float(values.max())
    largest = max(abs(low), abs(high))
    # All zeros (a gradient at a minimum): ±1, not ±2e−14 around nothing.
    minimum_span = 0.02 if log else 0.02 * largest if largest > 0 else 1.0
    if high - low < minimum_span:
        view_box.enableAutoRange(axis="y", enable=False)
        middle = (low + high) / 2
        view_box.setYRange(middle - minimum_span, middle + minimum_span, padding=0.0)
    else:
        view_box.enableAutoRange(axis="y", enable=True)
