"""What the window's own features need from it: AppWindowApi, the panels' WindowApi plus the
window's files, settings and data. MainWindow fulfils it.

The File, Session, Help, keyboard and autosave features (gui/app/*) and the window's mixins
(gui/app/window_chrome.py, training_control.py, snapshot_fanout.py, data_choice.py,
window_files.py: parts of the MainWindow class kept in their own files) are typed against it,
so none of them imports gui/app/main_window.py and the window's modules form no import cycle
(tests/test_architecture.py). It lists no private names: what the parts share goes through
read-only properties (`config`, `csv_dataset`, `trained_network`, `trained_data`) and methods
(`reset_to`, `set_csv_dataset`, `adopt`).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QPalette

from engine.core.network import Network
from engine.core.standardization import Standardization
from engine.data.dataset import Dataset, DataSplit
from engine.training.config import TrainingConfig
from engine.training.trainer import Trainer
from gui.panels.window_api import WindowApi


class AppWindowApi(WindowApi, Protocol):
    """The window as its own features see it."""

    open_dataset_action: QAction
    network_features: tuple[str, ...]  # feature ids of the shown network
    network_standardization: Standardization | None

    @property
    def settings(self) -> QSettings: ...
    @property
    def config(self) -> TrainingConfig: ...  # the settings the current trainer was built with
    @property
    def csv_dataset(self) -> Dataset | None: ...  # the opened CSV data, if any
    @property
    def trained_network(self) -> Network | None: ...  # architecture of the trained network
    @property
    def trained_data(self) -> DataSplit | None: ...  # and its data

    def adopt(self, trainer: Trainer, config: TrainingConfig,
              saved_params: np.ndarray | None = None) -> None: ...
    def set_csv_dataset(self, dataset: Dataset | None) -> None: ...
    def make_dataset(self, config: TrainingConfig) -> Dataset: ...
    def reset(self) -> None: ...
    def reset_to(self, config: TrainingConfig) -> None: ...
    def report(self, title: str, text: str) -> None: ...
    def confirm_discard(self) -> bool: ...
    def mark_saved(self, params: np.ndarray) -> None: ...
    def mark_unsaved(self) -> None: ...
    @property
    def has_unsaved_training(self) -> bool: ...
    def open_session(self, path: str) -> bool: ...

    # what features use of QMainWindow beyond the panels' part
    def palette(self) -> QPalette: ...
    def logicalDpiX(self) -> int: ...  # noqa: N802 (Qt's name)
