"""The cost plot's legend (gui/views/cost_plot.py): live train and test first, then the
visible pinned runs, as many as fit the plot's height (in two columns when it is wide); the
rest are counted in a last "+N more runs" row. Its size decides again when the plot resizes.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtGui import QColor

from gui.views.cost_readout import shortened

# Pixels per legend row (pyqtgraph's line samples are 20 px squares), and the plot width from
# which the legend may use two columns.
LEGEND_ROW_HEIGHT = 20.0
TWO_COLUMN_WIDTH = 560.0


class CostLegend:
    """`item` is the pyqtgraph LegendItem in the top right corner of `plot`."""

    def __init__(self, plot: pg.PlotItem, text_color: QColor, fill: QColor) -> None:
        self.item: pg.LegendItem = plot.addLegend(offset=(-8, 8), labelTextColor=text_color)
        fill = QColor(fill)
        fill.setAlpha(190)  # curves show through; the names stay readable over them
        self.item.setBrush(pg.mkBrush(fill))
        self._view_box: pg.ViewBox = plot.getViewBox()
        # The legend row counting the overlays that do not fit: a sample that draws nothing.
        self._more_runs_sample = pg.PlotDataItem(pen=None)
        self._fit: tuple[int, bool] = (0, False)

    def room(self) -> tuple[int, bool]:
        """(legend rows that fit the plot's height, whether it is wide enough for two columns)."""
        rows = max(3, int((self._view_box.height() - 16.0) // LEGEND_ROW_HEIGHT))
        return rows, self._view_box.width() >= TWO_COLUMN_WIDTH

    def fits(self) -> bool:
        """Whether the plot's size still gives the rows the legend was last filled for."""
        return self.room() == self._fit

    def fill(self, live: Sequence[tuple[pg.PlotDataItem, str]],
             runs: Sequence[tuple[pg.PlotDataItem, str]]) -> None:
        """List the live curves, then as many runs as fit (sample item, name)."""
        rows, wide = self.room()
        columns = 2 if len(live) + len(runs) > rows and wide else 1
        room = rows * columns - len(live)
        listed = runs if len(runs) <= room else runs[:max(1, room - 1)]
        self.item.clear()
        self.item.setColumnCount(columns)
        for curve, name in live:
            self.item.addItem(curve, name)
        for item, name in listed:
            self.item.addItem(item, html.escape(shortened(name, 40)))
        if len(listed) < len(runs):
            self.item.addItem(self._more_runs_sample, f"+{len(runs) - len(listed)} more runs")
        self._fit = (rows, wide)
