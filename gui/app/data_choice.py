"""The window fitting itself to the data, and refusing settings that cannot learn.

- A newly chosen dataset (the combo, Open Dataset) gets the settings of its task through
  engine/training/config.py `config_for_data`, the same function the launch with `--dataset` uses:
  output activation and loss, the default test ratio, standardization (on for a CSV).
- A CSV's targets can be switched between classes and numbers (engine/data/tasks.py as_task).
- Settings that cannot learn (engine/data/learnability.py, the rules `train` and session files
  use too) are explained in the banner as soon as they are chosen; Play and Step then say
  so again and do not train.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.core.errors import DeltascopeError
from engine.core.option_names import with_readable_losses
from engine.data.datasets import DATASET_INFO
from engine.data.learnability import rate_problems
from engine.data.tasks import as_task, describe
from engine.training.config import TrainingConfig, config_for_data
from engine.training.trainer import Trainer
from engine.training.trainer_learnability import trainer_output_problems

if TYPE_CHECKING:
    from gui.app.window_api import AppWindowApi

    _Base = AppWindowApi
else:
    _Base = object

CANNOT_LEARN = "Cannot learn with these settings"


class DataChoiceMixin(_Base):
    _output_problems: list[str]
    _showing_problem: bool

    def adapt_to_data(self, config: TrainingConfig) -> TrainingConfig:
        """`config` with the settings that fit the dataset it names (see config_for_data)."""
        generated = config.dataset in DATASET_INFO
        return config_for_data(config, self.make_dataset(config), generated)

    def set_task(self, task: str) -> bool:
        """Take the open CSV's targets as `task` ("classification" or "regression") and start
        afresh with settings that fit; False, with the reason shown, if they cannot be."""
        dataset = self.csv_dataset
        if dataset is None or self.config.dataset != dataset.name:
            return False
        try:
            switched = as_task(dataset, task)
        except DeltascopeError as error:
            self.report("Cannot change the task", str(error))
            self._show_task(self._view_trainer_task())
            return False
        if switched is dataset:
            return True
        if not self.confirm_discard():
            self._show_task(self._view_trainer_task())
            return False
        self.set_csv_dataset(switched)
        self.reset_to(self.adapt_to_data(self.controls.config()))
        return True

    def _view_trainer_task(self) -> str:
        data = self.trained_data
        return "classification" if data is None else data.train.task

    def _show_task(self, task: str) -> None:
        """The task row of the controls for the trained data and output."""
        network, data = self.trained_network, self.trained_data
        if network is None or data is None:
            return
        self.controls.set_task(task, describe(data.train, network.activations[-1],
                                              self._trainer_loss, network.sizes[-1]),
                               editable=self.csv_dataset is not None
                               and self.config.dataset == self.csv_dataset.name)

    def _note_trainer(self, trainer: Trainer) -> None:
        """A new trainer: remember what it cannot learn, show its task and standardization."""
        self._trainer_loss = trainer.loss.name
        self.network_standardization = trainer.network.standardization
        self._output_problems = trainer_output_problems(trainer)
        self._show_task(trainer.data.train.task)
        self.check_learnable()

    def learn_problems(self) -> list[str]:
        """Why the current settings cannot learn (empty: they can)."""
        config = self.config
        rate = config.regularization_rate if config.regularization != "none" else 0.0
        return [*getattr(self, "_output_problems", []),
                *rate_problems(config.learning_rate, rate)]

    def check_learnable(self) -> bool:
        """Show the first reason the settings cannot learn in the banner (hide an earlier
        one once fixed); True when they can learn."""
        found = self.learn_problems()
        if found:
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            self.banner.show_message(f"{CANNOT_LEARN}: {with_readable_losses(found[0])}{more}. "
                                     "Training will not start until this is changed.",
                                     error=True)
            self._showing_problem = True
            return False
        if getattr(self, "_showing_problem", False):
            self.banner.hide()
            self._showing_problem = False
        return True

    def refuse_training(self) -> bool:
        """True (with the reason shown again) when training must not start now."""
        if self.check_learnable():
            return False
        self.statusBar().showMessage(f"{CANNOT_LEARN}: see the message above the network",
                                     10_000)
        return True
