"""The training worker on its own thread: play, pause, step, throttling, stopping, and the
history of the last N steps it records and serves."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QThread

from engine.config import HiddenLayer, TrainingConfig, apply_hyperparameters, build_trainer
from engine.datasets import make_dataset
from engine.history import HistoryInfo, ParameterSeries, default_capacity
from engine.network import ParameterRef, parameter_count, parameter_views
from engine.snapshot import Snapshot, take_snapshot
from engine.trainer import Trainer
from gui.worker import TrainingWorker


class Received:
    def __init__(self, worker: TrainingWorker) -> None:
        self.snapshots: list[Snapshot] = []
        self.playing: list[bool] = []
        self.diverged: list[str] = []
        self.infos: list[HistoryInfo] = []
        self.history: list[Snapshot] = []
        self.series: list[ParameterSeries] = []
        worker.snapshot_ready.connect(self._on_snapshot)
        worker.playing_changed.connect(self.playing.append)
        worker.diverged.connect(self.diverged.append)
        worker.history_info.connect(self.infos.append)
        worker.history_snapshot_ready.connect(self.history.append)
        worker.parameter_series_ready.connect(self.series.append)
        self._worker = worker

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshots.append(snapshot)
        self._worker.frame_drawn()

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


def _play_then_pause(running, qtbot, past_step: int) -> None:  # type: ignore[no-untyped-def]
    """Play until a snapshot past `past_step` arrives, pause, and wait for the paused one."""
    worker, trainer, received = running
    worker.play()
    qtbot.waitUntil(lambda: received.last.step > past_step, timeout=10000)
    worker.pause()
    qtbot.waitUntil(lambda: received.playing[-1:] == [False], timeout=5000)
    qtbot.waitUntil(lambda: received.last.step == trainer.step_count, timeout=5000)


def test_pause_stops_before_next_step_and_snapshot_is_exact(running, qtbot) -> None:
    _, trainer, received = running
    _play_then_pause(running, qtbot, 100)
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
        # the window is shown the state training stopped at: the last finite weights
        qtbot.waitUntil(lambda: bool(received.snapshots)
                        and received.snapshots[-1].message == received.diverged[0], timeout=5000)
        shown = received.snapshots[-1]
        assert np.array_equal(shown.params, trainer.network.params)
        assert shown.step == trainer.step_count
    finally:
        worker.stop()
        thread.quit()
        thread.wait()


def _replayed(steps: int, config: TrainingConfig = DEFAULT) -> Trainer:
    """A trainer built like the worker's and trained `steps` steps without any history."""
    trainer = _trainer(config)
    for _ in range(steps):
        trainer.step()
    return trainer


def test_history_snapshot_is_the_stored_step_and_changes_nothing(running, qtbot) -> None:
    worker, trainer, received = running
    worker.step(12)
    qtbot.waitUntil(lambda: received.last.step == 12, timeout=5000)
    latest = received.last
    info = received.infos[-1]
    assert (info.kept, info.first_step, info.last_step) == (12, 0, 11)
    worker.request_history_snapshot(5)
    qtbot.waitUntil(lambda: bool(received.history), timeout=5000)
    shown = received.history[-1]
    expected = take_snapshot(_replayed(5))
    assert shown.step == 5
    assert np.array_equal(shown.params, expected.params)
    assert np.array_equal(shown.gradient, expected.gradient)
    assert np.array_equal(shown.update, expected.update)
    assert trainer.step_count == 12  # looking back is read-only
    worker.step()
    qtbot.waitUntil(lambda: received.last.step == 13, timeout=5000)
    assert np.array_equal(received.last.params, latest.params - latest.update)


def test_requests_coalesce_to_the_latest_and_clamp_to_what_is_kept(running, qtbot) -> None:
    worker, _trainer_, received = running
    worker.step(8)
    qtbot.waitUntil(lambda: received.last.step == 8, timeout=5000)
    for step in (1, 2, 3):
        worker.request_history_snapshot(step)
    qtbot.waitUntil(lambda: bool(received.history) and received.history[-1].step == 3,
                    timeout=5000)
    worker.request_history_snapshot(50)  # past the newest stored step (7)
    qtbot.waitUntil(lambda: received.history[-1].step == 7, timeout=5000)


def test_playing_records_every_step_up_to_capacity(running, qtbot) -> None:
    worker, trainer, received = running
    worker.set_history_capacity(300)
    qtbot.waitUntil(lambda: received.infos[-1].capacity == 300, timeout=5000)
    worker.play()
    qtbot.waitUntil(lambda: received.last.step > 400, timeout=10000)
    worker.pause()
    qtbot.waitUntil(lambda: received.playing[-1:] == [False], timeout=5000)
    qtbot.waitUntil(lambda: received.last.step == trainer.step_count, timeout=5000)
    info = received.infos[-1]
    steps = trainer.step_count
    assert (info.kept, info.capacity) == (300, 300)
    assert (info.first_step, info.last_step) == (steps - 300, steps - 1)


