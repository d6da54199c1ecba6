"""The evaluation pacer: cheap evaluations every frame, costly ones at most a share of the
time while playing, and always when paused."""

from __future__ import annotations

from gui.evaluation_pacing import EVALUATION_SHARE, EvaluationPacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_cheap_evaluations_happen_every_frame_and_costly_ones_keep_their_share() -> None:
    clock = Clock()
    pacer = EvaluationPacer(clock)
    assert pacer.should_evaluate(True)
    pacer.record(0.001)
    assert pacer.should_evaluate(True)  # cheap: every frame
    pacer.record(0.05)
    assert not pacer.should_evaluate(True)
    assert pacer.should_evaluate(False)  # paused: always
    clock.now += 0.05 * (1 / EVALUATION_SHARE - 1) - 1e-6
    assert not pacer.should_evaluate(True)
    clock.now += 2e-6
    assert pacer.should_evaluate(True)
    pacer.record(0.05)
    pacer.reset()
    assert pacer.should_evaluate(True)
