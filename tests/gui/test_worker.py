"""The training worker on its own thread: play, pause, step, throttling, stopping."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QThread

from engine.config import TrainingConfig, apply_hyperparameters, build_trainer
from engine.datasets import make_dataset
from engine.snapshot import Snapshot
from engine.trainer import Trainer
from gui.worker import TrainingWorker


class Received:
    def __init__(self, worker: TrainingWorker) -> None:
        self.snapshots: list[Snapshot] = []
        self.playing: list[bool] = []
        self.diverged: list[str] = []
        worker.snapshot_ready.connect(self._on_snapshot)
        worker.playing_changed.connect(self.playing.append)
        worker.diverged.connect(self.diverged.append)
        self._worker = worker

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshots.append(snapshot)
        self._worker.acknowledge_frame()

    @property
    def last(self) -> Snapshot:
        return self.snapshots[-1]


DEFAULT = TrainingConfig()


def _trainer(config: TrainingConfig = DEFAULT) -> Trainer:
    return build_trainer(config, make_dataset(config.dataset, config.samples, config.noise))


@pytest.fixture
def running(qtbot) -> Iterator[tuple[TrainingWorker, Trainer, Received]]:
    trainer = _trainer()
    worker = TrainingWorker(trainer)
    received = Received(worker)
    thread = QThread()
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.stopped.connect(thread.quit)
    thread.start()
    qtbot.waitUntil(lambda: bool(received.snapshots), timeout=5000)
    yield worker, trainer, received
    worker.stop()
    thread.quit()
    thread.wait()


def test_pause_stops_before_next_step_and_snapshot_is_exact(running, qtbot) -> None:
    worker, trainer, received = running
    worker.play()
    qtbot.waitUntil(lambda: received.last.step > 100, timeout=10000)
    worker.pause()
    qtbot.waitUntil(lambda: received.playing[-1:] == [False], timeout=5000)
    qtbot.waitUntil(lambda: received.last.step == trainer.step_count, timeout=5000)
    paused_step = trainer.step_count
    qtbot.wait(150)
    assert trainer.step_count == paused_step
    assert np.array_equal(received.last.params, trainer.network.params)


def test_throttled_at_the_source(running, qtbot) -> None:
    worker, trainer, received = running
    worker.play()
    qtbot.wait(600)
    worker.pause()
    qtbot.waitUntil(lambda: received.playing[-1:] == [False], timeout=5000)
    # thousands of steps, but at most ~30 snapshots a second (plus pause/start ones)
    assert trainer.step_count > 200
    assert len(received.snapshots) <= 0.6 * 30 + 6


def test_steps_and_configure_between_steps(running, qtbot) -> None:
    worker, trainer, received = running
    worker.step(3)
    qtbot.waitUntil(lambda: received.last.step == 3, timeout=5000)
    worker.configure(lambda t: apply_hyperparameters(t, TrainingConfig(learning_rate=0.5)))
    qtbot.waitUntil(lambda: received.last.learning_rate == 0.5, timeout=5000)
    assert received.last.step == 3  # a setting change is not a reset
    worker.step_epoch()
    qtbot.waitUntil(lambda: received.last.epoch == 4, timeout=5000)


def test_divergence_pauses_and_reports(qtbot) -> None:
    config = TrainingConfig(dataset="reg-plane", samples=50, output_activation="linear",
                            loss="mse", optimizer="sgd", learning_rate=10.0)
    trainer = _trainer(config)
    worker = TrainingWorker(trainer)
    received = Received(worker)
    thread = QThread()
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    thread.start()
    try:
        worker.play()
        qtbot.waitUntil(lambda: bool(received.diverged), timeout=10000)
        qtbot.waitUntil(lambda: received.playing[-1:] == [False], timeout=5000)
        assert "diverged at step" in received.diverged[0]
        assert np.all(np.isfinite(trainer.network.params))
    finally:
        worker.stop()
        thread.quit()
        thread.wait()
