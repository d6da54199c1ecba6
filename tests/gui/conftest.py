"""GUI test fixtures: windows with throw-away settings; no thread or trainer process may
outlive a test."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QThread

from engine.training.config import TrainingConfig
from gui.base import dialogs


@pytest.fixture(autouse=True)
def no_thread_left_running(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test that leaves a QThread running (as napari's conftest does)."""
    started: list[QThread] = []
    original_start = QThread.start

    def recording_start(thread: QThread, *args: object) -> None:
        started.append(thread)
        original_start(thread, *args)

    monkeypatch.setattr(QThread, "start", recording_start)
    yield
    running = [thread for thread in started if _is_running(thread)]
    for thread in running:
        thread.quit()
        thread.wait(2000)
    assert not running, f"{len(running)} thread(s) still running after the test"


@pytest.fixture(autouse=True)
def no_trainer_process_left_running() -> Iterator[None]:
    """Fail any test that leaves a trainer process running."""
    yield
    left = [child for child in multiprocessing.active_children()
            if child.name == "deltascope-trainer"]
    for child in left:
        child.kill()
        child.join(2)
    assert not left, f"{len(left)} trainer process(es) still running after the test"


def _is_running(thread: QThread) -> bool:
    try:
        return thread.isRunning()
    except RuntimeError:  # the C++ object is gone, so is its thread
        return False


@pytest.fixture(autouse=True)
def no_blocking_value_dialog(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real value dialog would block the test run: asking without an answer fails."""
    from gui.panels import hand_edits

    def refuse(*args: object, **kwargs: object) -> float | None:
        raise AssertionError(f"unexpected value dialog: {args[1:3]}")

    monkeypatch.setattr(hand_edits, "ask_value", refuse)


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[dialogs.Button]:
    """Queue the answers a person would give to questions; asking with none queued fails."""
    queued: list[dialogs.Button] = []

    def answer(*args: object, **kwargs: object) -> dialogs.Button:
        assert queued, f"unexpected question: {args[1:3]}"
        return queued.pop(0)

    monkeypatch.setattr(dialogs, "ask", answer)
    return queued


@pytest.fixture
def make_window(qtbot, tmp_path: Path, answers):
    """Build MainWindows with settings in a temp file; each is stopped after the test."""
    from gui.app.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(config: TrainingConfig | None = None) -> MainWindow:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(config or TrainingConfig(), settings=settings)
        window.set_speed(None)  # as fast as it goes, unless a test sets a speed
        window.resize(1280, 800)
        window.show()
        qtbot.waitUntil(lambda: window.snapshot is not None, timeout=5000)
        windows.append(window)
        return window

    yield make
    # Not qtbot.addWidget: closing would ask to export trained weights. Stop and dispose.
    for window in windows:
        window.stop_worker()
        window.hide()
        window.deleteLater()
