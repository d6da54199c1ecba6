"""Snapshots in, views out: every Snapshot the trainer process sends (or the timeline picks)
is completed with its decision grid and evaluation (gui/app/evaluation_pacing.py) and drawn
by every view; a new trainer's data and architecture go to the views first; a selected
parameter is marked everywhere it is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import SignalInstance

from engine.core.features import display_names
from engine.core.network import Network, ParameterRef
from engine.core.notation import feature_name
from engine.data.dataset import DataSplit
from engine.training.snapshot import Snapshot
from engine.training.trainer import Trainer
from gui.app.evaluation_pacing import SnapshotViews
from gui.base.status import StatusLine

if TYPE_CHECKING:
    from gui.app.window_api import AppWindowApi

    _Base = AppWindowApi
else:
    _Base = object


class SnapshotFanOutMixin(_Base):
    """How MainWindow shows what the trainer sends."""

    _views: SnapshotViews
    _view_network: Network | None
    _view_data: DataSplit | None
    evaluation_shown: SignalInstance
    status_line: StatusLine
    selected: ParameterRef | None

    @property
    def trained_network(self) -> Network | None:
        """The architecture of the trained network (a copy: its weights are the starting
        ones, the shown snapshot has the current ones); None before the first trainer."""
        return self._view_network

    @property
    def trained_data(self) -> DataSplit | None:
        """The data the trained network learns from (and the views show)."""
        return self._view_data

    def _with_views(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot with its decision grid and evaluation (left out by the trainer
        process), from the data the window shows; as it is if it belongs to an earlier
        network (a stale frame of a replaced trainer, never drawn for long). A costly
        evaluation is paced (gui/app/evaluation_pacing.py)."""
        return self._views.complete(snapshot)

    def _on_evaluated(self, drawn: Snapshot, evaluated: Snapshot) -> None:
        """A snapshot drawn without its (costly) evaluation has it now: show the metrics, costs
        and predictions (metrics panel, status line, cost stars, data view) and keep it as
        `self.snapshot`."""
        if self.snapshot is drawn:
            self.snapshot = evaluated
        self.data_view.set_snapshot(evaluated)
        # The status line and the cost plot's "now" stars read the same evaluation as Metrics.
        self.status_line.set_snapshot(evaluated)
        self.cost_plot.set_snapshot(evaluated)
        self.evaluation_shown.emit(evaluated)

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.show_snapshot(snapshot)

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Draw `snapshot` in every view (the latest one, or one from history)."""
        self.canvas.set_snapshot(snapshot)
        self.data_view.set_snapshot(snapshot)
        self.status_line.set_snapshot(snapshot)
        self.cost_plot.set_snapshot(snapshot)
        self.heatmaps.set_snapshot(snapshot)
        self.snapshot_shown.emit(snapshot)
        # Settle every plot's ranges now: found while painting, a range invalidates the axes
        # and the plot paints a second time.
        for view in self.findChildren(pg.GraphicsView):
            view.scene().prepareForPaint()

    def _show_data(self, trainer: Trainer) -> None:
        """Hand the (immutable) data and the architecture of a new trainer to the views."""
        self._view_network = trainer.network.copy()
        self._view_data = trainer.data
        self._views.set_network(self._view_network, trainer.data)
        self.data_view.set_data(trainer.data.train, trainer.data.test)
        # The trained network's input features (exports rebuild the network with them).
        features = self.network_features = trainer.network.features
        columns = trainer.data.train.feature_names
        self.canvas.set_feature_names(display_names(features) if features
                                      else tuple(map(feature_name, columns)))
        self.canvas.set_image_shape(None if features else trainer.data.train.image_shape)
        self.controls.set_input_width(trainer.data.train.inputs.shape[1])
        self.sample_spin.blockSignals(True)
        self.sample_spin.setMaximum(max(0, len(trainer.data.train) - 1))
        self.sample_spin.setValue(0)
        self.sample_spin.blockSignals(False)

    def select_parameter(self, ref: ParameterRef | None) -> None:
        """Select a weight or bias everywhere it is shown (canvas, heatmaps)."""
        self.selected = ref
        self.canvas.set_selection(ref)
        self.heatmaps.set_selection(ref)
        self.selection_changed.emit(ref)
