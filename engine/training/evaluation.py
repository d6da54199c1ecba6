"""Train and test metrics at one set of parameters, for the Snapshot and the metrics panel.

One vectorised forward pass over the training and test inputs together gives:
- classification: a K x K confusion matrix per set (counts; rows = true class, columns =
  predicted class, as engine.core.metrics.predicted_classes defines it: threshold 0.5 for one
  sigmoid output, so K = 2, else argmax), and the accuracy (trace / total);
- regression: RMSE and R^2 per set (engine.core.metrics.rmse, engine.core.metrics.r_squared).
It runs for every frame the worker sends, so it does nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from engine.core.losses import Loss, reduction_scale
from engine.core.metrics import confusion_from_labels, predicted_classes, r_squared, rmse
from engine.core.network import Network
from engine.data.dataset import Dataset, DataSplit
from engine.training.trainer import QUIET_FLOATING_POINT

Array = NDArray[np.float64]
Counts = NDArray[np.int64]


@dataclass(frozen=True)
class SetMetrics:
    """Metrics of one set (train or test) at the snapshot's parameters.

    size: number of samples. confusion: counts[true, predicted], (K, K) int64, read-only
    (None for regression). accuracy: trace / size (classification, nan for an empty set).
    rmse, r_squared: regression only (nan for classification or an empty set).
    cost: the set's cost at these parameters, its per-sample costs reduced as the training
    cost is (mean, or sum over the set); nan when evaluated without a loss or for no samples.
    predicted: the predicted class of every sample, in the set's order, read-only
    (classification; None otherwise): the data view marks mistakes with it.
    """

    size: int
    confusion: Counts | None = None
    accuracy: float = math.nan
    rmse: float = math.nan
    r_squared: float = math.nan
    cost: float = math.nan
    predicted: NDArray[np.intp] | None = None

    @property
    def recalls(self) -> Array:
        """Per true class: correct / samples of that class (nan for a class with none)."""
        if self.confusion is None:
            return np.zeros(0)
        totals = self.confusion.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diagonal(self.confusion) / totals


@dataclass(frozen=True)
class DataEvaluation:
    """Train and test metrics. class_names: one per class (K), in target order (the class
    index where the data names none); empty for regression."""

    task: str
    class_names: tuple[str, ...]
    train: SetMetrics
    test: SetMetrics


def _frozen_counts(counts: Counts) -> Counts:
    frozen = np.array(counts, dtype=np.int64, copy=True)
    frozen.flags.writeable = False
    return frozen


def evaluate_split(network: Network, data: DataSplit, loss: Loss | None = None,
                   reduction: str = "mean") -> DataEvaluation:
    """Metrics of `network` on the train and test sets, from one forward pass over both;
    with `loss`, each set's cost too."""
    with np.errstate(**QUIET_FLOATING_POINT):  # display only
        return _evaluate_split(network, data, loss, reduction)


def _evaluate_split(network: Network, data: DataSplit, loss: Loss | None,
                    reduction: str) -> DataEvaluation:
    train, test = data.train, data.test
    inputs = np.vstack([train.inputs, test.inputs]) if len(test) else train.inputs
    forward = network.forward(inputs)
    outputs = forward.outputs
    train_outputs, test_outputs = outputs[: len(train)], outputs[len(train) :]
    costs = (math.nan, math.nan)
    if loss is not None:
        targets = np.vstack([train.targets, test.targets]) if len(test) else train.targets
        per_sample = loss.per_sample(forward.pre_activations[-1], outputs, targets)
        costs = (_set_cost(per_sample[: len(train)], reduction),
                 _set_cost(per_sample[len(train) :], reduction))
    if train.task == "classification":
        class_count = 2 if outputs.shape[1] == 1 else outputs.shape[1]
        measure = _classification_metrics
        return DataEvaluation(
            train.task, _class_names(train, class_count),
            replace(measure(train_outputs, train, class_count), cost=costs[0]),
            replace(measure(test_outputs, test, class_count), cost=costs[1]))
    return DataEvaluation(train.task, (),
                          replace(_regression_metrics(train_outputs, train), cost=costs[0]),
                          replace(_regression_metrics(test_outputs, test), cost=costs[1]))


def _set_cost(per_sample: Array, reduction: str) -> float:
    """A set's cost as the trainer reports it (engine.training.trainer: sum times the reduction's
    scale over the set's size); nan for an empty set."""
    if not len(per_sample):
        return math.nan
    return float(per_sample.sum() * reduction_scale(reduction, len(per_sample)))


def _class_names(dataset: Dataset, class_count: int) -> tuple[str, ...]:
    """K names: the dataset's, with the class index for any it does not name."""
    names = dataset.class_names[:class_count]
    return names + tuple(str(k) for k in range(len(names), class_count))


def _classification_metrics(outputs: Array, dataset: Dataset, class_count: int) -> SetMetrics:
    predicted = np.array(predicted_classes(outputs), dtype=np.intp)
    counts = confusion_from_labels(dataset.class_labels(), predicted, class_count)
    size = len(dataset)
    accuracy = float(np.trace(counts)) / size if size else math.nan
    predicted.flags.writeable = False
    return SetMetrics(size, _frozen_counts(counts), accuracy=accuracy, predicted=predicted)


def _regression_metrics(outputs: Array, dataset: Dataset) -> SetMetrics:
    return SetMetrics(len(dataset), rmse=rmse(outputs, dataset.targets),
                      r_squared=r_squared(outputs, dataset.targets))
