"""The freeze watchdog writes every thread's stack when the GUI thread stalls, and says so."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QTimer

from gui.app.freeze_watchdog import FreezeWatchdog


def block_gui_thread_in_a_named_function(seconds: float) -> None:
    time.sleep(seconds)  # what a frozen layout loop does to the window


def test_a_stall_writes_every_stack_and_is_reported(qtbot, tmp_path: Path) -> None:
    log = tmp_path / "logs" / "freeze.log"
    watchdog = FreezeWatchdog(log, stall_seconds=0.5)
    try:
        with qtbot.waitSignal(watchdog.stalled, timeout=5000) as stalled:
            QTimer.singleShot(0, lambda: block_gui_thread_in_a_named_function(1.2))
        seconds, path = stalled.args
        assert seconds >= 0.5 and path == str(log)
        text = log.read_text()
        assert "block_gui_thread_in_a_named_function" in text
        assert "Thread 0x" in text or "Current thread" in text
    finally:
        watchdog.stop()
    assert log.exists()  # a log with stacks is kept for the person to send


def test_no_stall_leaves_no_log(qtbot, tmp_path: Path) -> None:
    log = tmp_path / "freeze.log"
    watchdog = FreezeWatchdog(log, stall_seconds=2.0)
    qtbot.wait(700)  # beats come and re-arm; nothing is written
    watchdog.stop()
    assert not log.exists()
