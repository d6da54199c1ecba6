"""Built-in datasets: shapes, tasks, targets, coordinate ranges, noise and determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.core.errors import DatasetError
from engine.data.dataset import Dataset
from engine.data.datasets import DATASET_INFO, DATASET_NAMES, DatasetInfo, make_dataset

GENERATED = [name for name in DATASET_NAMES if name != "xor"]
NOISY = [name for name in GENERATED if name != "digits"]  # digits: fixed images, no noise
TWO_CLASS = ["xor-quadrants", "circle", "gauss", "spiral", "moons"]
REGRESSION = ["reg-plane", "reg-gauss"]


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_every_name_has_info() -> None:
    assert set(DATASET_INFO) == set(DATASET_NAMES)
    assert len(DATASET_NAMES) == 10
    for name, info in DATASET_INFO.items():
        assert isinstance(info, DatasetInfo)
        assert info.name == name
        assert info.task in ("classification", "regression")
        assert info.default_samples >= 1 and info.default_noise >= 0.0
        assert info.description


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_defaults_match_info(name: str) -> None:
    info = DATASET_INFO[name]
    dataset = make_dataset(name)
    assert isinstance(dataset, Dataset)
    assert dataset.name == name
    assert dataset.task == info.task
    assert len(dataset) == info.default_samples
    if name == "digits":  # the one built-in that is not 2-D: 8 x 8 images
        assert dataset.image_shape == (8, 8) and len(dataset.feature_names) == 64
    else:
        assert dataset.feature_names == ("x1", "x2") and dataset.image_shape is None
    assert dataset.inputs.dtype == np.float64 and dataset.targets.dtype == np.float64
    assert np.all(np.isfinite(dataset.inputs)) and np.all(np.isfinite(dataset.targets))


def test_xor_is_the_truth_table() -> None:
    dataset = make_dataset("xor", samples=500, noise=0.4, rng=rng(7))
    np.testing.assert_array_equal(dataset.inputs, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(dataset.targets, [[0], [1], [1], [0]])
    assert dataset.task == "classification"
    assert dataset.class_names == ("0", "1")
    assert dataset.target_names == ("y",)


@pytest.mark.parametrize("name", TWO_CLASS)
@pytest.mark.parametrize("samples", [1, 2, 7, 200])
def test_two_class_targets(name: str, samples: int) -> None:
    dataset = make_dataset(name, samples=samples, noise=0.2, rng=rng(1))
    assert dataset.inputs.shape == (samples, 2)
    assert dataset.targets.shape == (samples, 1)
    assert set(np.unique(dataset.targets)) <= {0.0, 1.0}
    assert dataset.class_names == ("0", "1")
    assert dataset.task == "classification"


@pytest.mark.parametrize("name", TWO_CLASS)
def test_two_class_balanced_without_noise(name: str) -> None:
    dataset = make_dataset(name, samples=400, noise=0.0, rng=rng(2))
    positives = int(dataset.targets.sum())
    if name == "xor-quadrants":  # labels come from the quadrant, not a fixed count
        assert 150 < positives < 250
    else:
        assert positives == 200


def test_spiral3_is_one_hot() -> None:
    dataset = make_dataset("spiral3", samples=301, noise=0.1, rng=rng(3))
    assert dataset.targets.shape == (301, 3)
    assert dataset.class_names == ("0", "1", "2")
    assert dataset.target_names == ("y=0", "y=1", "y=2")
    np.testing.assert_array_equal(dataset.targets.sum(axis=1), np.ones(301))
    assert sorted(dataset.targets.sum(axis=0).tolist()) == [100.0, 100.0, 101.0]
    assert np.all(np.hypot(*dataset.inputs.T) <= 5.0 + 0.1 * math.sqrt(2) + 1e-12)


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_targets_are_real(name: str) -> None:
    dataset = make_dataset(name, samples=500, rng=rng(4))
    assert dataset.targets.shape == (500, 1)
    assert dataset.class_names == ()
    assert dataset.task == "regression"
    assert len(np.unique(dataset.targets)) > 100
    assert np.all(np.abs(dataset.inputs) <= 6.0)


def test_reg_plane_formula_without_noise() -> None:
    dataset = make_dataset("reg-plane", samples=300, noise=0.0, rng=rng(5))
    np.testing.assert_allclose(dataset.targets[:, 0], dataset.inputs.sum(axis=1) / 10.0)
    assert np.all(np.abs(dataset.targets) <= 1.2)


def test_reg_gauss_values_without_noise() -> None:
    dataset = make_dataset("reg-gauss", samples=2000, noise=0.0, rng=rng(6))
    assert np.all(np.abs(dataset.targets) <= 1.0)
    assert dataset.targets.min() < -0.8 and dataset.targets.max() > 0.8
    # Bump at (0, 2.5) is negative, bump at (0, -2.5) positive; far corners are 0.
    x, y = dataset.inputs.T
    near_top = np.hypot(x, y - 2.5) < 0.5
    near_bottom = np.hypot(x, y + 2.5) < 0.5
    assert np.all(dataset.targets[near_top] < 0) and np.all(dataset.targets[near_bottom] > 0)
    corner = (np.abs(x) > 5.5) & (np.abs(y) > 5.0)
    np.testing.assert_array_equal(dataset.targets[corner], 0.0)


def test_circle_geometry_without_noise() -> None:
    dataset = make_dataset("circle", samples=600, noise=0.0, rng=rng(8))
    radius = np.hypot(*dataset.inputs.T)
    inside = dataset.targets[:, 0] == 1.0
    assert np.all(radius[inside] < 2.5)
    assert np.all((radius[~inside] >= 3.5) & (radius[~inside] <= 5.0))


def test_xor_quadrants_geometry_without_noise() -> None:
    dataset = make_dataset("xor-quadrants", samples=600, noise=0.0, rng=rng(9))
    x, y = dataset.inputs.T
    assert np.all(np.abs(dataset.inputs) >= 0.3) and np.all(np.abs(dataset.inputs) <= 5.3)
    np.testing.assert_array_equal(dataset.targets[:, 0], (x * y >= 0).astype(float))


def test_gauss_centres() -> None:
    dataset = make_dataset("gauss", samples=2000, noise=0.0, rng=rng(10))
    positive = dataset.targets[:, 0] == 1.0
    np.testing.assert_allclose(dataset.inputs[positive].mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(dataset.inputs[~positive].mean(axis=0), [-2, -2], atol=0.1)
    # Playground variance 0.5 at noise 0 and 4 at noise 0.5.
    assert dataset.inputs[positive].var(axis=0) == pytest.approx([0.5, 0.5], rel=0.15)
    noisy = make_dataset("gauss", samples=2000, noise=0.5, rng=rng(10))
    noisy_positive = noisy.targets[:, 0] == 1.0
    assert noisy.inputs[noisy_positive].var(axis=0) == pytest.approx([4, 4], rel=0.15)


def test_spiral_geometry_without_noise() -> None:
    dataset = make_dataset("spiral", samples=400, noise=0.0, rng=rng(11))
    assert np.all(np.hypot(*dataset.inputs.T) < 5.0)
    # The arm of class 1 starts at angle 0 (r sin t, r cos t) = (0, r), class 0 at angle pi.
    radius = np.hypot(*dataset.inputs.T)
    start = (radius > 0.05) & (radius < 0.3)
    for point, target in zip(dataset.inputs[start], dataset.targets[start, 0], strict=True):
        assert (point[1] > 0) == (target == 1.0)


def test_moons_range_and_classes() -> None:
    dataset = make_dataset("moons", samples=1000, noise=0.0, rng=rng(12))
    x, y = dataset.inputs.T
    assert x.min() >= -5.0 - 1e-9 and x.max() <= 5.0 + 1e-9
    assert y.min() >= -2.5 - 1e-9 and y.max() <= 2.5 + 1e-9
    upper = dataset.targets[:, 0] == 0.0
    assert y[upper].mean() > y[~upper].mean()


@pytest.mark.parametrize("name", GENERATED)
def test_same_seed_same_data(name: str) -> None:
    first = make_dataset(name, samples=123, noise=0.25, rng=rng(42))
    second = make_dataset(name, samples=123, noise=0.25, rng=rng(42))
    assert first.inputs.tobytes() == second.inputs.tobytes()
    assert first.targets.tobytes() == second.targets.tobytes()


@pytest.mark.parametrize("name", GENERATED)
def test_different_seed_different_data(name: str) -> None:
    first = make_dataset(name, samples=123, noise=0.25, rng=rng(1))
    second = make_dataset(name, samples=123, noise=0.25, rng=rng(2))
    assert not np.array_equal(first.inputs, second.inputs)


def test_default_rng_is_seed_zero() -> None:
    for name in GENERATED:
        first = make_dataset(name, samples=50)
        second = make_dataset(name, samples=50, rng=rng(0))
        assert first.inputs.tobytes() == second.inputs.tobytes()
        assert first.targets.tobytes() == second.targets.tobytes()


@pytest.mark.parametrize("name", NOISY)
def test_noise_changes_the_data(name: str) -> None:
    clean = make_dataset(name, samples=300, noise=0.0, rng=rng(3))
    noisy = make_dataset(name, samples=300, noise=0.5, rng=rng(3))
    changed = not np.array_equal(clean.inputs, noisy.inputs) or not np.array_equal(
        clean.targets, noisy.targets
    )
    assert changed


@pytest.mark.parametrize("name", ["xor-quadrants", "circle"])
def test_label_noise_mislabels_some_points(name: str) -> None:
    """Playground noise moves the point the label is computed at, not the point itself."""
    noisy = make_dataset(name, samples=2000, noise=0.5, rng=rng(13))
    x, y = noisy.inputs.T
    if name == "circle":
        clean_labels = (np.hypot(x, y) < 2.5).astype(float)
    else:
        clean_labels = (x * y >= 0).astype(float)
    wrong = np.mean(clean_labels != noisy.targets[:, 0])
    assert 0.02 < wrong < 0.5


@pytest.mark.parametrize("name", ["spiral", "spiral3", "moons"])
def test_position_noise_keeps_class_counts(name: str) -> None:
    clean = make_dataset(name, samples=300, noise=0.0, rng=rng(14))
    noisy = make_dataset(name, samples=300, noise=0.3, rng=rng(14))
    np.testing.assert_array_equal(clean.targets.sum(axis=0), noisy.targets.sum(axis=0))


def test_rows_are_shuffled() -> None:
    dataset = make_dataset("gauss", samples=200, rng=rng(15))
    first_half = dataset.targets[:100, 0]
    assert 0 < first_half.sum() < 100


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"name": "spirals"}, "unknown dataset 'spirals'"),
        ({"name": "circle", "samples": 0}, "at least 1"),
        ({"name": "circle", "samples": -5}, "at least 1"),
        ({"name": "circle", "samples": 2.5}, "whole number"),
        ({"name": "circle", "noise": -0.1}, "noise"),
        ({"name": "circle", "noise": math.nan}, "noise"),
        ({"name": "circle", "noise": math.inf}, "noise"),
        ({"name": "xor", "samples": 0}, "at least 1"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(DatasetError, match=fragment):
        make_dataset(**kwargs)  # type: ignore[arg-type]


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(DatasetError) as caught:
        make_dataset("nope")
    for name in DATASET_NAMES:
        assert name in str(caught.value)
