"""Metrics on hand-computed examples."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from engine.core.initializers import initialize
from engine.core.metrics import (
    accuracy,
    confusion_matrix,
    correct_count,
    predicted_classes,
    r_squared,
    rmse,
)
from engine.core.network import Network
from engine.core.seeding import seed_streams
from engine.data.dataset import Dataset, DataSplit
from engine.training.evaluation import evaluate_split
from engine.training.snapshot import take_snapshot
from engine.training.trainer import Trainer


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
    # several outputs: the mean of each column's R^2, each column about its own mean
    targets = np.array([[1.0, 0.0], [3.0, 2.0]])  # column means 2, 1: SS_tot 2 and 2
    outputs = np.array([[1.0, 1.0], [3.0, 3.0]])  # SS_res 0 and 2: R^2 1 and 0
    assert r_squared(outputs, targets) == pytest.approx(0.5)
    outputs = np.array([[1.0, 0.0], [2.0, 2.0]])  # SS_res 1 and 0: R^2 0.5 and 1
    assert r_squared(outputs, targets) == pytest.approx(0.75)


def test_r_squared_leaves_constant_columns_out() -> None:
    targets = np.array([[1.0, 5.0], [3.0, 5.0]])  # second column constant: no R^2
    outputs = np.array([[1.0, 0.0], [2.0, 9.0]])  # first column: 1 - 1/2
    assert r_squared(outputs, targets) == pytest.approx(0.5)


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


def loop_confusion(outputs: np.ndarray, targets: np.ndarray, class_count: int) -> np.ndarray:
    """The confusion matrix one sample at a time, straight from the definitions."""
    counts = np.zeros((class_count, class_count), dtype=np.int64)
    for output, target in zip(outputs, targets, strict=True):
        if len(output) == 1:
            true, predicted = int(target[0] >= 0.5), int(output[0] >= 0.5)
        else:
            true, predicted = int(np.argmax(target)), int(np.argmax(output))
        counts[true, predicted] += 1
    return counts


def make_trainer(task: str, outputs: int, seed: int, train_rows: int = 37,
                 test_rows: int = 13) -> Trainer:
    """A small random network on random data (classification: one sigmoid or softmax)."""
    rng = np.random.default_rng(seed)
    rows = train_rows + test_rows
    inputs = rng.normal(size=(rows, 3))
    if task == "regression":
        targets, classes, activation, loss = rng.normal(size=(rows, outputs)), (), "linear", "mse"
    elif outputs == 1:
        targets = (rng.random((rows, 1)) < 0.5).astype(np.float64)
        classes, activation, loss = ("no", "yes"), "sigmoid", "bce"
    else:
        targets = np.eye(outputs)[rng.integers(0, outputs, rows)]
        classes = tuple(f"c{k}" for k in range(outputs))
        activation, loss = "softmax", "cross_entropy"
    target_names = tuple(f"t{k}" for k in range(outputs))
    data = Dataset(inputs, targets, task, ("x0", "x1", "x2"), target_names, classes)
    split = DataSplit(data.subset(np.arange(train_rows)),
                      data.subset(np.arange(train_rows, rows)))
    network = Network((3, 6, outputs), ["tanh", activation])
    initialize(network, "xavier", seed_streams(seed).init)
    network.params += rng.normal(scale=0.3, size=network.params.shape)  # varied predictions
    return Trainer(network, split, loss=loss, optimizer="sgd", learning_rate=0.1)


@pytest.mark.parametrize(("outputs", "class_count"), [(1, 2), (3, 3)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_evaluation_confusion_matrices_equal_a_loop(outputs: int, class_count: int,
                                                    seed: int) -> None:
    trainer = make_trainer("classification", outputs, seed)
    evaluation = evaluate_split(trainer.network, trainer.data)
    assert evaluation.class_names == trainer.data.train.class_names
    for metrics, dataset in ((evaluation.train, trainer.data.train),
                             (evaluation.test, trainer.data.test)):
        predictions = trainer.network.predict(dataset.inputs)
        expected = loop_confusion(predictions, dataset.targets, class_count)
        assert metrics.confusion is not None
        np.testing.assert_array_equal(metrics.confusion, expected)
        assert metrics.confusion.sum() == metrics.size == len(dataset)
        assert metrics.accuracy == pytest.approx(accuracy(predictions, dataset.targets))
        assert 0 < np.trace(expected) < len(dataset)  # the data tests something
        recalls = [expected[k, k] / expected[k].sum() if expected[k].sum() else math.nan
                   for k in range(class_count)]
        np.testing.assert_allclose(metrics.recalls, recalls)
        assert math.isnan(metrics.rmse) and math.isnan(metrics.r_squared)


@pytest.mark.parametrize("outputs", [1, 2])
def test_evaluation_regression_r_squared_is_the_direct_formula(outputs: int) -> None:
    trainer = make_trainer("regression", outputs, seed=3)
    evaluation = evaluate_split(trainer.network, trainer.data)
    for metrics, dataset in ((evaluation.train, trainer.data.train),
                             (evaluation.test, trainer.data.test)):
        predicted, targets = trainer.network.predict(dataset.inputs), dataset.targets
        per_output = [
            1.0 - sum((predicted[i, j] - targets[i, j]) ** 2 for i in range(len(targets)))
            / sum((targets[i, j] - targets[:, j].mean()) ** 2 for i in range(len(targets)))
            for j in range(outputs)
        ]
        assert metrics.r_squared == pytest.approx(sum(per_output) / outputs)
        squared = [(p - t) ** 2 for p, t in zip(predicted.ravel(), targets.ravel(), strict=True)]
        assert metrics.rmse == pytest.approx(math.sqrt(sum(squared) / len(squared)))
        assert metrics.confusion is None and metrics.size == len(dataset)
    assert evaluation.task == "regression" and evaluation.class_names == ()


def test_evaluation_without_a_test_set() -> None:
    trainer = make_trainer("classification", 3, seed=4, test_rows=0)
    evaluation = evaluate_split(trainer.network, trainer.data)
    assert evaluation.train.size == 37 and evaluation.train.confusion is not None
    assert evaluation.test.size == 0 and math.isnan(evaluation.test.accuracy)
    assert evaluation.test.confusion is not None
    np.testing.assert_array_equal(evaluation.test.confusion, np.zeros((3, 3)))


def test_snapshot_carries_read_only_metrics_at_its_parameters() -> None:
    trainer = make_trainer("classification", 3, seed=5)
    trainer.step()
    snapshot = take_snapshot(trainer)
    evaluation = snapshot.evaluation
    assert evaluation is not None
    for metrics, dataset in ((evaluation.train, trainer.data.train),
                             (evaluation.test, trainer.data.test)):
        assert metrics.confusion is not None and not metrics.confusion.flags.writeable
        with pytest.raises(ValueError):
            metrics.confusion[0, 0] = 99
        expected = loop_confusion(trainer.network.predict(dataset.inputs), dataset.targets, 3)
        np.testing.assert_array_equal(metrics.confusion, expected)


def test_evaluation_names_every_class() -> None:
    trainer = make_trainer("classification", 1, seed=6)
    unnamed = dataclasses.replace(trainer.data.train, class_names=())
    evaluation = evaluate_split(trainer.network, DataSplit(unnamed, trainer.data.test))
    assert evaluation.class_names == ("0", "1")
    assert evaluation.train.confusion is not None and evaluation.train.confusion.shape == (2, 2)
