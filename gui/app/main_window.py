"""Deltascope's main window: canvas in the centre, docks around it, the trainer process behind.

The window never trains: it builds a Trainer from a TrainingConfig (for its data and starting
weights), hands it as a session dict to the trainer process (gui/trainer_link.py), and draws
the Snapshots that come back, adding each one's decision grid and evaluation on its own core
(engine/training/snapshot.py `with_views`).

Why this is long: it is the one place that wires the views, the panels and the trainer link
together (construction, the trainer process, snapshots in, training controls, closing); its file
and data-choice work already live in gui/app/window_files.py and gui/app/data_choice.py, and
every feature installs itself from gui/panels.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QByteArray,
    QEventLoop,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from engine.core.errors import DeltascopeError
from engine.core.features import display_names
from engine.core.network import Network, ParameterRef
from engine.core.notation import feature_name
from engine.core.seeding import seed_streams
from engine.data.dataset import Dataset, DataSplit
from engine.data.datasets import make_dataset
from engine.io.session import session_dict
from engine.training.config import TrainingConfig, build_trainer
from engine.training.snapshot import Snapshot
from engine.training.trainer import Trainer
from gui.app.app_icon import app_icon
from gui.app.data_choice import DataChoiceMixin
from gui.app.evaluation_pacing import SnapshotViews
from gui.app.help_menu import install_help_menu
from gui.app.keyboard import install_keyboard_focus
from gui.app.session_actions import SessionController, install_sessions
from gui.app.stale_tab_bars import install_stale_tab_bar_cleaner
from gui.app.window_files import EXPORT_FILTER, FileActionsMixin
from gui.app.window_geometry import VerticalScrollArea, place_window
from gui.base import dialogs
from gui.base.file_dialogs import save_file_name
from gui.base.index_spin import IndexSpinBox
from gui.base.speed_control import DEFAULT_SPEED, SpeedControl
from gui.base.status import MessageBanner, StatusLine
from gui.panels.controls import ControlsPanel
from gui.panels.gradcheck_panel import GradientCheckPanel
from gui.panels.hand_edits import install_hand_edits
from gui.panels.inspector import install_inspector
from gui.panels.metrics_panel import install_metrics_panel
from gui.panels.neuron_map_action import install_neuron_maps
from gui.panels.runs import install_runs
from gui.panels.stepthrough import install_step_through
from gui.panels.timeline import install_history
from gui.trainer_link import TrainerLink
from gui.views.canvas import NetworkCanvas
from gui.views.cost_plot import CostPlot
from gui.views.data_view import DataView
from gui.views.heatmaps import GradientHeatmaps

Button = QMessageBox.StandardButton
SYNC_TIMEOUT_MS = 10_000
SPEED_KEY = "trainingSpeed"


class MainWindow(DataChoiceMixin, FileActionsMixin, QMainWindow):
    """The trainer window. Feature panels plug in through `add_dock`, the menus and toolbar
    (`train_menu`, `view_menu`, `toolbar`) and two signals: `snapshot_shown` (every Snapshot
    the views draw) and `selection_changed` (a ParameterRef, or None)."""

    snapshot_shown = Signal(object)
    selection_changed = Signal(object)
    training_saved = Signal()  # the shown weights were written to a file the person chose
    evaluation_shown = Signal(object)  # the shown Snapshot again, its evaluation filled in

    def __init__(
        self, config: TrainingConfig | None = None, settings: QSettings | None = None
    ) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle("Deltascope")
        self.setWindowIcon(app_icon())
        self._settings = settings if settings is not None else QSettings("Deltascope", "Deltascope")
        self._config = config if config is not None else TrainingConfig()
        self._csv_dataset: Dataset | None = None
        self.snapshot: Snapshot | None = None
        self.playing = False
        self._saved_params: np.ndarray | None = None
        self.selected: ParameterRef | None = None
        self._waiting_loops: dict[int, QEventLoop] = {}  # sync() and step() calls waiting
        self._fence_token = 0
        self._view_network: Network | None = None  # architecture of the trained network
        self._view_data: DataSplit | None = None  # and its data (for Snapshot grids)
        self._views = SnapshotViews(lambda: self.playing, self._on_evaluated)
        self._create_views()
        self._create_actions()
        self._create_menus()
        self._create_toolbars()
        self._create_docks()
        self._start_trainer_process()
        self._replace_trainer(build_trainer(self._config, self.make_dataset(self._config)))
        self._install_features()
        self._read_settings()  # after every dock exists, so all of them are restored

    # -- construction ---------------------------------------------------------------------

    def _create_views(self) -> None:
        self.canvas = NetworkCanvas()
        self.banner = MessageBanner()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.canvas, 1)
        self.setCentralWidget(central)
        self.controls = ControlsPanel(self._config)
        self.cost_plot = CostPlot()
        self.heatmaps = GradientHeatmaps()
        self.data_view = DataView()
        self.gradient_check = GradientCheckPanel()
        self.status_line = StatusLine()
        # Not permanent: a confirmation (gui/base/file_dialogs.py confirm) replaces it for a while.
        self.statusBar().addWidget(self.status_line, 1)
        self.controls.hyperparameters_changed.connect(self._on_hyperparameters_changed)
        self.controls.structure_changed.connect(self._on_structure_changed)
        self.controls.regenerate_requested.connect(self._on_regenerate)
        self.controls.task_changed.connect(self.set_task)
        self.canvas.parameter_clicked.connect(self.select_parameter)
        self.data_view.sample_chosen.connect(self.show_sample)
        self.heatmaps.parameter_clicked.connect(self.select_parameter)
        self.gradient_check.parameter_selected.connect(self.select_parameter)
        self.gradient_check.run_requested.connect(self._on_gradient_check)
        self.snapshot_shown.connect(self.gradient_check.show_state)  # stale results clear

    def _install_features(self) -> None:
        """Feature panels that plug in through the window's public hooks (one line each)."""
        install_history(self)
        install_step_through(self)
        install_inspector(self)
        install_runs(self)
        install_hand_edits(self)
        self._sessions: SessionController = install_sessions(self)
        self.evaluation_shown.connect(install_metrics_panel(self).set_snapshot)
        install_neuron_maps(self)
        self.help_menu = install_help_menu(self)
        install_keyboard_focus(self)  # last: it sees every feature's buttons
        install_stale_tab_bar_cleaner(self)

    def make_action(self, name: str, text: str, tip: str,
                    shortcut: QKeySequence | str | None = None,
                    checkable: bool = False) -> QAction:
        """A QAction with objectName, status tip and optional shortcut."""
        action = QAction(text, self, statusTip=tip, toolTip=tip, checkable=checkable)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        return action

    def remember_checked(self, action: QAction, key: str, default: bool) -> None:
        """Restore a checkable action's state from the settings (`default` the first time)
        and save it whenever it is toggled, so the choice outlives the run."""
        saved = self._settings.value(key, default)
        action.setChecked(saved in (True, "true"))  # an INI file gives a string back
        action.toggled.connect(lambda on: self._settings.setValue(key, on))

    def _create_actions(self) -> None:
        self.play_action = self.make_action("actionPlayPause", "Play", "Start or pause training",
                                        "Space", checkable=True)
        self.play_action.triggered.connect(self._on_play_pause)
        self.step_action = self.make_action("actionStep", "Step", "Train one mini-batch", "Right")
        self.step_action.triggered.connect(
            lambda: None if self.refuse_training() else self._link.step())
        self.step_epoch_action = self.make_action("actionStepEpoch", "Step epoch",
                                              "Train one full epoch", "Shift+Right")
        self.step_epoch_action.triggered.connect(
            lambda: None if self.refuse_training() else self._link.step_epoch())
        self.reset_action = self.make_action("actionReset", "Reset",
                                         "Re-initialize the weights from the seed", "Ctrl+R")
        self.reset_action.triggered.connect(self._on_reset)
        self.gradient_colors_action = self.make_action(
            "actionColorByGradient", "Color by ∂C/∂w", "Color edges by gradient instead of weight",
            "G", checkable=True)
        self.gradient_colors_action.toggled.connect(
            lambda on: self.canvas.set_color_mode("gradient" if on else "weight"))
        self.gradient_check_action = self.make_action(
            "actionGradientCheck", "Gradient check",
            "Compare every gradient with central finite differences (pauses)", "Ctrl+G")
        self.gradient_check_action.triggered.connect(self._on_gradient_check)
        self.open_dataset_action = self.make_action("actionOpenDataset", "Open Dataset…",
                                                "Load a CSV file", QKeySequence.StandardKey.Open)
        self.open_dataset_action.triggered.connect(self._on_open_dataset)
        self.import_action = self.make_action("actionImportWeights", "Import Weights…",
                                          "Load weights from JSON or NPZ", "Ctrl+I")
        self.import_action.triggered.connect(self._on_import_weights)
        self.export_action = self.make_action("actionExportWeights", "Export Weights…",
                                          "Save the weights as JSON or NPZ", "Ctrl+E")
        self.export_action.triggered.connect(self._on_export_weights)
        self.copy_code_action = self.make_action(
            "actionCopyNumpyCode", "Copy as NumPy Code",
            "Copy a self-contained NumPy forward pass with the trained numbers", "Ctrl+Shift+C")
        self.copy_code_action.triggered.connect(self.copy_numpy_code)
        self.export_plots_action = self.make_action("actionExportPlots", "Export Plots…",
                                                "Save the plots as a PNG image", "Ctrl+Shift+E")
        self.export_plots_action.triggered.connect(self._on_export_plots)
        self.restart_action = self.make_action(
            "actionRestartTraining", "Restart Training",
            "After the training process ended: start a new one from the last snapshot's weights")
        self.restart_action.setEnabled(False)
        self.restart_action.triggered.connect(self.restart_training)
        self.quit_action = self.make_action("actionQuit", "Quit", "Close Deltascope",
                                        QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)

    def _create_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for action in (self.open_dataset_action, self.import_action, self.export_action,
                       self.copy_code_action, self.export_plots_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.train_menu = self.menuBar().addMenu("&Train")
        for action in (self.play_action, self.step_action, self.step_epoch_action,
                       self.reset_action, self.gradient_check_action, self.restart_action):
            self.train_menu.addAction(action)
        self.view_menu = self.menuBar().addMenu("&View")
        self.view_menu.addAction(self.gradient_colors_action)
        self.view_menu.addSeparator()

    def _create_toolbars(self) -> None:
        toolbar = self.toolbar = self.addToolBar("Training")
        toolbar.setObjectName("trainingToolbar")
        for action in (self.play_action, self.step_action, self.step_epoch_action,
                       self.reset_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.gradient_check_action)
        toolbar.addAction(self.gradient_colors_action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Sample "))
        self.sample_spin = IndexSpinBox(objectName="sampleSpin", minimum=0, maximum=0,
                                    toolTip="Training sample whose activations the canvas shows",
                                    keyboardTracking=False)
        self.sample_spin.valueChanged.connect(lambda row: self._link.set_probe_row(row))
        toolbar.addWidget(self.sample_spin)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Speed "))
        self.speed_control = SpeedControl()
        saved = self._settings.value(SPEED_KEY, DEFAULT_SPEED)
        self.speed_control.set_speed(_speed_setting(saved))
        self.speed_control.speed_changed.connect(self._on_speed_changed)
        toolbar.addWidget(self.speed_control)

    def show_sample(self, row: int) -> None:
        """Make training sample `row` the canvas's sample (as the toolbar's Sample box)."""
        self.sample_spin.setValue(row)

    def add_dock(self, title: str, name: str, widget: QWidget,
                 area: Qt.DockWidgetArea) -> QDockWidget:
        """Put `widget` in a dock (movable, closable, listed under View)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def _create_docks(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.controls_dock = self.add_dock("Controls", "controlsDock",
                                           VerticalScrollArea(self.controls), left)
        self.data_dock = self.add_dock("Data", "dataDock", self.data_view, right)
        self.heatmaps_dock = self.add_dock("Gradients", "gradientsDock", self.heatmaps, right)
        self.cost_dock = self.add_dock("Cost", "costDock", self.cost_plot, bottom)
        self.check_dock = self.add_dock("Gradient check", "gradientCheckDock", self.gradient_check,
                                     left)
        self.tabifyDockWidget(self.controls_dock, self.check_dock)
        self.controls_dock.raise_()
        # Side docks run the full height; the cost plot sits under the canvas only.
        self.setCorner(Qt.Corner.BottomLeftCorner, left)
        self.setCorner(Qt.Corner.BottomRightCorner, right)

    def _apply_default_layout(self) -> None:
        """Dock sizes for a first run (no saved layout); needs the window's real size, so a
        small screen gives the canvas its share too."""
        width, height = self.width(), self.height()
        self.resizeDocks([self.controls_dock, self.data_dock], [270, min(400, width * 3 // 10)],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.data_dock, self.heatmaps_dock], [330, 400], Qt.Orientation.Vertical)
        self.resizeDocks([self.cost_dock], [min(250, height // 3)], Qt.Orientation.Vertical)

    def _read_settings(self) -> None:
        place_window(self, self._settings.value("geometry"))
        state = self._settings.value("windowState")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        else:
            QTimer.singleShot(0, self._apply_default_layout)

    def _write_settings(self) -> None:
        self._settings.setValue("geometry", self.saveGeometry())
        self._settings.setValue("windowState", self.saveState())
        self._settings.sync()

    # -- the trainer process --------------------------------------------------------------

    def _start_trainer_process(self) -> None:
        """A new trainer process (it trains nothing until _replace_trainer hands it a trainer)."""
        link = self._link = TrainerLink(self)
        link.set_completion(self._with_views)
        link.snapshot_ready.connect(self._on_snapshot)
        link.rate_measured.connect(self.status_line.set_rate)
        link.playing_changed.connect(self._on_playing_changed)
        link.diverged.connect(self._on_diverged)
        link.failed.connect(lambda text: self.banner.show_message(text, error=True))
        link.fenced.connect(self._on_fenced)
        link.check_progress.connect(self.gradient_check.set_progress)
        link.check_finished.connect(self.gradient_check.finish)
        link.died.connect(self._on_trainer_died)
        self.gradient_check.cancel_requested.connect(link.cancel_gradient_check)
        link.set_speed(self.speed_control.speed())

    @property
    def worker(self) -> TrainerLink:
        """The link to the trainer process; its methods send commands, its signals bring
        what the trainer sends back."""
        return self._link

    def stop_worker(self) -> None:
        """End the trainer process (within about a second); safe to call twice."""
        self._link.stop()

    def set_speed(self, steps_per_second: float | None) -> None:
        """Train at most this many steps a second while playing (None: as fast as possible);
        the toolbar's speed control shows it, and it is remembered."""
        self.speed_control.set_speed(steps_per_second)

    def _on_speed_changed(self, speed: float | None) -> None:
        self._settings.setValue(SPEED_KEY, "max" if speed is None else speed)
        self._link.set_speed(speed)

    def _with_views(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot with its decision grid and evaluation (left out by the trainer
        process), from the data the window shows; as it is if it belongs to an earlier
        network (a stale frame of a replaced trainer, never drawn for long). A costly
        evaluation is paced (gui/app/evaluation_pacing.py)."""
        return self._views.complete(snapshot)

    def _on_evaluated(self, drawn: Snapshot, evaluated: Snapshot) -> None:
        """A snapshot drawn without its (costly) evaluation has it now: show the metrics and
        predictions (metrics panel, data view) and keep it as `self.snapshot`."""
        if self.snapshot is drawn:
            self.snapshot = evaluated
        self.data_view.set_snapshot(evaluated)
        self.evaluation_shown.emit(evaluated)

    def _on_trainer_died(self, message: str) -> None:
        for loop in self._waiting_loops.values():
            loop.quit()  # sync() and step() get the last snapshot
        self._on_playing_changed(False)
        self.banner.show_message(message, error=True)
        self.restart_action.setEnabled(True)
        self.statusBar().showMessage("The training process ended", 10_000)

    def restart_training(self) -> bool:
        """After the trainer process died: a new one, training on from the last snapshot's
        weights (its optimizer state, step count and timeline start afresh). False if
        impossible."""
        snapshot = self.snapshot
        try:
            trainer = build_trainer(self._config, self.make_dataset(self._config))
        except DeltascopeError as error:
            self.report("Cannot restart training", str(error))
            return False
        if snapshot is not None and snapshot.params.shape == trainer.network.params.shape:
            trainer.network.params[...] = snapshot.params
        self._link.restart()
        self._link.set_speed(self.speed_control.speed())
        self.restart_action.setEnabled(False)
        self.banner.hide()
        self._replace_trainer(trainer)
        return True

    def _replace_trainer(self, trainer: Trainer) -> None:
        """Show `trainer`'s data and train it in the trainer process from now on (this window
        never steps it)."""
        self._show_data(trainer)
        self._note_trainer(trainer)
        self._link.replace_trainer(
            session_dict(self._config, self.make_dataset(self._config), trainer))
        self._saved_params = None

    @property
    def config(self) -> TrainingConfig:
        """The settings the current trainer was built with."""
        return self._config

    @property
    def settings(self) -> QSettings:
        """Where the window keeps what outlives a run (layout, recent files)."""
        return self._settings

    def adopt(self, trainer: Trainer, config: TrainingConfig,
              saved_params: np.ndarray | None = None) -> None:
        """Train from now on with `trainer` (built from `config`; the window must not touch it
        afterwards). `saved_params`: weights already on disk, so closing need not ask."""
        self._config = config
        self.controls.set_config(config)
        self.banner.hide()
        self._replace_trainer(trainer)
        self._saved_params = saved_params

    def set_csv_dataset(self, dataset: Dataset | None) -> None:
        """The CSV data `make_dataset` returns for its name; None: built-in datasets only."""
        self._csv_dataset = dataset
        self.controls.set_csv_source("" if dataset is None else dataset.name)

    def mark_saved(self, params: np.ndarray) -> None:
        """These weights are on disk: closing with them shown need not ask to export."""
        self._saved_params = params.copy()
        self.training_saved.emit()

    def open_session(self, path: str) -> bool:
        """What File ▸ Open Session does: continue the session in `path`; on any problem show
        it, change nothing and return False."""
        return self._sessions.open_session(path)

    def save_session(self, path: str) -> bool:
        """What File ▸ Save Session does (pauses first); False, with the error shown, if the
        file could not be written."""
        return self._sessions.save_session(path)

    def mark_unsaved(self) -> None:
        """The shown weights are on no file the person chose (restored from a recovery
        file, say): closing asks to export them."""
        self._saved_params = None

    def sync(self) -> Snapshot | None:
        """Pause and wait until the worker has sent the snapshot of the paused state."""
        return self._run_and_wait(self._link.pause)

    def step(self, count: int = 1) -> Snapshot | None:
        """Train `count` steps and wait for the resulting snapshot (for scripts and tests);
        settings that cannot learn are refused (shown) and the snapshot stays as it is."""
        if self.refuse_training():
            return self.snapshot
        return self._run_and_wait(lambda: self._link.step(count))

    def _run_and_wait(self, command: Callable[[], None]) -> Snapshot | None:
        """Run a worker command, then wait (running the event loop) until every snapshot it
        sent has been drawn; returns the latest snapshot."""
        loop = QEventLoop()
        self._fence_token += 1
        token = self._fence_token  # a nested wait (in loop.exec) takes the next token
        self._waiting_loops[token] = loop
        QTimer.singleShot(SYNC_TIMEOUT_MS, loop.quit)
        command()
        self._link.fence(token)
        if self._link.alive:
            loop.exec()
        del self._waiting_loops[token]
        self._views.finish()  # scripts get the shown snapshot with its evaluation
        return self.snapshot

    def _on_fenced(self, token: int) -> None:
        loop = self._waiting_loops.get(token)
        if loop is not None:
            loop.quit()

    # -- snapshots in ---------------------------------------------------------------------

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

    def _on_playing_changed(self, playing: bool) -> None:
        self.playing = playing
        self.play_action.setChecked(playing)
        self.play_action.setText("Pause" if playing else "Play")
        self.status_line.set_playing(playing)

    def _on_diverged(self, message: str) -> None:
        self.banner.show_message(message, error=True)
        self.statusBar().showMessage("Training diverged and was paused", 10_000)

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

    # -- training controls ----------------------------------------------------------------

    def _on_play_pause(self) -> None:
        if self.playing:
            self._link.pause()
        elif self.refuse_training():
            self.play_action.setChecked(False)
        elif self._link.alive:
            self.banner.hide()
            self._link.play()
        else:
            self.play_action.setChecked(False)

    def _on_reset(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Fresh weights from the seed with the current settings (same seed, same weights)."""
        try:
            trainer = build_trainer(self._config, self.make_dataset(self._config))
        except DeltascopeError as error:
            self.report("Cannot reset", str(error))
            return
        self.banner.hide()
        self._replace_trainer(trainer)

    def select_parameter(self, ref: ParameterRef | None) -> None:
        """Select a weight or bias everywhere it is shown (canvas, heatmaps)."""
        self.selected = ref
        self.canvas.set_selection(ref)
        self.heatmaps.set_selection(ref)
        self.selection_changed.emit(ref)

    def _on_gradient_check(self) -> None:
        self.check_dock.show()
        self.check_dock.raise_()
        self.gradient_check.start()
        self._link.run_gradient_check()

    def _on_hyperparameters_changed(self) -> None:
        config = self.controls.config()
        self._config = config
        self._link.set_hyperparameters(config.learning_rate, config.batch_size,
                                       config.regularization, config.regularization_rate,
                                       config.optimizer)
        self.check_learnable()

    def _on_structure_changed(self) -> None:
        if not self.confirm_discard():
            self.controls.set_config(self._config)
            return
        config = self.controls.config()
        if config.dataset != self._config.dataset:  # new data: the settings of its task
            try:
                config = self.adapt_to_data(config)
            except DeltascopeError as error:
                self.report("Cannot use dataset", str(error))
                self.controls.set_config(self._config)
                return
            self.controls.set_config(config)
        self._config = config
        self.reset()

    def _on_regenerate(self) -> None:
        if not self.confirm_discard():
            return
        self._config = self.controls.config().with_changes(seed=self.controls.config().seed + 1)
        self.controls.set_config(self._config)
        self.reset()

    def make_dataset(self, config: TrainingConfig) -> Dataset:
        """The dataset `config` names: the opened CSV, or a built-in generated from the seed."""
        if self._csv_dataset is not None and config.dataset == self._csv_dataset.name:
            return self._csv_dataset
        return make_dataset(config.dataset, config.samples, config.noise,
                            seed_streams(config.seed).data)

    @property
    def has_unsaved_training(self) -> bool:
        """True when the shown weights were trained and never exported."""
        snapshot = self.snapshot
        if snapshot is None or snapshot.step == 0:
            return False
        return self._saved_params is None or not np.array_equal(snapshot.params, self._saved_params)

    def confirm_discard(self) -> bool:
        """Ask before re-initializing trained weights that were never saved."""
        if not self.has_unsaved_training:
            return True
        answer = dialogs.ask(self, "Discard trained weights?",
                             "This change re-initializes the network. Discard the trained weights?",
                             Button.Discard | Button.Cancel, Button.Cancel)
        return answer == Button.Discard

    def report(self, title: str, text: str) -> None:
        """Show an error in the banner and a dialog; the caller has changed nothing."""
        self.banner.show_message(text, error=True)
        dialogs.show_error(self, title, text)

    # -- closing --------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self.has_unsaved_training:
            answer = dialogs.ask(
                self, "Export trained weights?",
                "The trained weights were never exported. Export them before closing?",
                Button.Save | Button.Discard | Button.Cancel, Button.Save,
                labels={Button.Save: "Export…"})
            if answer == Button.Cancel:
                event.ignore()
                return
            if answer == Button.Save:
                path = save_file_name(self, self._settings, "Export Weights", "weights.json",
                                      EXPORT_FILTER)
                if not path or not self.export_weights(path):
                    event.ignore()
                    return
        self._write_settings()
        self.stop_worker()
        event.accept()


def _speed_setting(saved: object) -> float | None:
    """A speed read back from the settings ("max", a number, or a number as text)."""
    if saved in (None, "max"):
        return None
    try:
        speed = float(saved)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_SPEED
    return speed if speed > 0 and speed == speed else DEFAULT_SPEED
