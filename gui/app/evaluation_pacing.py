"""How often the window evaluates the train and test sets while training plays.

The window adds each snapshot's evaluation (confusion matrices or RMSE, every sample's
prediction) itself: one forward pass over all the data. For small networks that is nothing
and every frame gets one. For a wide network on much data (784-128-64-10 on 2,048 samples:
a 2,048 x 784 x 128 product, tens of ms) doing it every frame would make each frame slow and
Pause slow to register, so while playing it is done only as often as keeps it under
EVALUATION_SHARE of the time; frames in between carry no evaluation and the views that show
metrics keep the last ones (they are a few frames old, never wrong for their step: the metrics
panel and the data view say which step they show). A snapshot shown while paused (the paused
state, a step from the timeline) is always evaluated: a cheap one at once, a costly one just
after it is drawn (`costly`), so Pause shows the paused state without waiting for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QTimer

from engine.core.network import Network
from engine.data.dataset import DataSplit
from engine.training.snapshot import Snapshot, with_views

CHEAP_SECONDS = 0.004  # an evaluation this fast is done for every frame
EVALUATION_SHARE = 0.2  # of the time, at most, while playing


class EvaluationPacer:
    """Says whether to evaluate the snapshot about to be drawn; learns what one costs."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._cost = 0.0  # seconds the last evaluation took
        self._next = 0.0  # while playing, no evaluation before this time

    def should_evaluate(self, playing: bool) -> bool:
        return not playing or self._cost <= CHEAP_SECONDS or self._clock() >= self._next

    def costly(self) -> bool:
        """The last evaluation took longer than a frame can spare."""
        return self._cost > CHEAP_SECONDS

    def record(self, seconds: float) -> None:
        """An evaluation took `seconds`: the next one waits so that they keep their share."""
        self._cost = seconds
        self._next = self._clock() + seconds * (1.0 / EVALUATION_SHARE - 1.0)

    def reset(self) -> None:
        """A new network or data: evaluate the next frame and measure again."""
        self._cost, self._next = 0.0, 0.0


class SnapshotViews:
    """Completes the window's snapshots with their decision grid and evaluation
    (engine/training/snapshot.py `with_views`), pacing costly evaluations as the module says.

    `playing()` says whether training plays; `evaluated(drawn, evaluated)` is called when a
    snapshot drawn without its evaluation has it (the window shows the metrics then).
    """

    def __init__(self, playing: Callable[[], bool],
                 evaluated: Callable[[Snapshot, Snapshot], None]) -> None:
        self._playing = playing
        self._evaluated = evaluated
        self._pacer = EvaluationPacer()
        self._network: Network | None = None
        self._data: DataSplit | None = None
        self._pending: Snapshot | None = None  # drawn, evaluated next

    def set_network(self, network: Network, data: DataSplit) -> None:
        """The architecture and data of the trainer the snapshots come from from now on."""
        self._network, self._data = network, data
        self._pacer.reset()
        self._pending = None

    def complete(self, snapshot: Snapshot) -> Snapshot:
        """`snapshot` with its grid and (unless paced out or deferred) its evaluation; as it
        is if it belongs to another network (a stale frame of a replaced trainer)."""
        network, data = self._network, self._data
        if network is None or data is None or network.sizes != snapshot.sizes \
                or network.activations != snapshot.activation_names:
            return snapshot
        playing = self._playing()
        if not self._pacer.should_evaluate(playing):  # costly, playing: not this frame
            return with_views(snapshot, network, data, evaluate=False)
        if self._pacer.costly() and not playing:  # costly, paused: draw first, then evaluate
            drawn = self._pending = with_views(snapshot, network, data, evaluate=False)
            QTimer.singleShot(0, self.finish)
            return drawn
        return self._evaluate(snapshot, network, data)

    def finish(self) -> None:
        """Evaluate the snapshot drawn without it, if any, and report it."""
        pending, self._pending = self._pending, None
        network, data = self._network, self._data
        if pending is None or network is None or data is None or network.sizes != pending.sizes:
            return
        self._evaluated(pending, self._evaluate(pending, network, data))

    def _evaluate(self, snapshot: Snapshot, network: Network, data: DataSplit) -> Snapshot:
        start = time.perf_counter()
        completed = with_views(snapshot, network, data)
        self._pacer.record(time.perf_counter() - start)
        return completed
