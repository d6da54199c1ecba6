"""The trainer's side of the window link, driven directly (no Qt, no process): every command
of engine/process/trainer_protocol.py on its own, and what it sends back."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from engine.core.network import ParameterRef, parameter_count, parameter_views
from engine.core.seeding import seed_streams
from engine.data.datasets import make_dataset
from engine.io.session import encode_session, restore, session_dict
from engine.process import trainer_protocol as protocol
from engine.process.trainer_service import FRAME_RATE, MAX_FRAMES_IN_FLIGHT, TrainerService
from engine.training.config import HiddenLayer, TrainingConfig, build_trainer
from engine.training.snapshot import Snapshot, take_snapshot
from engine.training.step_history import default_capacity
from engine.training.trainer import Trainer

DEFAULT = TrainingConfig()


def _dataset(config: TrainingConfig):  # type: ignore[no-untyped-def]
    return make_dataset(config.dataset, config.samples, config.noise,
                        seed_streams(config.seed).data)


def _trainer(config: TrainingConfig = DEFAULT) -> Trainer:
    return build_trainer(config, _dataset(config))


def _new_trainer(config: TrainingConfig = DEFAULT) -> protocol.NewTrainer:
    return protocol.NewTrainer(
        encode_session(session_dict(config, _dataset(config), _trainer(config))))


def _replayed(steps: int, config: TrainingConfig = DEFAULT) -> Trainer:
    trainer = _trainer(config)
    for _ in range(steps):
        trainer.step()
    return trainer


class Driven:
    """A TrainerService and everything it sent; `window_draws` acknowledges every frame."""

    def __init__(self, config: TrainingConfig = DEFAULT) -> None:
        self.events: list[object] = []
        self.service = TrainerService(self.events.append)
        self.service.handle(_new_trainer(config))

    def send(self, command: object, cancel=lambda: False) -> None:  # type: ignore[no-untyped-def]
        self.service.handle(command, cancel)

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [event for event in self.events if isinstance(event, kind)]

    @property
    def snapshots(self) -> list[Snapshot]:
        return [event.snapshot for event in self.of(protocol.SnapshotReady)]

    @property
    def last(self) -> Snapshot:
        return self.snapshots[-1]

    @property
    def trainer(self) -> Trainer:
        return self.service.trainer

    def window_draws(self) -> None:
        for _ in range(MAX_FRAMES_IN_FLIGHT):
            self.send(protocol.FrameDrawn())

    def play_until(self, step: int) -> None:
        self.send(protocol.Play())
        while self.trainer.step_count <= step:
            self.service.train()
            self.window_draws()
        self.send(protocol.Pause())


def test_new_trainer_is_the_session_it_was_given_and_sends_its_snapshot() -> None:
    driven = Driven()
    assert driven.of(protocol.TrainerReplaced)
    expected = take_snapshot(_trainer())
    assert np.array_equal(driven.last.params, expected.params)
    assert np.array_equal(driven.last.gradient, expected.gradient)
    assert driven.last.grid is None and driven.last.evaluation is None  # the window adds them


def test_a_bad_session_fails_and_keeps_the_trainer() -> None:
    driven = Driven()
    driven.send(protocol.NewTrainer(b'{"format": "something else"}'))
    assert "could not be set up" in driven.of(protocol.Failed)[-1].message
    driven.send(protocol.NewTrainer(b"[[[ not json"))
    assert "could not be set up" in driven.of(protocol.Failed)[-1].message
    assert driven.trainer.network.sizes == (2, 4, 1)


def test_commands_before_any_trainer_fail_politely() -> None:
    events: list[object] = []
    service = TrainerService(events.append)
    service.handle(protocol.Step(1))
    assert isinstance(events[-1], protocol.Failed)


def test_play_then_pause_stops_before_the_next_step_and_the_snapshot_is_exact() -> None:
    driven = Driven()
    driven.play_until(100)
    assert [event.playing for event in driven.of(protocol.PlayingChanged)] == [True, False]
    paused = driven.trainer.step_count
    driven.service.train()  # paused: trains nothing
    assert driven.trainer.step_count == paused
    assert driven.last.step == paused
    assert np.array_equal(driven.last.params, _replayed(paused).network.params)
    assert driven.of(protocol.RateMeasured)


def test_frames_wait_for_the_window_but_training_does_not() -> None:
    driven = Driven()
    driven.send(protocol.Play())
    before = len(driven.snapshots)
    for _ in range(200):
        driven.service.train()  # the window never acknowledges
    assert len(driven.snapshots) - before <= MAX_FRAMES_IN_FLIGHT
    assert driven.trainer.step_count > 200


def test_frames_are_throttled_at_the_source() -> None:
    driven = Driven()
    driven.send(protocol.Play())
    start = time.perf_counter()
    while time.perf_counter() - start < 0.5:
        driven.service.train()
        driven.window_draws()
    driven.send(protocol.Pause())
    assert driven.trainer.step_count > 200
    assert len(driven.snapshots) <= 0.5 * FRAME_RATE + 4


def test_below_the_frame_rate_every_step_is_sent_and_waits_for_the_window() -> None:
    driven = Driven()
    driven.send(protocol.SetSpeed(20.0))
    driven.send(protocol.Play())
    for _ in range(3):
        driven.window_draws()
        while 0 < driven.service.wait_before_training() < 1:
            pass  # the pace: at most a twentieth of a second
        driven.service.train()
        assert driven.service.wait_before_training() == 1.0  # waits for the window to draw
        driven.service.train()  # so this trains nothing
    steps = [snapshot.step for snapshot in driven.snapshots]
    assert steps[-3:] == [1, 2, 3]


def test_paced_play_never_runs_ahead_of_its_speed() -> None:
    driven = Driven()
    driven.send(protocol.SetSpeed(100.0))
    start = time.perf_counter()
    driven.send(protocol.Play())
    for _ in range(1000):
        driven.service.train()
        driven.window_draws()
    elapsed = time.perf_counter() - start
    # The first step at once, then 100 a second; at most a tenth of a second saved up.
    assert driven.trainer.step_count <= 1 + 100 * elapsed + 10


def test_step_and_step_epoch_and_hyperparameters() -> None:
    driven = Driven(DEFAULT.with_changes(dataset="circle", samples=40, batch_size=10))
    driven.send(protocol.Step(3))
    assert driven.last.step == 3
    driven.send(protocol.SetHyperparameters(0.5, 10, "l2", 0.001, "sgd"))
    assert driven.last.learning_rate == 0.5 and driven.last.step == 3  # not a reset
    assert driven.trainer.optimizer.name == "sgd" and driven.trainer.regularization == "l2"
    driven.send(protocol.StepEpoch())
    assert driven.last.step == 4 and driven.last.epoch == 1


def test_bad_hyperparameters_fail_and_change_nothing() -> None:
    driven = Driven()
    driven.send(protocol.SetHyperparameters(float("nan"), 0, "none", 0.0, "adam"))
    assert "learning rate" in driven.of(protocol.Failed)[-1].message
    assert driven.last.learning_rate == DEFAULT.learning_rate


def test_divergence_pauses_reports_and_shows_the_last_finite_weights() -> None:
    config = TrainingConfig(dataset="reg-plane", samples=50, output_activation="linear",
                            loss="mse", optimizer="sgd", learning_rate=10.0)
    driven = Driven(config)
    driven.send(protocol.Play())
    for _ in range(10_000):
        if driven.of(protocol.Diverged):
            break
        driven.service.train()
        driven.window_draws()
    assert "diverged at step" in driven.of(protocol.Diverged)[0].message
    assert not driven.service.playing
    shown = driven.last
    assert shown.message == driven.of(protocol.Diverged)[0].message
    assert np.all(np.isfinite(driven.trainer.network.params))
    assert np.array_equal(shown.params, driven.trainer.network.params)


def test_history_snapshot_is_the_stored_step_and_changes_nothing() -> None:
    driven = Driven()
    driven.send(protocol.Step(12))
    latest = driven.last
    info = driven.of(protocol.HistoryInfoReady)[-1].info
    assert (info.kept, info.first_step, info.last_step) == (12, 0, 11)
    driven.send(protocol.RequestHistorySnapshot(5))
    shown = driven.of(protocol.HistorySnapshotReady)[-1].snapshot
    expected = take_snapshot(_replayed(5))
    assert shown.step == 5
    for name in ("params", "gradient", "update"):
        assert np.array_equal(getattr(shown, name), getattr(expected, name))
    assert shown.gradient_norms is None
    assert driven.trainer.step_count == 12  # looking back is read-only
    driven.send(protocol.Step(1))
    assert np.array_equal(driven.last.params, latest.params - latest.update)
    driven.send(protocol.RequestHistorySnapshot(50))  # past the newest stored step
    assert driven.of(protocol.HistorySnapshotReady)[-1].snapshot.step == 12


def test_history_capacity_and_info() -> None:
    driven = Driven()
    driven.send(protocol.SetHistoryCapacity(300))
    assert driven.of(protocol.HistoryInfoReady)[-1].info.capacity == 300
    driven.play_until(400)
    driven.send(protocol.RequestHistoryInfo())
    info = driven.of(protocol.HistoryInfoReady)[-1].info
    steps = driven.trainer.step_count
    assert (info.kept, info.capacity) == (300, 300)
    assert (info.first_step, info.last_step) == (steps - 300, steps - 1)
    driven.send(protocol.SetHistoryCapacity(-5))
    assert driven.of(protocol.Failed)


def test_a_new_trainer_clears_the_history_and_keeps_n_for_the_same_architecture() -> None:
    driven = Driven()
    driven.send(protocol.SetHistoryCapacity(3))
    driven.send(protocol.Step(7))
    driven.send(_new_trainer())
    info = driven.of(protocol.HistoryInfoReady)[-1].info
    assert (driven.last.step, info.kept, info.capacity) == (0, 0, 3)
    bigger = DEFAULT.with_changes(hidden=(HiddenLayer(64), HiddenLayer(64)))
    driven.send(_new_trainer(bigger))
    assert driven.last.sizes == (2, 64, 64, 1)
    count = parameter_count((2, 64, 64, 1))
    assert driven.of(protocol.HistoryInfoReady)[-1].info.capacity == default_capacity(count)
    norms = driven.last.gradient_norms
    assert norms is not None and list(norms.steps) == [0] and norms.norms.shape == (1, 3)


def test_parameter_series_holds_the_stored_values() -> None:
    driven = Driven()
    driven.send(protocol.Step(6))
    index = driven.trainer.network.flat_index(ParameterRef(1, "bias", 2))
    driven.send(protocol.RequestParameterSeries(index))
    series = driven.of(protocol.ParameterSeriesReady)[-1].series
    replay = _trainer()
    values, gradients = [], []
    for _ in range(6):
        values.append(replay.network.params[index])
        gradients.append(replay.pending_batch().gradients.flat[index])
        replay.step()
    assert series.index == index and list(series.steps) == list(range(6))
    assert np.array_equal(series.values, values)
    assert np.array_equal(series.gradients, gradients)


def test_with_a_small_ring_no_norm_is_lost() -> None:
    driven = Driven()
    driven.send(protocol.SetHistoryCapacity(7))  # far fewer than a burst would train
    driven.send(protocol.Play())
    for _ in range(60):
        driven.service.train()  # the window never draws: norms are read without frames
    driven.send(protocol.Pause())
    steps = driven.last.gradient_norms.steps  # type: ignore[union-attr]
    assert list(steps) == list(range(driven.last.step + 1))


def _norms_at(trainer: Trainer) -> list[float]:
    weights, _ = parameter_views(trainer.pending_batch().gradients.flat, trainer.network.sizes)
    return [float(np.linalg.norm(weight)) for weight in weights]


def test_snapshots_carry_the_norms_of_every_step() -> None:
    driven = Driven()
    driven.send(protocol.SetHistoryCapacity(50))
    driven.play_until(300)
    last = driven.last
    assert last.gradient_norms is not None
    steps, norms = last.gradient_norms.steps, last.gradient_norms.norms
    assert steps[0] == 0 and np.all(np.diff(steps) > 0)
    # The 50 steps the history holds, then the snapshot's own; earlier bursts left others.
    assert list(steps[-51:]) == list(range(last.step - 50, last.step + 1))
    replay = _trainer()
    wanted = set(steps.tolist())
    expected = {}
    for step in range(last.step + 1):
        if step in wanted:
            expected[step] = _norms_at(replay)
        replay.step()
    np.testing.assert_allclose(norms, [expected[int(step)] for step in steps], rtol=1e-12)


def test_hand_edit_sets_one_parameter_bit_for_bit_and_replaces_the_last_norm() -> None:
    driven = Driven()
    driven.send(protocol.Step(5))
    before = driven.last.gradient_norms
    index = driven.trainer.network.flat_index(ParameterRef(1, "weight", 0, 0))
    old = float(driven.trainer.network.params[index])
    driven.send(protocol.SetParameter(index, 3.0, tag=7))
    edit = driven.of(protocol.ParameterEdit)[-1]
    assert (edit.index, edit.ref, edit.old, edit.new, edit.tag) == (
        index, ParameterRef(1, "weight", 0, 0), old, 3.0, 7)
    assert driven.events.index(edit) < len(driven.events) - 1  # before its snapshot
    assert driven.last.params[index] == 3.0
    after = driven.last.gradient_norms
    assert before is not None and after is not None and list(after.steps) == list(range(6))
    np.testing.assert_array_equal(after.norms[:5], before.norms[:5])
    assert not np.array_equal(after.norms[5], before.norms[5])


@pytest.mark.parametrize(("index", "value", "words"), [
    (10_000, 1.0, "No parameter at index"),
    (0, float("inf"), "must be a finite number"),
    (-1, 1e300, "the cost is not finite"),  # the output bias: outputs of 1e300
])
def test_hand_edits_that_cannot_be_made_fail_and_change_nothing(index: int, value: float,
                                                               words: str) -> None:
    driven = Driven(TrainingConfig(dataset="reg-plane", samples=20, output_activation="linear",
                                   loss="mse"))
    index = index % driven.trainer.network.params.size if index < 0 else index
    params = driven.trainer.network.params.copy()
    driven.send(protocol.SetParameter(index, value))
    assert words in driven.of(protocol.Failed)[-1].message
    assert np.array_equal(driven.trainer.network.params, params)
    assert not driven.of(protocol.ParameterEdit)


def test_gradient_check_reports_progress_and_its_result() -> None:
    driven = Driven()
    driven.send(protocol.RunGradientCheck())
    progress = driven.of(protocol.CheckProgress)
    count = driven.trainer.network.params.size
    assert progress and progress[-1].done == progress[-1].total == count
    result = driven.of(protocol.CheckFinished)[-1].result
    assert result is not None and result.max_relative_error < 1e-6


def test_gradient_check_can_be_cancelled() -> None:
    driven = Driven()
    driven.send(protocol.RunGradientCheck(), cancel=lambda: True)
    assert driven.of(protocol.CheckFinished)[-1].result is None
    driven.send(protocol.CancelGradientCheck())  # nothing running: ignored
    assert not driven.of(protocol.Failed)


def test_probe_row_snapshot_fence_and_stop() -> None:
    driven = Driven(DEFAULT.with_changes(dataset="circle", samples=40))
    driven.send(protocol.SetProbeRow(7))
    assert driven.last.probe.row == 7
    count = len(driven.snapshots)
    driven.send(protocol.RequestSnapshot())
    assert len(driven.snapshots) == count + 1
    driven.send(protocol.Fence(42))
    assert driven.events[-1] == protocol.Fenced(42)
    driven.send(protocol.Stop())
    assert driven.service.stopped and driven.events[-1] == protocol.Stopped()


def test_read_session_is_the_paused_state_and_restores_bit_for_bit() -> None:
    driven = Driven()
    driven.play_until(50)
    driven.send(protocol.ReadSession(tag=4))
    read = driven.of(protocol.SessionRead)[-1]
    assert read.tag == 4
    _config, _dataset_, restored = restore(json.loads(read.session))
    assert restored.step_count == driven.trainer.step_count
    assert np.array_equal(restored.network.params, driven.trainer.network.params)
    for _ in range(5):
        restored.step()
        driven.trainer.step()
    assert np.array_equal(restored.network.params, driven.trainer.network.params)


def test_read_session_on_the_fly_keeps_playing() -> None:
    driven = Driven()
    driven.send(protocol.Play())
    driven.service.train()
    driven.send(protocol.ReadSession(tag=2, pause=False))
    assert driven.service.playing
    session = json.loads(driven.of(protocol.SessionRead)[-1].session)
    assert session["trainer"]["step"] == driven.trainer.step_count