def test_new_trainer_clears_the_history(running, qtbot) -> None:
    worker, _trainer_, received = running
    worker.set_history_capacity(3)
    worker.step(7)
    qtbot.waitUntil(lambda: received.last.step == 7, timeout=5000)
    assert (received.infos[-1].kept, received.infos[-1].first_step) == (3, 4)
    worker.replace_trainer(_trainer())
    qtbot.waitUntil(lambda: received.last.step == 0, timeout=5000)
    assert (received.infos[-1].kept, received.infos[-1].capacity) == (0, 3)  # same N
    bigger = DEFAULT.with_changes(hidden=(HiddenLayer(64), HiddenLayer(64)))
    worker.replace_trainer(_trainer(bigger))
    qtbot.waitUntil(lambda: received.last.sizes == (2, 64, 64, 1), timeout=5000)
    count = parameter_count((2, 64, 64, 1))
    assert received.infos[-1].capacity == default_capacity(count)


def test_parameter_series_holds_the_stored_values(running, qtbot) -> None:
    worker, trainer, received = running
    worker.step(6)
    qtbot.waitUntil(lambda: received.last.step == 6, timeout=5000)
    index = trainer.network.flat_index(ParameterRef(1, "bias", 2))
    worker.request_parameter_series(index)
    qtbot.waitUntil(lambda: bool(received.series), timeout=5000)
    series = received.series[-1]
    replay = _trainer()
    expected_values, expected_gradients = [], []
    for _ in range(6):
        expected_values.append(replay.network.params[index])
        expected_gradients.append(replay.pending_batch().gradients.flat[index])
        replay.step()
    assert series.index == index and list(series.steps) == list(range(6))
    assert np.array_equal(series.values, expected_values)
    assert np.array_equal(series.gradients, expected_gradients)


def _norms_at(trainer: Trainer) -> list[float]:
    """||dC/dW^m|| of the pending batch at the trainer's weights, per layer."""
    weights, _ = parameter_views(trainer.pending_batch().gradients.flat, trainer.network.sizes)
    return [float(np.linalg.norm(weight)) for weight in weights]


def test_snapshots_carry_the_norms_of_every_stored_step(running, qtbot) -> None:
    worker, trainer, received = running
    worker.set_history_capacity(50)
    _play_then_pause(running, qtbot, 300)
    last = received.last
    assert last.gradient_norms is not None
    steps, norms = last.gradient_norms.steps, last.gradient_norms.norms
    assert not steps.flags.writeable and not norms.flags.writeable
    assert steps[0] == 0 and np.all(np.diff(steps) > 0)
    # The 50 steps the history holds, then the snapshot's own; earlier frames left others.
    assert list(steps[-51:]) == list(range(last.step - 50, last.step + 1))
    replay = _trainer()
    wanted = set(steps.tolist())
    expected = {}
    for step in range(last.step + 1):
        if step in wanted:
            expected[step] = _norms_at(replay)
        replay.step()
    np.testing.assert_allclose(norms, [expected[int(step)] for step in steps], rtol=1e-12)


def test_hand_edits_replace_the_last_norm_and_history_snapshots_carry_none(running,
                                                                          qtbot) -> None:
    worker, trainer, received = running
    worker.step(5)
    qtbot.waitUntil(lambda: received.last.step == 5, timeout=5000)
    before = received.last.gradient_norms
    assert before is not None and list(before.steps) == list(range(6))
    worker.request_history_snapshot(2)
    qtbot.waitUntil(lambda: bool(received.history), timeout=5000)
    assert received.history[-1].gradient_norms is None
    index = trainer.network.flat_index(ParameterRef(1, "weight", 0, 0))
    worker.set_parameter(index, 3.0)
    qtbot.waitUntil(lambda: received.last.params[index] == 3.0, timeout=5000)
    after = received.last.gradient_norms
    assert after is not None and list(after.steps) == list(range(6))
    np.testing.assert_array_equal(after.norms[:5], before.norms[:5])
    edited = [np.linalg.norm(layer.weight_gradients) for layer in received.last.layers]
    np.testing.assert_array_equal(after.norms[5], edited)
    assert not np.array_equal(after.norms[5], before.norms[5])
    worker.step()
    qtbot.waitUntil(lambda: received.last.step == 6, timeout=5000)
    shown = received.last.gradient_norms
    assert shown is not None and list(shown.steps) == list(range(7))
    np.testing.assert_array_equal(shown.norms[:6], after.norms)


def test_a_new_trainer_starts_a_new_norm_series(running, qtbot) -> None:
    worker, _trainer_, received = running
    worker.step(4)
    qtbot.waitUntil(lambda: received.last.step == 4, timeout=5000)
    deeper = DEFAULT.with_changes(hidden=(HiddenLayer(3), HiddenLayer(3)))
    worker.replace_trainer(_trainer(deeper))
    qtbot.waitUntil(lambda: received.last.sizes == (2, 3, 3, 1), timeout=5000)
    norms = received.last.gradient_norms
    assert norms is not None and list(norms.steps) == [0] and norms.norms.shape == (1, 3)
