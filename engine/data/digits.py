"""The built-in `digits` dataset: 1,797 handwritten digits as 8 x 8 images, 10 classes.

The data is the test set of the UCI "Optical Recognition of Handwritten Digits" dataset
(E. Alpaydin, C. Kaynak, 1998; CC BY 4.0), as scikit-learn ships it
(`sklearn/datasets/data/digits.csv.gz`, copied once into `engine/data/digits.csv.gz`, package
data, so `pip install .` has it too): one row per image, 64 pixel counts 0..16 (row by row)
and the digit 0..9 last.

Pixels are divided by 16 so the inputs are in [0, 1]; targets are one-hot (softmax). Loading
needs NumPy only; the parsed file is kept after the first call. A damaged file is refused
with a DatasetError that names it and says what is wrong.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from engine.core.errors import DatasetError
from engine.data.dataset import Dataset
from engine.data.image_shape import pixel_names

DIGITS_PATH = Path(__file__).resolve().with_name("digits.csv.gz")  # package data: installed too
DIGITS_SHAPE = (8, 8)
DIGITS_SAMPLES = 1797
DIGITS_CLASSES = 10
MAX_PIXEL = 16


@lru_cache(maxsize=2)
def read_digits(path: Path = DIGITS_PATH) -> NDArray[np.float64]:
    """The file's rows as a read-only (1797, 65) float64 array, checked."""
    try:
        with gzip.open(path, "rt", encoding="ascii") as stream:
            table = np.loadtxt(stream, delimiter=",", dtype=np.float64, ndmin=2)
    except FileNotFoundError:
        raise DatasetError(f"{path}: the digits data file is missing (it ships with "
                           "Deltascope in engine/data; reinstall to restore it)") from None
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: the digits data file is damaged ({error})") from None
    pixels = DIGITS_SHAPE[0] * DIGITS_SHAPE[1]
    if table.shape != (DIGITS_SAMPLES, pixels + 1):
        raise DatasetError(f"{path}: the digits data file is damaged: {table.shape[0]} rows of "
                           f"{table.shape[1]} numbers, expected {DIGITS_SAMPLES} of {pixels + 1}")
    whole = np.all(table == np.round(table), axis=1)
    in_range = np.all((table[:, :pixels] >= 0) & (table[:, :pixels] <= MAX_PIXEL), axis=1)
    labels = table[:, pixels]
    bad = np.flatnonzero(~whole | ~in_range | (labels < 0) | (labels >= DIGITS_CLASSES))
    if bad.size:
        raise DatasetError(f"{path}: the digits data file is damaged: line {bad[0] + 1} has a "
                           f"value that is not a pixel count 0..{MAX_PIXEL} or a digit 0..9")
    if np.unique(labels).size != DIGITS_CLASSES:
        raise DatasetError(f"{path}: the digits data file is damaged: some digit has no image")
    table.flags.writeable = False
    return table


def make_digits(samples: int, rng: np.random.Generator, path: Path = DIGITS_PATH) -> Dataset:
    """`samples` of the 1,797 images (all by default), in an order drawn from `rng`."""
    if samples > DIGITS_SAMPLES:
        raise DatasetError(f"dataset 'digits': samples must be at most {DIGITS_SAMPLES}, "
                           f"got {samples}")
    table = read_digits(path)
    rows = rng.permutation(DIGITS_SAMPLES)[:samples]
    pixels = DIGITS_SHAPE[0] * DIGITS_SHAPE[1]
    inputs = np.ascontiguousarray(table[rows, :pixels] / MAX_PIXEL)
    labels = table[rows, pixels].astype(np.intp)
    targets = np.eye(DIGITS_CLASSES, dtype=np.float64)[labels]
    class_names = tuple(str(digit) for digit in range(DIGITS_CLASSES))
    return Dataset(inputs, targets, "classification", pixel_names(DIGITS_SHAPE),
                   tuple(f"digit={name}" for name in class_names), class_names, "digits",
                   DIGITS_SHAPE)
