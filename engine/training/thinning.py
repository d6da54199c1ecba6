"""One rule for keeping a growing series at bounded size: halve its resolution instead of
forgetting the start of the run.

A series keyed by increasing whole numbers (the cost history by epoch, from epoch 1; the
gradient norms by step, from step 0) keeps only the keys k with k - origin a multiple of a
stride, and doubles the stride (1, 2, 4, ...) whenever the kept entries would not fit, so
the whole run is always there at one resolution from its first key on. The newest entry is
kept whatever its key, so the series reaches the current one; once a newer entry arrives it
goes too if it is off the stride. engine/training/trainer.py's History and
engine/training/gradient_norms.py's GradientNormSeries both keep their entries by this rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


class Thinning:
    """The stride a series is kept at, from `origin` (the first key it always keeps)."""

    def __init__(self, origin: int, stride: int = 1) -> None:
        self.origin = origin
        self.stride = stride

    @classmethod
    def of(cls, keys: Sequence[int], origin: int) -> Thinning:
        """The thinning a series with these keys was kept at: the one gap between all of them
        but the newest, starting at `origin`, when it is a power of two; else stride 1."""
        kept = keys[:-1]
        gaps = {later - earlier for earlier, later in itertools.pairwise(kept)}
        if kept and kept[0] == origin and len(gaps) == 1:
            gap = gaps.pop()
            if gap > 1 and gap & (gap - 1) == 0:
                return cls(origin, gap)
        return cls(origin)

    def copy(self) -> Thinning:
        return Thinning(self.origin, self.stride)

    def keeps(self, key: int) -> bool:
        """Whether `key` is on the stride (an entry kept once it is no longer the newest)."""
        return (key - self.origin) % self.stride == 0

    def on_stride(self, keys: NDArray[np.int64]) -> NDArray[np.bool_]:
        """`keeps` for each of `keys`."""
        return (keys - self.origin) % self.stride == 0

    def halve(self, keys: Sequence[int] | NDArray[np.int64], keep_newest: bool
              ) -> NDArray[np.intp]:
        """Double the stride; the positions in `keys` still kept: those on the new stride,
        and the last one too when `keep_newest`."""
        self.stride *= 2
        kept = self.on_stride(np.asarray(keys, dtype=np.int64))
        if keep_newest and len(kept):
            kept[-1] = True
        return np.flatnonzero(kept)
