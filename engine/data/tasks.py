"""Classes or numbers: what a dataset's targets are taken as, switching it, and saying so.

Detection (engine/data/csv_data.py applies it to a CSV's target column):
- a column with text in it: classes;
- one numeric column of whole numbers with at most MAX_DETECTED_CLASSES distinct values
  (as pandas and most exports write class labels, e.g. 0/1/2): classes named by the number;
- several numeric 0/1 columns with exactly one 1 per row: one-hot classes;
- anything else: regression.

`as_task` switches a loaded dataset to the other task without reading the file again
(classes named by numbers become those numbers; a numeric column with at most
MAX_CLASSES distinct values becomes classes). `for_output` encodes two classes for the output
layer: one 0/1 column (a sigmoid output) or two one-hot columns (two softmax outputs).
`describe` is the one line the CLI prints and the window shows about that decision.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from engine.core.errors import DatasetError
from engine.data.dataset import Dataset

Array = NDArray[np.float64]

MAX_DETECTED_CLASSES = 20  # whole-number labels up to this many distinct values are classes
MAX_CLASSES = 100  # at most this many classes when a numeric column is switched to classes
TASK_CHOICES: tuple[str, ...] = ("classification", "regression")


def class_name(value: float) -> str:
    """A numeric label as a class name: 2.0 -> "2", 0.5 -> "0.5" (repr: exact both ways)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def is_whole_number_labels(values: Array) -> bool:
    """One column of whole numbers with 2 to MAX_DETECTED_CLASSES distinct values."""
    if values.shape[1] != 1 or not bool(np.all(values == np.round(values))):
        return False
    return 2 <= len(np.unique(values)) <= MAX_DETECTED_CLASSES


def classes_from_values(values: Array, column: str
                        ) -> tuple[Array, tuple[str, ...], tuple[str, ...]]:
    """One numeric column (N, 1) as (targets, target_names, class_names): classes in numeric
    order, named by their number; 2 classes as one 0/1 column (1 = the second), K > 2 one-hot."""
    distinct, codes = np.unique(values[:, 0], return_inverse=True)
    names = tuple(class_name(value) for value in distinct)
    if len(names) == 2:
        return codes.astype(np.float64).reshape(-1, 1), (column,), names
    return (np.eye(len(names), dtype=np.float64)[codes],
            tuple(f"{column}={label}" for label in names), names)


def label_column(dataset: Dataset) -> str:
    """The target column's name as the file had it ("species" for "species=setosa", ...)."""
    names = dataset.target_names
    prefixes = {name.split("=", 1)[0] for name in names}
    if len(names) > 1 and len(prefixes) == 1 and all("=" in name for name in names):
        return prefixes.pop()
    return ", ".join(names)


def as_task(dataset: Dataset, task: str) -> Dataset:
    """`dataset` taken as `task` ("classification" or "regression"); itself if it already is.

    DatasetError, saying why and what to do, when the targets cannot be that: text labels
    as numbers, or more than MAX_CLASSES distinct values (or several non-one-hot columns) as
    classes.
    """
    if task not in TASK_CHOICES:
        raise DatasetError(f"unknown task {task!r} (use classification or regression)")
    if task == dataset.task:
        return dataset
    column = label_column(dataset)
    if task == "regression":
        values = _class_values(dataset)
        if values is None:
            shown = ", ".join(dataset.class_names[:4]) + (", …" if dataset.class_count > 4 else "")
            raise DatasetError(
                f"{column!r} holds class labels that are not numbers ({shown}): it can only "
                "be classes, not regression")
        return Dataset(dataset.inputs, values, "regression", dataset.feature_names,
                       (column,), (), dataset.name)
    if dataset.targets.shape[1] != 1:
        raise DatasetError(
            f"{dataset.targets.shape[1]} target columns are classes only when they are "
            "one-hot (0/1 with one 1 per row); these are not, so they stay regression")
    distinct = np.unique(dataset.targets[:, 0])
    if len(distinct) > MAX_CLASSES:
        raise DatasetError(
            f"{column!r} has {len(distinct)} distinct values: as classes that would be more "
            f"than {MAX_CLASSES}; it is a number to predict, so keep regression")
    if len(distinct) < 2:
        raise DatasetError(f"{column!r} has only one value ({class_name(distinct[0])}); "
                           "classification needs at least 2 classes")
    targets, target_names, class_names = classes_from_values(dataset.targets, column)
    return Dataset(dataset.inputs, targets, "classification", dataset.feature_names,
                   target_names, class_names, dataset.name)


def _class_values(dataset: Dataset) -> Array | None:
    """Each row's class as the number its name is, (N, 1); None if a name is not a number."""
    try:
        numbers = np.array([float(name) for name in dataset.class_names])
    except ValueError:
        return None
    if not np.all(np.isfinite(numbers)):
        return None
    return numbers[dataset.class_labels()].reshape(-1, 1)


def for_output(dataset: Dataset, output_activation: str) -> Dataset:
    """Two classes encoded for the output layer: two one-hot columns for a softmax output,
    one 0/1 column (the second class) otherwise; every other dataset as it is."""
    if dataset.task != "classification" or dataset.class_count != 2:
        return dataset
    columns = dataset.targets.shape[1]
    if output_activation == "softmax" and columns == 1:
        second = dataset.targets[:, 0]
        targets = np.column_stack([1.0 - second, second])
        column = label_column(dataset)
        names = tuple(f"{column}={label}" for label in dataset.class_names)
        return replace(dataset, targets=targets, target_names=names)
    if output_activation != "softmax" and columns == 2:
        column = label_column(dataset)
        return replace(dataset, targets=dataset.targets[:, 1:].copy(), target_names=(column,))
    return dataset


def describe(dataset: Dataset, output_activation: str, loss: str, outputs: int) -> str:
    """One line: what the targets were taken as and what fits them, e.g.
    "label: 3 classes (0, 1, 2) → softmax + cross-entropy"."""
    column = label_column(dataset)
    pair = f"{outputs} {output_activation} output{'s' * (outputs != 1)} + {_loss_name(loss)}"
    if dataset.task == "classification":
        names = dataset.class_names
        shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
        return f"{column}: {len(names)} classes ({shown}) → {pair}"
    low, high = float(np.min(dataset.targets)), float(np.max(dataset.targets))
    columns = dataset.targets.shape[1]
    what = "numbers" if columns == 1 else f"{columns} columns of numbers"
    return f"{column}: regression, {what} from {_short(low)} to {_short(high)} → {pair}"


def _loss_name(loss: str) -> str:
    return loss.replace("_", "-")


def _short(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)
