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
