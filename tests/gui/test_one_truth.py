"""One truth across panels: after a hand edit, a Reset or a new trainer (new data, an opened
session, a restarted trainer process) the status line, Metrics, Cost, gradient check and
step-through show the state the window shows, or are visibly cleared."""

from __future__ import annotations

import math
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from engine.core.network import ParameterRef
from engine.core.seeding import seed_streams
from engine.data.datasets import make_dataset
from engine.training.config import HiddenLayer, TrainingConfig, build_trainer
from engine.training.snapshot import Snapshot
from gui.app.main_window import MainWindow
from gui.base.dialogs import Button
from gui.panels import hand_edits
from gui.panels.gradcheck_panel import STALE_TEXT, GradientCheckPanel
from gui.panels.metrics_panel import MetricsPanel, percent
from gui.panels.stepthrough import IDLE_TEXT, StepThroughPanel
from tests.gui.helpers import find_action

# mini-batches and a test set: the last epoch's running figures differ from those at the
# shown weights, so the panels agree only if they read the same state
CONFIG = TrainingConfig(dataset="circle", samples=60, test_ratio=0.5, batch_size=10,
                        hidden=(HiddenLayer(4, "tanh"),), learning_rate=0.05)
EDITED = ParameterRef(2, "bias", 0)


def at_weights(config: TrainingConfig, snapshot: Snapshot) -> tuple[float, float, float]:
    """Train cost, test cost and train accuracy at the snapshot's weights, computed apart
    from the window (the Trainer's own evaluation)."""
    dataset = make_dataset(config.dataset, config.samples, config.noise,
                           seed_streams(config.seed).data)
    trainer = build_trainer(config, dataset)
    trainer.network.params[...] = snapshot.params
    train, test = trainer.evaluate(trainer.data.train), trainer.evaluate(trainer.data.test)
    return train.cost, test.cost, train.metric


def shown(value: float) -> str:
    """A cost as the status line writes it (– when there is none)."""
    return f"{value:.4g}" if math.isfinite(value) else "–"


def assert_panels_agree(window: MainWindow, config: TrainingConfig) -> Snapshot:
    """Status line, Metrics and the Cost plot's "now" show the shown snapshot's numbers, and
    those are the numbers at its weights; a gradient-check result is of these weights and
    this batch or cleared."""
    snapshot = window.snapshot
    assert snapshot is not None
    train_cost, test_cost, accuracy = at_weights(config, snapshot)
    status = window.status_line.text()
    assert f"train cost {shown(train_cost)}" in status
    assert f"test cost {shown(test_cost)}" in status
    assert f"train accuracy {accuracy:.1%}" in status
    assert f"epoch {snapshot.epoch}  ·  step {snapshot.step}" in status
    np.testing.assert_allclose(window.cost_plot.now_costs, (train_cost, test_cost), rtol=1e-12)
    for marker, cost in zip(window.cost_plot.now_markers, (train_cost, test_cost), strict=True):
        assert marker.isVisible() is math.isfinite(cost)
        if math.isfinite(cost):
            assert float(marker.yData[0]) == pytest.approx(cost, rel=1e-12)
            assert float(marker.xData[0]) == snapshot.epoch
    window.findChild(type(window.data_dock), "metricsDock").raise_()
    metrics = window.findChild(MetricsPanel, "metricsPanel")
    assert metrics is not None
    metrics.reveal()
    assert metrics.shown_evaluation is snapshot.evaluation
    assert f"accuracy <b>{percent(accuracy)}</b>" in metrics.train_table.caption.text()
    check = window.findChild(GradientCheckPanel, "gradientCheck")
    if check.result is not None:
        same = np.array_equal(check.result.params, snapshot.params) and np.array_equal(
            check.result.analytic, snapshot.gradient)
        assert check.stale is not same
        assert (check.table.rowCount() == 0) is check.stale
        assert (check.summary.text() == STALE_TEXT) is check.stale
    return snapshot


def prepare(window: MainWindow, qtbot) -> tuple[GradientCheckPanel, StepThroughPanel]:  # type: ignore[no-untyped-def]
    """Train, walk one step through and apply it, then run the gradient check: both panels
    hold results of the current state."""
    window.step(30)
    find_action(window, "actionStepThrough").trigger()
    walk_panel = window.findChild(StepThroughPanel, "stepThrough")
    walk_panel.apply_button.click()
    assert walk_panel.message_label.text().startswith("Applied step ")
    find_action(window, "actionGradientCheck").trigger()
    check = window.findChild(GradientCheckPanel, "gradientCheck")
    qtbot.waitUntil(lambda: check.result is not None, timeout=10_000)
    assert check.result.passed and not check.stale and check.table.rowCount() == 2
    assert walk_panel.message_label.text().startswith("Applied step ")  # same state still
    assert_panels_agree(window, CONFIG)
    return check, walk_panel


def assert_results_cleared(check: GradientCheckPanel, walk: StepThroughPanel) -> None:
    assert check.stale and check.table.rowCount() == 0 and check.summary.text() == STALE_TEXT
    assert not check.worst_button.isEnabled()
    assert walk.message_label.text() == IDLE_TEXT


