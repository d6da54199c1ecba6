"""Input standardization: x' = (x - mean) / std per raw input column, ahead of the network.

The mean and standard deviation come from the training split only (the test rows must not
leak into what the network is trained on). A constant column has std 0; it is divided by 1
instead, so it becomes 0 rather than NaN. The network carries its Standardization
(engine/core/network.py), so every method taking inputs takes the RAW inputs, and weight files,
sessions, ONNX models and NumPy code carry the two vectors: an exported model gives the same
outputs for the same raw inputs as the window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.core.errors import ConfigError

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Standardization:
    """mean (d,) and std (d,): the divisor per column, always finite and > 0."""

    mean: Array
    std: Array

    def __post_init__(self) -> None:
        mean = np.array(self.mean, dtype=np.float64).reshape(-1)
        std = np.array(self.std, dtype=np.float64).reshape(-1)
        if mean.shape != std.shape or mean.size == 0:
            raise ConfigError(f"standardization needs one mean and one std per input column, "
                              f"got {mean.size} and {std.size}")
        if not np.all(np.isfinite(mean)):
            raise ConfigError("standardization: every mean must be a finite number")
        if not np.all(np.isfinite(std) & (std > 0.0)):
            raise ConfigError("standardization: every std must be a finite number > 0")
        mean.flags.writeable = False
        std.flags.writeable = False
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    @classmethod
    def fit(cls, inputs: Array) -> Standardization:
        """The mean and (population) standard deviation of each column of `inputs` (the
        training rows); a constant column's std is taken as 1."""
        mean = np.mean(inputs, axis=0)
        std = np.std(inputs, axis=0)
        std = np.where(np.isfinite(std) & (std > 0.0), std, 1.0)
        return cls(mean, std)

    @classmethod
    def from_lists(cls, mean: Sequence[float], std: Sequence[float]) -> Standardization:
        return cls(np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64))

    @property
    def width(self) -> int:
        return int(self.mean.size)

    def apply(self, inputs: Array) -> Array:
        """(inputs - mean) / std, a new array (the raw inputs are not changed)."""
        return (inputs - self.mean) / self.std

    def to_dict(self) -> dict[str, list[float]]:
        """{"mean": [...], "std": [...]} as plain floats (repr round-trips them exactly)."""
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Standardization) and np.array_equal(self.mean, other.mean)
                and np.array_equal(self.std, other.std))

    def __hash__(self) -> int:
        return hash((self.mean.tobytes(), self.std.tobytes()))


def read_standardization(value: object, width: int, where: str) -> Standardization:
    """A {"mean": [...], "std": [...]} object from a file, checked: ConfigError naming `where`."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be an object with mean and std")
    unknown = sorted(str(key) for key in value if key not in ("mean", "std"))
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown field (it holds mean and std)")
    vectors = []
    for key in ("mean", "std"):
        numbers = value.get(key)
        if not isinstance(numbers, list):
            raise ConfigError(f"{where}.{key} must be a list of numbers")
        if len(numbers) != width:
            raise ConfigError(f"{where}.{key} has {len(numbers)} numbers, but the network "
                              f"takes {width} inputs")
        for position, number in enumerate(numbers, start=1):
            if isinstance(number, bool) or not isinstance(number, int | float) \
                    or not math.isfinite(number):
                raise ConfigError(f"{where}.{key}, entry {position} is not a finite number")
            if key == "std" and number <= 0:
                raise ConfigError(f"{where}.std, entry {position} is {number}: every std must "
                                  "be > 0")
        vectors.append([float(number) for number in numbers])
    return Standardization.from_lists(vectors[0], vectors[1])
