"""Metrics reported beside the cost: accuracy for classification, RMSE and R^2 for regression."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def predicted_classes(outputs: Array) -> NDArray[np.intp]:
    """Class index per sample: threshold 0.5 for one output, argmax for several."""
    if outputs.shape[1] == 1:
        return (outputs[:, 0] >= 0.5).astype(np.intp)
    return np.argmax(outputs, axis=1)


def correct_count(outputs: Array, targets: Array) -> int:
    """How many samples are classified right."""
    return int(np.count_nonzero(predicted_classes(outputs) == predicted_classes(targets)))


def accuracy(outputs: Array, targets: Array) -> float:
    """Fraction of samples classified right (nan for an empty set)."""
    if len(outputs) == 0:
        return float("nan")
    return correct_count(outputs, targets) / len(outputs)


def rmse(outputs: Array, targets: Array) -> float:
    """Root mean squared error over every sample and output."""
    if outputs.size == 0:
        return float("nan")
    return float(np.sqrt(np.mean((outputs - targets) ** 2)))


def r_squared(outputs: Array, targets: Array) -> float:
    """Coefficient of determination, averaged over the outputs (columns).

    For each output column j: R^2_j = 1 - SS_res_j / SS_tot_j, with SS_res_j the sum of squared
    residuals and SS_tot_j the sum of squared deviations of the targets from their own mean.
    A column whose targets are constant (SS_tot_j = 0) has no R^2 and is left out of the
    average; the result is nan when every column is constant or there are no samples.
    """
    if outputs.size == 0:
        return float("nan")  # before the mean: the mean of no rows warns
    total = np.sum((targets - targets.mean(axis=0)) ** 2, axis=0)
    defined = total > 0.0
    if not defined.any():
        return float("nan")
    residual = np.sum((outputs - targets) ** 2, axis=0)
    return float(np.mean(1.0 - residual[defined] / total[defined]))


def confusion_matrix(outputs: Array, targets: Array, class_count: int) -> NDArray[np.int64]:
    """counts[true, predicted]: how many samples of each true class got each predicted class."""
    return confusion_from_labels(predicted_classes(targets), predicted_classes(outputs),
                                 class_count)


def confusion_from_labels(true_labels: NDArray[np.intp], predicted_labels: NDArray[np.intp],
                          class_count: int) -> NDArray[np.int64]:
    """counts[true, predicted] from class indices in [0, class_count), one bincount."""
    flat = np.bincount(true_labels * class_count + predicted_labels,
                       minlength=class_count * class_count)
    return flat.astype(np.int64, copy=False).reshape(class_count, class_count)
