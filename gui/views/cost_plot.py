"""The cost over epochs (train and test) with the metric below it, on a shared epoch axis.

Pinned runs (gui/panels/runs.py) are overlaid in their own colours; like every plot it takes
its colours from the Qt palette through gui/base/plot_style.py (light or dark theme alike).

Why this is long: one pyqtgraph widget whose live curves, "now" stars, ranges, legend, hover
read-out and empty state all read and change the same plot state (the history shown, the
overlays' extent, the log axis, the legend's fit); splitting it would pass that state around.
The pinned runs' own part (colours, curves, extent, read-out lines) is
gui/views/cost_overlays.py.
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetricsF
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.training.snapshot import HistoryArrays, Snapshot
from gui.base.colors import NEGATIVE, POSITIVE
from gui.base.plot_style import (
    LogFriendlyAxis,
    ReadableAxis,
    background,
    empty_state,
    fit_x,
    fit_y,
    foreground,
    graphics_layout,
    readable_axes,
    style_line_plot,
)
from gui.views.cost_overlays import (
    OVERLAY_COLORS,
    SYMBOL_LIMIT,
    OverlayCurves,
    add_overlay_curves,
    overlay_color,
    overlay_lines,
    overlay_summary,
    shortened,
)
from gui.views.cost_overlays import number as readout_number

Array = NDArray[np.float64]
__all__ = ["OVERLAY_COLORS", "TEST_COLOR", "TRAIN_COLOR", "CostPlot", "OverlayCurves",
           "overlay_color"]

TRAIN_COLOR = QColor(*POSITIVE)
TEST_COLOR = QColor(*NEGATIVE)
# Pixels per legend row (pyqtgraph's line samples are 20 px squares), and the plot width from
# which the legend may use two columns.
_LEGEND_ROW_HEIGHT = 20.0
_TWO_COLUMN_WIDTH = 560.0


class CostPlot(QWidget):
    """Train/test cost per epoch (top) and train/test accuracy % or RMSE (bottom).

    `train_curve`, `test_curve`, `metric_train_curve`, `metric_test_curve` are the
    PlotDataItems; their data is the snapshot's history (accuracy in percent).
    `overlay_visibility_toggled(index, visible)`: an overlay's legend entry was clicked.
    """

    overlay_visibility_toggled = Signal(int, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("costPlot")
        palette = self.palette()
        text_color = foreground(palette)
        self._epochs: Array = np.empty(0)
        self._columns: dict[str, Array] = {}
        self._metric_label = ""
        self._has_data: dict[int, bool] = {}
        # (metric name, history) the curves were last given: set_snapshot skips an unchanged one.
        self._shown_history: tuple[str, HistoryArrays] | None = None
        self._overlays: list[OverlayCurves] = []
        # (train item, test item) per overlay, in the order given to set_overlays.
        self.overlay_curves: list[tuple[pg.PlotDataItem, pg.PlotDataItem]] = []
        # Smallest, largest and smallest positive cost of the visible overlays, and all their
        # epochs: computed when the overlays change, so set_snapshot never walks them.
        self._overlay_extent: Array = np.empty(0)
        self._overlay_epochs: Array = np.empty(0)
        self._overlay_has_test: list[bool] = []

        self.log_y_checkbox = QCheckBox("log y", toolTip="Logarithmic cost axis")
        self.log_y_checkbox.toggled.connect(self._on_log_y_toggled)
        self.empty_label = QLabel("No completed epoch yet")
        self.empty_label.setEnabled(False)
        controls = QHBoxLayout()
        controls.setContentsMargins(4, 0, 4, 0)
        controls.addWidget(self.empty_label)
        controls.addStretch(1)
        controls.addWidget(self.log_y_checkbox)

        self.graphics = graphics_layout(palette)
        self.cost_plot: pg.PlotItem = self.graphics.addPlot(
            row=0, col=0,
            axisItems={"left": LogFriendlyAxis("left"), "bottom": ReadableAxis("bottom")}
        )
        self.metric_plot: pg.PlotItem = self.graphics.addPlot(row=1, col=0,
                                                              axisItems=readable_axes())
        self.graphics.ci.layout.setRowStretchFactor(0, 3)
        self.graphics.ci.layout.setRowStretchFactor(1, 1)
        self.metric_plot.setXLink(self.cost_plot)
        for plot in (self.cost_plot, self.metric_plot):
            style_line_plot(plot, palette)
            plot.getAxis("left").setWidth(48)
            plot.getAxis("left").enableAutoSIPrefix(False)
        self.cost_plot.getAxis("bottom").setStyle(showValues=False)
        self.cost_plot.getAxis("left").share_width_with(self.metric_plot.getAxis("left"))
        self.cost_plot.setLabel("left", "cost", color=text_color.name())
        self.metric_plot.setLabel("bottom", "epoch", color=text_color.name())
        self.metric_plot.setMaximumHeight(140)

        legend = self.cost_plot.addLegend(offset=(-8, 8), labelTextColor=text_color)
        self._legend: pg.LegendItem = legend
        legend_fill = QColor(background(palette))
        legend_fill.setAlpha(190)  # curves show through; the names stay readable over them
        legend.setBrush(pg.mkBrush(legend_fill))
        # The legend row counting the overlays that do not fit: a sample that draws nothing.
        self._more_runs_sample = pg.PlotDataItem(pen=None)
        self._legend_fit: tuple[int, bool] = (0, False)
        self.cost_plot.getViewBox().sigResized.connect(self._on_view_resized)
        legend.sigSampleClicked.connect(self._on_legend_clicked)
        self.train_curve = self.cost_plot.plot(pen=pg.mkPen(TRAIN_COLOR, width=2), name="train")
        self.test_curve = self.cost_plot.plot(pen=pg.mkPen(TEST_COLOR, width=2), name="test")
        self.metric_train_curve = self.metric_plot.plot(pen=pg.mkPen(TRAIN_COLOR, width=2))
        self.metric_test_curve = self.metric_plot.plot(pen=pg.mkPen(TEST_COLOR, width=2))
        for curve in self._curves():
            self._show_if_data(curve, False)
        # "now": train and test cost at the shown weights (the status line's numbers), a star
        # at the current epoch; after a hand edit it leaves the curve, which is history.
        self.now_costs: tuple[float, float] = (math.nan, math.nan)
        self.now_markers = tuple(
            pg.PlotDataItem(pen=None, symbol="star", symbolSize=13, symbolBrush=color,
                            symbolPen=pg.mkPen(text_color, width=1))
            for color in (TRAIN_COLOR, TEST_COLOR))
        for marker in self.now_markers:
            marker.setZValue(20)
            marker.setVisible(False)
            self.cost_plot.addItem(marker)

        marker_pen = pg.mkPen(text_color, width=1, style=Qt.PenStyle.DashLine)
        hover_pen = pg.mkPen(QColor(text_color.red(), text_color.green(), text_color.blue(), 90))
        self._markers = [pg.InfiniteLine(angle=90, pen=marker_pen) for _ in range(2)]
        self._hover_lines = [pg.InfiniteLine(angle=90, pen=hover_pen) for _ in range(2)]
        for plot, marker, hover in zip(
            (self.cost_plot, self.metric_plot), self._markers, self._hover_lines, strict=True
        ):
            for line in (marker, hover):
                line.setVisible(False)
                plot.addItem(line, ignoreBounds=True)
        fill = QColor(background(palette))
        fill.setAlpha(215)
        self.hover_text = pg.TextItem(color=text_color, fill=pg.mkBrush(fill), anchor=(0, 0))
        self.hover_text.setZValue(100)
        self.hover_text.setVisible(False)
        # Parented to the view box itself, so it is placed in pixels, whatever the axis scale.
        self.hover_text.setParentItem(self.cost_plot.getViewBox())
        self._mouse_proxy = pg.SignalProxy(
            self.graphics.scene().sigMouseMoved, rateLimit=60, slot=self._on_mouse_moved
        )

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(controls)
        # Until the first epoch (or a pinned run) there is nothing to plot: a sentence, not
        # axes over a made-up range.
        self.empty_state = empty_state("The cost per epoch appears here once an epoch has "
                                       "been trained.", "costEmptyState")
        layout.addWidget(self.empty_state, 1)
        layout.addWidget(self.graphics, 1)
        self._show_empty_state()

    # -- public API ------------------------------------------------------------------------

    def set_snapshot(self, snapshot: Snapshot) -> None:
        """Show the snapshot's per-epoch history. It grows once an epoch while snapshots come
        every step: the curves are given new data only when it changed."""
        shown = self._shown_history
        if (shown is None or shown[0] != snapshot.metric_name
                or not _same_history(shown[1], snapshot.history)):
            self._shown_history = (snapshot.metric_name, snapshot.history)
            self._draw_history(snapshot.history, snapshot.metric_name)
        self._set_now(snapshot)
        self._fit_ranges()
        self._fit_metric_range()

    def set_log_y(self, enabled: bool) -> None:
        """Logarithmic (True) or linear cost axis; the checkbox follows."""
        self.log_y_checkbox.setChecked(enabled)
        self.cost_plot.setLogMode(x=False, y=enabled)

    def log_y(self) -> bool:
        return bool(self.log_y_checkbox.isChecked())

    def set_marker(self, epoch: float | None) -> None:
        """Draw a vertical marker at `epoch` in both plots, or remove it (None)."""
        for marker in self._markers:
            marker.setVisible(epoch is not None)
            if epoch is not None:
                marker.setValue(float(epoch))

    def hover_at(self, epoch: float) -> str:
        """Show the values at the epoch nearest `epoch`; returns the text shown ('' if none).

        The nearest epoch is any epoch of the live history or of a visible overlay; the
        visible overlays' values at that epoch are listed too.
        """
        nearest = _nearest(self._epochs, epoch, _nearest(self._overlay_epochs, epoch, math.nan))
        if math.isnan(nearest):
            self._hide_hover()
            return ""
        lines = [f"epoch {int(nearest)}"]
        live = int(np.searchsorted(self._epochs, nearest))
        if live < len(self._epochs) and self._epochs[live] == nearest:
            lines += self._hover_description(live)
        line_height = QFontMetricsF(self.hover_text.textItem.font()).lineSpacing()
        fitting = int((self.cost_plot.getViewBox().height() - 8.0) // max(line_height, 1.0))
        lines += overlay_lines(self._overlays, self._overlay_has_test, nearest,
                               max(3, fitting - len(lines)))
        text = "\n".join(lines)
        for line in self._hover_lines:
            line.setValue(nearest)
            line.setVisible(True)
        self.hover_text.setText(text)
        self._place_hover_text(nearest)
        self.hover_text.setVisible(True)
        return text

    def set_overlays(self, overlays: Sequence[OverlayCurves | tuple[object, ...]]) -> None:
        """Draw these runs' cost curves under the live ones, replacing the previous overlays.

        Each is an OverlayCurves, or a tuple in its field order (name, epochs, train_cost,
        test_cost, color, visible). Visible ones are listed in the legend by name. Call it
        when the runs change, never per snapshot.
        """
        for train_item, test_item in self.overlay_curves:
            self.cost_plot.removeItem(train_item)
            self.cost_plot.removeItem(test_item)
        self._overlays = [
            overlay if isinstance(overlay, OverlayCurves) else OverlayCurves(*overlay)  # type: ignore[arg-type]
            for overlay in overlays
        ]
        self._overlay_has_test = [bool(np.isfinite(overlay.test_cost).any())
                                  for overlay in self._overlays]
        self.overlay_curves = [add_overlay_curves(self.cost_plot, overlay, has_test)
                               for overlay, has_test
                               in zip(self._overlays, self._overlay_has_test, strict=True)]
        self._overlay_extent, self._overlay_epochs = overlay_summary(self._overlays)
        self._rebuild_legend()
        self._hide_hover()
        self._show_empty_state()
        if self._columns:
            self._fit_ranges()

    def overlays(self) -> list[OverlayCurves]:
        """The overlays last given to set_overlays."""
        return list(self._overlays)

    # -- internals -------------------------------------------------------------------------

    def _set_now(self, snapshot: Snapshot) -> None:
        """The "now" stars: the snapshot's train and test cost at its weights."""
        evaluation = snapshot.evaluation
        costs = ((evaluation.train.cost, evaluation.test.cost) if evaluation is not None
                 else (math.nan, math.nan))
        self.now_costs = costs
        for marker, cost in zip(self.now_markers, costs, strict=True):
            shown = math.isfinite(cost) and (cost > 0.0 or not self.log_y())
            marker.setVisible(shown)
            if shown:
                marker.setData([float(snapshot.epoch)], [cost])

    def _draw_history(self, history: HistoryArrays, metric_name: str) -> None:
        """Give the live curves this history's columns (accuracy in percent)."""
        self._epochs = history.epochs
        scale = 100.0 if metric_name == "accuracy" else 1.0
        self._metric_label = "accuracy %" if scale == 100.0 else metric_name
        self._columns = {
            "train": history.train_cost,
            "test": history.test_cost,
            "train_metric": history.train_metric * scale,
            "test_metric": history.test_metric * scale,
        }
        self.metric_plot.setLabel("left", self._metric_label)
        symbol = "o" if len(self._epochs) <= SYMBOL_LIMIT else None
        for curve, key, color in (
            (self.train_curve, "train", TRAIN_COLOR),
            (self.test_curve, "test", TEST_COLOR),
            (self.metric_train_curve, "train_metric", TRAIN_COLOR),
            (self.metric_test_curve, "test_metric", TEST_COLOR),
        ):
            values = self._columns[key]
            has_data = bool(np.isfinite(values).any())
            # No points at all rather than all-NaN ones: pyqtgraph's symbols cannot bound
            # an all-NaN series (it warns whenever the scene re-indexes, as on a theme change).
            curve.setData(
                self._epochs if has_data else [], values if has_data else [], symbol=symbol,
                symbolSize=5, symbolBrush=color, symbolPen=None,
            )
            self._show_if_data(curve, has_data)
        self._show_empty_state()

    def _show_empty_state(self) -> None:
        """The empty-state text instead of the plots while there is nothing to draw."""
        empty = len(self._epochs) == 0 and not self._overlays
        self.empty_state.setVisible(empty)
        self.graphics.setVisible(not empty)
        # Pinned runs drawn, the live run not yet: the short note above the plot says so.
        self.empty_label.setVisible(len(self._epochs) == 0 and not empty)

    def _fit_ranges(self) -> None:
        """The epochs' span on x (set here, never auto-ranged), y auto-ranged except where
        that would give a degenerate, unlabelled axis.

        x: see plot_style.fit_x. One epoch, or a cost flat to 6 digits, would otherwise zoom
        to a span of 1e-6 whose tick labels do not fit the axis.
        """
        view_box = self.cost_plot.getViewBox()
        epochs = np.concatenate([self._epochs, self._overlay_epochs])
        if len(self._epochs) < 2 and len(self._overlay_epochs) == 0:
            last = float(self._epochs[-1]) if len(self._epochs) else 0.0
            view_box.setXRange(0.0, max(2.0, last + 1.0), padding=0.0)
        else:
            fit_x(self.cost_plot, epochs)
        costs = np.concatenate(
            [self._columns.get("train", []), self._columns.get("test", []),
             self._overlay_extent, np.array(self.now_costs)])
        fit_y(view_box, costs, self.log_y())
        if not self._metric_label.endswith("%"):
            metrics = np.concatenate([self._columns["train_metric"], self._columns["test_metric"]])
            fit_y(self.metric_plot.getViewBox(), metrics, False)

    def _fit_metric_range(self) -> None:
        """Accuracy on a fixed 0-100 % axis; other metrics auto-ranged."""
        if self._metric_label.endswith("%"):
            self.metric_plot.enableAutoRange(axis="y", enable=False)
            self.metric_plot.setYRange(0.0, 100.0, padding=0.05)
        else:
            self.metric_plot.enableAutoRange(axis="y", enable=True)

    def _hover_description(self, index: int) -> list[str]:
        """The live history's lines at record `index` (cost, test cost, metric)."""
        def number(key: str) -> str:
            return readout_number(self._columns[key][index])

        lines = [f"train cost {number('train')}"]
        if np.isfinite(self._columns["test"]).any():
            lines.append(f"test cost  {number('test')}")
        suffix = "%" if self._metric_label.endswith("%") else ""
        name = self._metric_label.removesuffix(" %")
        metric = f"{name} {number('train_metric')}{suffix}"
        if np.isfinite(self._columns["test_metric"]).any():
            metric += f" / {number('test_metric')}{suffix} (test)"
        lines.append(metric)
        return lines

    def _place_hover_text(self, epoch: float) -> None:
        """Beside the hover line (right of it in the left half), kept inside the view box."""
        view_box = self.cost_plot.getViewBox()
        x_pixel = view_box.mapFromView(QPointF(epoch, 0.0)).x()
        width = self.hover_text.boundingRect().width()
        left = x_pixel - 4.0 - width if x_pixel > view_box.width() / 2 else x_pixel + 4.0
        left = max(0.0, min(left, view_box.width() - width))
        self.hover_text.setAnchor((0.0, 0.0))
        self.hover_text.setPos(left, 2.0)

    def _rebuild_legend(self) -> None:
        """Live train and test first (when they have data), then the visible overlays, as many
        as fit the plot's height; the rest are counted in a last "+N more runs" row."""
        rows, wide = self._legend_room()
        live = [(curve, name) for curve, name in ((self.train_curve, "train"),
                                                   (self.test_curve, "test"))
                if self._has_data.get(id(curve))]
        shown = [(overlay, items[0]) for overlay, items in zip(self._overlays,
                                                               self.overlay_curves, strict=True)
                 if overlay.visible]
        columns = 2 if len(live) + len(shown) > rows and wide else 1
        room = rows * columns - len(live)
        listed = shown if len(shown) <= room else shown[:max(1, room - 1)]
        self._legend.clear()
        self._legend.setColumnCount(columns)
        for curve, name in live:
            self._legend.addItem(curve, name)
        for overlay, item in listed:
            self._legend.addItem(item, html.escape(shortened(overlay.name, 40)))
        if len(listed) < len(shown):
            self._legend.addItem(self._more_runs_sample, f"+{len(shown) - len(listed)} more runs")
        self._legend_fit = (rows, wide)

    def _on_legend_clicked(self, item: pg.PlotDataItem) -> None:
        """A click on an overlay's legend entry hid its train curve: hide its test curve too,
        and say so (after the click is handled, as the owner may then rebuild the legend)."""
        for index, (train_item, test_item) in enumerate(self.overlay_curves):
            if item is train_item:
                visible = train_item.isVisible()
                test_item.setVisible(visible and self._overlay_has_test[index])
                QTimer.singleShot(0, self, functools.partial(
                    self.overlay_visibility_toggled.emit, index, visible))
                return

    def _legend_room(self) -> tuple[int, bool]:
        """(legend rows that fit the plot's height, whether it is wide enough for two columns)."""
        view_box = self.cost_plot.getViewBox()
        rows = max(3, int((view_box.height() - 16.0) // _LEGEND_ROW_HEIGHT))
        return rows, view_box.width() >= _TWO_COLUMN_WIDTH

    def _on_view_resized(self) -> None:
        """Refit the legend when the plot's size changes how many rows it holds."""
        if self._overlays and self._legend_room() != self._legend_fit:
            self._rebuild_legend()

    def _curves(self) -> tuple[pg.PlotDataItem, ...]:
        return (self.train_curve, self.test_curve, self.metric_train_curve,
                self.metric_test_curve)

    def _show_if_data(self, curve: pg.PlotDataItem, has_data: bool) -> None:
        """Hide a curve without data (no test set) and keep it out of the legend.

        Acts only when that changes, so a curve hidden by clicking its legend entry stays hidden.
        """
        if self._has_data.get(id(curve)) == has_data:
            return
        self._has_data[id(curve)] = has_data
        curve.setVisible(has_data)
        if curve is self.train_curve or curve is self.test_curve:
            self._rebuild_legend()

    def _hide_hover(self) -> None:
        self.hover_text.setVisible(False)
        for line in self._hover_lines:
            line.setVisible(False)

    def _on_log_y_toggled(self, checked: bool) -> None:
        self.cost_plot.setLogMode(x=False, y=checked)
        if self._columns:
            self._fit_ranges()
        if self.hover_text.isVisible():
            self._hide_hover()

    def _on_mouse_moved(self, event: tuple[QPointF]) -> None:
        position = event[0]
        for plot in (self.cost_plot, self.metric_plot):
            if plot.getViewBox().sceneBoundingRect().contains(position):
                self.hover_at(plot.getViewBox().mapSceneToView(position).x())
                return
        self._hide_hover()

    def leaveEvent(self, event: object) -> None:  # noqa: N802 (Qt override)
        self._hide_hover()
        super().leaveEvent(event)


def _nearest(epochs: Array, epoch: float, other: float) -> float:
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


def _same_history(a: HistoryArrays, b: HistoryArrays) -> bool:
    """Whether the epochs and the drawn columns of two histories are equal (NaN equal NaN)."""
    return a is b or all(
        np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True)
        for name in ("epochs", "train_cost", "test_cost", "train_metric", "test_metric"))
