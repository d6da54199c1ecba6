"""The step history: a ring buffer of the last N steps, rebuilt into exact Snapshots."""

from __future__ import annotations

import numpy as np
import pytest

from engine.core.errors import DivergenceError
from engine.core.network import Network, ParameterRef, parameter_count
from engine.core.seeding import seed_streams
from engine.data.datasets import make_dataset
from engine.training.config import HiddenLayer, TrainingConfig, apply_hyperparameters, build_trainer
from engine.training.snapshot import Snapshot, take_snapshot
from engine.training.step_history import (
    DEFAULT_BUDGET_BYTES,
    HISTORY_MESSAGE,
    MAX_DEFAULT_CAPACITY,
    StepHistory,
    bytes_per_step,
    default_capacity,
    epoch_position,
    parameter_index,
    rebuild_snapshot,
)
from engine.training.trainer import Trainer
from tests.engine.test_snapshot import arrays_in

XOR = TrainingConfig(dataset="xor", optimizer="adam", learning_rate=0.05)
# Mini-batches of 10 reshuffled every epoch, momentum, L2: every stored field matters.
CIRCLE = TrainingConfig(dataset="circle", samples=60, test_ratio=0.25, batch_size=10,
                        optimizer="momentum", learning_rate=0.1, regularization="l2",
                        regularization_rate=0.01,
                        hidden=(HiddenLayer(5, "tanh"), HiddenLayer(3, "relu")))


def make_trainer(config: TrainingConfig) -> Trainer:
    dataset = make_dataset(config.dataset, config.samples, config.noise,
                           seed_streams(config.seed).data)
    return build_trainer(config, dataset)


def history_for(trainer: Trainer, capacity: int) -> StepHistory:
    return StepHistory(parameter_count(trainer.network.sizes), capacity)


def live_snapshots(config: TrainingConfig, steps: int, probe_row: int) -> list[Snapshot]:
    """take_snapshot of a trainer replayed from the same seed, at steps 0..steps-1."""
    trainer = make_trainer(config)
    snapshots = []
    for _ in range(steps):
        snapshots.append(take_snapshot(trainer, probe_row))
        trainer.step()
    return snapshots


def assert_same_moment(rebuilt: Snapshot, live: Snapshot) -> None:
    """Every array a view reads is bit-identical (the per-epoch history aside)."""
    for name in ("step", "epoch", "sizes", "activation_names", "loss", "reduction", "task",
                 "metric_name", "learning_rate", "cost", "scale"):
        assert getattr(rebuilt, name) == getattr(live, name), name
    for name in ("params", "gradient", "update", "batch_rows", "batch_inputs", "batch_targets",
                 "per_sample_costs"):
        assert np.array_equal(getattr(rebuilt, name), getattr(live, name)), name
    for mine, theirs in zip(rebuilt.layers, live.layers, strict=True):
        for name in ("weights", "biases", "weight_gradients", "bias_gradients",
                     "pre_activations", "activations", "deltas"):
            assert np.array_equal(getattr(mine, name), getattr(theirs, name)), name
    assert rebuilt.probe.row == live.probe.row
    for name in ("pre_activations", "activations", "deltas"):
        for mine, theirs in zip(getattr(rebuilt.probe, name), getattr(live.probe, name),
                                strict=True):
            assert np.array_equal(mine, theirs), f"probe.{name}"
    assert (rebuilt.grid is None) == (live.grid is None)
    if rebuilt.grid is not None and live.grid is not None:
        assert np.array_equal(rebuilt.grid.values, live.grid.values)
        assert np.array_equal(rebuilt.grid.x, live.grid.x)


@pytest.mark.parametrize("config", [XOR, CIRCLE], ids=["xor-full-batch", "circle-mini-batch"])
def test_recording_changes_nothing_and_keeps_each_step(config: TrainingConfig) -> None:
    trainer, replay = make_trainer(config), make_trainer(config)
    history = history_for(trainer, 100)
    for step in range(30):
        pending = replay.pending_batch()
        before = replay.network.params.copy()
        replay.step()
        history.record_step(trainer)
        assert np.array_equal(trainer.network.params, replay.network.params)
        stored = history.stored(step)
        assert stored.step == step and stored.epoch == pending.epoch
        assert np.array_equal(stored.params, before)
        assert np.array_equal(stored.gradient, pending.gradients.flat)
        assert np.array_equal(stored.update, pending.update)
        assert stored.cost == pending.gradients.cost
        assert stored.learning_rate == config.learning_rate
        if config.batch_size:
            assert stored.rows is not None and np.array_equal(stored.rows, pending.rows)
        else:
            assert stored.rows is None  # the whole set in order: nothing stored


