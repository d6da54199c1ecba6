"""The selected weight or bias over the stored steps: its value above, its gradient below.

The series comes from the worker's step history (engine/training/step_history.py), asked for
when the selection changes and, while training runs, at most a few times a second; the latest
state is appended as the last point. A dashed line marks the step the views show (the latest
one, or the one scrubbed to on the timeline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.core.errors import ConfigError
from engine.core.network import ParameterRef
from engine.core.notation import gradient_of
from engine.training.snapshot import Snapshot
from engine.training.step_history import ParameterSeries, parameter_index
from gui.base.colors import NEGATIVE, POSITIVE
from gui.base.plot_style import (
    fit_x,
    fit_y,
    foreground,
    graphics_layout,
    readable_axes,
    style_line_plot,
)

if TYPE_CHECKING:
    from gui.panels.window_api import WindowApi

Array = NDArray[np.float64]
REFRESH_INTERVAL_MS = 250  # at most four series requests a second while training
PLACEHOLDER = "Select a weight or bias (click an edge, a neuron or a heatmap cell)"
SYMBOL_LIMIT = 60  # up to this many points, each is drawn as a dot too
VALUE_AXIS_WIDTH = 52  # the value axes' width before their labels widen them
MINIMUM_PLOT_WIDTH = 160  # the plots never get narrower than this (the dock stops there)


def _no_points() -> tuple[NDArray[np.int64], Array, Array]:
    return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)


def install_parameter_history(window: WindowApi) -> ParameterHistoryPanel:
    """The Parameter history dock, beside the cost plot."""
    panel = ParameterHistoryPanel(window)
    dock = window.add_dock("Parameter history", "parameterHistoryDock", panel,
                           Qt.DockWidgetArea.BottomDockWidgetArea)
    window.splitDockWidget(window.cost_dock, dock, Qt.Orientation.Horizontal)
    return panel


class ParameterHistoryPanel(QWidget):
    """Value and gradient ∂C/∂(value) of the selected parameter over the stored steps."""

    def __init__(self, window: WindowApi) -> None:
        super().__init__()
        self.setObjectName("parameterHistory")
        self._window = window
        self._ref: ParameterRef | None = None
        self._index: int | None = None
        self._sizes: tuple[int, ...] | None = None  # the architecture _index belongs to
        self._series: ParameterSeries | None = None
        self._drawn = _no_points()
        self._refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_INTERVAL_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._create_plots()
        window.selection_changed.connect(self.set_parameter)
        window.snapshot_shown.connect(self._on_snapshot_shown)
        window.worker.parameter_series_ready.connect(self._on_series)

    def _create_plots(self) -> None:
        palette = self.palette()
        text = foreground(palette).name()
        self.title_label = QLabel(PLACEHOLDER, objectName="parameterHistoryTitle")
        self.title_label.setWordWrap(True)
        self.graphics = graphics_layout(palette)
        self.graphics.setMinimumWidth(MINIMUM_PLOT_WIDTH)
        self.value_plot: pg.PlotItem = self.graphics.addPlot(row=0, col=0,
                                                             axisItems=readable_axes())
        self.gradient_plot: pg.PlotItem = self.graphics.addPlot(row=1, col=0,
                                                                axisItems=readable_axes())
        self.gradient_plot.setXLink(self.value_plot)
        self.value_plot.getAxis("bottom").setStyle(showValues=False)
        self.gradient_plot.setLabel("bottom", "step", color=text)
        self.markers: list[pg.InfiniteLine] = []
        marker_pen = pg.mkPen(foreground(palette), width=1, style=Qt.PenStyle.DashLine)
        for plot in (self.value_plot, self.gradient_plot):
            style_line_plot(plot, palette)
            plot.getAxis("left").setWidth(VALUE_AXIS_WIDTH)
            marker = pg.InfiniteLine(angle=90, pen=marker_pen)
            marker.setVisible(False)
            plot.addItem(marker, ignoreBounds=True)
            self.markers.append(marker)
        self.value_curve = self.value_plot.plot(pen=pg.mkPen(pg.mkColor(*POSITIVE), width=2))
        self.gradient_curve = self.gradient_plot.plot(
            pen=pg.mkPen(pg.mkColor(*NEGATIVE), width=2))
        self._set_axis_labels("value", "gradient")
        self.value_plot.getAxis("left").share_width_with(self.gradient_plot.getAxis("left"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title_label)
        layout.addWidget(self.graphics, 1)
        self.graphics.hide()  # until a parameter is selected

    # -- public API ------------------------------------------------------------------------

    @property
    def parameter(self) -> ParameterRef | None:
        return self._ref

    def set_parameter(self, ref: ParameterRef | None) -> None:
        """Plot `ref` (None clears) and ask the worker for its stored values now."""
        self._ref = ref
        self._index = None
        self._series = None
        for plot in (self.value_plot, self.gradient_plot):  # new labels: widen from the start
            plot.getAxis("left").setWidth(VALUE_AXIS_WIDTH)
        snapshot = self._window.snapshot
        self._sizes = None if snapshot is None else snapshot.sizes
        if ref is not None and self._sizes is not None:
            try:
                self._index = parameter_index(self._sizes, ref)
            except ConfigError:  # not in this architecture
                self._ref = None
        self._draw()
        self.refresh()

    def refresh(self) -> None:
        """Ask the worker for the selected parameter's stored steps (drawn when they arrive)."""
        if self._index is not None:
            self._window.worker.request_parameter_series(self._index)

    def curve_data(self) -> tuple[NDArray[np.int64], Array, Array]:
        """The drawn (steps, values, gradients), the latest state included."""
        steps, values, gradients = self._drawn
        return steps.copy(), values.copy(), gradients.copy()

    # -- events ----------------------------------------------------------------------------

    def _on_series(self, series: ParameterSeries) -> None:
        if series.index != self._index:
            return  # asked for before the selection changed
        self._series = series
        self._draw()

    def _on_snapshot_shown(self, snapshot: Snapshot) -> None:
        for marker in self.markers:
            marker.setValue(snapshot.step)
            marker.setVisible(self._index is not None)
        if snapshot is not self._window.snapshot or self._ref is None:
            return  # a step from the history: the series is unchanged
        if snapshot.sizes != self._sizes:
            self.set_parameter(self._ref)  # a new architecture: the same ref, if it exists
        elif self.isVisible() and not self._refresh_timer.isActive():
            self._refresh_timer.start()

    # -- drawing ---------------------------------------------------------------------------

    def _draw(self) -> None:
        ref, index = self._ref, self._index
        self.graphics.setVisible(index is not None)  # no empty axes before a selection
        if ref is None or index is None:
            self.title_label.setText(PLACEHOLDER)
            self._drawn = _no_points()
            self.value_curve.setData([], [])
            self.gradient_curve.setData([], [])
            for marker in self.markers:
                marker.setVisible(False)
            return
        steps, values, gradients = self._drawn = self._points(index)
        symbol = "o" if len(steps) <= SYMBOL_LIMIT else None
        self.value_curve.setData(steps, values, symbol=symbol, symbolSize=4,
                                 symbolBrush=pg.mkColor(*POSITIVE), symbolPen=None)
        self.gradient_curve.setData(steps, gradients, symbol=symbol, symbolSize=4,
                                    symbolBrush=pg.mkColor(*NEGATIVE), symbolPen=None)
        fit_x(self.value_plot, steps)  # the gradient plot is x-linked
        # A constant series (one step kept) auto-ranged to a hair's width: ticks read
        # "−0.01908951561" and widened the axis over the plot. At least 2% of its size.
        fit_y(self.value_plot.getViewBox(), values, log=False)
        fit_y(self.gradient_plot.getViewBox(), gradients, log=False)
        self._set_axis_labels(ref.symbol, gradient_of(ref.symbol))
        # The steps it spans, not a count: it draws the stored steps and the shown state, one
        # more than the timeline's "steps kept", and two counts side by side read as a bug.
        span = (f"at step {int(steps[0]):,}" if len(steps) == 1
                else f"from step {int(steps[0]):,} to {int(steps[-1]):,}")
        self.title_label.setText(f"{ref.symbol} {span}")

    def _points(self, index: int) -> tuple[NDArray[np.int64], Array, Array]:
        """The stored series plus the latest state, if it is newer than the last stored step."""
        series = self._series
        steps = np.empty(0, dtype=np.int64) if series is None else series.steps
        values = np.empty(0) if series is None else series.values
        gradients = np.empty(0) if series is None else series.gradients
        latest = self._window.snapshot
        if latest is not None and (not len(steps) or latest.step > steps[-1]):
            steps = np.append(steps, latest.step)
            values = np.append(values, latest.params[index])
            gradients = np.append(gradients, latest.gradient[index])
        return steps, values, gradients

    def _set_axis_labels(self, value: str, gradient: str) -> None:
        text = foreground(self.palette()).name()
        self.value_plot.setLabel("left", value, color=text)
        self.gradient_plot.setLabel("left", gradient, color=text)
