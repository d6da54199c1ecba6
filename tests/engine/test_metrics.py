"""Metrics on hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.metrics import (
    accuracy,
    confusion_matrix,
    correct_count,
    predicted_classes,
    r_squared,
    rmse,
)


def test_predicted_classes_threshold_and_argmax() -> None:
    one_column = np.array([[0.49], [0.5], [0.9], [0.0]])
    np.testing.assert_array_equal(predicted_classes(one_column), [0, 1, 1, 0])
    several = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(predicted_classes(several), [1, 0, 2])


def test_accuracy_binary_and_multiclass() -> None:
    outputs = np.array([[0.9], [0.2], [0.6], [0.4]])
    targets = np.array([[1.0], [0.0], [0.0], [0.0]])
    assert correct_count(outputs, targets) == 3
    assert accuracy(outputs, targets) == 0.75
    outputs = np.array([[0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    targets = np.eye(3)[[1, 2, 2]]
    assert accuracy(outputs, targets) == pytest.approx(2 / 3)
    assert math.isnan(accuracy(np.zeros((0, 1)), np.zeros((0, 1))))


def test_rmse_over_every_sample_and_output() -> None:
    outputs = np.array([[1.0], [2.0], [3.0]])
    targets = np.array([[1.0], [1.0], [1.0]])
    assert rmse(outputs, targets) == pytest.approx(math.sqrt(5 / 3))
    outputs = np.array([[1.0, 2.0], [0.0, 0.0]])
    targets = np.array([[0.0, 0.0], [0.0, 2.0]])
    assert rmse(outputs, targets) == pytest.approx(math.sqrt((1 + 4 + 0 + 4) / 4))
    assert rmse(targets, targets) == 0.0
    assert math.isnan(rmse(np.zeros((0, 2)), np.zeros((0, 2))))


def test_r_squared() -> None:
    targets = np.array([[1.0], [2.0], [3.0]])
    # SS_res = 1, SS_tot = 2
    assert r_squared(np.array([[1.0], [2.0], [4.0]]), targets) == pytest.approx(0.5)
    assert r_squared(targets.copy(), targets) == 1.0
    # predicting the mean scores 0; worse than the mean is negative
    assert r_squared(np.full((3, 1), 2.0), targets) == pytest.approx(0.0)
    assert r_squared(np.array([[3.0], [2.0], [1.0]]), targets) == pytest.approx(-3.0)
    # several outputs: pooled, 1 - sum of squared residuals / sum over columns of SS_tot
    # (each column about its own mean, not the grand mean 1.5, which would give 1 - 2/5)
    targets = np.array([[1.0, 0.0], [3.0, 2.0]])  # column means 2, 1: SS_tot = 2 + 2 = 4
    assert r_squared(np.array([[1.0, 1.0], [3.0, 3.0]]), targets) == pytest.approx(0.5)


def test_r_squared_is_nan_when_undefined_without_warnings() -> None:
    assert math.isnan(r_squared(np.array([[1.0], [2.0]]), np.array([[3.0], [3.0]])))
    assert math.isnan(r_squared(np.zeros((0, 1)), np.zeros((0, 1))))


def test_confusion_matrix_counts_true_by_predicted() -> None:
    outputs = np.array([[0.9], [0.2], [0.6], [0.4], [0.7], [0.8]])
    targets = np.array([[1.0], [0.0], [0.0], [1.0], [1.0], [0.0]])
    np.testing.assert_array_equal(
        confusion_matrix(outputs, targets, 2),
        [[1, 2],   # true 0: one predicted 0, two predicted 1
         [1, 2]],  # true 1: one predicted 0, two predicted 1
    )
    # predicted 1, 0, 2, 1 for true 1, 2, 2, 0
    outputs = np.array([[0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1]])
    targets = np.eye(3)[[1, 2, 2, 0]]
    counts = confusion_matrix(outputs, targets, 3)
    np.testing.assert_array_equal(counts, [[0, 1, 0], [0, 1, 0], [1, 0, 1]])
    assert counts.sum() == 4 and np.trace(counts) == correct_count(outputs, targets) == 2
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(confusion_matrix(np.zeros((0, 3)), np.zeros((0, 3)), 3),
                                  np.zeros((3, 3)))
