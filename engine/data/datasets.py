"""Built-in 2-D datasets: the XOR truth table, TensorFlow Playground's generators, and more.

The Playground generators (tensorflow/playground, src/dataset.ts) are reproduced with their
coordinate ranges, class geometry and noise semantics, vectorised and driven only by the
given `numpy.random.Generator`, so the same seed gives bit-identical data:

- noise is Playground's number, 0..0.5 (its UI shows it as 0..50 %); anything outside is
  refused (engine/data/learnability.py), so a percentage such as 25 is not silently taken as
  50 times the largest noise. What it does depends on the dataset:
  "xor-quadrants", "circle", "reg-plane", "reg-gauss": the label is computed at the point
  moved by uniform(-r, r) * noise on each axis (r = 5, 5, 6, 6); the point itself is not
  moved, so noise shows as mislabelled points near the boundary.
  "gauss": the variance of both Gaussians is 0.5 + 7 * noise (0.5 at 0, 4 at 0.5).
  "spiral", "spiral3": each coordinate moves by uniform(-1, 1) * noise.
  "moons": each coordinate moves by a normal draw with standard deviation `noise` in
  units of the moon radius (sklearn's make_moons meaning), before scaling to [-5, 5].
- Playground's labels -1/+1 become targets 0/1 (class "1" is Playground's positive,
  orange-vs-blue class); regression targets keep Playground's real range.
- Playground gives each class numSamples / 2 points (one extra when odd); here the classes
  get samples // 2 and samples - samples // 2, so the total is exactly `samples`.
- As Playground does after generating, the rows are shuffled (with the same generator), so
  a split without shuffling still sees every class. "xor" is the exception: its 4 rows stay
  in truth-table order.

"digits" is not generated: it is the UCI handwritten digits as 8 x 8 images (engine/data/digits.py),
`samples` of its 1,797 rows in an order drawn from the generator; noise does not apply.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.core.errors import DatasetError
from engine.data.dataset import Dataset
from engine.data.digits import DIGITS_SAMPLES, make_digits
from engine.data.learnability import noise_problems, samples_problems

Array = NDArray[np.float64]
Generator = Callable[[int, float, np.random.Generator], Dataset]

DATASET_NAMES: tuple[str, ...] = (
    "xor", "xor-quadrants", "circle", "gauss", "spiral", "moons", "spiral3",
    "reg-plane", "reg-gauss", "digits",
)

FEATURE_NAMES: tuple[str, ...] = ("x1", "x2")
TARGET_NAME = "y"
BINARY_CLASSES: tuple[str, ...] = ("0", "1")


@dataclass(frozen=True)
class DatasetInfo:
    """What a built-in dataset is: its task, default size and noise, one-line description.

    Settings that suit it, where they differ from the usual ones (None: the usual):
    test_ratio, hidden (hidden layer sizes), batch_size, learning_rate, l2 (an L2
    regularization rate). noise_applies: False when the noise setting means nothing for it.
    """

    name: str
    task: str
    default_samples: int
    default_noise: float
    description: str
    test_ratio: float | None = None
    hidden: tuple[int, ...] | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    l2: float | None = None
    noise_applies: bool = True


DATASET_INFO: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo("xor", "classification", 4, 0.0,
                    "The 4 rows of the XOR truth table; samples and noise are ignored."),
        DatasetInfo("xor-quadrants", "classification", 500, 0.0,
                    "Playground XOR: points in [-5.3, 5.3]^2, class 1 where x1 * x2 >= 0."),
        DatasetInfo("circle", "classification", 500, 0.0,
                    "Playground circle: class 1 inside radius 2.5, class 0 in a ring 3.5..5."),
        DatasetInfo("gauss", "classification", 500, 0.0,
                    "Playground two Gaussians: class 1 around (2, 2), class 0 around (-2, -2)."),
        DatasetInfo("spiral", "classification", 500, 0.0,
                    "Playground spiral: two interleaved arms of radius 5."),
        DatasetInfo("moons", "classification", 500, 0.1,
                    "Two interleaving half circles (like sklearn make_moons), x1 in [-5, 5]."),
        DatasetInfo("spiral3", "classification", 600, 0.0,
                    "Three interleaved spiral arms of radius 5, one-hot targets (softmax)."),
        DatasetInfo("reg-plane", "regression", 1200, 0.0,
                    "Playground plane: y = (x1 + x2) / 10 on [-6, 6]^2."),
        DatasetInfo("reg-gauss", "regression", 1200, 0.0,
                    "Playground multi-Gaussian: six +/- bumps of radius 2, y in [-1, 1]."),
        DatasetInfo("digits", "classification", DIGITS_SAMPLES, 0.0,
                    "UCI handwritten digits: 8x8 images (pixels 0..1), 10 classes (softmax).",
                    test_ratio=0.25, hidden=(32,), batch_size=32, learning_rate=0.01,
                    l2=0.001, noise_applies=False),
    )
}


def _class_counts(samples: int, classes: int) -> list[int]:
    """Split `samples` into `classes` near-equal counts that add up exactly."""
    return [samples // classes + (1 if index < samples % classes else 0)
            for index in range(classes)]


def _classification(
    inputs: Array, labels: NDArray[np.intp], classes: int, name: str, rng: np.random.Generator
) -> Dataset:
    """Shuffle rows and wrap class indices as 0/1 (two classes) or one-hot targets."""
    order = rng.permutation(len(labels))
    inputs, labels = inputs[order], labels[order]
    if classes == 2:
        targets = labels.astype(np.float64).reshape(-1, 1)
        return Dataset(np.ascontiguousarray(inputs), targets, "classification", FEATURE_NAMES,
                       (TARGET_NAME,), BINARY_CLASSES, name)
    targets = np.eye(classes, dtype=np.float64)[labels]
    class_names = tuple(str(index) for index in range(classes))
    target_names = tuple(f"{TARGET_NAME}={label}" for label in class_names)
    return Dataset(np.ascontiguousarray(inputs), targets, "classification", FEATURE_NAMES,
                   target_names, class_names, name)


def _regression(inputs: Array, values: Array, name: str) -> Dataset:
    """Wrap real targets (already in random order) as a regression dataset."""
    return Dataset(inputs, values.reshape(-1, 1).astype(np.float64), "regression",
                   FEATURE_NAMES, (TARGET_NAME,), (), name)


def _uniform_points(count: int, low: float, high: float, rng: np.random.Generator) -> Array:
    """`count` points drawn uniformly from the square [low, high]^2, shape (count, 2)."""
    return rng.uniform(low, high, size=(count, 2))


def _xor(samples: int, noise: float, rng: np.random.Generator) -> Dataset:
    """The truth table ((0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0); no randomness."""
    inputs = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    targets = np.array([[0.0], [1.0], [1.0], [0.0]])
    return Dataset(inputs, targets, "classification", FEATURE_NAMES, (TARGET_NAME,),
                   BINARY_CLASSES, "xor")


def _xor_quadrants(samples: int, noise: float, rng: np.random.Generator) -> Dataset:
    """Playground classifyXORData: uniform in [-5, 5]^2, pushed 0.3 away from both axes."""
    padding = 0.3
    points = _uniform_points(samples, -5.0, 5.0, rng)
    points = points + np.where(points > 0, padding, -padding)
    label_points = points + _uniform_points(samples, -5.0, 5.0, rng) * noise
    labels = (label_points[:, 0] * label_points[:, 1] >= 0).astype(np.intp)
    return _classification(points, labels, 2, "xor-quadrants", rng)


def _circle(samples: int, noise: float, rng: np.random.Generator) -> Dataset:
    """Playground classifyCircleData: a disc of radius 2.5 inside a ring from 3.5 to 5."""
    radius = 5.0
    inside, outside = _class_counts(samples, 2)
    distance = np.concatenate([rng.uniform(0.0, 0.5 * radius, inside),
                               rng.uniform(0.7 * radius, radius, outside)])
    angle = rng.uniform(0.0, 2.0 * math.pi, samples)
    points = np.column_stack([distance * np.sin(angle), distance * np.cos(angle)])
    label_points = points + _uniform_points(samples, -radius, radius, rng) * noise
    labels = (np.hypot(label_points[:, 0], label_points[:, 1]) < 0.5 * radius).astype(np.intp)
    return _classification(points, labels, 2, "circle", rng)


def _gauss(samples: int, noise: float, rng: np.random.Generator) -> Dataset:
    """Playground classifyTwoGaussData: class 1 at (2, 2), class 0 at (-2, -2)."""
    variance = 0.5 + noise * (4.0 - 0.5) / 0.5
    positive, negative = _class_counts(samples, 2)
    centres = np.repeat(np.array([[2.0, 2.0], [-2.0, -2.0]]), [positive, negative], axis=0)
    points = centres + math.sqrt(variance) * rng.standard_normal((samples, 2))
    labels = np.repeat(np.array([1, 0], dtype=np.intp), [positive, negative])
    return _classification(points, labels, 2, "gauss", rng)


def _spiral_arms(
    samples: int, noise: float, arm_offsets: list[float], rng: np.random.Generator
) -> tuple[Array, NDArray[np.intp]]:
    """Playground's spiral arm: r = 5 i/n, angle = 1.75 * 2 pi i/n + offset, uniform jitter."""
    counts = _class_counts(samples, len(arm_offsets))
    fraction = np.concatenate([np.arange(count) / count for count in counts])
    offset = np.repeat(np.array(arm_offsets), counts)
    distance = 5.0 * fraction
    angle = 1.75 * 2.0 * math.pi * fraction + offset
    points = np.column_stack([distance * np.sin(angle), distance * np.cos(angle)])
    points = points + rng.uniform(-1.0, 1.0, size=(samples, 2)) * noise
    labels = np.repeat(np.arange(len(arm_offsets), dtype=np.intp), counts)
    return points, labels


def _spiral(samples: int, noise: float, rng: np.random.Generator) -> Dataset:
    """Playground classifySpiralData: class 1 starts at angle 0, class 0 at angle pi."""
    points, arm = _spiral_arms(samples, noise, [0.0, math.pi], rng)
    return _classification(points, 1 - arm, 2, "spiral", rng)


def _spiral3(samples: int, noise: float, rng: np.random.Generator) -> Dataset:
    """Three Playground-style spiral arms 2 pi / 3 apart; class k is arm k."""
    offsets = [2.0 * math.pi * arm / 3.0 for arm in range(3)]
    points, labels = _spiral_arms(samples, noise, offsets, rng)
    return _classification(points, labels, 3, "spiral3", rng)


def _moons(samples: int, noise: float, rng: np.random.Generator) -> Dataset:
    """Two half circles of radius 1 (sklearn make_moons geometry), scaled by 10/3 and centred.

    Class 0 is the upper moon, class 1 the lower one; x1 spans [-5, 5], x2 [-2.5, 2.5].
    """
    upper, lower = _class_counts(samples, 2)
    angle = rng.uniform(0.0, math.pi, samples)
    is_lower = np.repeat(np.array([False, True]), [upper, lower])
    x = np.where(is_lower, 1.0 - np.cos(angle), np.cos(angle))
    y = np.where(is_lower, 0.5 - np.sin(angle), np.sin(angle))
    points = np.column_stack([x, y]) + noise * rng.standard_normal((samples, 2))
    points = (points - np.array([0.5, 0.25])) * (10.0 / 3.0)
    return _classification(points, is_lower.astype(np.intp), 2, "moons", rng)


def _reg_plane(samples: int, noise: float, rng: np.random.Generator) -> Dataset:
    """Playground regressPlane: y = (x1 + x2) / 10 at the noise-moved point, in [-6, 6]^2."""
    radius = 6.0
    points = _uniform_points(samples, -radius, radius, rng)
    label_points = points + _uniform_points(samples, -radius, radius, rng) * noise
    return _regression(points, label_points.sum(axis=1) / 10.0, "reg-plane")


_BUMPS = np.array([[-4.0, 2.5, 1.0], [0.0, 2.5, -1.0], [4.0, 2.5, 1.0],
                   [-4.0, -2.5, -1.0], [0.0, -2.5, 1.0], [4.0, -2.5, -1.0]])


def _reg_gauss(samples: int, noise: float, rng: np.random.Generator) -> Dataset:
    """Playground regressGaussian: sign * max(0, 1 - dist / 2) of the strongest bump."""
    radius = 6.0
    points = _uniform_points(samples, -radius, radius, rng)
    label_points = points + _uniform_points(samples, -radius, radius, rng) * noise
    distance = np.hypot(label_points[:, :1] - _BUMPS[:, 0], label_points[:, 1:] - _BUMPS[:, 1])
    bumps = _BUMPS[:, 2] * np.clip(1.0 - distance / 2.0, 0.0, 1.0)
    # Playground keeps the first bump with the largest |value|; argmax also picks the first.
    strongest = np.argmax(np.abs(bumps), axis=1)
    values = bumps[np.arange(samples), strongest] + 0.0  # + 0.0 turns -0.0 into 0.0
    return _regression(points, values, "reg-gauss")


_GENERATORS: dict[str, Generator] = {
    "xor": _xor, "xor-quadrants": _xor_quadrants, "circle": _circle, "gauss": _gauss,
    "spiral": _spiral, "moons": _moons, "spiral3": _spiral3, "reg-plane": _reg_plane,
    "reg-gauss": _reg_gauss, "digits": lambda samples, noise, rng: make_digits(samples, rng),
}


def make_dataset(
    name: str,
    samples: int | None = None,
    noise: float | None = None,
    rng: np.random.Generator | None = None,
) -> Dataset:
    """Generate the built-in dataset `name` with `samples` rows and Playground noise `noise`.

    None means the dataset's default (see DATASET_INFO); rng None means default_rng(0).
    Raises DatasetError for an unknown name, samples < 1, or noise outside 0..0.5.
    """
    if name not in _GENERATORS:
        raise DatasetError(
            f"unknown dataset {name!r}; the built-in datasets are: {', '.join(DATASET_NAMES)}"
        )
    info = DATASET_INFO[name]
    count = info.default_samples if samples is None else samples
    if isinstance(count, bool) or not isinstance(count, int | np.integer):
        raise DatasetError(f"dataset {name!r}: samples must be a whole number, got {count!r}")
    for problem in samples_problems(int(count)):
        raise DatasetError(f"dataset {name!r}: {problem}")
    level = info.default_noise if noise is None else noise
    try:
        level = float(level)
    except (TypeError, ValueError):
        raise DatasetError(f"dataset {name!r}: noise must be a number, got {level!r}") from None
    for problem in noise_problems(level):
        raise DatasetError(f"dataset {name!r}: {problem}")
    return _GENERATORS[name](int(count), level, np.random.default_rng(0) if rng is None else rng)
