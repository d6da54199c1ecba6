"""Opening a large file: the window keeps running its event loop, and Cancel cancels."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressDialog, QPushButton

from engine.training.config import TrainingConfig
from gui.app import window_files

ROWS = 150_000


def _large_csv(folder: Path) -> Path:
    path = folder / "large.csv"
    rng = np.random.default_rng(1)
    data = np.column_stack([rng.normal(size=(ROWS, 2)), rng.integers(0, 2, ROWS)])
    np.savetxt(path, data, delimiter=",", fmt="%.5g", header="a,b,label", comments="")
    return path


def test_the_event_loop_runs_while_a_large_csv_loads(make_window, tmp_path: Path,
                                                     monkeypatch) -> None:
    window = make_window(TrainingConfig(dataset="xor"))
    path = _large_csv(tmp_path)
    reading, event_loop_ran = threading.Event(), threading.Event()
    real_load_csv = window_files.load_csv

    def load_waiting_for_the_event_loop(path, targets=None, progress=None):  # type: ignore[no-untyped-def]
        def gated(done: int, total: int) -> bool:
            reading.set()
            assert event_loop_ran.wait(10), "the GUI thread did not run while the file loaded"
            return progress(done, total)

        return real_load_csv(path, targets, gated)

    ticker = QTimer(interval=10)
    ticker.timeout.connect(lambda: reading.is_set() and event_loop_ran.set())
    ticker.start()
    monkeypatch.setattr(window_files, "load_csv", load_waiting_for_the_event_loop)
    opened = window.open_dataset(str(path))
    ticker.stop()
    assert opened, window.banner.text
    assert event_loop_ran.is_set()
    assert window.config.dataset == "large" and window.step(0).sizes[0] == 2


def test_cancel_stops_the_load_and_changes_nothing(make_window, tmp_path: Path,
                                                   monkeypatch) -> None:
    window = make_window(TrainingConfig(dataset="xor"))
    path = _large_csv(tmp_path)
    before = window.step(2)
    reporting, clicked = threading.Event(), threading.Event()
    real_load_csv = window_files.load_csv

    def load_until_cancel_is_clicked(path, targets=None, progress=None):  # type: ignore[no-untyped-def]
        def gated(done: int, total: int) -> bool:
            reporting.set()
            clicked.wait(10)  # the person clicks Cancel while the file is being read
            return progress(done, total)

        return real_load_csv(path, targets, gated)

    def click_cancel() -> None:
        if reporting.is_set() and not clicked.is_set():
            dialog = window.findChild(QProgressDialog, "loadProgress")
            assert dialog is not None
            dialog.findChild(QPushButton).click()  # its Cancel button
            clicked.set()

    monkeypatch.setattr(window_files, "load_csv", load_until_cancel_is_clicked)
    poller = QTimer(interval=10)
    poller.timeout.connect(click_cancel)
    poller.start()
    assert not window.open_dataset(str(path))
    poller.stop()
    assert clicked.is_set()
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.config.dataset == "xor"
    after = window.step(0)
    assert after.step == before.step and np.array_equal(after.params, before.params)
