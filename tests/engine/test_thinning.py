"""engine/training/thinning.py: the one halving rule of the cost history and gradient norms."""

from __future__ import annotations

import numpy as np

from engine.training.epoch_history import History
from engine.training.gradient_norms import GradientNormSeries
from engine.training.thinning import Thinning


def test_halving_keeps_the_keys_on_the_doubled_stride_from_the_origin() -> None:
    epochs = Thinning(origin=1)
    assert epochs.halve([1, 2, 3, 4, 5, 6], keep_newest=True).tolist() == [0, 2, 4, 5]
    assert epochs.stride == 2
    assert epochs.keeps(5) and not epochs.keeps(6)
    steps = Thinning(origin=0)
    assert steps.halve(np.arange(1, 8), keep_newest=False).tolist() == [1, 3, 5]
    assert steps.on_stride(np.array([4, 5, 6])).tolist() == [True, False, True]


def test_the_stride_is_read_back_from_the_spacing_of_the_kept_keys() -> None:
    assert Thinning.of([1, 5, 9, 13, 15], origin=1).stride == 4  # newest off the stride
    assert Thinning.of([1, 2, 3], origin=1).stride == 1
    assert Thinning.of([1, 4, 7, 8], origin=1).stride == 1  # a gap of 3 is no power of two
    assert Thinning.of([2, 4, 6], origin=1).stride == 1  # does not start at the origin


def test_history_and_gradient_norms_keep_the_same_resolution() -> None:
    """Epoch e and step e - 1 are on the stride together: both series thin alike."""
    history, norms = History(capacity=8), GradientNormSeries(layers=1, capacity=8)
    for epoch in range(1, 40):
        history.append(epoch, epoch, 0.0, 0.0, 0.0, 0.0)
        norms.extend([epoch - 1], [[0.0]])
    assert [epoch - 1 for epoch in history.epochs[:-1]] == norms.frozen().steps[:-1].tolist()
    assert history.epochs[-1] == 39 and norms.frozen().steps[-1] == 38
