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
    """Coefficient of determination, 1 - SS_res / SS_tot (nan when the targets are constant)."""
    if outputs.size == 0:
        return float("nan")  # before the mean: the mean of no rows warns
    total = float(np.sum((targets - targets.mean(axis=0)) ** 2))
    if total == 0.0:
        return float("nan")
    return 1.0 - float(np.sum((outputs - targets) ** 2)) / total


def confusion_matrix(outputs: Array, targets: Array, class_count: int) -> NDArray[np.int64]:
    """counts[true, predicted]."""
    counts = np.zeros((class_count, class_count), dtype=np.int64)
    np.add.at(counts, (predicted_classes(targets), predicted_classes(outputs)), 1)
    return counts
