"""The training loop, independent of any UI: mini-batches, updates, divergence guard, history.

Reported numbers, per epoch:
- train cost / metric: over the epoch's mini-batches, each measured before its own update
  (as Keras reports it; exact for full-batch training), reduced like the loss (mean or sum
  over the training set);
- test cost / metric: the test set evaluated at the end of the epoch.
The cost is the data cost; an L1/L2 penalty is reported separately and enters the update.

Why this is long: the training step (forward, backward, update, divergence guard, epoch
accounting) is one hot loop, kept in one class so its order is read in one place; the per-epoch
records are engine/training/epoch_history.py.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.core.activations import read_only_scalar
from engine.core.errors import ConfigError, DivergenceError
from engine.core.losses import REDUCTIONS, reduction_scale
from engine.core.metrics import correct_count, predicted_classes
from engine.core.network import ForwardPass, Gradients, Network
from engine.core.optimizers import Optimizer, OptimizerState, make_optimizer
from engine.data.dataset import Dataset, DataSplit
from engine.training.epoch_history import History

Array = NDArray[np.float64]

# Hot-path shortcuts: count_nonzero without NumPy's __array_function__ dispatch layer (a
# third of a microsecond per call at these sizes), and constants as 0-d arrays.
_isfinite = math.isfinite
_isfinite_array = np.isfinite
_HALF = read_only_scalar(0.5)
try:
    from numpy._core.multiarray import count_nonzero as _count_nonzero
except ImportError:  # pragma: no cover - NumPy moved it; the public one is equivalent
    _count_nonzero = np.count_nonzero

REGULARIZATIONS: tuple[str, ...] = ("none", "l1", "l2")

_UPDATE_NOT_FINITE = "the update to the parameters is NaN or Inf"
_PARAMS_NOT_FINITE = "the parameters overflow to Inf with this update"

# Diverging training overflows on its way to NaN. The trainer checks the cost, the update
# and the new parameters itself and raises DivergenceError, so while it computes, NumPy's
# floating-point warnings are noise: step(), pending_batch() and evaluate() run under
# np.errstate(**QUIET_FLOATING_POINT).
QUIET_FLOATING_POINT: dict[str, str] = {"over": "ignore", "invalid": "ignore", "divide": "ignore"}

# np.errstate costs about 0.9 us to enter and leave, a few percent of a small network's step.
# In NumPy 2 it only sets a context variable to an error-state object; setting that variable
# ourselves, with the object made once per outer state, does the same in about 0.15 us.
# Where NumPy has no such variable (1.x), the public np.errstate is used.
try:
    from numpy._core.umath import _extobj_contextvar, _make_extobj
except ImportError:  # pragma: no cover - NumPy 1.x
    _extobj_contextvar = _make_extobj = None
_quiet_state_cache: tuple[object, object] = (None, None)  # (outer state, quiet state made from it)


def _all_finite(vector: Array) -> bool:
    """True when no entry of a 1-D array is NaN or Inf.

    Exact, and measured the cheapest way on this hot path: faster than `.all()` (a Python
    wrapper) for small vectors and than a sum or a BLAS dot product (its threads compete
    with the rest of the step) for large ones.
    """
    return _count_nonzero(_isfinite_array(vector)) == vector.shape[0]


def _quiet_floating_point() -> object:
    """Enter np.errstate(**QUIET_FLOATING_POINT); pass the result to _restore_floating_point."""
    global _quiet_state_cache
    if _extobj_contextvar is None:  # pragma: no cover - NumPy 1.x
        state = np.errstate(**QUIET_FLOATING_POINT)
        state.__enter__()
        return state
    outer = _extobj_contextvar.get()
    cached_outer, quiet = _quiet_state_cache
    if outer is not cached_outer:
        quiet = _make_extobj(**QUIET_FLOATING_POINT)  # the outer state, those three replaced
        _quiet_state_cache = (outer, quiet)
    return _extobj_contextvar.set(quiet)


def _restore_floating_point(token: object) -> None:
    """Leave what _quiet_floating_point entered."""
    if _extobj_contextvar is None:  # pragma: no cover - NumPy 1.x
        token.__exit__(None, None, None)  # type: ignore[attr-defined]
    else:
        _extobj_contextvar.reset(token)


@dataclass(frozen=True, init=False)
class BatchResult:
    """Everything about the last mini-batch update, for views and the inspector.

    step: the number of this update (1-based). rows: indices into the training set.
    forward / gradients: caches and gradients at the parameters *before* the update.
    update: the flat vector subtracted from the parameters (learning rate and optimizer applied).
    params_before: a copy of those parameters, exactly (bit for bit) as they were.
    """

    step: int
    epoch: int
    rows: NDArray[np.intp]
    inputs: Array
    targets: Array
    forward: ForwardPass
    gradients: Gradients
    update: Array
    params_before: Array

    def __init__(
        self,
        step: int,
        epoch: int,
        rows: NDArray[np.intp],
        inputs: Array,
        targets: Array,
        forward: ForwardPass,
        gradients: Gradients,
        update: Array,
        params_before: Array,
    ) -> None:
        # Built on every step: straight into __dict__, as ForwardPass in engine/core/network.py.
        fields = self.__dict__
        fields["step"] = step
        fields["epoch"] = epoch
        fields["rows"] = rows
        fields["inputs"] = inputs
        fields["targets"] = targets
        fields["forward"] = forward
        fields["gradients"] = gradients
        fields["update"] = update
        fields["params_before"] = params_before


@dataclass(frozen=True)
class Evaluation:
    cost: float
    metric: float


@dataclass
class TrainerProgress:
    """Where training stands, beyond the network, optimizer, data and settings: everything
    else `step()` depends on (for sessions). `order` is the current epoch's row order (None
    before the first mini-batch), `position` how many of its rows were used; the sums are
    the current epoch's accumulators; `shuffle_rng_state` is the batch-order generator's
    `bit_generator.state`."""

    step_count: int
    epoch: int
    position: int
    order: NDArray[np.intp] | None
    epoch_cost_sum: float
    epoch_metric_sum: float
    shuffle_rng_state: dict[str, Any]
    history: History


class Trainer:
    """Owns a network, its optimizer and the data; `step()` makes one mini-batch update."""

    def __init__(
        self,
        network: Network,
        data: DataSplit,
        *,
        loss: str = "bce",
        reduction: str = "mean",
        optimizer: Optimizer | str = "sgd",
        learning_rate: float = 0.1,
        batch_size: int = 0,
        shuffle: bool = True,
        regularization: str = "none",
        regularization_rate: float = 0.0,
        shuffle_rng: np.random.Generator | None = None,
    ) -> None:
        if data.train.inputs.shape[1] != network.input_width:
            raise ConfigError(
                f"the data has {data.train.inputs.shape[1]} input columns, "
                f"the network takes {network.input_width} inputs"
            )
        if data.train.targets.shape[1] != network.sizes[-1]:
            raise ConfigError(
                f"the data has {data.train.targets.shape[1]} target columns, "
                f"the network has {network.sizes[-1]} outputs"
            )
        if reduction not in REDUCTIONS:
            raise ConfigError(f"unknown reduction {reduction!r} (known: mean, sum)")
        self.network = network
        self.data = data
        self.loss = network.loss(loss)
        self.reduction = reduction
        self.optimizer = make_optimizer(optimizer) if isinstance(optimizer, str) else optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.regularization = regularization
        self.regularization_rate = regularization_rate
        self._shuffle_rng = shuffle_rng if shuffle_rng is not None else np.random.default_rng(0)
        self._weight_mask = network.weight_mask()
        self._cache_train(data.train)
        self.step_count = 0
        self.epoch = 0
        self.history = History()
        self.last_batch: BatchResult | None = None
        self._order: NDArray[np.intp] | None = None
        self._position = 0
        self._epoch_cost_sum = 0.0
        self._epoch_metric_sum = 0.0

    # -- settings that may change between steps -------------------------------------------

    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        if not (math.isfinite(value) and value >= 0.0):
            raise ConfigError(f"the learning rate must be a finite number >= 0, got {value}")
        self._learning_rate = float(value)

    @property
    def batch_size(self) -> int:
        """Samples per update; 0 means the whole training set."""
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        if value < 0:
            raise ConfigError(f"the batch size must be >= 0 (0 = full batch), got {value}")
        self._batch_size = int(value)

    @property
    def regularization(self) -> str:
        return self._regularization

    @regularization.setter
    def regularization(self, value: str) -> None:
        if value not in REGULARIZATIONS:
            raise ConfigError(f"unknown regularization {value!r} (known: none, l1, l2)")
        self._regularization = value

    @property
    def regularization_rate(self) -> float:
        return self._regularization_rate

    @regularization_rate.setter
    def regularization_rate(self, value: float) -> None:
        if not (math.isfinite(value) and value >= 0.0):
            raise ConfigError(f"the regularization rate must be a finite number >= 0, got {value}")
        self._regularization_rate = float(value)

    @property
    def task(self) -> str:
        return self.data.train.task

    @property
    def metric_name(self) -> str:
        return "accuracy" if self.task == "classification" else "rmse"

    @property
    def effective_batch_size(self) -> int:
        size = len(self.data.train)
        return size if self.batch_size == 0 else min(self.batch_size, size)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.data.train) / self.effective_batch_size)

    # -- training -------------------------------------------------------------------------

    def regularization_gradient(self) -> Array | None:
        """d(penalty)/d(params) for the current weights; None without regularization."""
        if self.regularization == "none" or self.regularization_rate == 0.0:
            return None
        weights = self.network.params
        raw = weights if self.regularization == "l2" else np.sign(weights)
        return self.regularization_rate * raw * self._weight_mask

    def regularization_penalty(self) -> float:
        """The penalty: rate/2 * sum w^2 (l2) or rate * sum |w| (l1), over weights only."""
        if self.regularization == "none":
            return 0.0
        weights = self.network.params * self._weight_mask
        if self.regularization == "l2":
            return 0.5 * self.regularization_rate * float(np.dot(weights, weights))
        return self.regularization_rate * float(np.abs(weights).sum())

    def _cache_train(self, train: Dataset) -> None:
        """Per-step constants derived from the training set (rebuilt if `data` is replaced).

        _train_labels: class per sample (classification); _labels_for_metric: what a batch's
        predictions are compared with, row by row: the class index, or for one output
        column a (N, 1) bool "class 1", compared with `outputs >= 0.5` without reshaping.
        """
        self._cached_train = train
        self._train_size = len(train)
        self._classification = train.task == "classification"
        self._one_output = train.targets.shape[1] == 1
        self._train_labels = (
            predicted_classes(train.targets) if self._classification else np.empty(0, dtype=np.intp)
        )
        if self._classification and self._one_output:
            self._labels_for_metric = self._train_labels[:, None] == 1
        else:
            self._labels_for_metric = self._train_labels
        # The rows of a full batch: one shared read-only array instead of a new one per step.
        self._all_rows = np.arange(self._train_size)
        self._all_rows.flags.writeable = False

    def _next_rows(self) -> NDArray[np.intp] | None:
        """Rows of the next batch; None means the whole training set in order."""
        size = self._train_size
        batch = self._batch_size
        if batch == 0 or batch >= size:
            return None  # full batch: the order of rows cannot change the gradient
        if self._order is None or self._position >= size:
            self._order = (
                self._shuffle_rng.permutation(size) if self.shuffle else np.arange(size)
            )
            self._position = 0
        return self._order[self._position : self._position + batch]

    def pending_batch(self, allow_nonfinite: bool = False) -> BatchResult:
        """The next step's batch, gradients and update at the current parameters, changing nothing.

        `step()` right after applies exactly this update (bit-identical). Raises
        DivergenceError when the cost or the update is NaN or Inf, unless `allow_nonfinite`
        (to show a diverged state as it is).
        """
        quiet = _quiet_floating_point()
        try:
            result = self._prepare_step(not allow_nonfinite)[0]
            if not (allow_nonfinite or _all_finite(result.update)):
                raise DivergenceError(result.step, _UPDATE_NOT_FINITE)
        finally:
            _restore_floating_point(quiet)
        return result

    def _prepare_step(
        self, check_cost: bool
    ) -> tuple[BatchResult, OptimizerState, NDArray[np.generic]]:
        """The next BatchResult, the optimizer state it leads to, and the batch's labels for
        the metric (see _cache_train); nothing is changed. Raises DivergenceError for a cost
        that is NaN or Inf if `check_cost`; the update is not checked here."""
        train = self.data.train
        if train is not self._cached_train:
            self._cache_train(train)
        batch_size = self._batch_size
        rows = None if batch_size == 0 or batch_size >= self._train_size else self._next_rows()
        if rows is None:
            inputs, targets, labels = train.inputs, train.targets, self._labels_for_metric
            batch_rows = self._all_rows
        else:
            inputs, targets = train.inputs[rows], train.targets[rows]
            labels = self._labels_for_metric[rows] if self._classification else self._train_labels
            batch_rows = rows
        network = self.network
        forward = network.forward(inputs)
        gradients = network.backward(forward, targets, self.loss, self.reduction)
        next_step = self.step_count + 1
        if check_cost and not _isfinite(gradients.cost):
            raise DivergenceError(next_step, f"the cost is {gradients.cost}")
        gradient = gradients.flat
        if self._regularization != "none" and self._regularization_rate != 0.0:
            gradient = gradient + self.regularization_gradient()
        update, optimizer_state = self.optimizer.propose(gradient, self._learning_rate)
        result = BatchResult(
            next_step, self.epoch, batch_rows, inputs, targets, forward, gradients, update,
            network.params.copy(),
        )
        return result, optimizer_state, labels

    def step(self) -> BatchResult:
        """One mini-batch update. Raises DivergenceError (changing nothing) on NaN/Inf."""
        quiet = _quiet_floating_point()
        try:
            result, optimizer_state, labels = self._prepare_step(True)
            params = self.network.params
            params -= result.update
            # Checking the new parameters covers the update and an overflow in between.
            if not _all_finite(params):
                params[...] = result.params_before
                update_finite = _all_finite(result.update)
                raise DivergenceError(
                    result.step, _PARAMS_NOT_FINITE if update_finite else _UPDATE_NOT_FINITE
                )
            self.optimizer.commit(optimizer_state)
            self.step_count = result.step
            self.last_batch = result
            gradients = result.gradients
            self._epoch_cost_sum += gradients.cost / gradients.scale
            outputs = result.forward.activations[-1]
            if self._classification:
                # as predicted_classes(outputs) == labels: threshold 0.5 for one output, else argmax
                predicted = outputs >= _HALF if self._one_output else outputs.argmax(axis=1)
                # int(): count_nonzero gives an np.int64, slow to add to a Python float
                self._epoch_metric_sum += int(_count_nonzero(predicted == labels))
            else:
                error = outputs - result.targets
                self._epoch_metric_sum += float(np.vdot(error, error))
            self._position += result.rows.shape[0]
            if self._position >= self._train_size:
                self._finish_epoch()
        finally:
            _restore_floating_point(quiet)
        return result

    def run_epoch(self) -> None:
        """Steps until the current epoch is complete."""
        epoch = self.epoch
        while self.epoch == epoch:
            self.step()

    def _finish_epoch(self) -> None:
        # Runs after every step in full-batch training: the epoch's numbers, one append.
        train_size = self._train_size
        self.epoch = epoch = self.epoch + 1
        self._position = train_size
        train_cost = self._epoch_cost_sum * reduction_scale(self.reduction, train_size)
        if self._classification:
            train_metric = self._epoch_metric_sum / train_size
        else:
            train_metric = math.sqrt(self._epoch_metric_sum / self.data.train.targets.size)
        test = self.data.test
        if test.inputs.shape[0]:
            evaluation = self._evaluate(test)
            test_cost, test_metric = evaluation.cost, evaluation.metric
        else:  # what evaluate() gives an empty set
            test_cost = test_metric = math.nan
        self.history.append(epoch, self.step_count, train_cost, test_cost, train_metric,
                            test_metric)
        self._epoch_cost_sum = 0.0
        self._epoch_metric_sum = 0.0

    # -- state for sessions ---------------------------------------------------------------

    def export_progress(self) -> TrainerProgress:
        """A copy of where training stands (see TrainerProgress); nothing shared with self."""
        return TrainerProgress(
            step_count=self.step_count,
            epoch=self.epoch,
            position=self._position,
            order=None if self._order is None else self._order.copy(),
            epoch_cost_sum=self._epoch_cost_sum,
            epoch_metric_sum=self._epoch_metric_sum,
            shuffle_rng_state=copy.deepcopy(self._shuffle_rng.bit_generator.state),
            history=self.history.copy(),
        )

    def restore_progress(self, progress: TrainerProgress) -> None:
        """Continue from `progress` (from export_progress, possibly of another Trainer with
        the same data and settings): the next step() is the one that trainer would take.
        Raises ValueError/TypeError if the generator state does not fit this generator."""
        self._shuffle_rng.bit_generator.state = copy.deepcopy(progress.shuffle_rng_state)
        self.step_count = progress.step_count
        self.epoch = progress.epoch
        self._position = progress.position
        self._order = None if progress.order is None else progress.order.copy()
        self._epoch_cost_sum = progress.epoch_cost_sum
        self._epoch_metric_sum = progress.epoch_metric_sum
        self.history = progress.history.copy()
        self.last_batch = None

    def evaluate(self, dataset: Dataset) -> Evaluation:
        """Cost and metric of a dataset at the current parameters (nan for an empty set)."""
        quiet = _quiet_floating_point()
        try:
            return self._evaluate(dataset)
        finally:
            _restore_floating_point(quiet)

    def _evaluate(self, dataset: Dataset) -> Evaluation:
        if dataset.inputs.shape[0] == 0:
            return Evaluation(math.nan, math.nan)
        outputs = self.network.forward(dataset.inputs)
        per_sample = self.loss.per_sample(
            outputs.pre_activations[-1], outputs.outputs, dataset.targets
        )
        cost = float(per_sample.sum() * reduction_scale(self.reduction, len(dataset)))
        if self.task == "classification":
            metric = correct_count(outputs.outputs, dataset.targets) / len(dataset)
        else:
            error = outputs.outputs - dataset.targets
            metric = math.sqrt(float(np.vdot(error, error)) / dataset.targets.size)
        return Evaluation(cost, metric)
