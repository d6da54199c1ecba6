"""Immutable pictures of training state, the only thing views ever read.

A Snapshot is taken between steps. Its gradients are those of the *next* batch at the
*current* parameters (what the optimizer is about to apply), so a weight, its gradient and
every factor of the chain rule in it belong to the same moment. Arrays are fresh copies
and read-only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.core.network import ForwardPass, Gradients, Network, parameter_views
from engine.data.dataset import DataSplit
from engine.training.evaluation import DataEvaluation, evaluate_split
from engine.training.gradient_norms import GradientNorms
from engine.training.trainer import QUIET_FLOATING_POINT, BatchResult, Trainer

Array = NDArray[np.float64]


def frozen_copy(array: ArrayLike, dtype: type[np.generic] = np.float64) -> NDArray[Any]:
    """A read-only copy of `array` as `dtype` (float64; np.intp for rows and classes)."""
    copy = np.array(array, dtype=dtype, copy=True)
    copy.flags.writeable = False
    return copy


def _finite(array: Array) -> bool:
    return bool(np.isfinite(array).all())


@dataclass(frozen=True)
class LayerState:
    """Layer m (1-based) at the snapshot's moment, for the pending batch (samples as rows).

    weights (N^m, N^(m-1)), biases (N^m,), weight_gradients / bias_gradients: dC/dW, dC/db.
    pre_activations, activations, deltas: z^m, a^m, dC_s/dz^m per sample, (batch, N^m).
    """

    index: int
    activation: str
    weights: Array
    biases: Array
    weight_gradients: Array
    bias_gradients: Array
    pre_activations: Array
    activations: Array
    deltas: Array


@dataclass(frozen=True)
class ProbeState:
    """One chosen sample (row of the training set) through the network.

    activations[m]: a^m for m = 0..L (a^0 is the input); pre_activations[m]: z^(m+1);
    deltas[m]: dC/dz^(m+1) of that sample's own cost.
    """

    row: int
    target: Array
    pre_activations: tuple[Array, ...]
    activations: tuple[Array, ...]
    deltas: tuple[Array, ...]


@dataclass(frozen=True)
class HistoryArrays:
    """Per-epoch records (one entry per kept epoch: see engine.training.epoch_history.History)."""

    epochs: Array
    steps: Array
    train_cost: Array
    test_cost: Array
    train_metric: Array
    test_metric: Array


@dataclass(frozen=True)
class GridOutputs:
    """The network over a grid spanning the 2-D input plane: one forward pass of every point.

    x (nx,), y (ny,) the grid lines (point [j, i] is (x[i], y[j])); values (ny, nx) the first
    output; classes (ny, nx) the predicted class index (classification) for decision regions.
    activations[m] (N^m, ny, nx): a^m_i at every grid point for m = 0..L, every neuron's map
    (activations[0] is what the network takes as its input a^0; activations[L][0] is values).
    """

    x: Array
    y: Array
    values: Array
    classes: NDArray[np.intp]
    activations: tuple[Array, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """Training between steps: the parameters, and the next batch's gradients and update.

    previous_params: the parameters before the last step, bit for bit (None before any).
    diverged: True only for a snapshot taken with take_snapshot(..., allow_nonfinite=True)
    of a state whose cost, parameters, gradient or update hold NaN or Inf.
    evaluation: train and test metrics at `params` (confusion matrices, or RMSE and R^2).
    gradient_norms: every layer's ||dC/dW^m|| over the run up to this step, as the training
    worker attaches it to the snapshots it sends (None otherwise, and for past steps rebuilt
    from the history).
    """

    step: int
    epoch: int
    sizes: tuple[int, ...]
    activation_names: tuple[str, ...]
    loss: str
    reduction: str
    task: str
    metric_name: str
    learning_rate: float
    params: Array
    gradient: Array
    update: Array
    previous_params: Array | None
    batch_rows: NDArray[np.intp]
    batch_inputs: Array
    batch_targets: Array
    cost: float
    per_sample_costs: Array
    scale: float
    layers: tuple[LayerState, ...]
    probe: ProbeState
    history: HistoryArrays
    grid: GridOutputs | None
    message: str = ""
    diverged: bool = False  # the cost or some parameter, gradient or update is NaN or Inf
    evaluation: DataEvaluation | None = None
    gradient_norms: GradientNorms | None = None

    @property
    def weights(self) -> list[Array]:
        return [layer.weights for layer in self.layers]

    @property
    def biases(self) -> list[Array]:
        return [layer.biases for layer in self.layers]

    @property
    def weight_gradients(self) -> list[Array]:
        return [layer.weight_gradients for layer in self.layers]

    @property
    def bias_gradients(self) -> list[Array]:
        return [layer.bias_gradients for layer in self.layers]


def grid_outputs(network: Network, x_range: tuple[float, float], y_range: tuple[float, float],
                 resolution: int = 60) -> GridOutputs:
    """One vectorised forward pass over a resolution x resolution grid of the input plane,
    keeping every layer's activations as neuron maps."""
    x = np.linspace(*x_range, resolution)
    y = np.linspace(*y_range, resolution)
    grid_x, grid_y = np.meshgrid(x, y)
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    forward = network.forward(points)
    activations = tuple(_neuron_maps(a, resolution) for a in forward.activations)
    outputs = forward.outputs
    if outputs.shape[1] == 1:
        classes = (outputs[:, 0] >= 0.5).astype(np.intp)
    else:
        classes = np.argmax(outputs, axis=1)
    return GridOutputs(
        frozen_copy(x), frozen_copy(y), activations[-1][0],
        frozen_copy(classes.reshape(resolution, resolution), np.intp), activations,
    )


