"""The frame pacer spaces frames so drawing stays within its share of CPU time."""

from __future__ import annotations

import pytest

from gui.frame_pacer import MAX_WAIT, FramePacer


class FakeClocks:
    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def draw(self, cpu_seconds: float, wall_seconds: float) -> None:
        self.cpu += cpu_seconds
        self.wall += wall_seconds


def _pacer(clocks: FakeClocks, budget: float) -> FramePacer:
    return FramePacer(budget, clock=lambda: clocks.wall, cpu_clock=lambda: clocks.cpu)


def test_expensive_frames_are_spaced_to_the_budget() -> None:
    clocks = FakeClocks()
    pacer = _pacer(clocks, budget=0.1)
    clocks.draw(cpu_seconds=0.02, wall_seconds=0.02)
    # 20 ms of drawing at a 10% budget: one frame per 200 ms, 180 ms still to wait
    assert pacer.delay() == pytest.approx(0.18)


def test_cheap_frames_are_not_delayed() -> None:
    clocks = FakeClocks()
    pacer = _pacer(clocks, budget=0.1)
    clocks.draw(cpu_seconds=0.001, wall_seconds=0.05)
    assert pacer.delay() == 0.0


def test_frames_follow_each_other_one_cycle_apart() -> None:
    clocks = FakeClocks()
    pacer = _pacer(clocks, budget=0.5)
    clocks.draw(cpu_seconds=0.01, wall_seconds=0.01)
    first = pacer.delay()  # 10 ms at 50%: a 20 ms cycle, the next frame may come at 20 ms
    assert first == pytest.approx(0.01)
    clocks.draw(cpu_seconds=0.01, wall_seconds=first + 0.01)  # it came at 20 ms, drawn by 30
    assert pacer.delay() == pytest.approx(0.01)  # the one after at 40 ms


def test_restart_forgets_work_done_before_training_started() -> None:
    clocks = FakeClocks()
    pacer = _pacer(clocks, budget=0.1)
    clocks.draw(cpu_seconds=2.0, wall_seconds=2.0)  # building the window, not drawing
    pacer.restart()
    clocks.draw(cpu_seconds=0.001, wall_seconds=0.03)
    assert pacer.delay() == 0.0


def test_a_huge_frame_waits_at_most_max_wait() -> None:
    clocks = FakeClocks()
    pacer = _pacer(clocks, budget=0.1)
    clocks.draw(cpu_seconds=1.0, wall_seconds=1.0)
    assert pacer.delay() == MAX_WAIT


def test_budget_must_be_a_share() -> None:
    with pytest.raises(ValueError, match="budget"):
        FramePacer(0.0)


def test_one_expensive_frame_does_not_slow_the_frames_after_it() -> None:
    clocks = FakeClocks()
    pacer = _pacer(clocks, budget=0.1)
    clocks.draw(cpu_seconds=0.15, wall_seconds=0.15)  # the first frame lays out the window
    assert pacer.delay() == MAX_WAIT
    clocks.draw(cpu_seconds=0.01, wall_seconds=MAX_WAIT + 0.01)
    # 10 ms frames at 10%: a 100 ms cycle, as if the expensive one had never been
    assert pacer.delay() == pytest.approx(0.09)


def test_the_estimate_follows_the_mean_cost_of_mixed_frames() -> None:
    clocks = FakeClocks()
    pacer = _pacer(clocks, budget=0.1)
    for cost in (0.03, 0.005, 0.03, 0.005, 0.03, 0.005):  # plots every other frame
        clocks.draw(cpu_seconds=cost, wall_seconds=cost)
        pacer.delay()
    assert pacer.frame_cost == pytest.approx((2 * 0.03 + 3 * 0.005) / 5)


def test_restart_forgets_frames_drawn_while_paused() -> None:
    clocks = FakeClocks()
    pacer = _pacer(clocks, budget=0.1)
    for _ in range(3):  # paused: stepping and clicking around between frames
        clocks.draw(cpu_seconds=0.2, wall_seconds=1.0)
        pacer.delay()
    pacer.restart()  # Play
    clocks.draw(cpu_seconds=0.005, wall_seconds=0.005)
    assert pacer.delay() == pytest.approx(0.045)  # 5 ms at 10%: a 50 ms cycle
    assert pacer.frame_cost == pytest.approx(0.005)
