"""The dataset container shared by the generators, the CSV loader and the trainer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.core.errors import DatasetError

Array = NDArray[np.float64]

TASKS: tuple[str, ...] = ("classification", "regression")


@dataclass(frozen=True)
class Dataset:
    """Samples as rows.

    inputs:  (N, d) features.
    targets: (N, k) targets. Classification: one column of 0/1 for two classes, else one
             one-hot column per class. Regression: real values.
    class_names: the name of each class (classification), in target order; empty for regression.
    image_shape: (rows, columns) when the inputs are the pixels of an image, row-major
             (engine/data/image_shape.py); None for other data.
    """

    inputs: Array
    targets: Array
    task: str
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    class_names: tuple[str, ...] = ()
    name: str = ""
    image_shape: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise DatasetError(f"unknown task {self.task!r}")
        if self.inputs.ndim != 2 or self.targets.ndim != 2:
            raise DatasetError("inputs and targets must be 2-D (samples as rows)")
        if self.inputs.shape[0] != self.targets.shape[0]:
            raise DatasetError(
                f"{self.inputs.shape[0]} input rows but {self.targets.shape[0]} target rows"
            )
        if len(self.feature_names) != self.inputs.shape[1]:
            raise DatasetError("one feature name is needed per input column")
        if len(self.target_names) != self.targets.shape[1]:
            raise DatasetError("one target name is needed per target column")
        if self.image_shape is not None:
            rows, columns = self.image_shape
            if rows * columns != self.inputs.shape[1]:
                raise DatasetError(f"an image of {rows}x{columns} pixels needs "
                                   f"{rows * columns} input columns, not {self.inputs.shape[1]}")

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def class_count(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.class_names)

    def subset(self, indices: NDArray[np.intp]) -> Dataset:
        """The rows at `indices`, in that order."""
        return Dataset(
            self.inputs[indices], self.targets[indices], self.task,
            self.feature_names, self.target_names, self.class_names, self.name,
            self.image_shape,
        )

    def class_labels(self) -> NDArray[np.intp]:
        """Class index of every sample (classification only)."""
        if self.targets.shape[1] == 1:
            return (self.targets[:, 0] >= 0.5).astype(np.intp)
        return np.argmax(self.targets, axis=1)


@dataclass(frozen=True)
class DataSplit:
    """A dataset divided into a training part and a held-out test part."""

    train: Dataset
    test: Dataset


def split_dataset(
    dataset: Dataset, test_ratio: float, rng: np.random.Generator | None = None
) -> DataSplit:
    """Hold out round(test_ratio * N) samples for testing.

    With an rng the rows are shuffled first; without one the first rows train and the
    last rows test, in file order.
    """
    if not 0.0 <= test_ratio < 1.0:
        raise DatasetError(f"the test ratio must be in [0, 1), got {test_ratio}")
    count = len(dataset)
    order = rng.permutation(count) if rng is not None else np.arange(count)
    test_count = int(round(test_ratio * count))
    if count - test_count < 1:
        raise DatasetError(f"no training samples left: {count} rows, test ratio {test_ratio}")
    train_rows, test_rows = order[: count - test_count], order[count - test_count :]
    return DataSplit(dataset.subset(train_rows), dataset.subset(test_rows))
