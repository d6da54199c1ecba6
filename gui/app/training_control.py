"""The window's side of training: which trainer the trainer process runs (a new one on reset,
on changed structure or regenerated data, from a file or session, after the process died),
Play/Pause/Step, hyperparameters sent on the fly, waiting for the trainer (`sync`, `step`),
and whether the shown weights are saved.

TrainingControlMixin holds the settings the current trainer was built with (`config`); the
window never steps a Trainer itself, it hands each one to the trainer link
(gui/trainer_link.py) as a session dict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QDockWidget, QMessageBox

from engine.core.errors import DeltascopeError
from engine.io.session import session_dict
from engine.training.config import TrainingConfig, build_trainer
from engine.training.snapshot import Snapshot
from engine.training.trainer import Trainer
from gui.app.evaluation_pacing import SnapshotViews
from gui.base import dialogs
from gui.panels.gradcheck_panel import GradientCheckPanel
from gui.trainer_link import TrainerLink

if TYPE_CHECKING:
    from gui.app.window_api import AppWindowApi

    _Base = AppWindowApi
else:
    _Base = object

Button = QMessageBox.StandardButton
SYNC_TIMEOUT_MS = 10_000


class TrainingControlMixin(_Base):
    """What MainWindow does with the trainer process (its link is `worker`)."""

    _link: TrainerLink
    _views: SnapshotViews  # completes and paces the snapshots (gui/app/snapshot_fanout.py)
    _config: TrainingConfig
    _saved_params: np.ndarray | None  # the weights last written to a chosen file
    _waiting_loops: dict[int, QEventLoop]  # sync() and step() calls waiting, by fence token
    _fence_token: int
    gradient_check: GradientCheckPanel
    check_dock: QDockWidget

    @property
    def config(self) -> TrainingConfig:
        """The settings the current trainer was built with."""
        return self._config

    # -- which trainer runs ---------------------------------------------------------------

    def _replace_trainer(self, trainer: Trainer) -> None:
        """Show `trainer`'s data and train it in the trainer process from now on (this window
        never steps it)."""
        self._show_data(trainer)
        self._note_trainer(trainer)
        self._link.replace_trainer(
            session_dict(self._config, self.make_dataset(self._config), trainer))
        self._saved_params = None

    def adopt(self, trainer: Trainer, config: TrainingConfig,
              saved_params: np.ndarray | None = None) -> None:
        """Train from now on with `trainer` (built from `config`; the window must not touch it
        afterwards). `saved_params`: weights already on disk, so closing need not ask."""
        self._config = config
        self.controls.set_config(config)
        self.banner.hide()
        self._replace_trainer(trainer)
        self._saved_params = saved_params

    def reset(self) -> None:
        """Fresh weights from the seed with the current settings (same seed, same weights)."""
        try:
            trainer = build_trainer(self._config, self.make_dataset(self._config))
        except DeltascopeError as error:
            self.report("Cannot reset", str(error))
            return
        self.banner.hide()
        self._replace_trainer(trainer)

    def reset_to(self, config: TrainingConfig) -> None:
        """Take `config` as the settings (the controls show it) and start from fresh weights."""
        self._config = config
        self.controls.set_config(config)
        self.reset()

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

    # -- the controls ---------------------------------------------------------------------

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

    def _on_step(self, epoch: bool = False) -> None:
        if self.refuse_training():
            return
        if epoch:
            self._link.step_epoch()
        else:
            self._link.step()

    def _on_reset(self) -> None:
        self.reset()

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
        self.reset_to(self.controls.config().with_changes(seed=self.controls.config().seed + 1))

    # -- what the trainer process reports -------------------------------------------------

    def _on_playing_changed(self, playing: bool) -> None:
        self.playing = playing
        self.play_action.setChecked(playing)
        self.play_action.setText("Pause" if playing else "Play")
        self.status_line.set_playing(playing)

    def _on_diverged(self, message: str) -> None:
        self.banner.show_message(message, error=True)
        self.statusBar().showMessage("Training diverged and was paused", 10_000)

    def _on_trainer_died(self, message: str) -> None:
        for loop in self._waiting_loops.values():
            loop.quit()  # sync() and step() get the last snapshot
        self._on_playing_changed(False)
        self.banner.show_message(message, error=True)
        self.restart_action.setEnabled(True)
        self.statusBar().showMessage("The training process ended", 10_000)

    # -- waiting for the trainer (scripts and tests) --------------------------------------

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

    # -- saved or not ---------------------------------------------------------------------

    def mark_saved(self, params: np.ndarray) -> None:
        """These weights are on disk: closing with them shown need not ask to export."""
        self._saved_params = params.copy()
        self.training_saved.emit()

    def mark_unsaved(self) -> None:
        """The shown weights are on no file the person chose (restored from a recovery
        file, say): closing asks to export them."""
        self._saved_params = None

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
