"""The evaluation pacer: cheap evaluations every frame, costly ones at most a share of the
time while playing, and always when paused."""

from __future__ import annotations

from gui.app.evaluation_pacing import EVALUATION_SHARE, EvaluationPacer


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


def test_a_costly_evaluation_is_drawn_first_and_filled_in_right_after(
        qtbot, make_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from engine.training.config import TrainingConfig, suited_to_dataset
    from gui.app import evaluation_pacing
    from gui.panels.metrics_panel import MetricsPanel

    monkeypatch.setattr(evaluation_pacing, "CHEAP_SECONDS", -1.0)  # every evaluation costly
    window = make_window(suited_to_dataset(TrainingConfig(dataset="digits", samples=200),
                                           "digits"))
    from PySide6.QtWidgets import QDockWidget

    window.findChild(QDockWidget, "metricsDock").raise_()
    shown: list[object] = []
    window.snapshot_shown.connect(lambda snapshot: shown.append(snapshot.evaluation))
    snapshot = window.step(4)
    assert shown and shown[-1] is None  # drawn without waiting for the evaluation
    assert snapshot is not None and snapshot.evaluation is not None  # then filled in
    assert snapshot.evaluation.train.predicted is not None
    panel = window.findChild(MetricsPanel, "metricsPanel")
    assert panel is not None
    qtbot.waitUntil(lambda: panel.shown_evaluation is snapshot.evaluation, timeout=2000)
    assert window.data_view.gallery.cells.predicted is not None
    # The status line and the cost plot's stars read the same evaluation as Metrics (the
    # status line said "train cost –" with no accuracy while Metrics said 84.1%).
    status = window.status_line.text()
    assert f"train accuracy {snapshot.evaluation.train.accuracy:.1%}" in status
    assert f"train cost {snapshot.evaluation.train.cost:.4g}" in status
    assert window.cost_plot.now_costs[0] == snapshot.evaluation.train.cost


def test_live_frames_still_coming_after_pause_are_not_drawn(
        qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    from engine.process import trainer_protocol as protocol

    window = make_window()
    snapshot = window.step(3)
    link = window.worker
    drawn: list[object] = []
    link.snapshot_ready.connect(drawn.append)
    link._dispatch([protocol.PlayingChanged(True)])  # as if training played
    link.pause()  # Pause while playing: what was trained before it is not drawn
    link._dispatch([protocol.SnapshotReady(snapshot, 0)])  # a frame already on its way
    assert drawn == []
    link._dispatch([protocol.PlayingChanged(False), protocol.SnapshotReady(snapshot, 0)])
    assert len(drawn) == 1  # the paused state is drawn
    link._dispatch([protocol.SnapshotReady(snapshot, 0)])
    assert len(drawn) == 2  # and anything after it
    window.sync()
