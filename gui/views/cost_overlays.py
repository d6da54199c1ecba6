"""Pinned runs in the cost plot (gui/views/cost_plot.py): their colours, their dashed and
dotted curves under the live ones, and the extent they add to the plot's ranges (their lines
in the hover read-out: gui/views/cost_readout.py). The runs themselves are kept by
gui/panels/runs.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

Array = NDArray[np.float64]

# Below this many epochs every record is drawn as a dot too, so one epoch is visible.
SYMBOL_LIMIT = 60
# Twenty qualitative colours for overlaid (pinned) runs, most distinct first: greedily chosen
# in CIELAB for the largest distance from each other and from the live train blue and test
# orange (lightness 40-70, so they read on light and dark backgrounds alike).
OVERLAY_COLORS: tuple[str, ...] = (
    "#00bb66", "#cc0066", "#666644", "#dd77ee", "#cc8899", "#88aa11", "#00bbbb", "#bb2222",
    "#994488", "#995533", "#99aaaa", "#6655cc", "#bbaa66", "#007755", "#ff8877", "#117700",
    "#ff77bb", "#666600", "#bb99dd", "#77aa66",
)


def overlay_color(index: int) -> QColor:
    """The `index`-th overlay colour (wrapping around after twenty)."""
    return QColor(OVERLAY_COLORS[index % len(OVERLAY_COLORS)])


class OverlayCurves(NamedTuple):
    """One pinned run's cost history, drawn dashed (train) and dotted (test) under the live
    curves. A test_cost without any finite value means the run had no test set."""

    name: str
    epochs: Array
    train_cost: Array
    test_cost: Array
    color: QColor
    visible: bool = True


def add_overlay_curves(plot: pg.PlotItem, overlay: OverlayCurves,
                       has_test: bool) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
    """Dashed train and dotted test curve in the overlay's colour, added to `plot` under the
    live ones."""
    symbol = "o" if len(overlay.epochs) <= SYMBOL_LIMIT else None
    items = []
    for values, style, shown in (
        (overlay.train_cost, Qt.PenStyle.DashLine, overlay.visible),
        (overlay.test_cost, Qt.PenStyle.DotLine, overlay.visible and has_test),
    ):
        epochs = overlay.epochs
        if not np.isfinite(values).any():  # no test set: an empty curve (an all-NaN one
            epochs, values = epochs[:0], values[:0]  # makes pyqtgraph's bounds warn)
        item = pg.PlotDataItem(
            epochs, values, pen=pg.mkPen(overlay.color, width=1.5, style=style),
            symbol=symbol, symbolSize=3, symbolBrush=overlay.color, symbolPen=None,
        )
        item.setZValue(-1)
        plot.addItem(item)
        item.setVisible(shown)
        items.append(item)
    return items[0], items[1]


def overlay_summary(overlays: Sequence[OverlayCurves]) -> tuple[Array, Array]:
    """(smallest, largest and smallest positive finite cost; all epochs, sorted) of the
    visible overlays; empty arrays when none is visible."""
    shown = [overlay for overlay in overlays if overlay.visible]
    if not shown:
        return np.empty(0), np.empty(0)
    costs = np.concatenate([np.concatenate([o.train_cost, o.test_cost]) for o in shown])
    costs = costs[np.isfinite(costs)]
    positive = costs[costs > 0]
    extent = [costs.min(), costs.max()] if costs.size else []
    if positive.size:
        extent.append(positive.min())
    epochs = np.unique(np.concatenate([np.asarray(o.epochs, dtype=np.float64) for o in shown]))
    return np.asarray(extent, dtype=np.float64), epochs