def _neuron_maps(activations: Array, resolution: int) -> Array:
    """(points, N) activations over the grid as a read-only (N, ny, nx) copy, one map a row."""
    maps = np.array(activations.T, dtype=np.float64, order="C", copy=True)
    maps = maps.reshape(activations.shape[1], resolution, resolution)
    maps.flags.writeable = False
    return maps


def take_snapshot(
    trainer: Trainer,
    probe_row: int = 0,
    grid_resolution: int = 60,
    message: str = "",
    allow_nonfinite: bool = False,
    views: bool = True,
) -> Snapshot:
    """Copy everything a view may show. Raises DivergenceError if the next batch is not finite,
    unless `allow_nonfinite`: then a diverged state is copied as it is, NaN and Inf included,
    with `diverged` set (for display; NumPy's floating-point warnings are silenced).
    `views=False` leaves out the grid and the evaluation (see `with_views`)."""
    if allow_nonfinite:
        with np.errstate(**QUIET_FLOATING_POINT):
            return _take_snapshot(trainer, probe_row, grid_resolution, message, True, views)
    return _take_snapshot(trainer, probe_row, grid_resolution, message, False, views)


def _take_snapshot(trainer: Trainer, probe_row: int, grid_resolution: int, message: str,
                   allow_nonfinite: bool, views: bool) -> Snapshot:
    previous = trainer.last_batch  # read before pending_batch(), which makes a new BatchResult
    previous_params = None if previous is None else frozen_copy(previous.params_before)
    pending = trainer.pending_batch(allow_nonfinite)
    return build_snapshot(trainer, trainer.network, pending, trainer.learning_rate,
                          previous_params, probe_row, grid_resolution, message, views)


def with_views(snapshot: Snapshot, network: Network, data: DataSplit,
               grid_resolution: int = 60, evaluate: bool = True) -> Snapshot:
    """`snapshot` with the decision grid and the train/test evaluation at its parameters, as
    build_snapshot(views=True) makes them, bit for bit. `network` gives the architecture
    (its parameters are not used or changed); `data` is the trainer's split.

    The trainer process leaves these out of live snapshots (they cost more than a hundred
    training steps for a wide network) and the window adds them on its own core.
    `evaluate=False`: the grid only (evaluation None), for a frame the window draws without
    new metrics (gui/app/evaluation_pacing.py)."""
    at_params = network.with_params(np.array(snapshot.params))
    with np.errstate(**QUIET_FLOATING_POINT):  # a diverged snapshot's grid holds NaN
        return replace(snapshot, grid=_grid(at_params, data, grid_resolution),
                       evaluation=evaluate_split(at_params, data, at_params.loss(snapshot.loss),
                                                 snapshot.reduction) if evaluate else None)


