"""Deltascope's main window: canvas in the centre, docks around it, the worker thread behind.

The window never runs training math: it builds Trainers from a TrainingConfig and hands
them to the worker, and draws the Snapshots the worker sends back.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEventLoop,
    QSettings,
    Qt,
    QThread,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.config import (
    TrainingConfig,
    apply_hyperparameters,
    build_trainer,
)
from engine.data import Dataset
from engine.datasets import make_dataset
from engine.errors import DeltascopeError
from engine.features import display_names
from engine.network import ParameterRef
from engine.seeding import seed_streams
from engine.snapshot import Snapshot
from engine.trainer import Trainer
from gui import dialogs
from gui.animation import install_smooth_animation
from gui.canvas import NetworkCanvas
from gui.controls import ControlsPanel
from gui.cost_plot import CostPlot
from gui.data_view import DataView
from gui.frame_pacer import FramePacer
from gui.gradcheck_panel import GradientCheckPanel
from gui.hand_edits import install_hand_edits
from gui.heatmaps import GradientHeatmaps
from gui.inspector import install_inspector
from gui.metrics_panel import install_metrics_panel
from gui.neuron_maps import install_neuron_maps
from gui.runs import install_runs
from gui.session_actions import install_sessions
from gui.status import MessageBanner, StatusLine
from gui.stepthrough import install_step_through
from gui.timeline import install_history
from gui.window_files import EXPORT_FILTER, FileActionsMixin
from gui.worker import FRAME_BUDGET, TrainingWorker

Button = QMessageBox.StandardButton
SYNC_TIMEOUT_MS = 10_000
PLOT_INTERVAL = 1.0  # seconds: plots redraw at most this often while training plays
PAINT_ROUNDS = 3


class MainWindow(FileActionsMixin, QMainWindow):
    """The trainer window. Feature panels plug in through `add_dock`, the menus and toolbar
    (`train_menu`, `view_menu`, `toolbar`) and two signals: `snapshot_shown` (every Snapshot
    the views draw) and `selection_changed` (a ParameterRef, or None)."""

    snapshot_shown = Signal(object)
    selection_changed = Signal(object)

    def __init__(
        self, config: TrainingConfig | None = None, settings: QSettings | None = None
    ) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle("Deltascope")
        self._settings = settings if settings is not None else QSettings("Deltascope", "Deltascope")
        self._config = config if config is not None else TrainingConfig()
        self._csv_dataset: Dataset | None = None
        self.snapshot: Snapshot | None = None
        self.playing = False
        self._saved_params: np.ndarray | None = None
        self.selected: ParameterRef | None = None
        self._pacer = FramePacer(FRAME_BUDGET)
        self._waiting_loops: dict[int, QEventLoop] = {}  # sync() and step() calls waiting
        self._fence_token = 0
        self._plots_drawn_at = -math.inf  # time.monotonic() of the last plot redraw
        self._create_views()
        self._create_actions()
        self._create_menus()
        self._create_toolbars()
        self._create_docks()
        trainer = build_trainer(self._config, self.make_dataset(self._config))
        self._show_data(trainer)
        self._start_worker(trainer)
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
        self.statusBar().addPermanentWidget(self.status_line, 1)
        self.controls.hyperparameters_changed.connect(self._on_hyperparameters_changed)
        self.controls.structure_changed.connect(self._on_structure_changed)
        self.controls.regenerate_requested.connect(self._on_regenerate)
        self.canvas.parameter_clicked.connect(self.select_parameter)
        self.heatmaps.parameter_clicked.connect(self.select_parameter)
        self.gradient_check.parameter_selected.connect(self.select_parameter)
        self.gradient_check.run_requested.connect(self._on_gradient_check)

    def _install_features(self) -> None:
        """Feature panels that plug in through the window's public hooks (one line each)."""
        install_history(self)
        install_step_through(self)
        install_inspector(self)
        install_runs(self)
        install_hand_edits(self)
        install_sessions(self)
        install_metrics_panel(self)
        install_neuron_maps(self)
        install_smooth_animation(self, self._pacer)

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
        self.step_action.triggered.connect(lambda: self._worker.step())
        self.step_epoch_action = self.make_action("actionStepEpoch", "Step epoch",
                                              "Train one full epoch", "Shift+Right")
        self.step_epoch_action.triggered.connect(lambda: self._worker.step_epoch())
        self.reset_action = self.make_action("actionReset", "Reset",
                                         "Re-initialize the weights from the seed", "Ctrl+R")
        self.reset_action.triggered.connect(self._on_reset)
        self.gradient_colors_action = self.make_action(
            "actionColorByGradient", "Color by dC/dw", "Colour edges by gradient instead of weight",
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
                       self.reset_action, self.gradient_check_action):
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
        self.sample_spin = QSpinBox(objectName="sampleSpin", minimum=0, maximum=0,
                                    toolTip="Training sample whose activations the canvas shows")
        self.sample_spin.valueChanged.connect(lambda row: self._worker.set_probe_row(row))
        toolbar.addWidget(self.sample_spin)

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
        self.controls_dock = self.add_dock("Controls", "controlsDock", self.controls, left)
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
        """Dock sizes for a first run (no saved layout); needs the window's real size."""
        self.resizeDocks([self.controls_dock, self.data_dock], [270, 400],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.data_dock, self.heatmaps_dock], [330, 400], Qt.Orientation.Vertical)
        self.resizeDocks([self.cost_dock], [250], Qt.Orientation.Vertical)

    def _read_settings(self) -> None:
        geometry = self._settings.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = self._settings.value("windowState")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        else:
            QTimer.singleShot(0, self._apply_default_layout)

    def _write_settings(self) -> None:
        self._settings.setValue("geometry", self.saveGeometry())
        self._settings.setValue("windowState", self.saveState())
        self._settings.sync()

    # -- the worker -----------------------------------------------------------------------

    def _start_worker(self, trainer: Trainer) -> None:
        self._thread = QThread(self)
        self._thread.setObjectName("trainingThread")
        self._worker = TrainingWorker(trainer)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.snapshot_ready.connect(self._on_snapshot)
        self._worker.rate_measured.connect(self.status_line.set_rate)
        self._worker.playing_changed.connect(self._on_playing_changed)
        self._worker.diverged.connect(self._on_diverged)
        self._worker.failed.connect(lambda text: self.banner.show_message(text, error=True))
        self._worker.stopped.connect(self._thread.quit)
        self._worker.fenced.connect(self._on_fenced)
        self._worker.check_progress.connect(self.gradient_check.set_progress)
        self._worker.check_finished.connect(self.gradient_check.finish)
        # A lambda, not the bound method: the worker's own thread runs no event loop, so a
        # queued call would never arrive. Its public methods are safe to call from here.
        self.gradient_check.cancel_requested.connect(lambda: self._worker.cancel_gradient_check())
        self._thread.start()

    @property
    def worker(self) -> TrainingWorker:
        """The worker; call its public methods directly (from lambdas when connecting)."""
        return self._worker

    def stop_worker(self) -> None:
        """Stop training and the thread; safe to call twice."""
        if self._thread.isRunning():
            self._worker.stop()
            self._thread.quit()
            self._thread.wait()

    def _replace_trainer(self, trainer: Trainer) -> None:
        self._show_data(trainer)
        self._worker.replace_trainer(trainer)
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

    def sync(self) -> Snapshot | None:
        """Pause and wait until the worker has sent the snapshot of the paused state."""
        return self._run_and_wait(self._worker.pause)

    def step(self, count: int = 1) -> Snapshot | None:
        """Train `count` steps and wait for the resulting snapshot (for scripts and tests)."""
        return self._run_and_wait(lambda: self._worker.step(count))

    def _run_and_wait(self, command: Callable[[], None]) -> Snapshot | None:
        """Run a worker command, then wait (running the event loop) until every snapshot it
        sent has been drawn; returns the latest snapshot."""
        loop = QEventLoop()
        self._fence_token += 1
        token = self._fence_token  # a nested wait (in loop.exec) takes the next token
        self._waiting_loops[token] = loop
        QTimer.singleShot(SYNC_TIMEOUT_MS, loop.quit)
        command()
        self._worker.fence(token)
        loop.exec()
        del self._waiting_loops[token]
        return self.snapshot

    def _on_fenced(self, token: int) -> None:
        loop = self._waiting_loops.get(token)
        if loop is not None:
            loop.quit()

    # -- snapshots in ---------------------------------------------------------------------

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.show_snapshot(snapshot)
        if self.playing:
            # Paint now, while the worker rests (see TrainingWorker.frame_drawn): repaints
            # are posted events, and each round of them can post one more. Settling every
            # plot's auto-range first means each plot paints once, not two or three times
            # (a range found while painting invalidates the axes): ~15% less per frame.
            for view in self.findChildren(pg.GraphicsView):
                view.scene().prepareForPaint()
            for _ in range(PAINT_ROUNDS):
                QCoreApplication.sendPostedEvents()
        # The next frame comes only when drawing this one stays within the CPU budget.
        self._worker.frame_drawn(self._pacer.delay())

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Draw `snapshot` in every view (the latest one, or one from history).

        While training plays, the cost plot and the gradient heatmaps (pyqtgraph with many
        axes: costly to repaint, and every millisecond the GUI thread draws is one the
        training thread waits for the GIL) follow at most every PLOT_INTERVAL; the canvas,
        the data view (the decision boundary, a few ms) and the status line take every frame.
        Paused, every view shows the snapshot at once.
        """
        self.canvas.set_snapshot(snapshot)
        self.data_view.set_snapshot(snapshot)
        self.status_line.set_snapshot(snapshot)
        if not (self.playing and time.monotonic() - self._plots_drawn_at < PLOT_INTERVAL):
            self._draw_plots(snapshot)  # else a later frame, or the one at the pause, will
        self.snapshot_shown.emit(snapshot)

    def _draw_plots(self, snapshot: Snapshot) -> None:
        self._plots_drawn_at = time.monotonic()
        self.cost_plot.set_snapshot(snapshot)
        self.heatmaps.set_snapshot(snapshot)

    def _on_playing_changed(self, playing: bool) -> None:
        self.playing = playing
        if playing:
            self._pacer.restart()
        self.play_action.setChecked(playing)
        self.play_action.setText("Pause" if playing else "Play")
        self.status_line.set_playing(playing)

    def _on_diverged(self, message: str) -> None:
        self.banner.show_message(message, error=True)
        self.statusBar().showMessage("Training diverged and was paused", 10_000)

    def _show_data(self, trainer: Trainer) -> None:
        """Hand the (immutable) data of a new trainer to the views, before the worker owns it."""
        self.data_view.set_data(trainer.data.train, trainer.data.test)
        # The trained network's input features (exports rebuild the network with them).
        features = self.network_features = trainer.network.features
        self.canvas.set_feature_names(display_names(features) if features
                                      else trainer.data.train.feature_names)
        self.controls.set_input_width(trainer.data.train.inputs.shape[1])
        self.sample_spin.blockSignals(True)
        self.sample_spin.setMaximum(max(0, len(trainer.data.train) - 1))
        self.sample_spin.setValue(0)
        self.sample_spin.blockSignals(False)

    # -- training controls ----------------------------------------------------------------

    def _on_play_pause(self) -> None:
        if self.playing:
            self._worker.pause()
        else:
            self.banner.hide()
            self._worker.play()

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
        self._worker.run_gradient_check()

    def _on_hyperparameters_changed(self) -> None:
        config = self.controls.config()
        self._config = config
        self._worker.configure(lambda trainer: apply_hyperparameters(trainer, config))

    def _on_structure_changed(self) -> None:
        if not self.confirm_discard():
            self.controls.set_config(self._config)
            return
        self._config = self.controls.config()
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
                path, _ = QFileDialog.getSaveFileName(self, "Export Weights", "weights.json",
                                                      EXPORT_FILTER)
                if not path or not self.export_weights(path):
                    event.ignore()
                    return
        self._write_settings()
        self.stop_worker()
        event.accept()