@pytest.mark.parametrize(
    "config", [XOR, CIRCLE, CIRCLE.with_changes(features=("x1", "x1^2", "x2^2"))],
    ids=["xor-full-batch", "circle-mini-batch", "circle-with-features"])
def test_rebuilt_snapshot_reproduces_the_stored_gradient_exactly(config: TrainingConfig) -> None:
    steps, probe_row = 25, 2
    live = live_snapshots(config, steps, probe_row)
    trainer = make_trainer(config)
    history = history_for(trainer, steps)
    for _ in range(steps):
        history.record_step(trainer)
    for step in (0, 1, 9, steps - 1):
        stored = history.stored(step)
        previous = history.stored(step - 1).params if step - 1 in history else None
        rebuilt = rebuild_snapshot(trainer, stored, probe_row, previous)
        assert np.array_equal(rebuilt.gradient, stored.gradient)  # recomputed, bit for bit
        assert_same_moment(rebuilt, live[step])
        assert rebuilt.message == HISTORY_MESSAGE
        if previous is None:
            assert rebuilt.previous_params is None
        else:
            assert live[step].previous_params is not None
            assert np.allclose(rebuilt.previous_params, live[step].previous_params, atol=1e-15)
        writable = [path for path, array in arrays_in(rebuilt) if array.flags.writeable]
        assert writable == []


def test_the_ring_keeps_only_the_last_n_steps() -> None:
    trainer = make_trainer(XOR)
    history = history_for(trainer, 5)
    params = []
    for _ in range(12):
        params.append(trainer.network.params.copy())
        history.record_step(trainer)
    assert len(history) == 5 and history.capacity == 5
    assert list(history.steps()) == [7, 8, 9, 10, 11]
    assert 6 not in history and 7 in history
    with pytest.raises(KeyError):
        history.stored(6)
    for step in range(7, 12):
        assert np.array_equal(history.stored(step).params, params[step])
    info = history.info()
    assert (info.kept, info.capacity, info.first_step, info.last_step) == (5, 5, 7, 11)
    count = parameter_count(trainer.network.sizes)
    assert info.nbytes == 5 * bytes_per_step(count) == history.nbytes
    assert info.bytes_per_step == bytes_per_step(count)
    assert history.nearest_step(100) == 11 and history.nearest_step(0) == 7


def test_resize_keeps_the_newest_steps_and_clear_forgets_them() -> None:
    trainer = make_trainer(CIRCLE)
    history = history_for(trainer, 8)
    for _ in range(11):
        history.record_step(trainer)
    kept = {step: history.stored(step) for step in range(3, 11)}
    history.resize(4)
    assert list(history.steps()) == [7, 8, 9, 10]
    for step in (7, 10):
        assert np.array_equal(history.stored(step).params, kept[step].params)
        assert np.array_equal(history.stored(step).rows, kept[step].rows)
    history.resize(6)
    history.record_step(trainer)
    history.record_step(trainer)
    history.record_step(trainer)
    assert list(history.steps()) == [8, 9, 10, 11, 12, 13]
    assert np.array_equal(history.stored(9).gradient, kept[9].gradient)
    history.clear()
    assert len(history) == 0 and history.info().first_step is None
    assert history.nearest_step(3) is None
    with pytest.raises(ValueError):
        history.resize(-1)


def test_capacity_zero_turns_recording_off() -> None:
    trainer, replay = make_trainer(CIRCLE), make_trainer(CIRCLE)
    history = history_for(trainer, 3)
    for _ in range(4):
        history.record_step(trainer)
        replay.step()
    history.resize(0)
    assert len(history) == 0 and history.nbytes == 0
    for _ in range(3):
        history.record_step(trainer)
        replay.step()
    assert np.array_equal(trainer.network.params, replay.network.params)
    assert len(history) == 0 and history.info().first_step is None
    assert history.nearest_step(5) is None and len(history.steps()) == 0
    history.resize(2)
    history.record_step(trainer)
    assert list(history.steps()) == [7]


def test_larger_batches_widen_the_stored_rows() -> None:
    trainer = make_trainer(CIRCLE)
    history = history_for(trainer, 10)
    history.record_step(trainer)
    first_rows = history.stored(0).rows
    apply_hyperparameters(trainer, CIRCLE.with_changes(batch_size=20))
    pending = trainer.pending_batch()
    history.record_step(trainer)
    assert first_rows is not None and len(first_rows) == 10
    assert np.array_equal(history.stored(0).rows, first_rows)
    stored_rows = history.stored(1).rows
    assert stored_rows is not None and np.array_equal(stored_rows, pending.rows)
    assert len(stored_rows) == 20