def test_a_hand_edit_shows_in_every_panel_and_undo_brings_the_check_back(
        make_window, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window(CONFIG)
    check, walk = prepare(window, qtbot)
    before = window.snapshot
    monkeypatch.setattr(hand_edits, "ask_value", lambda *args: -8.0)
    edits = window.findChild(hand_edits.HandEdits)
    edits.edit_by_dialog(EDITED)
    edited = window.sync()
    assert edited.step == before.step and not np.array_equal(edited.params, before.params)
    assert_panels_agree(window, CONFIG)
    assert f"train cost {before.evaluation.train.cost:.4g}" not in window.status_line.text()
    assert_results_cleared(check, walk)
    find_action(window, "actionUndo").trigger()
    undone = window.sync()
    assert undone.params.tobytes() == before.params.tobytes()
    assert_panels_agree(window, CONFIG)
    assert not check.stale and check.table.rowCount() == 2  # its state is back
    assert check.summary.text().startswith("Backprop and finite differences agree")


def test_reset_clears_every_panel(make_window, qtbot) -> None:
    window = make_window(CONFIG)
    check, walk = prepare(window, qtbot)
    find_action(window, "actionReset").trigger()
    reset = window.sync()
    assert reset.step == 0 and reset.epoch == 0
    assert_panels_agree(window, CONFIG)
    plot = window.cost_plot
    assert not plot.isVisible() or plot.empty_state.isVisible() or plot.empty_label.isVisible()
    assert len(reset.history.epochs) == 0
    assert_results_cleared(check, walk)


def test_new_data_clears_every_panel(make_window, qtbot, answers) -> None:
    window = make_window(CONFIG)
    check, walk = prepare(window, qtbot)
    answers.append(Button.Discard)
    window.controls.dataset_combo.set_code("xor")
    qtbot.waitUntil(lambda: window.snapshot.step == 0, timeout=5000)
    window.sync()
    assert not answers
    assert_panels_agree(window, window.config)
    assert_results_cleared(check, walk)


def test_an_opened_session_clears_every_panel(make_window, qtbot, answers,
                                              tmp_path: Path) -> None:
    window = make_window(CONFIG)
    window.step(5)
    path = tmp_path / "early.deltascope"
    assert window.save_session(str(path))
    check, walk = prepare(window, qtbot)
    answers.append(Button.Discard)
    assert window.open_session(str(path))
    opened = window.sync()
    assert opened.step == 5
    assert_panels_agree(window, CONFIG)
    assert_results_cleared(check, walk)


def test_a_restarted_trainer_agrees_across_panels(make_window, qtbot) -> None:
    window = make_window(CONFIG)
    check, walk = prepare(window, qtbot)
    os.kill(window.worker.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: not window.worker.alive, timeout=5000)
    assert window.restart_training()
    restarted = window.sync()
    assert restarted.step == 0  # the same weights, a new count and history
    assert_panels_agree(window, CONFIG)
    assert walk.message_label.text() == IDLE_TEXT  # the applied step belonged to the old one


def test_a_check_started_while_playing_is_of_the_state_shown(make_window, qtbot) -> None:
    """The issue's scenario: XOR playing at full speed, then Gradient check (it pauses): the
    result is of the weights the window then shows, and agrees."""
    window = make_window(TrainingConfig(learning_rate=0.1))
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step > 3000, timeout=20_000)
    find_action(window, "actionGradientCheck").trigger()
    check = window.findChild(GradientCheckPanel, "gradientCheck")
    # the trainer sends the paused state before checking it; without it the window would
    # go on showing an earlier frame and the result would stay cleared as stale
    qtbot.waitUntil(lambda: check.result is not None and not check.stale, timeout=10_000)
    shown = window.snapshot
    assert not window.playing
    assert np.array_equal(check.result.params, shown.params) and not check.stale
    assert check.result.passed
    assert check.summary.text().startswith("Backprop and finite differences agree")
    assert_panels_agree(window, TrainingConfig(learning_rate=0.1))


def test_the_timeline_clears_a_check_of_another_step_and_latest_brings_it_back(
        make_window, qtbot) -> None:
    from gui.panels.timeline import TimelinePanel

    window = make_window(CONFIG)
    latest = window.step(20)
    find_action(window, "actionGradientCheck").trigger()
    check = window.findChild(GradientCheckPanel, "gradientCheck")
    qtbot.waitUntil(lambda: check.result is not None, timeout=10_000)
    assert not check.stale
    timeline = window.findChild(TimelinePanel, "timeline")
    timeline.show_step(9)
    qtbot.waitUntil(lambda: timeline.viewing is not None and timeline.viewing.step == 9,
                    timeout=5000)
    assert check.stale and check.table.rowCount() == 0
    assert "step 9" in window.status_line.text()
    timeline.return_to_live()
    qtbot.waitUntil(lambda: not check.stale, timeout=5000)
    assert check.table.rowCount() == 2 and window.snapshot.step == latest.step
