"""Autosave: a recovery session written while training plays, offered after a crash."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from engine.io.session import load_session
from engine.training.config import TrainingConfig
from gui.app.autosave import Autosaver, offer_recovery
from gui.base.dialogs import Button

XOR = TrainingConfig(dataset="xor")


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_unsaved_training_is_written_in_the_background_while_it_plays(
        make_window, qtbot, tmp_path: Path) -> None:
    window = make_window(XOR)
    autosaver = Autosaver(window, tmp_path / "data", interval_ms=60_000)
    autosaver.save_now()  # nothing trained: nothing to keep
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step > 20, timeout=10_000)
    with qtbot.waitSignal(autosaver.written, timeout=10_000):
        autosaver.save_now()
    assert window.playing  # read between two steps, not paused
    assert load_session(autosaver.path).trainer.step_count > 20
    window.sync()
    assert window.save_session(str(tmp_path / "mine.deltascope"))
    assert not autosaver.path.exists()  # a save makes the recovery file pointless
    window.step(3)
    with qtbot.waitSignal(autosaver.written, timeout=10_000):
        autosaver.save_now()
    autosaver.stop()  # a clean close
    assert not autosaver.path.exists()


def test_after_a_kill_the_recovery_file_is_offered_and_restores_the_training(
        make_window, qtbot, tmp_path: Path, answers) -> None:
    first = make_window(XOR)
    trained = first.step(40)
    saved = tmp_path / "session.deltascope"
    assert first.save_session(str(saved))
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(saved, folder / f"recovery-{_dead_pid()}.deltascope")  # what a kill leaves
    window = make_window(XOR)
    autosaver = Autosaver(window, folder)
    answers.append(Button.Yes)
    assert offer_recovery(window, autosaver)
    shown = window.step(0)
    assert shown.step == 40 and np.array_equal(shown.params, trained.params)
    assert window.has_unsaved_training  # closing will still ask to export
    assert not list(folder.glob("recovery-*"))
    assert not offer_recovery(window, autosaver)  # offered once
    autosaver.stop()


def test_a_declined_recovery_is_deleted_and_changes_nothing(
        make_window, tmp_path: Path, answers) -> None:
    window = make_window(XOR)
    folder = tmp_path / "data"
    folder.mkdir()
    orphan = folder / f"recovery-{_dead_pid()}.deltascope"
    orphan.write_text("{}")
    alive = folder / "recovery-1.deltascope"  # pid 1 runs: another window's, left alone
    alive.write_text("{}")
    autosaver = Autosaver(window, folder)
    answers.append(Button.No)
    assert not offer_recovery(window, autosaver)
    assert not orphan.exists() and alive.exists()
    assert window.step(0).step == 0
    autosaver.stop()
