"""The cost over epochs (train and test) with the metric below it, on a shared epoch axis.

Pinned runs (gui/panels/runs.py) are overlaid in their own colours; like every plot it takes
its colours from the Qt palette through gui/base/plot_style.py (light or dark theme alike).

The widget keeps the plot's state (the history shown, the overlays and their extent, the log
axis) and the live curves, "now" stars, ranges and empty state; its parts: the pinned runs'
colours, curves and extent in gui/views/cost_overlays.py, the hover read-out in
cost_readout.py, what fits the legend in cost_legend.py.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor
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
from gui.views.cost_legend import CostLegend
from gui.views.cost_overlays import (
    OVERLAY_COLORS,
    SYMBOL_LIMIT,
    OverlayCurves,
    add_overlay_curves,
    overlay_color,
    overlay_summary,
)
from gui.views.cost_readout import HoverReadout, live_lines, nearest, overlay_lines

Array = NDArray[np.float64]
__all__ = ["OVERLAY_COLORS", "TEST_COLOR", "TRAIN_COLOR", "CostPlot", "OverlayCurves",
           "overlay_color"]

TRAIN_COLOR = QColor(*POSITIVE)
TEST_COLOR = QColor(*NEGATIVE)


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

        self._legend_rows = CostLegend(self.cost_plot, text_color, QColor(background(palette)))
        self._legend = self._legend_rows.item
        self.cost_plot.getViewBox().sigResized.connect(self._on_view_resized)
        self._legend.sigSampleClicked.connect(self._on_legend_clicked)
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
        self._markers = [pg.InfiniteLine(angle=90, pen=marker_pen) for _ in range(2)]
        for plot, marker in zip((self.cost_plot, self.metric_plot), self._markers, strict=True):
            marker.setVisible(False)
            plot.addItem(marker, ignoreBounds=True)
        fill = QColor(background(palette))
        fill.setAlpha(215)
        self._readout = HoverReadout((self.cost_plot, self.metric_plot), text_color, fill)
        self.hover_text, self._hover_lines = self._readout.text, self._readout.lines
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
        found = nearest(self._epochs, epoch, nearest(self._overlay_epochs, epoch, math.nan))
        if math.isnan(found):
            self._hide_hover()
            return ""
        lines = [f"epoch {int(found)}"]
        live = int(np.searchsorted(self._epochs, found))
        if live < len(self._epochs) and self._epochs[live] == found:
            lines += live_lines(self._columns, self._metric_label, live)
        lines += overlay_lines(self._overlays, self._overlay_has_test, found,
                               max(3, self._readout.room() - len(lines)))
        text = "\n".join(lines)
        self._readout.show(found, text)
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
        self._metric_label = "accuracy %" if scale == 100.0 else metric_name.upper()  # RMSE
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

    def _rebuild_legend(self) -> None:
        """Live train and test (when they have data), then the visible overlays."""
        live = [(curve, name) for curve, name in ((self.train_curve, "train"),
                                                   (self.test_curve, "test"))
                if self._has_data.get(id(curve))]
        self._legend_rows.fill(live, [(items[0], overlay.name) for overlay, items
                                      in zip(self._overlays, self.overlay_curves, strict=True)
                                      if overlay.visible])

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

    def _on_view_resized(self) -> None:
        """Refit the legend when the plot's size changes how many rows it holds."""
        if self._overlays and not self._legend_rows.fits():
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
        self._readout.hide()

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


def _same_history(a: HistoryArrays, b: HistoryArrays) -> bool:
    """Whether the epochs and the drawn columns of two histories are equal (NaN equal NaN)."""
    return a is b or all(
        np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True)
        for name in ("epochs", "train_cost", "test_cost", "train_metric", "test_metric"))
