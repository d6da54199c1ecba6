"""Each layer's gradient norm ||dC/dW^m||_F over a run, one point per step, at bounded size.

The worker extends a `GradientNormSeries` with the norms of the steps its history recorded,
after every training burst, and before every snapshot it sends with the snapshot's own step;
it attaches a frozen copy, a `GradientNorms`, to the snapshot; the norm plot draws that copy.

A series holds at most `capacity` points. When the points would not fit, it halves its
resolution (engine/training/thinning.py, the rule the cost history follows too): it keeps
the steps that are multiples of a stride 1, 2, 4, ..., and the newest point whatever its
step, so the curve reaches the step shown, until a newer point arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.core.network import parameter_slices
from engine.training.thinning import Thinning

Array = NDArray[np.float64]

NORM_CAPACITY = 5000  # points per series: far more than a plot's width in pixels


@dataclass(frozen=True)
class GradientNorms:
    """A series at one moment: steps (k,) int64, increasing, and norms (k, layers) with
    norms[i, m] = ||dC/dW^(m+1)||_F at step steps[i] (Inf or NaN for a diverging run).
    Both arrays are read-only copies."""

    steps: NDArray[np.int64]
    norms: Array


def weight_slices(sizes: Sequence[int]) -> list[slice]:
    """Where each W^m lies in the flat parameter vector of a network of `sizes`."""
    return [weights for weights, _ in parameter_slices(sizes)]


class GradientNormSeries:
    """Per-layer gradient norms by step for a network of `layers` layers, at most `capacity`
    points (see the module docstring for how it thins out). Used from one thread."""

    def __init__(self, layers: int, capacity: int = NORM_CAPACITY) -> None:
        if capacity < 2:
            raise ValueError(f"a norm series needs room for 2 points, got {capacity}")
        self._steps = np.zeros(capacity, dtype=np.int64)
        self._norms = np.zeros((capacity, layers))
        self._count = 0
        self._thinning = Thinning(origin=0)  # the steps kept: its multiples (and the newest)

    @property
    def layers(self) -> int:
        return self._norms.shape[1]

    @property
    def last_step(self) -> int | None:
        """The newest point's step (None when empty)."""
        return int(self._steps[self._count - 1]) if self._count else None

    def clear(self) -> None:
        """Forget every point and go back to full resolution (a new run)."""
        self._count = 0
        self._thinning = Thinning(origin=0)

    def extend(self, steps: ArrayLike, norms: ArrayLike) -> None:
        """Append points: `steps` (k,) increasing and after `last_step`, `norms` (k, layers)."""
        steps = np.asarray(steps, dtype=np.int64)
        norms = np.asarray(norms, dtype=np.float64).reshape(len(steps), self.layers)
        if not len(steps):
            return
        last = self.last_step
        if (last is not None and steps[0] <= last) or np.any(np.diff(steps) <= 0):
            raise ValueError(f"steps must increase and follow step {last}")
        if self._count and not self._thinning.keeps(last):
            self._count -= 1  # the newest point was kept off the stride only while newest
        kept = self._on_stride(steps)
        while self._count + np.count_nonzero(kept) > len(self._steps):
            self._halve_resolution()
            kept = self._on_stride(steps)
        steps, norms = steps[kept], norms[kept]
        start, stop = self._count, self._count + len(steps)
        self._steps[start:stop] = steps
        self._norms[start:stop] = norms
        self._count = stop

    def replace_last(self, norms: ArrayLike) -> None:
        """New norms (layers,) for the newest point (its step's gradient changed)."""
        if not self._count:
            raise IndexError("the series is empty")
        self._norms[self._count - 1] = norms

    def frozen(self) -> GradientNorms:
        """A read-only copy of the points, which later changes to the series do not touch."""
        steps = self._steps[: self._count].copy()
        norms = self._norms[: self._count].copy()
        steps.flags.writeable = False
        norms.flags.writeable = False
        return GradientNorms(steps, norms)

    def _on_stride(self, steps: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Which of the new `steps` to keep: the multiples of the stride, and the newest."""
        kept = self._thinning.on_stride(steps)
        kept[-1] = True
        return kept

    def _halve_resolution(self) -> None:
        """Double the stride, keeping only the stored points on it."""
        kept = self._thinning.halve(self._steps[: self._count], keep_newest=False)
        self._steps[: len(kept)] = self._steps[kept]
        self._norms[: len(kept)] = self._norms[kept]
        self._count = len(kept)
