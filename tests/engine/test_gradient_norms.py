"""The gradient-norm series (whole run, bounded size) and the history's per-step norms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.network import parameter_count, parameter_views
from engine.training.config import TrainingConfig
from engine.training.gradient_norms import GradientNormSeries, weight_slices
from engine.training.snapshot import take_snapshot
from tests.engine.test_history import CIRCLE, XOR, history_for, make_trainer


def norms_of(steps: np.ndarray) -> np.ndarray:
    """Made-up norms for two layers that tell every step apart."""
    return np.column_stack([steps * 1.5, steps + 0.25])


def expected_points(steps: list[int], capacity: int) -> list[int]:
    """What a series of `capacity` should keep of `steps`: the multiples of the smallest
    power-of-two stride at which they (and the newest step) fit, and the newest step."""
    stride = 1
    while True:
        kept = [step for step in steps[:-1] if step % stride == 0] + steps[-1:]
        if len(kept) <= capacity:
            return kept
        stride *= 2


def test_weight_slices_are_the_weight_blocks_of_the_flat_vector() -> None:
    sizes = (3, 5, 4, 2)
    flat = np.arange(parameter_count(sizes), dtype=np.float64)
    weights, _ = parameter_views(flat, sizes)
    for block, weight in zip(weight_slices(sizes), weights, strict=True):
        assert np.array_equal(flat[block], weight.ravel())


def test_a_full_series_halves_its_resolution_and_keeps_the_start() -> None:
    series = GradientNormSeries(2, capacity=10)
    steps = np.arange(10)
    series.extend(steps, norms_of(steps))
    assert list(series.frozen().steps) == list(range(10))  # full: every step
    series.extend([10], norms_of(np.array([10])))
    shown = series.frozen()
    assert list(shown.steps) == [0, 2, 4, 6, 8, 10]
    np.testing.assert_array_equal(shown.norms, norms_of(shown.steps))
    series.extend([11], norms_of(np.array([11])))  # the newest is kept off the stride...
    assert list(series.frozen().steps) == [0, 2, 4, 6, 8, 10, 11]
    series.extend([12, 13], norms_of(np.array([12, 13])))  # ...until a newer one comes
    assert list(series.frozen().steps) == [0, 2, 4, 6, 8, 10, 12, 13]
    steps = np.arange(14, 100)  # more than the capacity at once
    series.extend(steps, norms_of(steps))
    shown = series.frozen()
    assert list(shown.steps) == list(range(0, 100, 16)) + [99]
    np.testing.assert_array_equal(shown.norms, norms_of(shown.steps))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=60), st.integers(2, 12),
       st.lists(st.integers(1, 30), min_size=1, max_size=60))
def test_any_split_into_extends_keeps_the_same_points(
        gaps: list[int], capacity: int, chunk_sizes: list[int]) -> None:
    steps = np.cumsum(gaps) - gaps[0]  # increasing, from 0, with gaps
    series = GradientNormSeries(2, capacity)
    start = 0
    for size in chunk_sizes * len(steps):
        if start >= len(steps):
            break
        chunk = steps[start : start + size]
        series.extend(chunk, norms_of(chunk))
        start += size
    shown = series.frozen()
    assert list(shown.steps) == expected_points(list(steps), capacity)
    np.testing.assert_array_equal(shown.norms, norms_of(shown.steps))


def test_replace_last_clear_and_frozen_copies() -> None:
    series = GradientNormSeries(2, capacity=4)
    assert series.last_step is None
    series.extend([0, 1, 2], norms_of(np.array([0, 1, 2])))
    before = series.frozen()
    series.replace_last([7.0, 8.0])
    assert series.last_step == 2
    np.testing.assert_array_equal(series.frozen().norms[-1], [7.0, 8.0])
    np.testing.assert_array_equal(before.norms[-1], norms_of(np.array([2]))[0])  # a copy
    assert not before.steps.flags.writeable and not before.norms.flags.writeable
    with pytest.raises(ValueError):
        series.extend([2], [[1.0, 1.0]])  # not after the newest step
    series.clear()
    assert series.last_step is None and len(series.frozen().steps) == 0
    series.extend([5], [[1.0, 2.0]])
    assert list(series.frozen().steps) == [5]
    with pytest.raises(IndexError):
        GradientNormSeries(1).replace_last([1.0])


@pytest.mark.parametrize("config", [XOR, CIRCLE], ids=["xor-full-batch", "circle-mini-batch"])
def test_history_norms_are_each_stored_steps_weight_gradient_norms(
        config: TrainingConfig) -> None:
    trainer = make_trainer(config)
    sizes = trainer.network.sizes
    history = history_for(trainer, 17)
    live = []
    for _ in range(40):  # more steps than the history keeps: the ring wraps around
        live.append(take_snapshot(trainer))
        history.record_step(trainer)
    steps, norms = history.weight_gradient_norms(sizes)
    assert list(steps) == list(range(23, 40))
    assert norms.shape == (17, len(sizes) - 1)
    for step, row in zip(steps, norms, strict=True):
        weights, _ = parameter_views(history.stored(int(step)).gradient, sizes)
        np.testing.assert_allclose(row, [np.linalg.norm(w) for w in weights], rtol=1e-13)
        snapshot_norms = [np.linalg.norm(layer.weight_gradients) for layer in live[step].layers]
        np.testing.assert_allclose(row, snapshot_norms, rtol=1e-13)  # history n = snapshot n
    for after, first in ((30, 31), (34, 35), (10, 23), (39, 40)):
        later_steps, later_norms = history.weight_gradient_norms(sizes, after=after)
        assert list(later_steps) == list(range(first, 40))
        np.testing.assert_array_equal(later_norms, norms[first - 23 :])
    with pytest.raises(ValueError):
        history.weight_gradient_norms((2, 3, 1))


def test_history_norms_with_capacity_zero_are_empty() -> None:
    trainer = make_trainer(CIRCLE)
    history = history_for(trainer, 0)
    for _ in range(5):
        history.record_step(trainer)
    steps, norms = history.weight_gradient_norms(trainer.network.sizes)
    assert steps.shape == (0,) and norms.shape == (0, trainer.network.depth)
