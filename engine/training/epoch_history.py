"""The per-epoch records of a run (History): epoch, step, train and test cost and metric,
at most EPOCH_CAPACITY entries, thinned by engine/training/thinning.py's rule. The Trainer
appends to it after every epoch; snapshots, sessions and the cost plot read it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from engine.training.thinning import Thinning

Array = NDArray[np.float64]

EPOCH_CAPACITY = 10_000  # entries a History keeps: more than a plot's width in pixels, and
# bounded memory (six lists of Python numbers: about 2 MB when full)


@dataclass
class History:
    """Per-epoch records: the six lists hold one entry per kept epoch, at most `capacity`.

    Every completed epoch is appended (`append`). When the entries would not fit, the history
    halves its resolution (engine/training/thinning.py, the rule the gradient norms follow
    too): it keeps the epochs 1, 1 + s, 1 + 2s, ... for a stride s = 1, 2, 4, ..., and the
    newest epoch whatever its number, until a newer one arrives. A History built from lists
    (a session) takes the stride they were kept at from their spacing, so it goes on exactly
    as the run that wrote them. The lists change only through `append` (or are replaced by a
    new History).
    """

    epochs: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    train_cost: list[float] = field(default_factory=list)
    test_cost: list[float] = field(default_factory=list)
    train_metric: list[float] = field(default_factory=list)
    test_metric: list[float] = field(default_factory=list)
    capacity: int = field(default_factory=lambda: EPOCH_CAPACITY, compare=False)

    _thinning: Thinning = field(default_factory=lambda: Thinning(origin=1), init=False,
                                repr=False, compare=False)
    # The records as float64 arrays, row by row in the order of the fields. Its first
    # _converted columns hold the lists' first entries as they are now; the arrays handed out
    # cover its first _handed_out columns, which are therefore never written again.
    _buffer: Array = field(default_factory=lambda: np.empty((6, 0)), init=False, repr=False,
                           compare=False)
    _converted: int = field(default=0, init=False, repr=False, compare=False)
    _handed_out: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.capacity < 2:
            raise ValueError(f"a history needs room for 2 epochs, got {self.capacity}")
        self._thinning = Thinning.of(self.epochs, origin=1)
        self._fit_capacity()  # lists longer than the capacity (an older session's) are thinned

    def __len__(self) -> int:
        return len(self.epochs)

    def copy(self) -> History:
        """A History with lists of its own (the numbers are immutable), at the same stride."""
        copied = History(*(list(values) for values in self._lists()), capacity=self.capacity)
        copied._thinning = self._thinning.copy()
        return copied

    def _lists(self) -> tuple[list[int], list[int], list[float], list[float], list[float],
                              list[float]]:
        return (self.epochs, self.steps, self.train_cost, self.test_cost, self.train_metric,
                self.test_metric)

    def append(self, epoch: int, step: int, train_cost: float, test_cost: float,
               train_metric: float, test_metric: float) -> None:
        """Record a completed epoch, after the newest one. Runs after every step in
        full-batch training, so it is kept to plain appends (or assignments) but for one
        check and, once in at least capacity / 2 kept epochs, a thinning in O(capacity)."""
        epochs = self.epochs
        if self._thinning.stride > 1 and not self._thinning.keeps(epochs[-1]):
            # The newest was kept off the stride only while it was the newest: replace it.
            newest = len(epochs) - 1
            epochs[newest] = epoch
            self.steps[newest] = step
            self.train_cost[newest] = train_cost
            self.test_cost[newest] = test_cost
            self.train_metric[newest] = train_metric
            self.test_metric[newest] = test_metric
            self._converted = min(self._converted, newest)
            return
        epochs.append(epoch)
        self.steps.append(step)
        self.train_cost.append(train_cost)
        self.test_cost.append(test_cost)
        self.train_metric.append(train_metric)
        self.test_metric.append(test_metric)
        if len(epochs) > self.capacity:
            self._fit_capacity()

    def _fit_capacity(self) -> None:
        """Double the stride until the entries fit, keeping those on it and the newest."""
        while len(self.epochs) > self.capacity:
            kept = self._thinning.halve(self.epochs, keep_newest=True).tolist()
            for values in self._lists():
                values[:] = [values[index] for index in kept]
            unchanged = next((place for place, index in enumerate(kept) if place != index),
                             len(kept))
            self._converted = min(self._converted, unchanged)

    def arrays(self) -> tuple[Array, ...]:
        """The six records (epochs, steps, train/test cost, train/test metric) as read-only
        float64 arrays. Each call converts only the entries added or changed since the
        previous one (a snapshot per frame no longer copies the whole run, which for XOR grows
        by thousands of epochs a second), and the arrays it returned before never change: new
        entries go after their end, into the same buffer or a larger new one, and once
        entries they cover changed (thinned out, or the newest replaced: see `append`), into
        a new buffer that takes the unchanged ones from the old. (Once thinned, the newest
        entry is replaced most epochs, so most calls make that copy: a NumPy copy of at most
        6 x capacity numbers, about 0.1 ms, never a conversion of the lists.)"""
        count = len(self.epochs)
        if count < self._converted:  # the lists were cut short from outside: start over
            self._converted = 0
        if self._converted < self._handed_out or count > self._buffer.shape[1]:
            self._replace_buffer(count)
        for row, values in zip(self._buffer, self._lists(), strict=True):
            row[self._converted : count] = values[self._converted : count]
        self._converted = self._handed_out = count
        views = tuple(row[:count] for row in self._buffer)
        for view in views:
            view.flags.writeable = False
        return views

    def _replace_buffer(self, count: int) -> None:
        """A new buffer with room for `count` entries and more to grow into (up to the
        capacity), holding the converted entries of the old one; none of it handed out."""
        width = max(count, min(max(2 * self._buffer.shape[1], 64), self.capacity))
        replacement = np.empty((6, width))
        replacement[:, : self._converted] = self._buffer[:, : self._converted]
        self._buffer, self._handed_out = replacement, 0
