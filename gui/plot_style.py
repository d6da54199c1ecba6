"""How the pyqtgraph plots look: theme colours, styled axes, and the setup shared by the
line plots (cost, parameter history, gradient norms)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette


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
    """An empty pyqtgraph layout on the theme's plot background, with narrow margins."""
    graphics = pg.GraphicsLayoutWidget()
    graphics.setBackground(background(palette))
    graphics.ci.setContentsMargins(2, 2, 2, 2)
    return graphics


def style_line_plot(plot: pg.PlotItem, palette: QPalette) -> None:
    """A plot of curves over steps or epochs: styled axes, a faint grid, peak downsampling,
    no pyqtgraph buttons or context menu, and an x range set by `fit_x`, never auto-ranged."""
    style_plot(plot, palette)
    plot.getViewBox().enableAutoRange(axis="x", enable=False)
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)
    plot.hideButtons()
    plot.setMenuEnabled(False)


class LogFriendlyAxis(pg.AxisItem):
    """An axis whose log-mode labels stay readable: within a decade only 1, 2 and 5 get text."""

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
