"""Snapshots: immutable copies of one moment of training, consistent with the next step."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import pytest
from numpy.typing import NDArray

from engine.core.errors import DivergenceError
from engine.core.initializers import initialize
from engine.core.network import Network
from engine.core.seeding import seed_streams
from engine.data.dataset import Dataset, DataSplit
from engine.training.snapshot import Snapshot, take_snapshot
from engine.training.trainer import Trainer

Array = NDArray[np.float64]


def make_split(features: int, rows: int = 12, test_rows: int = 4, seed: int = 0) -> DataSplit:
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(rows + test_rows, features))
    labels = (inputs.sum(axis=1) > 0).astype(np.intp)
    targets = np.eye(3)[labels + (inputs[:, 0] > 1.0)]
    names = tuple(f"x{i}" for i in range(features))
    data = Dataset(inputs, targets, "classification", names, ("a", "b", "c"), ("a", "b", "c"))
    return DataSplit(data.subset(np.arange(rows)), data.subset(np.arange(rows, rows + test_rows)))


def make_trainer(features: int = 2, seed: int = 0, **settings: object) -> Trainer:
    streams = seed_streams(seed)
    network = Network((features, 5, 4, 3), ["tanh", "relu", "softmax"])
    initialize(network, "xavier", streams.init)
    network.params += 0.05  # nonzero biases
    defaults: dict[str, object] = {"loss": "cross_entropy", "optimizer": "momentum",
                                   "learning_rate": 0.1, "batch_size": 5}
    defaults.update(settings)
    return Trainer(network, make_split(features), shuffle_rng=streams.shuffle, **defaults)  # type: ignore[arg-type]


def arrays_in(value: object, path: str = "snapshot") -> Iterator[tuple[str, np.ndarray]]:
    """Every ndarray reachable from a snapshot, with where it was found."""
    if isinstance(value, np.ndarray):
        yield path, value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from arrays_in(getattr(value, field.name), f"{path}.{field.name}")
    elif isinstance(value, (tuple, list)):
        for index, item in enumerate(value):
            yield from arrays_in(item, f"{path}[{index}]")


def float_arrays(snapshot: Snapshot) -> list[tuple[str, np.ndarray]]:
    return [(path, array) for path, array in arrays_in(snapshot) if array.dtype == np.float64]


def test_float_arrays_are_read_only() -> None:
    trainer = make_trainer()
    trainer.step()
    snapshot = take_snapshot(trainer)
    found = float_arrays(snapshot)
    assert len(found) > 20
    for path, array in found:
        assert not array.flags.writeable, path
        with pytest.raises(ValueError):
            array.reshape(-1)[0] = 1.0


@pytest.mark.parametrize("batch_size", [0, 5])
def test_every_array_is_read_only(batch_size: int) -> None:
    trainer = make_trainer(batch_size=batch_size)
    trainer.step()
    snapshot = take_snapshot(trainer)
    paths = [path for path, _ in arrays_in(snapshot)]
    assert "snapshot.batch_rows" in paths and "snapshot.grid.classes" in paths
    writable = [path for path, array in arrays_in(snapshot) if array.flags.writeable]
    assert writable == []
    assert snapshot.batch_rows.dtype == np.intp and snapshot.grid is not None
    assert snapshot.grid.classes.dtype == np.intp


def test_snapshot_shares_no_memory_with_the_trainer_and_outlives_its_changes() -> None:
    trainer = make_trainer()
    trainer.step()
    snapshot = take_snapshot(trainer)
    saved = {path: array.copy() for path, array in arrays_in(snapshot)}
    live = [trainer.network.params, trainer.data.train.inputs, trainer.data.train.targets]
    assert trainer.last_batch is not None
    live += [trainer.last_batch.update, trainer.last_batch.gradients.flat]
    for path, array in arrays_in(snapshot):
        for other in live:
            assert not np.shares_memory(array, other), path
    for _ in range(5):  # keep training, then poke the live parameters
        trainer.step()
    trainer.network.params[:] = 123.0
    for path, array in arrays_in(snapshot):
        np.testing.assert_array_equal(array, saved[path], err_msg=path)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_params_minus_update_is_the_next_step(optimizer: str) -> None:
    trainer = make_trainer(optimizer=optimizer)
    for _ in range(4):
        snapshot = take_snapshot(trainer)
        pending_rows = snapshot.batch_rows.copy()
        result = trainer.step()
        assert (snapshot.params - snapshot.update).tobytes() == trainer.network.params.tobytes()
        np.testing.assert_array_equal(result.rows, pending_rows)
        assert snapshot.gradient.tobytes() == result.gradients.flat.tobytes()
        assert snapshot.cost == result.gradients.cost
        assert snapshot.step + 1 == result.step


def test_snapshots_do_not_change_the_run() -> None:
    watched, unwatched = make_trainer(seed=3), make_trainer(seed=3)
    for _ in range(9):
        take_snapshot(watched)
        watched.step()
        unwatched.step()
    assert watched.network.params.tobytes() == unwatched.network.params.tobytes()


def test_layer_states_have_the_shapes_of_math_md() -> None:
    trainer = make_trainer(batch_size=5)
    snapshot = take_snapshot(trainer)
    network = trainer.network
    assert snapshot.sizes == (2, 5, 4, 3)
    assert snapshot.activation_names == ("tanh", "relu", "softmax")
    assert (snapshot.loss, snapshot.reduction, snapshot.task) == (
        "cross_entropy", "mean", "classification")
    assert snapshot.metric_name == "accuracy" and snapshot.learning_rate == 0.1
    assert snapshot.scale == 1 / 5 and snapshot.per_sample_costs.shape == (5,)
    assert snapshot.cost == pytest.approx(snapshot.per_sample_costs.mean(), rel=1e-14)
    assert snapshot.batch_inputs.shape == (5, 2) and snapshot.batch_targets.shape == (5, 3)
    np.testing.assert_array_equal(snapshot.batch_inputs,
                                  trainer.data.train.inputs[snapshot.batch_rows])
    assert len(snapshot.layers) == 3
    for m, layer in enumerate(snapshot.layers):
        n_in, n_out = snapshot.sizes[m], snapshot.sizes[m + 1]
        assert layer.index == m + 1
        assert layer.activation == snapshot.activation_names[m]
        assert layer.weights.shape == layer.weight_gradients.shape == (n_out, n_in)
        assert layer.biases.shape == layer.bias_gradients.shape == (n_out,)
        for per_sample in (layer.pre_activations, layer.activations, layer.deltas):
            assert per_sample.shape == (5, n_out)
        np.testing.assert_array_equal(layer.weights, network.weights[m])
        np.testing.assert_array_equal(layer.biases, network.biases[m])
        # bias gradient = scale * sum of this layer's deltas over the samples
        np.testing.assert_allclose(layer.bias_gradients, snapshot.scale * layer.deltas.sum(axis=0),
                                   rtol=1e-12, atol=1e-300)
        previous = snapshot.batch_inputs if m == 0 else snapshot.layers[m - 1].activations
        np.testing.assert_allclose(layer.weight_gradients,
                                   snapshot.scale * layer.deltas.T @ previous, rtol=1e-10)
        np.testing.assert_allclose(layer.pre_activations,
                                   previous @ layer.weights.T + layer.biases, rtol=1e-12)
    assert [w.shape for w in snapshot.weights] == [(5, 2), (4, 5), (3, 4)]
    assert len(snapshot.biases) == len(snapshot.weight_gradients) == 3
    assert len(snapshot.bias_gradients) == 3


@pytest.mark.parametrize("row", [0, 7, 11])
def test_probe_is_a_single_sample_forward_and_backward_pass(row: int) -> None:
    trainer = make_trainer(batch_size=0)  # full batch: the probe row is in the batch
    trainer.step()
    snapshot = take_snapshot(trainer, probe_row=row)
    probe = snapshot.probe
    network = trainer.network
    x = trainer.data.train.inputs[row : row + 1]
    t = trainer.data.train.targets[row : row + 1]
    forward, gradients = network.gradients(x, t, network.loss("cross_entropy"))
    assert probe.row == row
    np.testing.assert_array_equal(probe.target, t[0])
    assert len(probe.activations) == 4 and len(probe.pre_activations) == 3
    np.testing.assert_array_equal(probe.activations[0], x[0])
    for m in range(3):
        np.testing.assert_allclose(probe.pre_activations[m], forward.pre_activations[m][0],
                                   rtol=1e-14)
        np.testing.assert_allclose(probe.activations[m + 1], forward.activations[m + 1][0],
                                   rtol=1e-14)
        np.testing.assert_allclose(probe.deltas[m], gradients.deltas[m][0], rtol=1e-12)
        # the sample's own delta is its row of the batch's per-sample deltas
        np.testing.assert_allclose(probe.deltas[m], snapshot.layers[m].deltas[row],
                                   rtol=1e-12, atol=1e-300)


def test_probe_row_out_of_range_is_clamped() -> None:
    trainer = make_trainer()
    assert take_snapshot(trainer, probe_row=999).probe.row == 11
    assert take_snapshot(trainer, probe_row=-3).probe.row == 0


def test_grid_only_for_two_input_features() -> None:
    trainer = make_trainer(features=2)
    snapshot = take_snapshot(trainer, grid_resolution=15)
    grid = snapshot.grid
    assert grid is not None
    assert grid.x.shape == (15,) and grid.y.shape == (15,)
    assert grid.values.shape == (15, 15) and grid.classes.shape == (15, 15)
    everything = np.vstack([trainer.data.train.inputs, trainer.data.test.inputs])
    assert grid.x[0] < everything[:, 0].min() and grid.x[-1] > everything[:, 0].max()
    assert grid.y[0] < everything[:, 1].min() and grid.y[-1] > everything[:, 1].max()
    # values[j, i] is the first output at (x[i], y[j]); classes its argmax
    for j, i in [(0, 0), (3, 11), (14, 7)]:
        outputs = trainer.network.predict(np.array([[grid.x[i], grid.y[j]]]))[0]
        assert grid.values[j, i] == pytest.approx(outputs[0], rel=1e-12)
        assert grid.classes[j, i] == int(np.argmax(outputs))
    assert take_snapshot(make_trainer(features=3)).grid is None
    assert take_snapshot(make_trainer(features=1)).grid is None


def test_history_and_previous_params() -> None:
    trainer = make_trainer(batch_size=0)
    first = take_snapshot(trainer, message="hello")
    assert first.previous_params is None and first.step == 0 and first.epoch == 0
    assert first.message == "hello"
    assert first.history.train_cost.shape == (0,)
    before = trainer.network.params.copy()
    trainer.step()
    trainer.step()
    second = take_snapshot(trainer)
    assert second.step == 2 and second.epoch == 2
    history = trainer.history
    np.testing.assert_array_equal(second.history.epochs, history.epochs)
    np.testing.assert_array_equal(second.history.steps, history.steps)
    np.testing.assert_array_equal(second.history.train_cost, history.train_cost)
    np.testing.assert_array_equal(second.history.test_cost, history.test_cost)
    np.testing.assert_array_equal(second.history.train_metric, history.train_metric)
    np.testing.assert_array_equal(second.history.test_metric, history.test_metric)
    assert second.previous_params is not None
    assert not np.allclose(second.previous_params, before)  # it is the step before the last
    assert trainer.last_batch is not None
    np.testing.assert_allclose(second.previous_params,
                               trainer.network.params + trainer.last_batch.update, rtol=1e-15)


def test_previous_params_are_exactly_the_parameters_before_the_step() -> None:
    trainer = make_trainer(batch_size=0, optimizer="adam")
    exact = []
    for _ in range(10):
        before = trainer.network.params.copy()
        trainer.step()
        snapshot = take_snapshot(trainer)
        assert snapshot.previous_params is not None
        exact.append(snapshot.previous_params.tobytes() == before.tobytes())
    assert all(exact)


def test_a_diverged_state_cannot_be_snapshotted_and_is_left_alone() -> None:
    trainer = make_trainer()
    trainer.network.params[0] = np.nan
    params = trainer.network.params.copy()
    with pytest.raises(DivergenceError):
        take_snapshot(trainer)
    np.testing.assert_array_equal(trainer.network.params, params)
    assert trainer.step_count == 0


def test_a_diverged_state_can_be_snapshotted_for_display() -> None:
    trainer = make_trainer()
    trainer.step()
    trainer.network.params[0] = np.nan
    params = trainer.network.params.copy()
    snapshot = take_snapshot(trainer, allow_nonfinite=True, message="diverged")
    assert snapshot.diverged and snapshot.message == "diverged"
    assert snapshot.step == 1 and trainer.step_count == 1
    assert np.isnan(snapshot.params[0]) and np.isnan(snapshot.layers[0].weights[0, 0])
    assert not np.isfinite(snapshot.cost)
    assert not np.all(np.isfinite(snapshot.update))
    assert snapshot.grid is not None and np.isnan(snapshot.grid.values).all()
    assert [path for path, array in arrays_in(snapshot) if array.flags.writeable] == []
    np.testing.assert_array_equal(trainer.network.params, params)  # the trainer is untouched
    with pytest.raises(DivergenceError):
        take_snapshot(trainer)


def test_a_finite_state_is_not_marked_diverged() -> None:
    trainer = make_trainer()
    assert not take_snapshot(trainer).diverged
    assert not take_snapshot(trainer, allow_nonfinite=True).diverged
