"""The last N training steps, kept cheaply enough to record at full training speed.

Storing a Snapshot per step would copy every activation, delta and the decision-surface
grid each step; instead `StepHistory` is a ring buffer of preallocated NumPy arrays holding,
per step, only what is needed to rebuild that moment exactly:

- step: the number of updates done before this one (the `step` a Snapshot taken at that
  moment shows), and epoch: the epochs completed by then;
- params: the parameters before the update; gradient: dC/dparams of the step's batch at those
  parameters (the data cost's gradient, as Snapshot.gradient); update: the vector the
  optimizer subtracted (learning rate, optimizer and regularization applied);
- cost: the batch's cost; learning_rate; the batch's rows into the training set (or a mark
  meaning "the whole training set in order", which costs nothing to store).

`rebuild_snapshot` turns a stored step back into a full Snapshot on demand (a forward and
backward pass at the stored parameters on the stored batch); its gradient is bit-identical to
the stored one, since it is the same computation on the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.core.network import parameter_count
from engine.core.network import parameter_index as parameter_index  # re-exported for the GUI
from engine.training.gradient_norms import weight_slices
from engine.training.snapshot import Snapshot, build_snapshot, frozen_copy
from engine.training.trainer import BatchResult, Trainer

Array = NDArray[np.float64]

DEFAULT_BUDGET_BYTES = 200_000_000  # what the default N may reserve ("~200 MB")
MAX_DEFAULT_CAPACITY = 10_000  # more steps than this is more than a slider can show anyway
MIN_CAPACITY = 0  # N = 0 turns recording off (for a network where copying costs too much)
MAX_CAPACITY = 1_000_000
MAX_BUDGET_BYTES = 4_000_000_000  # the most a chosen N may reserve
HISTORY_MESSAGE = "history"  # Snapshot.message of every snapshot rebuilt from the history
_WHOLE_SET = -1  # row count meaning "the whole training set in order"
_SCALAR_BYTES = 8 + 8 + 8 + 8 + 4  # step, epoch, cost, learning rate, row count
_ROW_DTYPE = np.int32


def bytes_per_step(parameter_count: int, row_width: int = 0) -> int:
    """Memory one stored step takes: params, gradient and update, the scalars, the rows."""
    return 3 * 8 * parameter_count + _SCALAR_BYTES + np.dtype(_ROW_DTYPE).itemsize * row_width


def max_capacity(parameter_count: int, row_width: int = 0) -> int:
    """The largest N that may be chosen: MAX_CAPACITY, or fewer if it would pass 4 GB."""
    fitting = MAX_BUDGET_BYTES // bytes_per_step(parameter_count, row_width)
    return int(min(MAX_CAPACITY, max(1, fitting)))


def default_capacity(parameter_count: int, row_width: int = 0,
                     budget: int = DEFAULT_BUDGET_BYTES) -> int:
    """How many steps to keep by default: as many as fit in `budget`, at most 10,000."""
    fitting = budget // bytes_per_step(parameter_count, row_width)
    return int(min(MAX_DEFAULT_CAPACITY, max(1, fitting)))


@dataclass(frozen=True)
class HistoryInfo:
    """What the history holds: `kept` steps of at most `capacity`, the states at steps
    first_step..last_step (None when empty), the bytes its arrays reserve, the bytes one
    more step of capacity would take, and the largest capacity that may be chosen."""

    kept: int
    capacity: int
    first_step: int | None
    last_step: int | None
    nbytes: int
    bytes_per_step: int
    max_capacity: int


@dataclass(frozen=True)
class StoredStep:
    """One stored step, as copies (see the module docstring); rows None = whole training set."""

    step: int
    epoch: int
    params: Array
    gradient: Array
    update: Array
    cost: float
    learning_rate: float
    rows: NDArray[np.intp] | None


@dataclass(frozen=True)
class ParameterSeries:
    """One parameter (position `index` in params) over the stored steps, oldest first."""

    index: int
    steps: NDArray[np.int64]
    values: Array
    gradients: Array


class StepHistory:
    """A ring buffer of the last `capacity` steps; `record_step` trains one step and keeps it.

    All methods must be called from one thread (the worker's)."""

    def __init__(self, parameter_count: int, capacity: int, row_width: int = 0) -> None:
        self.parameter_count = int(parameter_count)
        self._allocate(_checked_capacity(capacity), row_width)

    def _allocate(self, capacity: int, row_width: int) -> None:
        count = self.parameter_count
        self._capacity = capacity
        # np.full, not np.zeros: zeros maps its pages lazily, so the first pass through a
        # large ring would take page faults step by step (up to a quarter of a small
        # network's step time). Filling touches every page now, in one pass.
        self._params = np.full((capacity, count), 0.0)
        self._gradients = np.full((capacity, count), 0.0)
        self._updates = np.full((capacity, count), 0.0)
        self._steps = np.zeros(capacity, dtype=np.int64)
        self._epochs = np.zeros(capacity, dtype=np.int64)
        self._costs = np.zeros(capacity)
        self._learning_rates = np.zeros(capacity)
        self._row_counts = np.zeros(capacity, dtype=np.int32)
        self._rows = np.zeros((capacity, row_width), dtype=_ROW_DTYPE)
        self._next = 0  # the slot the next step is written to
        self._count = 0

    # -- size -------------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return self._count

    def _arrays(self) -> tuple[NDArray[np.generic], ...]:
        """Every array of the buffer, one slot per step each."""
        return (self._params, self._gradients, self._updates, self._steps, self._epochs,
                self._costs, self._learning_rates, self._row_counts, self._rows)

    @property
    def nbytes(self) -> int:
        """Bytes reserved by the buffer's arrays (the bound, whatever is filled)."""
        return sum(array.nbytes for array in self._arrays())

    def info(self) -> HistoryInfo:
        count, capacity = self._count, self._capacity
        first = int(self._steps[(self._next - count) % capacity]) if count else None
        last = int(self._steps[(self._next - 1) % capacity]) if count else None
        width = self._rows.shape[1]
        return HistoryInfo(self._count, self._capacity, first, last, self.nbytes,
                           bytes_per_step(self.parameter_count, width),
                           max_capacity(self.parameter_count, width))

    def clear(self) -> None:
        """Forget every stored step (the arrays stay allocated)."""
        self._next = 0
        self._count = 0

    def resize(self, capacity: int) -> None:
        """Keep at most `capacity` steps from now on, keeping the newest of those stored."""
        capacity = _checked_capacity(capacity)
        if capacity == self._capacity:
            return
        slots = self._slots()
        kept = slots[len(slots) - min(capacity, len(slots)):]
        old = self._arrays()
        self._allocate(capacity, self._rows.shape[1])
        for target, source in zip(self._arrays(), old, strict=True):
            target[: len(kept)] = source[kept]
        self._count = len(kept)
        self._next = len(kept) % capacity if capacity else 0

    # -- recording (the hot path) -----------------------------------------------------------

    def record_step(self, trainer: Trainer) -> BatchResult:
        """`trainer.step()`, keeping the step. If the step raises (divergence), nothing is
        kept and nothing stored is lost. With capacity 0 this is `trainer.step()` alone."""
        result = trainer.step()
        if not self._capacity:
            return result
        slot = self._next
        # params_before is an exact copy of the parameters before the step, valid at least
        # until the next step: copied into the ring right away.
        self._params[slot] = result.params_before
        self._gradients[slot] = result.gradients.flat
        self._updates[slot] = result.update
        self._steps[slot] = result.step - 1
        self._epochs[slot] = result.epoch
        self._costs[slot] = result.gradients.cost
        self._learning_rates[slot] = trainer.learning_rate
        if result.inputs is trainer.data.train.inputs:
            self._row_counts[slot] = _WHOLE_SET
        else:
            self._store_rows(slot, result.rows)
        slot += 1
        self._next = 0 if slot == self._capacity else slot
        if self._count < self._capacity:
            self._count += 1
        return result

    def _store_rows(self, slot: int, rows: NDArray[np.intp]) -> None:
        width = rows.shape[0]
        if width > self._rows.shape[1]:  # a larger batch than any before: widen (rare)
            wider = np.zeros((self._capacity, width), dtype=_ROW_DTYPE)
            wider[:, : self._rows.shape[1]] = self._rows
            self._rows = wider
        self._rows[slot, :width] = rows
        self._row_counts[slot] = width

    # -- reading ----------------------------------------------------------------------------

    def _slots(self) -> NDArray[np.intp]:
        """Slot of every stored step, oldest first."""
        if not self._count:
            return np.empty(0, dtype=np.intp)
        start = self._next - self._count
        return (start + np.arange(self._count)) % self._capacity

    def steps(self) -> NDArray[np.int64]:
        """The step of every stored state, oldest first."""
        return self._steps[self._slots()]

    def nearest_step(self, step: int) -> int | None:
        """The stored step closest to `step` (None when empty)."""
        steps = self.steps()
        if not len(steps):
            return None
        return int(steps[int(np.argmin(np.abs(steps - step)))])

    def _slot_of(self, step: int) -> int | None:
        if not self._count:
            return None
        oldest = int(self._steps[(self._next - self._count) % self._capacity])
        guess = (self._next - self._count + (step - oldest)) % self._capacity
        if 0 <= step - oldest < self._count and self._steps[guess] == step:
            return int(guess)
        slots = self._slots()
        found = np.flatnonzero(self._steps[slots] == step)
        return int(slots[found[0]]) if len(found) else None

    def __contains__(self, step: object) -> bool:
        return isinstance(step, int) and self._slot_of(step) is not None

    def stored(self, step: int) -> StoredStep:
        """Copies of the state kept for `step`; KeyError if it is not kept."""
        slot = self._slot_of(step)
        if slot is None:
            raise KeyError(f"step {step} is not in the history")
        count = int(self._row_counts[slot])
        rows = None if count == _WHOLE_SET else self._rows[slot, :count].astype(np.intp)
        return StoredStep(
            step=int(self._steps[slot]),
            epoch=int(self._epochs[slot]),
            params=frozen_copy(self._params[slot]),
            gradient=frozen_copy(self._gradients[slot]),
            update=frozen_copy(self._updates[slot]),
            cost=float(self._costs[slot]),
            learning_rate=float(self._learning_rates[slot]),
            rows=rows,
        )

    def parameter_series(self, index: int) -> ParameterSeries:
        """Value and gradient of parameter `index` at every stored step, oldest first."""
        if not 0 <= index < self.parameter_count:
            raise IndexError(f"parameter {index} of {self.parameter_count}")
        slots = self._slots()
        return ParameterSeries(index, self._steps[slots], self._params[slots, index],
                               self._gradients[slots, index])

    def weight_gradient_norms(self, sizes: Sequence[int], after: int | None = None
                              ) -> tuple[NDArray[np.int64], Array]:
        """||dC/dW^m||_F of every stored step after step `after` (all of them for None), oldest
        first: (steps (k,), norms (k, layers)); `sizes` are the network's layer sizes. Only
        the steps still stored are there (none with capacity 0), so after more steps than
        the capacity some are missing. Vectorised over the ring's consecutive slots, which it
        reads in place: no copy of the stored gradients is made, whatever their size."""
        if parameter_count(sizes) != self.parameter_count:
            raise ValueError(f"sizes {tuple(sizes)} do not have {self.parameter_count} "
                             "parameters")
        steps = self.steps()
        first = 0 if after is None else int(np.searchsorted(steps, after, side="right"))
        blocks = weight_slices(sizes)
        squares = np.empty((len(steps) - first, len(blocks)))
        done = 0
        with np.errstate(over="ignore"):  # a huge gradient's norm: Inf, as np.linalg.norm
            for run in self._slot_runs(first):
                gradients = self._gradients[run]
                rows = slice(done, done + len(gradients))
                for m, block in enumerate(blocks):
                    weights = gradients[:, block]
                    squares[rows, m] = np.einsum("ij,ij->i", weights, weights)
                done = rows.stop
        return steps[first:], np.sqrt(squares)

    def _slot_runs(self, first: int) -> list[slice]:
        """The slots of the stored steps but the `first` oldest, as at most two runs of
        consecutive slots (the ring may wrap around), oldest first."""
        length = self._count - first
        if length <= 0:
            return []
        start = (self._next - length) % self._capacity
        end = start + length
        if end <= self._capacity:
            return [slice(start, end)]
        return [slice(start, self._capacity), slice(0, end - self._capacity)]


def _checked_capacity(capacity: int) -> int:
    capacity = int(capacity)
    if not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
        raise ValueError(f"the history keeps {MIN_CAPACITY} to {MAX_CAPACITY} steps, "
                         f"got {capacity}")
    return capacity


# -- rebuilding a Snapshot ---------------------------------------------------------------------


def rebuild_snapshot(trainer: Trainer, stored: StoredStep, probe_row: int = 0,
                     previous_params: Array | None = None,
                     grid_resolution: int = 60, views: bool = True) -> Snapshot:
    """The Snapshot of a stored step, as `take_snapshot` showed that moment.

    The forward and backward pass are recomputed at the stored parameters on the stored batch,
    so the Snapshot's gradient equals `stored.gradient` exactly. The network, loss and data
    are the trainer's (they do not change without a new Trainer);
    the per-epoch history is the trainer's current one, so the cost plot keeps the whole run.
    `previous_params` are the parameters one step earlier, if known. The Snapshot's message
    is HISTORY_MESSAGE. `views=False`: no grid and no evaluation (snapshot.with_views).
    """
    source = trainer.network
    network = source.with_params(stored.params)
    train = trainer.data.train
    if stored.rows is None:
        inputs, targets = train.inputs, train.targets
        rows = np.arange(len(train))
    else:
        rows = stored.rows
        inputs, targets = train.inputs[rows], train.targets[rows]
    forward, gradients = network.gradients(inputs, targets, trainer.loss, trainer.reduction)
    batch = BatchResult(step=stored.step + 1, epoch=stored.epoch, rows=rows, inputs=inputs,
                        targets=targets, forward=forward, gradients=gradients,
                        update=stored.update, params_before=stored.params)
    frozen_previous = None if previous_params is None else frozen_copy(previous_params)
    return build_snapshot(trainer, network, batch, stored.learning_rate, frozen_previous,
                          probe_row, grid_resolution, HISTORY_MESSAGE, views)


def epoch_position(snapshot: Snapshot) -> float:
    """Where a snapshot's moment lies on the cost plot's epoch axis: its completed epochs plus
    the fraction of the next epoch done, when the snapshot's history holds the ends of both (a
    thinned history, engine/training/epoch_history.py's History, may not: then the completed
    epochs)."""
    epoch, history = snapshot.epoch, snapshot.history
    start = _epoch_end(history.epochs, history.steps, epoch)
    end = _epoch_end(history.epochs, history.steps, epoch + 1)
    if start is None or end is None or end <= start:
        return float(epoch)
    return epoch + min(1.0, max(0.0, (snapshot.step - start) / (end - start)))


def _epoch_end(epochs: Array, steps: Array, epoch: int) -> float | None:
    """The steps done when `epoch` ended (0 for epoch 0); None if the history lacks it."""
    if epoch == 0:
        return 0.0
    index = int(np.searchsorted(epochs, epoch))
    if index < len(epochs) and epochs[index] == epoch:
        return float(steps[index])
    return None