def test_a_diverging_step_is_not_kept_and_the_rest_stays_consistent() -> None:
    config = TrainingConfig(dataset="reg-plane", samples=50, output_activation="linear",
                            loss="mse", optimizer="sgd", learning_rate=10.0)
    trainer = make_trainer(config)
    history = history_for(trainer, 4)
    with pytest.raises(DivergenceError), np.errstate(over="ignore", invalid="ignore"):
        for _ in range(1000):
            history.record_step(trainer)
    assert len(history) == 4  # the failed step is not kept and costs no stored step
    steps = history.steps()
    assert list(steps) == list(range(trainer.step_count - 4, trainer.step_count))
    for step in steps[:-1]:
        stored, following = history.stored(int(step)), history.stored(int(step) + 1)
        assert np.array_equal(stored.params - stored.update, following.params)
    last = history.stored(int(steps[-1]))
    assert np.array_equal(last.params - last.update, trainer.network.params)


def test_parameter_series_follows_one_parameter() -> None:
    trainer = make_trainer(XOR)
    history = history_for(trainer, 6)
    for _ in range(9):
        history.record_step(trainer)
    ref = ParameterRef(2, "weight", 0, 3)
    index = parameter_index(trainer.network.sizes, ref)
    assert index == trainer.network.flat_index(ref)
    series = history.parameter_series(index)
    assert list(series.steps) == [3, 4, 5, 6, 7, 8]
    for position, step in enumerate(series.steps):
        stored = history.stored(int(step))
        assert series.values[position] == stored.params[index]
        assert series.gradients[position] == stored.gradient[index]
    with pytest.raises(IndexError):
        history.parameter_series(parameter_count(trainer.network.sizes))


def test_default_n_fits_a_6x64_network_in_200_mb() -> None:
    sizes = (2, 64, 64, 64, 64, 64, 64, 1)
    count = parameter_count(sizes)
    capacity = default_capacity(count, row_width=10)
    assert 100 < capacity < MAX_DEFAULT_CAPACITY
    assert capacity * bytes_per_step(count, 10) <= DEFAULT_BUDGET_BYTES
    history = StepHistory(count, capacity, row_width=10)
    assert history.nbytes == capacity * bytes_per_step(count, 10) <= 200_000_000
    assert default_capacity(parameter_count((2, 4, 1))) == MAX_DEFAULT_CAPACITY


def test_epoch_position_places_a_step_within_its_epoch() -> None:
    trainer = make_trainer(CIRCLE)  # 45 training rows, batches of 10: 5 steps an epoch
    history = history_for(trainer, 20)
    for _ in range(12):
        history.record_step(trainer)
    positions = [epoch_position(rebuild_snapshot(trainer, history.stored(step)))
                 for step in (0, 3, 5, 7, 10, 11)]
    assert positions == [0.0, 0.6, 1.0, 1.4, 2.0, 2.0]  # epoch 3 not complete: whole epochs
    full = make_trainer(XOR)
    full_history = history_for(full, 5)
    for _ in range(4):
        full_history.record_step(full)
    assert epoch_position(rebuild_snapshot(full, full_history.stored(2))) == 2.0


def test_epoch_position_in_a_thinned_history_is_exact_where_the_epoch_ends_are_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("engine.training.epoch_history.EPOCH_CAPACITY", 4)
    trainer = make_trainer(CIRCLE)  # 5 steps an epoch
    history = history_for(trainer, 50)
    for _ in range(50):
        history.record_step(trainer)
    assert trainer.history.epochs == [1, 5, 9, 10]  # stride 4, then the newest
    positions = {step: epoch_position(rebuild_snapshot(trainer, history.stored(step)))
                 for step in (3, 12, 22, 25, 47, 49)}
    # epochs 0-1 and 9-10 have both ends kept; 2, 4 and 5 lack an end: whole epochs
    assert positions == {3: 0.6, 12: 2.0, 22: 4.0, 25: 5.0, 47: 9.4, 49: 9.8}


def test_parameter_index_matches_the_network_layout() -> None:
    sizes = (3, 4, 2)
    network = Network(sizes, ["tanh", "sigmoid"])
    for index in range(parameter_count(sizes)):
        assert parameter_index(sizes, network.parameter_at(index)) == index
