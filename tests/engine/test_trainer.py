"""The training loop: it learns XOR, is deterministic, covers every row once per epoch,
records honest history, refuses diverging steps without a trace, previews the next step
exactly, and regularizes weights (never biases) with the documented formulas."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math

import numpy as np
import pytest
from numpy.typing import NDArray

from engine.core.errors import ConfigError, DivergenceError
from engine.core.initializers import initialize
from engine.core.metrics import predicted_classes
from engine.core.network import Network, ParameterRef
from engine.core.optimizers import Optimizer, OptimizerState
from engine.core.seeding import seed_streams
from engine.data.dataset import Dataset, DataSplit
from engine.training.epoch_history import EPOCH_CAPACITY, History
from engine.training.trainer import BatchResult, Trainer

Array = NDArray[np.float64]

XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = np.array([[0.0], [1.0], [1.0], [0.0]])


def xor_split() -> DataSplit:
    xor = Dataset(XOR_INPUTS, XOR_TARGETS, "classification", ("x1", "x2"), ("y",), ("0", "1"))
    return DataSplit(xor, xor.subset(np.arange(0)))


def blobs_split(rows: int = 10, test_rows: int = 4, seed: int = 0) -> DataSplit:
    """A 2-D, two-class problem with a held-out part."""
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(rows + test_rows, 2))
    targets = (inputs[:, :1] + 0.5 * inputs[:, 1:] > 0).astype(np.float64)
    data = Dataset(inputs, targets, "classification", ("x1", "x2"), ("y",), ("a", "b"))
    return DataSplit(data.subset(np.arange(rows)), data.subset(np.arange(rows, rows + test_rows)))


def regression_split(rows: int = 20, test_rows: int = 5, seed: int = 0) -> DataSplit:
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(rows + test_rows, 2))
    targets = np.column_stack([inputs @ [1.0, -2.0] + 0.5, np.sin(inputs[:, 0])])
    data = Dataset(inputs, targets, "regression", ("a", "b"), ("y1", "y2"))
    return DataSplit(data.subset(np.arange(rows)), data.subset(np.arange(rows, rows + test_rows)))


def make_trainer(
    data: DataSplit,
    sizes: tuple[int, ...] = (2, 4, 1),
    activations: tuple[str, ...] = ("tanh", "sigmoid"),
    seed: int = 0,
    **settings: object,
) -> Trainer:
    streams = seed_streams(seed)
    network = Network(sizes, activations)
    initialize(network, "xavier", streams.init)
    return Trainer(network, data, shuffle_rng=streams.shuffle, **settings)  # type: ignore[arg-type]


def optimizer_state_copy(trainer: Trainer) -> tuple[int, dict[str, Array]]:
    state = trainer.optimizer.state
    return state.steps, {key: value.copy() for key, value in state.arrays.items()}


def assert_same_optimizer_state(trainer: Trainer, saved: tuple[int, dict[str, Array]]) -> None:
    steps, arrays = saved
    assert trainer.optimizer.state.steps == steps
    assert trainer.optimizer.state.arrays.keys() == arrays.keys()
    for key, value in arrays.items():
        assert trainer.optimizer.state.arrays[key].tobytes() == value.tobytes(), key


# -- 5a. it learns -------------------------------------------------------------------------


def test_xor_is_learned_for_at_least_nine_of_ten_seeds() -> None:
    solved = []
    for seed in range(10):
        trainer = make_trainer(
            xor_split(), seed=seed, loss="bce", optimizer="adam", learning_rate=0.05
        )
        assert trainer.effective_batch_size == 4 and trainer.steps_per_epoch == 1
        for _ in range(2000):
            trainer.step()
            if trainer.evaluate(trainer.data.train).metric == 1.0:
                break
        solved.append(trainer.evaluate(trainer.data.train).metric == 1.0)
    assert sum(solved) >= 9, solved


# -- 5b. determinism -----------------------------------------------------------------------


def test_same_seed_and_settings_give_bit_identical_runs() -> None:
    def run(seed: int, peek: bool) -> Trainer:
        trainer = make_trainer(
            blobs_split(), seed=seed, loss="bce", optimizer="adam", learning_rate=0.05,
            batch_size=3, shuffle=True,
        )
        for _ in range(25):
            if peek:  # previews between steps must not change the run
                trainer.pending_batch()
            trainer.step()
        return trainer

    first, second, peeked = run(1, False), run(1, False), run(1, True)
    for other in (second, peeked):
        assert first.network.params.tobytes() == other.network.params.tobytes()
        assert_same_optimizer_state(other, optimizer_state_copy(first))
        assert first.history == other.history
        assert first.step_count == other.step_count == 25
        assert first.last_batch is not None and other.last_batch is not None
        assert np.array_equal(first.last_batch.rows, other.last_batch.rows)
    different = run(2, False)
    assert first.network.params.tobytes() != different.network.params.tobytes()


# -- 5c. batches ---------------------------------------------------------------------------


@pytest.mark.parametrize("shuffle", [True, False])
def test_every_training_row_is_used_once_per_epoch(shuffle: bool) -> None:
    trainer = make_trainer(blobs_split(rows=10), batch_size=3, shuffle=shuffle)
    assert trainer.effective_batch_size == 3 and trainer.steps_per_epoch == 4
    orders = []
    for epoch in range(3):
        rows = []
        sizes = []
        while trainer.epoch == epoch:
            result = trainer.step()
            assert result.epoch == epoch
            assert result.step == trainer.step_count
            np.testing.assert_array_equal(result.inputs, trainer.data.train.inputs[result.rows])
            np.testing.assert_array_equal(result.targets, trainer.data.train.targets[result.rows])
            rows.extend(result.rows.tolist())
            sizes.append(len(result.rows))
        assert sorted(rows) == list(range(10))
        assert sizes == [3, 3, 3, 1]
        orders.append(rows)
    assert trainer.step_count == 12 and trainer.history.steps == [4, 8, 12]
    if shuffle:
        assert len({tuple(order) for order in orders}) > 1
    else:
        assert all(order == list(range(10)) for order in orders)


def test_full_batch_uses_every_row_each_step() -> None:
    trainer = make_trainer(blobs_split(rows=10))
    result = trainer.step()
    np.testing.assert_array_equal(result.rows, np.arange(10))
    assert trainer.epoch == 1 and len(trainer.history) == 1


# -- 5d. settings changed between steps --------------------------------------------------


def test_learning_rate_change_keeps_the_momentum_velocity() -> None:
    trainer = make_trainer(blobs_split(), optimizer="momentum", learning_rate=0.5)
    first = trainer.step()
    g1 = first.gradients.flat.copy()
    np.testing.assert_allclose(first.update, 0.5 * g1, rtol=1e-15)
    trainer.learning_rate = 0.02
    g2 = trainer.pending_batch().gradients.flat.copy()
    second = trainer.step()
    # v = 0.9 v + g with the old velocity kept; only the new rate scales it
    np.testing.assert_allclose(second.update, 0.02 * (0.9 * g1 + g2), rtol=1e-14)
    assert not np.allclose(second.update, 0.02 * g2)


# -- 5e. history ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_history_records_batch_weighted_train_cost_and_end_of_epoch_test_cost(
    reduction: str, task: str
) -> None:
    if task == "classification":
        trainer = make_trainer(blobs_split(rows=10), loss="bce", reduction=reduction,
                               optimizer="sgd", learning_rate=0.3, batch_size=4)
    else:
        trainer = make_trainer(regression_split(rows=10), sizes=(2, 5, 2),
                               activations=("tanh", "linear"), loss="mse",
                               reduction=reduction, optimizer="momentum",
                               learning_rate=0.05, batch_size=4)
    assert trainer.metric_name == ("accuracy" if task == "classification" else "rmse")
    train = trainer.data.train
    for epoch in range(3):
        batch_costs, batch_sizes, hits, squared = [], [], 0, 0.0
        while trainer.epoch == epoch:
            result = trainer.step()
            batch_costs.append(result.gradients.cost)
            batch_sizes.append(len(result.rows))
            outputs = result.forward.outputs  # measured before this batch's own update
            if task == "classification":
                hits += int(np.sum(predicted_classes(outputs) == predicted_classes(result.targets)))
            else:
                squared += float(np.sum((outputs - result.targets) ** 2))
        assert len(trainer.history) == epoch + 1
        costs, sizes = np.array(batch_costs), np.array(batch_sizes)
        if reduction == "mean":  # mean of batch means, weighted by batch size
            expected_cost = float(np.sum(costs * sizes) / sizes.sum())
        else:
            expected_cost = float(costs.sum())
        assert trainer.history.train_cost[-1] == pytest.approx(expected_cost, rel=1e-12)
        if task == "classification":
            assert trainer.history.train_metric[-1] == pytest.approx(hits / len(train))
        else:
            rmse = math.sqrt(squared / train.targets.size)
            assert trainer.history.train_metric[-1] == pytest.approx(rmse, rel=1e-12)
        test = trainer.evaluate(trainer.data.test)  # the parameters at the end of the epoch
        assert trainer.history.test_cost[-1] == test.cost
        assert trainer.history.test_metric[-1] == test.metric
    history = trainer.history
    assert history.epochs == [1, 2, 3] and history.steps == [3, 6, 9]
    lengths = {len(history.train_cost), len(history.test_cost), len(history.train_metric),
               len(history.test_metric), len(history.steps), len(history.epochs)}
    assert lengths == {3}


def test_full_batch_train_cost_is_the_cost_before_the_update() -> None:
    trainer = make_trainer(blobs_split(), loss="bce", learning_rate=0.5)
    before = trainer.evaluate(trainer.data.train)
    trainer.step()
    assert trainer.history.train_cost == [pytest.approx(before.cost, rel=1e-12)]
    assert trainer.history.train_metric == [before.metric]


def test_evaluate_matches_the_network_and_is_nan_for_an_empty_set() -> None:
    trainer = make_trainer(xor_split(), loss="bce")
    empty = trainer.evaluate(trainer.data.test)
    assert math.isnan(empty.cost) and math.isnan(empty.metric)
    evaluation = trainer.evaluate(trainer.data.train)
    network = trainer.network
    assert evaluation.cost == pytest.approx(
        network.cost(XOR_INPUTS, XOR_TARGETS, network.loss("bce"), "mean"), rel=1e-15
    )


# -- 5f. divergence ------------------------------------------------------------------------


def diverging_trainer(optimizer: str) -> Trainer:
    return make_trainer(regression_split(), sizes=(2, 3, 2), activations=("linear", "linear"),
                        loss="mse", optimizer=optimizer, learning_rate=0.01, batch_size=5,
                        shuffle=False)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_a_diverging_step_is_refused_and_changes_nothing(optimizer: str) -> None:
    trainer = diverging_trainer(optimizer)
    for _ in range(3):
        trainer.step()
    trainer.learning_rate = 1e6 if optimizer != "adam" else 1e150
    completed = trainer.step_count
    # The engine checks for NaN/Inf itself; numpy's overflow warnings on the way there are
    # silenced here (see test_divergence_raises_without_floating_point_warnings).
    with np.errstate(all="ignore"):
        with pytest.raises(DivergenceError) as caught:
            for _ in range(200):
                params = trainer.network.params.copy()
                state = optimizer_state_copy(trainer)
                history = copy.deepcopy(trainer.history)
                last_batch, epoch = trainer.last_batch, trainer.epoch
                trainer.step()
                completed += 1
                assert np.all(np.isfinite(trainer.network.params))
        error = caught.value
        assert error.step == completed + 1 == trainer.step_count + 1
        # bit-identical to before the refused step
        assert trainer.network.params.tobytes() == params.tobytes()
        assert_same_optimizer_state(trainer, state)
        assert trainer.history == history
        assert trainer.last_batch is last_batch and trainer.epoch == epoch
        if optimizer == "sgd":  # independently: this step's cost or update is not finite
            shadow = trainer.network.copy()
            result = trainer.last_batch
            assert result is not None
            # the refused batch is the one after the last successful one
            start = (result.rows[-1] + 1) % len(trainer.data.train)
            inputs = trainer.data.train.inputs[start : start + 5]
            targets = trainer.data.train.targets[start : start + 5]
            _, gradients = shadow.gradients(inputs, targets, shadow.loss("mse"))
            update = trainer.learning_rate * gradients.flat
            assert not (math.isfinite(gradients.cost) and np.all(np.isfinite(update)))
        # stepping again fails the same way, still changing nothing
        with pytest.raises(DivergenceError) as again:
            trainer.step()
        assert again.value.step == error.step
        assert trainer.network.params.tobytes() == params.tobytes()
        assert "diverged at step" in str(error)


@pytest.mark.parametrize("where", ["inputs", "targets"])
def test_nan_in_the_data_is_a_divergence_at_the_batch_that_holds_it(where: str) -> None:
    split = regression_split(rows=12)
    inputs, targets = split.train.inputs.copy(), split.train.targets.copy()
    (inputs if where == "inputs" else targets)[7, 0] = np.nan
    train = Dataset(inputs, targets, "regression", ("a", "b"), ("y1", "y2"))
    trainer = make_trainer(DataSplit(train, split.test), sizes=(2, 3, 2),
                           activations=("tanh", "linear"), loss="mse", optimizer="momentum",
                           batch_size=4, shuffle=False)
    trainer.step()  # rows 0-3
    params, state = trainer.network.params.copy(), optimizer_state_copy(trainer)
    with pytest.raises(DivergenceError) as caught:
        trainer.step()  # rows 4-7
    assert caught.value.step == 2
    assert "cost" in caught.value.reason  # the cost itself is NaN, not just the update
    assert trainer.step_count == 1
    assert trainer.network.params.tobytes() == params.tobytes()
    assert_same_optimizer_state(trainer, state)


def test_an_infinite_update_from_a_finite_cost_is_refused() -> None:
    """The cost can be finite while the update overflows; that step is refused too."""
    trainer = make_trainer(regression_split(), sizes=(2, 2), activations=("linear",),
                           loss="half_sse", optimizer="sgd", learning_rate=1e300)
    trainer.network.params[:] = 1e9  # cost ~1e19, gradient ~1e9: lr * gradient overflows
    params = trainer.network.params.copy()
    with np.errstate(all="ignore"):
        pending_cost = trainer.network.cost(trainer.data.train.inputs,
                                            trainer.data.train.targets, trainer.loss)
        assert math.isfinite(pending_cost)
        with pytest.raises(DivergenceError) as caught:
            trainer.step()
    assert caught.value.step == 1 and "update" in caught.value.reason
    assert trainer.network.params.tobytes() == params.tobytes()
    assert trainer.step_count == 0 and trainer.optimizer.state.steps == 0


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_divergence_raises_without_floating_point_warnings(optimizer: str) -> None:
    """pytest turns warnings into errors here: a RuntimeWarning would escape instead."""
    trainer = diverging_trainer(optimizer)
    trainer.learning_rate = 1e6 if optimizer != "adam" else 1e150
    with pytest.raises(DivergenceError):
        for _ in range(200):
            params, state = trainer.network.params.copy(), optimizer_state_copy(trainer)
            trainer.step()
    assert trainer.network.params.tobytes() == params.tobytes()
    assert_same_optimizer_state(trainer, state)
    with pytest.raises(DivergenceError):
        trainer.pending_batch()
    trainer.network.params[:] = 1e300  # the test set's cost overflows: nan or inf, no warning
    assert not math.isfinite(trainer.evaluate(trainer.data.test).cost)


@pytest.mark.parametrize("outer", [{}, {"all": "raise"}, {"all": "warn", "under": "raise"}])
def test_the_floating_point_error_state_is_quiet_inside_and_restored_after(
    outer: dict[str, str],
) -> None:
    trainer = diverging_trainer("sgd")
    with np.errstate(**outer):  # type: ignore[arg-type]
        state = np.geterr()
        trainer.step()
        assert trainer.evaluate(trainer.data.test).cost >= 0.0
        assert np.geterr() == state
        trainer.learning_rate = 1e6
        with pytest.raises(DivergenceError):  # not FloatingPointError, even under "raise"
            for _ in range(200):
                trainer.step()
        assert np.geterr() == state
        with pytest.raises(DivergenceError):
            trainer.pending_batch()
        assert np.geterr() == state


class FixedUpdate(Optimizer):
    """An optimizer whose update is a given vector, whatever the gradient."""

    def __init__(self, update: Array) -> None:
        super().__init__()
        self.update = update

    def propose(self, gradient: Array, learning_rate: float) -> tuple[Array, OptimizerState]:
        return self.update.copy(), OptimizerState(steps=self.state.steps + 1)


def trainer_with_an_unused_weight(size: float) -> Trainer:
    """A trainer whose W^1[0, 0] (params[0]) is `size` and multiplies inputs that are all 0,
    so its size does not reach the cost."""
    split = regression_split()
    inputs = split.train.inputs.copy()
    inputs[:, 0] = 0.0
    train = Dataset(inputs, split.train.targets, "regression", ("a", "b"), ("y1", "y2"))
    trainer = make_trainer(DataSplit(train, split.test), sizes=(2, 2), activations=("linear",),
                           loss="half_sse", learning_rate=1.0)
    trainer.network.params[0] = size
    return trainer


def test_huge_but_finite_parameters_are_not_a_divergence() -> None:
    trainer = trainer_with_an_unused_weight(1e200)  # its square overflows, it does not
    trainer.optimizer = FixedUpdate(np.where(np.arange(6) == 0, 1e190, 0.0))
    result = trainer.step()
    assert trainer.step_count == 1 and trainer.network.params[0] == 1e200 - 1e190
    assert trainer.pending_batch().update[0] == 1e190
    assert result.params_before[0] == 1e200


def test_parameters_overflowing_with_a_finite_update_are_refused() -> None:
    trainer = trainer_with_an_unused_weight(1.5e308)
    trainer.optimizer = FixedUpdate(np.where(np.arange(6) == 0, -1.5e308, 0.0))
    assert math.isfinite(trainer.pending_batch().gradients.cost)
    params = trainer.network.params.copy()
    with pytest.raises(DivergenceError) as caught:
        trainer.step()  # 1.5e308 - (-1.5e308) is inf, the update itself is finite
    assert caught.value.step == 1 and "overflow" in caught.value.reason
    assert trainer.network.params.tobytes() == params.tobytes()
    assert trainer.step_count == 0 and trainer.optimizer.state.steps == 0
    assert trainer.last_batch is None and len(trainer.history) == 0


def test_pending_batch_may_show_a_diverged_state() -> None:
    trainer = diverging_trainer("sgd")
    trainer.network.params[0] = np.nan
    with pytest.raises(DivergenceError):
        trainer.pending_batch()
    pending = trainer.pending_batch(allow_nonfinite=True)
    assert math.isnan(pending.gradients.cost) and not np.all(np.isfinite(pending.update))
    assert pending.step == 1 and trainer.step_count == 0


def test_a_step_keeps_the_exact_parameters_before_it() -> None:
    trainer = diverging_trainer("adam")
    for _ in range(5):
        before = trainer.network.params.copy()
        result = trainer.step()
        assert result.params_before.tobytes() == before.tobytes()
        assert result.params_before is not trainer.network.params


# -- 5g. preview of the next step -----------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_pending_batch_changes_nothing_and_step_applies_exactly_its_update(
    optimizer: str,
) -> None:
    trainer = make_trainer(blobs_split(rows=10), optimizer=optimizer, learning_rate=0.1,
                           batch_size=4, shuffle=True, regularization="l2",
                           regularization_rate=0.01)
    for _ in range(7):  # cross epoch boundaries too
        params, state = trainer.network.params.copy(), optimizer_state_copy(trainer)
        step_count, epoch = trainer.step_count, trainer.epoch
        history = copy.deepcopy(trainer.history)
        pending = trainer.pending_batch()
        again = trainer.pending_batch()
        assert trainer.network.params.tobytes() == params.tobytes()
        assert_same_optimizer_state(trainer, state)
        assert (trainer.step_count, trainer.epoch) == (step_count, epoch)
        assert trainer.history == history
        assert pending.update.tobytes() == again.update.tobytes()
        np.testing.assert_array_equal(pending.rows, again.rows)
        assert pending.step == step_count + 1
        result = trainer.step()
        assert result.update.tobytes() == pending.update.tobytes()
        np.testing.assert_array_equal(result.rows, pending.rows)
        assert trainer.network.params.tobytes() == (params - pending.update).tobytes()


# -- 5h. regularization ----------------------------------------------------------------------


def weight_positions(network: Network) -> Array:
    mask = np.zeros_like(network.params)
    for m, weights in enumerate(network.weights):
        for row in range(weights.shape[0]):
            for column in range(weights.shape[1]):
                mask[network.flat_index(ParameterRef(m + 1, "weight", row, column))] = 1.0
    return mask


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_regularization_adds_to_weights_only_with_the_documented_formula(kind: str) -> None:
    rate, learning_rate = 0.03, 0.2
    trainer = make_trainer(blobs_split(), optimizer="sgd", learning_rate=learning_rate,
                           regularization=kind, regularization_rate=rate)
    network = trainer.network
    network.biases[0][...] = [0.5, -0.25, 1.0, -2.0]  # nonzero biases must stay unpenalized
    network.biases[1][...] = 0.75
    network.weights[0][0, 0] = 0.0  # l1's subgradient at 0 is 0
    is_weight = weight_positions(network)
    np.testing.assert_array_equal(network.weight_mask(), is_weight)
    w = network.params * is_weight
    pending = trainer.pending_batch()
    # the reported cost is the data cost; the penalty is separate
    data = trainer.data.train
    assert pending.gradients.cost == network.cost(data.inputs, data.targets, trainer.loss)
    if kind == "l2":  # penalty rate/2 sum w^2, gradient rate w
        penalty_gradient = rate * w
        assert trainer.regularization_penalty() == pytest.approx(0.5 * rate * np.sum(w**2))
    else:  # penalty rate sum |w|, gradient rate sign(w)
        penalty_gradient = rate * np.sign(w)
        assert trainer.regularization_penalty() == pytest.approx(rate * np.sum(np.abs(w)))
    assert penalty_gradient[network.flat_index(ParameterRef(1, "weight", 0, 0))] == 0.0
    np.testing.assert_allclose(trainer.regularization_gradient(), penalty_gradient, rtol=1e-15)
    expected = learning_rate * (pending.gradients.flat + penalty_gradient)
    np.testing.assert_allclose(pending.update, expected, rtol=1e-14, atol=1e-17)
    biases = is_weight == 0.0
    np.testing.assert_array_equal(
        pending.update[biases], learning_rate * pending.gradients.flat[biases]
    )
    # the penalty's gradient is the derivative of the penalty (central differences)
    numeric = np.empty_like(network.params)
    for index in range(network.params.size):
        original = network.params[index]
        network.params[index] = original + 1e-6
        plus = trainer.regularization_penalty()
        network.params[index] = original - 1e-6
        minus = trainer.regularization_penalty()
        network.params[index] = original
        numeric[index] = (plus - minus) / 2e-6
    live = np.abs(network.params) > 1e-3  # |w| is not differentiable at 0
    np.testing.assert_allclose(trainer.regularization_gradient()[live], numeric[live],
                               rtol=1e-6, atol=1e-10)


def test_no_regularization_means_no_penalty() -> None:
    trainer = make_trainer(blobs_split(), regularization="none", regularization_rate=0.5)
    assert trainer.regularization_gradient() is None
    assert trainer.regularization_penalty() == 0.0
    trainer.regularization, trainer.regularization_rate = "l2", 0.0
    assert trainer.regularization_gradient() is None


# -- configuration errors ------------------------------------------------------------------


def test_bad_settings_raise_config_error() -> None:
    trainer = make_trainer(blobs_split())
    for attribute, value in (("learning_rate", -0.1), ("learning_rate", math.nan),
                             ("learning_rate", math.inf), ("batch_size", -1),
                             ("regularization", "dropout"), ("regularization_rate", -1.0)):
        with pytest.raises(ConfigError):
            setattr(trainer, attribute, value)
    with pytest.raises(ConfigError):
        make_trainer(blobs_split(), sizes=(3, 4, 1))
    with pytest.raises(ConfigError):
        make_trainer(blobs_split(), sizes=(2, 4, 2), activations=("tanh", "softmax"))
    with pytest.raises(ConfigError):
        make_trainer(blobs_split(), reduction="median")
    with pytest.raises(ConfigError):
        make_trainer(blobs_split(), optimizer="rmsprop")
    with pytest.raises(ConfigError):
        make_trainer(blobs_split(), loss="hinge")


def test_batch_size_larger_than_the_data_is_full_batch() -> None:
    trainer = make_trainer(blobs_split(rows=10), batch_size=50)
    assert trainer.effective_batch_size == 10 and trainer.steps_per_epoch == 1
    np.testing.assert_array_equal(trainer.step().rows, np.arange(10))


def test_batch_result_init_takes_exactly_the_fields_and_stays_frozen() -> None:
    names = [field.name for field in dataclasses.fields(BatchResult)]
    assert list(inspect.signature(BatchResult.__init__).parameters)[1:] == names
    result = make_trainer(xor_split()).step()
    assert result == BatchResult(*(getattr(result, name) for name in names))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.step = 0  # type: ignore[misc]


def test_history_arrays_convert_new_epochs_and_never_change_arrays_handed_out() -> None:
    history = History()
    assert all(array.shape == (0,) for array in history.arrays())
    handed_out = []  # (arrays as returned, their values then)
    for epoch in range(1, 200):  # past the first buffer's 64 entries, so it grows
        for values, value in zip(history._lists(), (epoch, 4 * epoch, 1.0 / epoch,
                                 math.nan if epoch % 7 else 2.0 / epoch, epoch / 200, -epoch),
                                 strict=True):
            values.append(value)
        if epoch % 9 == 0:
            arrays = history.arrays()
            handed_out.append((arrays, [array.copy() for array in arrays]))
    final = history.arrays()
    for array, values in zip(final, history._lists(), strict=True):
        np.testing.assert_array_equal(array, np.array(values, dtype=np.float64))
        assert not array.flags.writeable
    handed_out.append((final, [array.copy() for array in final]))
    for values in history._lists():  # cut short, then longer again with other numbers
        del values[5:]
        values.extend([-1.0] * 20)
    assert [array[-1] for array in history.arrays()] == [-1.0] * 6
    for arrays, then in handed_out:
        for array, values in zip(arrays, then, strict=True):
            np.testing.assert_array_equal(array, values)


# -- 5f. a bounded history on long runs ------------------------------------------------------


def assert_one_resolution(history: History, epoch: int) -> None:
    """At most `capacity` entries from epoch 1 to `epoch`: the kept epochs 1, 1 + s, 1 + 2s, ...
    for one power of two s, then the newest, at most s after them."""
    epochs = history.epochs
    assert 1 <= len(epochs) <= history.capacity
    assert epochs[0] == 1 and epochs[-1] == epoch
    gaps = set(np.diff(epochs[:-1]).tolist())
    assert len(gaps) <= 1 and all(gap & (gap - 1) == 0 for gap in gaps), epochs
    stride = gaps.pop() if gaps else 1
    assert 0 < epoch - epochs[-2] <= stride if len(epochs) > 1 else epoch == 1


def test_a_long_run_keeps_at_most_capacity_epochs_at_one_resolution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unbounded = make_trainer(blobs_split(), optimizer="adam", learning_rate=0.05)
    monkeypatch.setattr("engine.training.epoch_history.EPOCH_CAPACITY", 10)
    bounded = make_trainer(blobs_split(), optimizer="adam", learning_rate=0.05)
    assert bounded.history.capacity == 10 and unbounded.history.capacity == EPOCH_CAPACITY
    for epoch in range(1, 400):  # full batch: one step an epoch
        bounded.step()
        unbounded.step()
        assert_one_resolution(bounded.history, epoch)
        assert bounded.history.steps[-1] == bounded.step_count
    assert bounded.network.params.tobytes() == unbounded.network.params.tobytes()
    assert len(bounded.history) < 10 < len(unbounded.history) == 399
    kept = np.array(bounded.history.epochs) - 1  # every entry is the unbounded run's
    for bounded_values, values in zip(bounded.history._lists(), unbounded.history._lists(),
                                      strict=True):
        np.testing.assert_array_equal(bounded_values, np.array(values)[kept])


def test_a_history_longer_than_its_capacity_is_thinned_and_keeps_its_newest_epoch() -> None:
    history = History(*([float(epoch) for epoch in range(1, 101)] for _ in range(6)),
                      capacity=7)
    assert history.epochs == [1, 33, 65, 97, 100]  # stride 32, then the newest
    assert history.steps == history.test_metric == history.epochs
    history.append(101, 101, 0.0, 0.0, 0.0, 0.0)
    assert history.epochs == [1, 33, 65, 97, 101]
    with pytest.raises(ValueError, match="room for 2 epochs"):
        History(capacity=1)


def test_a_history_rebuilt_from_its_lists_goes_on_as_the_original_from_any_epoch() -> None:
    """As a session restores it: the lists alone, the stride taken from their spacing."""
    def record(history: History, epoch: int) -> None:
        history.append(epoch, 2 * epoch, 1.0 / epoch, math.nan, 0.5, math.nan)

    for saved_at in range(1, 70):
        original = History(capacity=6)
        for epoch in range(1, saved_at + 1):
            record(original, epoch)
        rebuilt = History(*(list(values) for values in original._lists()), capacity=6)
        assert rebuilt == original
        for epoch in range(saved_at + 1, 100):
            record(original, epoch)
            record(rebuilt, epoch)
            assert rebuilt == original, (saved_at, epoch)


def test_a_copy_of_a_thinned_history_goes_on_as_the_original() -> None:
    original = History(capacity=6)
    for epoch in range(1, 24):
        original.append(epoch, 2 * epoch, 1.0 / epoch, math.nan, 0.5, math.nan)
    copied = original.copy()
    for epoch in range(24, 80):
        for history in (original, copied):
            history.append(epoch, 2 * epoch, 1.0 / epoch, math.nan, 0.5, math.nan)
        assert copied == original
    assert copied.epochs == [1, 17, 33, 49, 65, 79]


def test_history_arrays_handed_out_never_change_when_the_history_thins() -> None:
    history = History(capacity=12)
    handed_out = []  # (arrays as returned, their values then)
    for epoch in range(1, 300):
        history.append(epoch, 3 * epoch, 1.0 / epoch, -1.0 / epoch, epoch / 300, -epoch)
        if epoch % 5 == 0 or epoch > 280:  # past dropped newest entries and thinnings
            arrays = history.arrays()
            for array, values in zip(arrays, history._lists(), strict=True):
                np.testing.assert_array_equal(array, np.array(values, dtype=np.float64))
                assert not array.flags.writeable
            handed_out.append((arrays, [array.copy() for array in arrays]))
    assert len({len(arrays[0]) for arrays, _ in handed_out}) > 1
    for arrays, then in handed_out:
        for array, values in zip(arrays, then, strict=True):
            np.testing.assert_array_equal(array, values)
