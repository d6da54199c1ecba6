"""Deltascope's main window: canvas in the centre, docks around it, the trainer process behind.

The window never trains: it builds a Trainer from a TrainingConfig (for its data and starting
weights), hands it as a session dict to the trainer process (gui/trainer_link.py), and draws
the Snapshots that come back, adding each one's decision grid and evaluation on its own core
(engine/training/snapshot.py `with_views`).

MainWindow is the composition: it makes the views, wires them, the actions and the trainer
link together, and installs the features (gui/panels). Its parts live in their own modules,
each typed against AppWindowApi (gui/app/window_api.py):
- gui/app/window_chrome.py: actions, menus, toolbar, docks, the saved layout;
- gui/app/training_control.py: which trainer runs, Play/Step/Reset, `sync`/`step`, saved or not;
- gui/app/snapshot_fanout.py: snapshots in, every view drawn, the selected parameter;
- gui/app/window_files.py, gui/app/data_choice.py: the File menu's work, fitting the data.
"""

from __future__ import annotations

from PySide6.QtCore import QEventLoop, QSettings, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QVBoxLayout, QWidget

from engine.core.network import Network, ParameterRef
from engine.core.seeding import seed_streams
from engine.data.dataset import Dataset, DataSplit
from engine.data.datasets import make_dataset
from engine.training.config import TrainingConfig, build_trainer
from engine.training.snapshot import Snapshot
from gui.app.app_icon import app_icon
from gui.app.data_choice import DataChoiceMixin
from gui.app.evaluation_pacing import SnapshotViews
from gui.app.help_menu import install_help_menu
from gui.app.keyboard import install_keyboard_focus
from gui.app.session_actions import SessionController, install_sessions
from gui.app.snapshot_fanout import SnapshotFanOutMixin
from gui.app.stale_tab_bars import install_stale_tab_bar_cleaner
from gui.app.training_control import Button, TrainingControlMixin
from gui.app.window_chrome import WindowChromeMixin
from gui.app.window_files import EXPORT_FILTER, FileActionsMixin
from gui.base import dialogs
from gui.base.file_dialogs import save_file_name
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


class MainWindow(WindowChromeMixin, TrainingControlMixin, SnapshotFanOutMixin, DataChoiceMixin,
                 FileActionsMixin, QMainWindow):
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
        self._saved_params = None
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
        self._connect_actions()
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

    def _connect_actions(self) -> None:
        """What the actions and toolbar widgets (gui/app/window_chrome.py) do."""
        self.play_action.triggered.connect(self._on_play_pause)
        self.step_action.triggered.connect(lambda: self._on_step())
        self.step_epoch_action.triggered.connect(lambda: self._on_step(epoch=True))
        self.reset_action.triggered.connect(self._on_reset)
        self.gradient_colors_action.toggled.connect(
            lambda on: self.canvas.set_color_mode("gradient" if on else "weight"))
        self.gradient_check_action.triggered.connect(self._on_gradient_check)
        self.open_dataset_action.triggered.connect(self._on_open_dataset)
        self.import_action.triggered.connect(self._on_import_weights)
        self.export_action.triggered.connect(self._on_export_weights)
        self.copy_code_action.triggered.connect(self.copy_numpy_code)
        self.export_plots_action.triggered.connect(self._on_export_plots)
        self.restart_action.triggered.connect(self.restart_training)
        self.quit_action.triggered.connect(self.close)
        self.sample_spin.valueChanged.connect(lambda row: self._link.set_probe_row(row))
        self.speed_control.speed_changed.connect(self._remember_speed)
        self.speed_control.speed_changed.connect(lambda speed: self._link.set_speed(speed))

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

    # -- the window's state and commands --------------------------------------------------

    @property
    def worker(self) -> TrainerLink:
        """The link to the trainer process; its methods send commands, its signals bring
        what the trainer sends back."""
        return self._link

    def stop_worker(self) -> None:
        """End the trainer process (within about a second); safe to call twice."""
        self._link.stop()

    @property
    def settings(self) -> QSettings:
        """Where the window keeps what outlives a run (layout, recent files)."""
        return self._settings

    @property
    def csv_dataset(self) -> Dataset | None:
        """The opened CSV data, if any."""
        return self._csv_dataset

    def set_csv_dataset(self, dataset: Dataset | None) -> None:
        """The CSV data `make_dataset` returns for its name; None: built-in datasets only."""
        self._csv_dataset = dataset
        self.controls.set_csv_source("" if dataset is None else dataset.name)

    def make_dataset(self, config: TrainingConfig) -> Dataset:
        """The dataset `config` names: the opened CSV, or a built-in generated from the seed."""
        if self._csv_dataset is not None and config.dataset == self._csv_dataset.name:
            return self._csv_dataset
        return make_dataset(config.dataset, config.samples, config.noise,
                            seed_streams(config.seed).data)

    def open_session(self, path: str) -> bool:
        """What File ▸ Open Session does: continue the session in `path`; on any problem show
        it, change nothing and return False."""
        return self._sessions.open_session(path)

    def save_session(self, path: str) -> bool:
        """What File ▸ Save Session does (pauses first); False, with the error shown, if the
        file could not be written."""
        return self._sessions.save_session(path)

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
