"""Every layer's gradient dC/dW^m and dC/db^m as heatmaps, plus each layer's gradient norm.

Row i of a weight heatmap is neuron i of layer m, column j is input j (neuron j of layer
m-1), exactly as W^m is laid out in shared/MATH.md; row 0 is at the top. The norm curves are
the series a live snapshot carries (Snapshot.gradient_norms: a point per step the worker's
history held, thinned evenly on long runs), drawn as they are: a diverging run's Inf or NaN
norms leave gaps.

Why this is long: one dock of per-layer heatmap rows and the norm plot that share selection,
colour levels and scrolling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetricsF
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.core.network import ParameterRef
from engine.core.notation import (
    bias_name,
    gradient_of,
    layer_name,
    matrix_gradient,
    norm_name,
    scientific,
    shown_index,
    weight_name,
)
from engine.training.gradient_norms import GradientNorms
from engine.training.snapshot import Snapshot
from gui.base.colors import HIGHLIGHT, class_color, diverging_colormap
from gui.base.plot_style import (
    LogFriendlyAxis,
    ReadableAxis,
    background,
    empty_state,
    fit_x,
    foreground,
    graphics_layout,
    style_line_plot,
    style_plot,
)
from gui.views.canvas_geometry import finite_max_abs

Array = NDArray[np.float64]

_BIAS_PLOT_WIDTH = 58
_BOTTOM_AXIS_HEIGHT = 22
_COLOR_BAR_AXIS_PADDING = 16  # the tick, the text offset and a margin beside the labels


class CellImage(pg.ImageItem):
    """An ImageItem reporting the cell (row, column) under the mouse and left clicks on it."""

    sigCellHovered = Signal(object)  # (row, column) or None when the mouse leaves
    sigCellClicked = Signal(int, int)

    def __init__(self) -> None:
        super().__init__(axisOrder="row-major")

    def _cell(self, position: QPointF) -> tuple[int, int] | None:
        if self.image is None:
            return None
        row, column = math.floor(position.y()), math.floor(position.x())
        rows, columns = self.image.shape[:2]
        return (row, column) if 0 <= row < rows and 0 <= column < columns else None

    def hoverEvent(self, event: object) -> None:  # noqa: N802 (pyqtgraph override)
        if event.isExit():
            self.sigCellHovered.emit(None)
            return
        event.acceptClicks(Qt.MouseButton.LeftButton)
        self.sigCellHovered.emit(self._cell(event.pos()))

    def mouseClickEvent(self, event: object) -> None:  # noqa: N802 (pyqtgraph override)
        cell = self._cell(event.pos())
        if event.button() == Qt.MouseButton.LeftButton and cell is not None:
            event.accept()
            self.sigCellClicked.emit(*cell)
            return
        super().mouseClickEvent(event)


_NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


class IndexAxis(pg.AxisItem):
    """Cell-centre ticks numbered as engine/core/notation.py numbers neurons (1-based), as many as
    fit the axis's length in pixels (1, 2, 5, 10, ... apart), so labels never run together
    ("9 17253341" for 64 inputs in a narrow dock)."""

    def __init__(self, orientation: str, count: int) -> None:
        super().__init__(orientation)
        self.count = count

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802,N803
        if self.count <= 0 or size <= 0:
            return []
        return [(float(step), [index + 0.5 for index in range(0, self.count, step)])
                for step in [index_tick_step(self.count, size, self._label_extent())]]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        return [str(shown_index(int(value))) for value in values]

    def _label_extent(self) -> float:
        """Pixels one label needs along the axis, with a gap."""
        metrics = QFontMetricsF(self.style.get("tickFont") or self.font())
        if self.orientation in ("left", "right"):
            return metrics.height() + 2
        return metrics.horizontalAdvance(str(self.count)) + 6


def index_tick_step(count: int, length: float, label_extent: float) -> int:
    """The smallest nice step between labelled cells whose labels fit `length` pixels."""
    fitting = max(1, int(length // max(label_extent, 1.0)))
    wanted = math.ceil(count / fitting)
    return next((step for step in _NICE_STEPS if step >= wanted), wanted)


def color_bar_ticks(extent: float) -> list[list[tuple[float, str]]]:
    """Just -m, 0, m: the scale's extent is the number worth reading, even on short bars;
    scientific when tiny or huge (1.2e−13, not "0"). The end ticks sit a hair inside the
    bar: exactly at its ends, rounding put them outside the axis and only "0" was drawn."""
    inside = extent * (1.0 - 1e-6)
    return [[(-inside, scientific(-extent)), (0.0, "0"), (inside, scientific(extent))]]


def hover_text(ref: ParameterRef, value: float, gradient: float) -> str:
    """A hovered cell: W²₁,₃ = 0.5  ∂C/∂W²₁,₃ = −1.2e−13."""
    symbol = (weight_name(ref.layer, ref.row, ref.column) if ref.kind == "weight"
              else bias_name(ref.layer, ref.row))
    return (f"{symbol} = {scientific(value, 6)}   "
            f"{gradient_of(symbol)} = {scientific(gradient, 6)}")


def _set_title(plot: pg.PlotItem, title: str, **style: object) -> None:
    """A title that does not set the plot's minimum width: "∂C/∂W¹ (4×2)" made a row
    need 260 px, and in a narrower dock the colour bar's labels were cut ("0." at the right
    edge). Centred over the plot and its axis, the title fits without that minimum."""
    label = plot.titleLabel
    if "updateMin" not in vars(label):  # pyqtgraph pins the minimum at every resize
        pinned = label.updateMin

        def shrinkable() -> None:
            pinned()
            label.setMinimumWidth(0)

        label.updateMin = shrinkable
    plot.setTitle(title, **style)


@dataclass
class _LayerRow:
    """The plot items of one layer: weight heatmap, bias column, colour bar, selection."""

    graphics: pg.GraphicsLayoutWidget
    weight_plot: pg.PlotItem
    bias_plot: pg.PlotItem
    weight_image: CellImage
    bias_image: CellImage
    color_bar: pg.ColorBarItem
    weight_outline: QGraphicsRectItem
    bias_outline: QGraphicsRectItem
    titles: tuple[str, str]  # the weight and bias plots' titles


class GradientHeatmaps(QWidget):
    """dC/dW^m and dC/db^m for every layer m on a diverging colormap, symmetric levels.

    Signals: parameter_clicked(ParameterRef) when a cell is clicked.
    """

    parameter_clicked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradientHeatmaps")
        self._colormap = diverging_colormap()
        self._sizes: tuple[int, ...] | None = None
        self._snapshot: Snapshot | None = None
        self._rows: list[_LayerRow] = []
        self._hovered: ParameterRef | None = None
        self._selection: ParameterRef | None = None
        self._highlighted: int | None = None
        self.weight_images: list[CellImage] = []
        self.bias_images: list[CellImage] = []
        self.norm_curves: list[pg.PlotDataItem] = []
        self._gradient_norms: GradientNorms | None = None  # what the norm curves show

        self._rows_widget = QWidget()
        self._rows_layout = QVBoxLayout(self._rows_widget)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(2)
        self.scroll_area = QScrollArea(widgetResizable=True)
        self.scroll_area.setWidget(self._rows_widget)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)

        self.hover_label = QLabel(" ")
        self.hover_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shared_scale_checkbox = QCheckBox(
            "shared scale", toolTip="One color scale for all layers (else one per layer)"
        )
        self.shared_scale_checkbox.toggled.connect(self._on_shared_scale_toggled)
        status = QHBoxLayout()
        status.setContentsMargins(4, 0, 4, 0)
        status.addWidget(self.hover_label, 1)
        status.addWidget(self.shared_scale_checkbox)

        palette = self.palette()
        self.norm_graphics = graphics_layout(palette)
        plot = self.norm_graphics.addPlot(row=0, col=0,
                                          axisItems={"left": LogFriendlyAxis("left"),
                                                     "bottom": ReadableAxis("bottom")})
        self.norm_plot: pg.PlotItem = plot
        style_line_plot(plot, palette)
        plot.setLogMode(x=False, y=True)
        plot.setLabel("left", norm_name())
        plot.setLabel("bottom", "step")
        plot.getAxis("left").enableAutoSIPrefix(False)
        # The legend floats over the plot's top right corner on a translucent fill: in a
        # column of its own beside the plot it took the width of a narrow dock (plot 10 px).
        fill = QColor(background(palette))
        fill.setAlpha(200)
        self._norm_legend: pg.LegendItem = plot.addLegend(
            offset=(-2, 2), labelTextColor=foreground(palette), verSpacing=-8,
            brush=pg.mkBrush(fill))
        self.norm_graphics.setMinimumHeight(90)

        splitter = QSplitter(Qt.Orientation.Vertical, childrenCollapsible=False)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(2)
        top_layout.addWidget(self.scroll_area, 1)
        top_layout.addLayout(status)
        splitter.addWidget(top)
        self.norm_empty_state = empty_state(
            f"Each layer's gradient norm {norm_name()} per step appears here once training "
            "has taken a step.", "normEmptyState")
        norms = QWidget()
        norms_layout = QVBoxLayout(norms)
        norms_layout.setContentsMargins(0, 0, 0, 0)
        norms_layout.addWidget(self.norm_empty_state)
        norms_layout.addWidget(self.norm_graphics)
        self.norm_graphics.hide()
        splitter.addWidget(norms)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([270, 130])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    # -- public API ------------------------------------------------------------------------

    def layer_views(self) -> list[pg.GraphicsLayoutWidget]:
        """Each layer's heatmap row, layer 1 first (plot export draws them)."""
        return [row.graphics for row in self._rows]

    def set_snapshot(self, snapshot: Snapshot) -> None:
        """Show the snapshot's gradients and, if it carries them, its gradient norms (a past
        step from the history carries none: the curves keep the run as they show it);
        rebuild the plots only if the architecture changed."""
        if snapshot.sizes != self._sizes:
            self._rebuild(snapshot.sizes)
        self._snapshot = snapshot
        self._draw_images()
        if snapshot.gradient_norms is not None:
            self._draw_norms(snapshot.gradient_norms)
        self._show_hover_text()

    def set_selection(self, ref: ParameterRef | None) -> None:
        """Outline the cell of `ref` (or nothing)."""
        self._selection = ref
        for row in self._rows:
            row.weight_outline.setVisible(False)
            row.bias_outline.setVisible(False)
        if ref is None or not self._valid(ref):
            return
        row = self._rows[ref.layer - 1]
        outline = row.weight_outline if ref.kind == "weight" else row.bias_outline
        outline.setRect(QRectF(ref.column if ref.kind == "weight" else 0, ref.row, 1, 1))
        outline.setVisible(True)

    def set_highlighted_layer(self, layer: int | None) -> None:
        """Frame layer `layer`'s dC/dW and dC/db (1-based) in the highlight purple, as the
        canvas marks highlighted neurons, and scroll it into view; None clears."""
        self._highlighted = layer if layer is not None and 1 <= layer <= len(self._rows) else None
        for m, row in enumerate(self._rows, start=1):
            self._style_row(row, m == self._highlighted)
        if self._highlighted is not None:
            # Once the layout has settled (a dock may just have been resized).
            QTimer.singleShot(0, self, self._reveal_highlighted)

    def _reveal_highlighted(self) -> None:
        if self._highlighted is not None and self._highlighted <= len(self._rows):
            # Not ensureWidgetVisible: a QGraphicsView reports its scene's focus item as its
            # cursor rectangle, so that would reveal the wrong part.
            graphics = self._rows[self._highlighted - 1].graphics
            bar = self.scroll_area.verticalScrollBar()
            top, bottom = graphics.y(), graphics.y() + graphics.height()
            visible = self.scroll_area.viewport().height()
            if top < bar.value():
                bar.setValue(top)
            elif bottom > bar.value() + visible:
                bar.setValue(min(top, bottom - visible))

    def highlighted_layer(self) -> int | None:
        """The framed layer (1-based), or None."""
        return self._highlighted

    def image_data(self, layer: int) -> tuple[Array, Array]:
        """The displayed (dC/dW^layer, dC/db^layer) arrays; `layer` is 1-based."""
        row = self._rows[layer - 1]
        return row.weight_image.image, row.bias_image.image[:, 0]

    def levels(self, layer: int) -> tuple[float, float]:
        """The colour levels (-m, m) of a layer (1-based)."""
        low, high = self._rows[layer - 1].weight_image.getLevels()
        return float(low), float(high)

    def cell_center(self, ref: ParameterRef) -> QPointF:
        """Centre of the cell of `ref` in this widget's coordinates."""
        row = self._rows[ref.layer - 1]
        plot = row.weight_plot if ref.kind == "weight" else row.bias_plot
        column = ref.column if ref.kind == "weight" else 0
        scene = plot.getViewBox().mapViewToScene(QPointF(column + 0.5, ref.row + 0.5))
        viewport = row.graphics.viewport()
        return QPointF(viewport.mapTo(self, row.graphics.mapFromScene(scene)))

    def norm_data(self) -> tuple[NDArray[np.int64], Array]:
        """The drawn (steps (n,), Frobenius norms (n, layers)), read-only."""
        shown = self._gradient_norms
        if shown is None:
            return np.empty(0, dtype=np.int64), np.empty((0, len(self.norm_curves)))
        return shown.steps, shown.norms

    # -- building --------------------------------------------------------------------------

    def _rebuild(self, sizes: tuple[int, ...]) -> None:
        for row in self._rows:
            self._rows_layout.removeWidget(row.graphics)
            row.graphics.deleteLater()
        pairs = zip(sizes[:-1], sizes[1:], strict=True)
        self._rows = [self._build_row(m, n_in, n_out)
                      for m, (n_in, n_out) in enumerate(pairs, start=1)]
        self.weight_images = [row.weight_image for row in self._rows]
        self.bias_images = [row.bias_image for row in self._rows]
        plot = self.norm_plot
        for curve in self.norm_curves:
            plot.removeItem(curve)
        self._norm_legend.clear()
        # Thin pens and about one peak pair per pixel: a noisy norm per step over thousands
        # of steps costs ~15 ms a frame with pyqtgraph's defaults (2 px, 5 samples/pixel),
        # ~3 ms like this, and looks the same.
        self.norm_curves = [plot.plot(pen=pg.mkPen(class_color(m), width=1))
                            for m in range(len(sizes) - 1)]
        for curve in self.norm_curves:
            curve.opts["autoDownsampleFactor"] = 1.0  # no public setter in pyqtgraph
        for m, curve in enumerate(self.norm_curves, start=1):
            self._norm_legend.addItem(curve, norm_name(m))
        self._sizes = sizes
        self._gradient_norms = None
        self.norm_empty_state.show()
        self.norm_graphics.hide()
        self._hovered = None
        self.set_selection(self._selection)
        self.set_highlighted_layer(self._highlighted)

    def _build_row(self, layer: int, n_in: int, n_out: int) -> _LayerRow:
        palette = self.palette()
        text = foreground(palette).name()
        graphics = graphics_layout(palette)
        graphics.ci.layout.setHorizontalSpacing(4)
        graphics.setMinimumHeight(min(96 + 10 * (n_out - 1), 200))
        weight_plot = graphics.addPlot(row=0, col=0, axisItems={
            "left": IndexAxis("left", n_out), "bottom": IndexAxis("bottom", n_in)})
        bias_plot = graphics.addPlot(row=0, col=1)
        titles = (f"{matrix_gradient('weight', layer)} ({n_out}×{n_in})",
                  matrix_gradient("bias", layer))
        _set_title(weight_plot, titles[0], color=text, size="9pt")
        _set_title(bias_plot, titles[1], color=text, size="9pt")
        bias_plot.setFixedWidth(_BIAS_PLOT_WIDTH)
        bias_plot.hideAxis("left")
        weight_image, bias_image = CellImage(), CellImage()
        outline_pen = pg.mkPen(QColor(20, 20, 20), width=2.5)
        outlines = []
        for plot, image, columns in ((weight_plot, weight_image, n_in), (bias_plot, bias_image, 1)):
            style_plot(plot, palette)
            plot.addItem(image)
            view_box = plot.getViewBox()
            view_box.invertY(True)
            view_box.setMouseEnabled(x=False, y=False)
            view_box.setRange(xRange=(0, columns), yRange=(0, n_out), padding=0.0)
            view_box.disableAutoRange()
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.getAxis("bottom").setHeight(_BOTTOM_AXIS_HEIGHT)
            outline = QGraphicsRectItem(image)
            outline.setPen(outline_pen)
            outline.setVisible(False)
            outlines.append(outline)
        graphics.setToolTip(
            f"Rows: neurons of {layer_name(layer)}. Columns: their inputs, the neurons of "
            f"{layer_name(layer - 1)}. Orange < 0 < blue."
        )
        bias_plot.getAxis("bottom").setTicks([[]])
        bias_plot.setYLink(weight_plot)
        # Data before the colour bar attaches: ImageItem defers levels set on an empty item
        # and would apply them over the first setImage's own levels.
        weight_image.setImage(np.zeros((n_out, n_in)), autoLevels=False, levels=(-1.0, 1.0))
        bias_image.setImage(np.zeros((n_out, 1)), autoLevels=False, levels=(-1.0, 1.0))
        color_bar = pg.ColorBarItem(
            values=(-1.0, 1.0), colorMap=self._colormap, width=10, interactive=False,
            colorMapMenu=False,
        )
        color_bar.setImageItem([weight_image, bias_image])
        style_plot(color_bar, palette)
        # An empty title and bottom axis of the heatmaps' height align the bar with the cells.
        color_bar.setTitle(" ", size="9pt")
        color_bar.showAxis("bottom")
        bar_bottom = color_bar.getAxis("bottom")
        bar_bottom.setTicks([[]])
        bar_bottom.setStyle(showValues=False)
        bar_bottom.setPen(pg.mkPen(None))
        bar_bottom.setHeight(_BOTTOM_AXIS_HEIGHT)
        graphics.addItem(color_bar, row=0, col=2)
        for kind, image in (("weight", weight_image), ("bias", bias_image)):
            image.sigCellHovered.connect(partial(self._on_cell_hovered, layer, kind))
            image.sigCellClicked.connect(partial(self._on_cell_clicked, layer, kind))
        self._rows_layout.addWidget(graphics, n_out)
        return _LayerRow(graphics, weight_plot, bias_plot, weight_image, bias_image, color_bar,
                         outlines[0], outlines[1], titles)

    def _style_row(self, row: _LayerRow, highlighted: bool) -> None:
        """A purple frame and bold purple titles on a highlighted row; plain otherwise."""
        color = HIGHLIGHT.name() if highlighted else foreground(self.palette()).name()
        for plot, title in zip((row.weight_plot, row.bias_plot), row.titles, strict=True):
            _set_title(plot, title, color=color, size="9pt", bold=highlighted)
        frame = f"border: 3px solid {HIGHLIGHT.name()};" if highlighted else ""
        row.graphics.setStyleSheet(f"QGraphicsView {{ {frame} }}" if frame else "")

    # -- drawing ---------------------------------------------------------------------------

    def _draw_images(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        # Over the finite values, as the canvas scales: an Inf cell takes the extreme colour.
        extents = [
            max(finite_max_abs(layer.weight_gradients), finite_max_abs(layer.bias_gradients))
            for layer in snapshot.layers
        ]
        if self.shared_scale_checkbox.isChecked():
            extents = [max(extents)] * len(extents)
        for row, layer, extent in zip(self._rows, snapshot.layers, extents, strict=True):
            # A layer with an all-zero gradient still needs a valid, symmetric range.
            levels = (-extent, extent) if extent > 0 else (-1.0, 1.0)
            row.weight_image.setImage(layer.weight_gradients, autoLevels=False, levels=levels)
            row.bias_image.setImage(
                layer.bias_gradients.reshape(-1, 1), autoLevels=False, levels=levels
            )
            row.color_bar.setLevels(levels, update_items=False)
            # Just -m, 0, m: the scale's extent is the number worth reading, even on short bars.
            ticks = color_bar_ticks(levels[1])
            axis = row.color_bar.axis
            axis.setTicks(ticks)
            # pyqtgraph fixes the bar's axis at 45 px: a label that does not fit ("−4.5e−15")
            # is silently left out. As wide as the widest label instead.
            metrics = QFontMetricsF(axis.style.get("tickFont") or self.font())
            widest = max(metrics.horizontalAdvance(text) for _, text in ticks[0])
            axis.setWidth(math.ceil(widest + _COLOR_BAR_AXIS_PADDING))

    def _draw_norms(self, gradient_norms: GradientNorms) -> None:
        """One curve per layer through every point of the series."""
        self._gradient_norms = gradient_norms
        for m, curve in enumerate(self.norm_curves):
            curve.setData(gradient_norms.steps, gradient_norms.norms[:, m])
        fit_x(self.norm_plot, gradient_norms.steps)
        # One point (step 0) is no curve: the empty state, not an axis around a dot.
        trained = len(gradient_norms.steps) >= 2
        self.norm_empty_state.setVisible(not trained)
        self.norm_graphics.setVisible(trained)

    # -- interaction -----------------------------------------------------------------------

    def _valid(self, ref: ParameterRef) -> bool:
        sizes = self._sizes
        if sizes is None or not 1 <= ref.layer < len(sizes):
            return False
        columns = sizes[ref.layer - 1] if ref.kind == "weight" else 1
        return 0 <= ref.row < sizes[ref.layer] and 0 <= ref.column < columns

    def _show_hover_text(self) -> None:
        ref, snapshot = self._hovered, self._snapshot
        if ref is None or snapshot is None or not self._valid(ref):
            self.hover_label.setText(" ")
            return
        layer = snapshot.layers[ref.layer - 1]
        if ref.kind == "weight":
            value = layer.weights[ref.row, ref.column]
            gradient = layer.weight_gradients[ref.row, ref.column]
            self.hover_label.setText(hover_text(ref, value, gradient))
        else:
            value, gradient = layer.biases[ref.row], layer.bias_gradients[ref.row]
            self.hover_label.setText(hover_text(ref, value, gradient))

    def _on_cell_hovered(self, layer: int, kind: str, cell: tuple[int, int] | None) -> None:
        self._hovered = None if cell is None else ParameterRef(layer, kind, *cell)
        self._show_hover_text()

    def _on_cell_clicked(self, layer: int, kind: str, row: int, column: int) -> None:
        self.parameter_clicked.emit(ParameterRef(layer, kind, row, column))

    def _on_shared_scale_toggled(self, _checked: bool) -> None:
        self._draw_images()