def build_snapshot(
    trainer: Trainer,
    network: Network,
    batch: BatchResult,
    learning_rate: float,
    previous_params: Array | None,
    probe_row: int = 0,
    grid_resolution: int = 60,
    message: str = "",
    views: bool = True,
) -> Snapshot:
    """The Snapshot of `network` about to take the step `batch` (the one builder of Snapshots).

    `batch` holds the rows, inputs and targets, the forward and backward pass at
    `network.params` and the update; the Snapshot shows the moment before it (step
    batch.step - 1, epoch batch.epoch). The loss, reduction, task, metric, per-epoch history
    and the data (for the probe and the decision grid) are the trainer's. Every array is a
    fresh read-only copy; `previous_params` are kept as given (None before any step).
    `views=False`: no grid and no evaluation (None; `with_views` adds them).
    """
    params = frozen_copy(network.params)
    gradient = frozen_copy(batch.gradients.flat)
    update = frozen_copy(batch.update)
    cost = batch.gradients.cost
    return Snapshot(
        step=batch.step - 1,
        epoch=batch.epoch,
        sizes=network.sizes,
        activation_names=network.activations,
        loss=trainer.loss.name,
        reduction=trainer.reduction,
        task=trainer.task,
        metric_name=trainer.metric_name,
        learning_rate=learning_rate,
        params=params,
        gradient=gradient,
        update=update,
        previous_params=previous_params,
        batch_rows=frozen_copy(batch.rows, np.intp),
        batch_inputs=frozen_copy(batch.forward.activations[0]),  # a^0: the features, if any
        batch_targets=frozen_copy(batch.targets),
        cost=cost,
        per_sample_costs=frozen_copy(batch.gradients.per_sample_costs),
        scale=batch.gradients.scale,
        layers=_layer_states(network, params, gradient, batch),
        probe=_probe(network, trainer, probe_row),
        history=_history_arrays(trainer),
        grid=_grid(network, trainer.data, grid_resolution) if views else None,
        message=message,
        diverged=not (math.isfinite(cost) and _finite(params) and _finite(gradient)
                      and _finite(update)),
        evaluation=(evaluate_split(network, trainer.data, trainer.loss, trainer.reduction)
                    if views else None),
    )


def _layer_states(network: Network, params: Array, gradient: Array,
                  batch: BatchResult) -> tuple[LayerState, ...]:
    """Every layer's parameters (views of the frozen `params`, `gradient`) and batch caches."""
    weights, biases = parameter_views(params, network.sizes)
    weight_grads, bias_grads = parameter_views(gradient, network.sizes)
    forward, deltas = batch.forward, batch.gradients.deltas
    return tuple(
        LayerState(m + 1, network.activations[m], weights[m], biases[m], weight_grads[m],
                   bias_grads[m], frozen_copy(forward.pre_activations[m]),
                   frozen_copy(forward.activations[m + 1]), frozen_copy(deltas[m]))
        for m in range(network.depth)
    )


def _probe(network: Network, trainer: Trainer, row: int) -> ProbeState:
    """One training sample through `network` (its own cost, summed), as Snapshot.probe."""
    train = trainer.data.train
    row = min(max(row, 0), len(train) - 1)
    inputs, target = train.inputs[row : row + 1], train.targets[row : row + 1]
    forward: ForwardPass
    gradients: Gradients
    forward, gradients = network.gradients(inputs, target, trainer.loss, "sum")
    return ProbeState(
        row,
        frozen_copy(target[0]),
        tuple(frozen_copy(z[0]) for z in forward.pre_activations),
        tuple(frozen_copy(a[0]) for a in forward.activations),
        tuple(frozen_copy(d[0]) for d in gradients.deltas),
    )


def _history_arrays(trainer: Trainer) -> HistoryArrays:
    """The trainer's per-epoch records, as read-only arrays."""
    return HistoryArrays(*trainer.history.arrays())


def _grid(network: Network, data: DataSplit, resolution: int) -> GridOutputs | None:
    """The decision surface and neuron maps over the data's extent plus 10%, for data with
    two input features (else None)."""
    train, test = data.train, data.test
    if train.inputs.shape[1] != 2 or not len(train):
        return None
    points = np.vstack([train.inputs, test.inputs]) if len(test) else train.inputs
    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.1 * np.maximum(high - low, 1e-9)
    return grid_outputs(network, (float(low[0] - margin[0]), float(high[0] + margin[0])),
                        (float(low[1] - margin[1]), float(high[1] + margin[1])), resolution)
