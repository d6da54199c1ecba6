"""Saves, exports and copies confirm in the status bar, visibly, saying where they wrote; file
dialogs start in the last folder used (remembered) or the home folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QWidget

from engine.training.config import TrainingConfig
from gui.app.main_window import MainWindow
from gui.base import file_dialogs
from tests.gui.helpers import find_action

XOR = TrainingConfig(dataset="xor", test_ratio=0.0, batch_size=0)


class Dialogs:
    """Stand-ins for QFileDialog's static calls: record the folder each starts in and answer
    with the next queued path."""

    def __init__(self) -> None:
        self.started_in: list[str] = []
        self.answers: list[Path] = []

    def __call__(self, parent, caption, directory="", filters="", *args, **kwargs):
        self.started_in.append(directory)
        return (str(self.answers.pop(0)) if self.answers else ""), ""


@pytest.fixture
def file_dialog(monkeypatch, tmp_path: Path) -> Dialogs:
    dialogs = Dialogs()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialogs)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", dialogs)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return dialogs


def message_is_seen(window: MainWindow) -> bool:
    """The status bar shows its message and no widget in the bar covers the message's text."""
    bar = window.statusBar()
    message = bar.currentMessage()
    if not message:
        return False
    text = QRect(0, 0, bar.fontMetrics().horizontalAdvance(message) + 12, bar.height())
    covering = [child for child in bar.findChildren(QWidget)
                if child.isVisible() and child.parentWidget() is bar
                and QRect(child.pos(), child.size()).intersects(text)]
    return not covering


OPERATIONS = {  # action: (file name it writes or None, what the confirmation must say)
    "actionExportWeights": ("weights.json", "Weights written to"),
    "actionSaveSession": ("run.deltascope", "Session saved to"),
    "actionExportPlots": ("plots.png", "Plots written to"),
    "actionCopyNumpyCode": (None, "copied to the clipboard"),
}


@pytest.mark.parametrize("action", OPERATIONS)
def test_every_save_export_and_copy_confirms_visibly_where_it_wrote(
        make_window, qtbot, tmp_path: Path, file_dialog: Dialogs, monkeypatch,
        action: str) -> None:
    monkeypatch.setattr(file_dialogs, "CONFIRM_MS", 300)
    window = make_window(XOR)
    window.step(5)
    name, says = OPERATIONS[action]
    target = tmp_path / "out" / name if name else None
    if target is not None:
        target.parent.mkdir()
        file_dialog.answers.append(target)
    find_action(window, action).trigger()
    message = window.statusBar().currentMessage()
    assert says in message
    if target is not None:
        assert target.exists() and str(target.resolve()) in message
    else:
        assert "def forward" in QGuiApplication.clipboard().text()
    assert message_is_seen(window)
    assert not window.status_line.isVisible()  # the status line steps aside meanwhile
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "", timeout=3000)
    assert window.status_line.isVisible()  # and is back after a few seconds


def test_dialogs_start_at_home_then_in_the_last_folder_used(
        make_window, tmp_path: Path, file_dialog: Dialogs, monkeypatch) -> None:
    home = tmp_path / "home"
    monkeypatch.chdir(Path(__file__).parent)  # started from the source checkout
    window = make_window(XOR)
    window.step(3)
    find_action(window, "actionExportWeights").trigger()  # cancelled
    assert file_dialog.started_in == [str(home / "weights.json")]
    chosen = tmp_path / "models"
    chosen.mkdir()
    file_dialog.answers.append(chosen / "xor.json")
    find_action(window, "actionExportWeights").trigger()
    find_action(window, "actionImportWeights").trigger()  # cancelled
    find_action(window, "actionOpenSession").trigger()
    find_action(window, "actionSaveSession").trigger()
    find_action(window, "actionOpenDataset").trigger()
    assert file_dialog.started_in[2:] == [str(chosen), str(chosen),
                                          str(chosen / "session.deltascope"), str(chosen)]
    assert window.settings.value(file_dialogs.LAST_FOLDER_KEY) == str(chosen.resolve())


def test_the_last_folder_is_remembered_and_a_deleted_one_falls_back_to_home(
        make_window, tmp_path: Path, file_dialog: Dialogs) -> None:
    window = make_window(XOR)
    gone = tmp_path / "gone"
    gone.mkdir()
    window.settings.setValue(file_dialogs.LAST_FOLDER_KEY, str(gone))
    again = make_window(XOR)  # same settings file: the folder outlives the run
    find_action(again, "actionImportWeights").trigger()
    assert file_dialog.started_in == [str(gone)]
    gone.rmdir()
    find_action(window, "actionImportWeights").trigger()
    assert file_dialog.started_in[-1] == str(tmp_path / "home")
