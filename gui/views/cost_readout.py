"""The cost plot's hover read-out (gui/views/cost_plot.py): the epoch nearest the mouse, the
live history's numbers there and each visible pinned run's, shown as a text box beside a
vertical line in both plots.

HoverReadout owns the line and text items and places them; the functions make the text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFontMetricsF

from gui.views.cost_overlays import OverlayCurves

Array = NDArray[np.float64]


class HoverReadout:
    """A faint vertical line at the hovered epoch in each plot and a text box in the first."""

    def __init__(self, plots: Sequence[pg.PlotItem], text_color: QColor, fill: QColor) -> None:
        hover_pen = pg.mkPen(QColor(text_color.red(), text_color.green(), text_color.blue(), 90))
        self.lines = [pg.InfiniteLine(angle=90, pen=hover_pen) for _ in plots]
        for plot, line in zip(plots, self.lines, strict=True):
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
        self._view_box: pg.ViewBox = plots[0].getViewBox()
        self.text = pg.TextItem(color=text_color, fill=pg.mkBrush(fill), anchor=(0, 0))
        self.text.setZValue(100)
        self.text.setVisible(False)
        # Parented to the view box itself, so it is placed in pixels, whatever the axis scale.
        self.text.setParentItem(self._view_box)

    def room(self) -> int:
        """How many lines of text fit the plot's height."""
        line_height = QFontMetricsF(self.text.textItem.font()).lineSpacing()
        return int((self._view_box.height() - 8.0) // max(line_height, 1.0))

    def show(self, epoch: float, text: str) -> None:
        for line in self.lines:
            line.setValue(epoch)
            line.setVisible(True)
        self.text.setText(text)
        self._place(epoch)
        self.text.setVisible(True)

    def hide(self) -> None:
        self.text.setVisible(False)
        for line in self.lines:
            line.setVisible(False)

    def _place(self, epoch: float) -> None:
        """Beside the hover line (right of it in the left half), kept inside the view box."""
        view_box = self._view_box
        x_pixel = view_box.mapFromView(QPointF(epoch, 0.0)).x()
        width = self.text.boundingRect().width()
        left = x_pixel - 4.0 - width if x_pixel > view_box.width() / 2 else x_pixel + 4.0
        left = max(0.0, min(left, view_box.width() - width))
        self.text.setAnchor((0.0, 0.0))
        self.text.setPos(left, 2.0)


def nearest(epochs: Array, epoch: float, other: float) -> float:
    """Of the sorted `epochs` and `other` (NaN: none), the one nearest `epoch`; NaN if none."""
    candidates = [other] if math.isfinite(other) else []
    if len(epochs):
        index = min(int(np.searchsorted(epochs, epoch)), len(epochs) - 1)
        candidates.append(float(epochs[index]))
        if index > 0:
            candidates.append(float(epochs[index - 1]))
    if not candidates:
        return math.nan
    return min(candidates, key=lambda candidate: (abs(candidate - epoch), candidate))


def live_lines(columns: Mapping[str, Array], metric_label: str, index: int) -> list[str]:
    """The live history's lines at record `index` (cost, test cost, metric)."""
    def value(key: str) -> str:
        return number(columns[key][index])

    lines = [f"train cost {value('train')}"]
    if np.isfinite(columns["test"]).any():
        lines.append(f"test cost  {value('test')}")
    suffix = "%" if metric_label.endswith("%") else ""
    name = metric_label.removesuffix(" %")
    metric = f"{name} {value('train_metric')}{suffix}"
    if np.isfinite(columns["test_metric"]).any():
        metric += f" / {value('test_metric')}{suffix} (test)"
    lines.append(metric)
    return lines


def overlay_lines(overlays: Sequence[OverlayCurves], has_tests: Sequence[bool], epoch: float,
                  room: int) -> list[str]:
    """One line per visible overlay: its train (/ test) cost at `epoch`, or — if it has
    no record there; at most `room` lines (the last then counts the runs left out)."""
    shown = [(overlay, has_test) for overlay, has_test
             in zip(overlays, has_tests, strict=True) if overlay.visible]
    listed = shown if len(shown) <= room else shown[:max(1, room - 1)]
    lines = []
    for overlay, has_test in listed:
        index = int(np.searchsorted(overlay.epochs, epoch))
        found = index < len(overlay.epochs) and overlay.epochs[index] == epoch
        train = overlay.train_cost[index] if found else math.nan
        text = f"{shortened(overlay.name)}  {number(train)}"
        if has_test:
            test = overlay.test_cost[index] if found else math.nan
            text += f" / {number(test)}"
        lines.append(text)
    if len(listed) < len(shown):
        lines.append(f"+{len(shown) - len(listed)} more runs")
    return lines


def number(value: float) -> str:
    """A read-out number (the live history's too): four significant digits, — if not finite."""
    return "—" if not np.isfinite(value) else f"{value:.4g}"


def shortened(name: str, limit: int = 28) -> str:
    """A run's name cut to `limit` characters (ending in …) for the read-out and legend."""
    return name if len(name) <= limit else name[: limit - 1] + "…"
