"""How long the window waits before asking the worker for its next frame.

Python runs one thread at a time (the GIL), so every millisecond the GUI thread spends
drawing is a millisecond the training thread does not train. The pacer measures the GUI
thread's own CPU time per frame (drawing, painting, everything it did since the last frame)
and spaces frames so that this share stays under `budget`: cheap frames come at up to the
worker's 30 a second, expensive ones (a large network, many plots) less often.

A frame's cost is the mean of the last few but the most expensive one: the first frame after
Play also lays out and repaints the whole window (several times a normal frame), and a
running mean took seconds of needlessly sparse frames to forget it.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable

RECENT_FRAMES = 6  # the cost estimate comes from this many latest frames
MAX_WAIT = 0.5  # seconds: even a very slow frame is followed by another this soon


class FramePacer:
    """Call `delay()` when a frame has been drawn; wait that many seconds before the next."""

    def __init__(self, budget: float,
                 clock: Callable[[], float] = time.perf_counter,
                 cpu_clock: Callable[[], float] = time.thread_time) -> None:
        if not 0.0 < budget <= 1.0:
            raise ValueError(f"budget must be in (0, 1], got {budget}")
        self.budget = budget
        self._clock = clock
        self._cpu_clock = cpu_clock
        self._recent_costs: deque[float] = deque(maxlen=RECENT_FRAMES)
        self._last_wall = self._last_cpu = 0.0
        self.restart()

    def restart(self) -> None:
        """Start measuring afresh (training starts): earlier GUI work, and frames drawn
        while paused (with whatever the person did in between), are not drawing."""
        self._recent_costs.clear()
        self._last_wall = self._clock()
        self._last_cpu = self._cpu_clock()

    @property
    def frame_cost(self) -> float:
        """GUI CPU seconds a frame takes: the mean of the latest frames without the most
        expensive one (that one alone for a single frame, 0 before any)."""
        costs = sorted(self._recent_costs)
        return statistics.fmean(costs[:-1] or costs) if costs else 0.0

    def delay(self) -> float:
        """Seconds to wait before the next frame, so drawing stays within the budget."""
        wall, cpu = self._clock(), self._cpu_clock()
        self._recent_costs.append(max(0.0, cpu - self._last_cpu))
        cycle = self.frame_cost / self.budget  # the shortest frame period within budget
        wait = min(MAX_WAIT, max(0.0, cycle - (wall - self._last_wall)))
        self._last_wall = wall + wait
        self._last_cpu = cpu
        return wait
