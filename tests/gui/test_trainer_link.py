"""The window and its trainer process: speed, a dying trainer, and no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from engine.io.weights_io import load_weights
from engine.training.config import TrainingConfig
from gui.base.speed_control import SPEEDS
from gui.panels.timeline import TimelinePanel
from tests.gui.helpers import find_action

XOR = TrainingConfig(dataset="xor", test_ratio=0.0, batch_size=0)
ROOT = Path(__file__).resolve().parents[2]


def _gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_at_a_slow_speed_every_step_is_drawn_and_the_pace_is_kept(make_window, qtbot) -> None:
    window = make_window(XOR)
    window.set_speed(20)
    assert window.speed_control.currentText() == "20 steps/s"
    shown: list[int] = []
    window.snapshot_shown.connect(lambda snapshot: shown.append(snapshot.step))
    started = time.monotonic()
    window.play_action.trigger()
    qtbot.waitUntil(lambda: bool(shown) and shown[-1] >= 8, timeout=10_000)
    paused = window.sync()
    elapsed = time.monotonic() - started
    assert paused is not None
    assert paused.step <= 1 + 20 * elapsed + 2  # never faster than asked
    assert sorted(set(shown)) == list(range(shown[0], paused.step + 1))  # no step unseen


def test_the_speed_is_a_toolbar_control_and_is_remembered(make_window) -> None:
    window = make_window(XOR)
    control = window.speed_control
    assert control.objectName() == "speedControl"
    assert [control.itemData(row) for row in range(control.count())] == [
        None if speed is None else float(speed) for speed in SPEEDS]
    control.setCurrentIndex(control.findText("3k steps/s"))
    assert window.settings.value("trainingSpeed") in (3000.0, "3000.0")
    window.set_speed(None)
    assert control.currentText() == "max" and window.settings.value("trainingSpeed") == "max"


def test_max_speed_trains_far_faster_than_the_frame_rate(make_window, qtbot) -> None:
    window = make_window(XOR)
    frames: list[int] = []
    window.snapshot_shown.connect(lambda snapshot: frames.append(snapshot.step))
    window.play_action.trigger()
    qtbot.waitUntil(lambda: len(frames) >= 4, timeout=10_000)
    paused = window.sync()
    assert paused is not None and paused.step > 10 * len(frames)


def test_a_killed_trainer_is_reported_its_weights_kept_and_training_restarts(
        make_window, qtbot, tmp_path: Path) -> None:
    window = make_window(XOR)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step > 100, timeout=10_000)
    os.kill(window.worker.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: not window.worker.alive, timeout=5000)
    assert "training process was killed (SIGKILL" in window.banner.text
    assert not window.playing and window.isVisible()
    last = window.snapshot
    path = tmp_path / "rescued.json"
    assert window.export_weights(str(path))
    assert np.array_equal(load_weights(path).network.params, last.params)
    restart = find_action(window, "actionRestartTraining")
    assert restart.isEnabled()
    restart.trigger()
    assert window.worker.alive and not restart.isEnabled()
    restarted = window.step(0)
    assert restarted is not None and np.array_equal(restarted.params, last.params)
    assert window.step(5).step == 5
    timeline = window.findChild(TimelinePanel, "timeline")
    assert timeline.info is not None and timeline.info.kept == 5  # panels follow the new one


def test_a_window_killed_with_sigkill_leaves_no_trainer_process(tmp_path: Path) -> None:
    script = tmp_path / "window.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        if __name__ == "__main__":
            app = QApplication([])
            from gui.app.main_window import MainWindow
            from engine.training.config import TrainingConfig
            window = MainWindow(TrainingConfig(), QSettings({str(tmp_path / "s.ini")!r},
                                                            QSettings.Format.IniFormat))
            window.show()
            window.set_speed(None)
            window.play_action.trigger()
            window.sync()
            window.play_action.trigger()
            print(window.worker.pid, flush=True)
            app.exec()
    """))
    with subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                          text=True) as window:
        try:
            assert window.stdout is not None
            trainer_pid = int(window.stdout.readline())
            children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(window.pid)],
                                      capture_output=True, text=True).stdout.split()
        finally:
            window.send_signal(signal.SIGKILL)
            window.wait(10)
    assert _gone(trainer_pid)
    for child in children:  # the fork server too
        assert _gone(int(child)), f"process {child} outlived the killed window"
