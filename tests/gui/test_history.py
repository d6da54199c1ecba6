"""The timeline and the parameter history plot, driven through the window like a person."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from engine.core.network import ParameterRef, parameter_count
from engine.training.config import HiddenLayer, TrainingConfig
from engine.training.snapshot import Snapshot, take_snapshot
from engine.training.step_history import bytes_per_step, epoch_position
from gui.app.main_window import MainWindow
from gui.panels.parameter_history import ParameterHistoryPanel
from gui.panels.timeline import TimelinePanel, format_bytes
from gui.views.canvas_geometry import format_value
from tests.gui.helpers import find_action, trained

# Mini-batches, so each stored step has its own batch rows to rebuild.
CIRCLE = TrainingConfig(dataset="circle", samples=40, batch_size=8, optimizer="adam",
                        learning_rate=0.05, hidden=(HiddenLayer(3, "tanh"),))
XOR = TrainingConfig(dataset="xor", optimizer="adam", learning_rate=0.05)


def _timeline(window: MainWindow) -> TimelinePanel:
    dock = window.findChild(QDockWidget, "timelineDock")
    assert dock is not None and dock.windowTitle() == "Timeline"
    panel = dock.widget()
    assert isinstance(panel, TimelinePanel)
    return panel


def _parameter_history(window: MainWindow) -> ParameterHistoryPanel:
    dock = window.findChild(QDockWidget, "parameterHistoryDock")
    assert dock is not None
    panel = dock.widget()
    assert isinstance(panel, ParameterHistoryPanel)
    return panel


def _scrub_to(window: MainWindow, qtbot, step: int) -> Snapshot:
    timeline = _timeline(window)
    assert timeline.slider.isEnabled()
    timeline.slider.setValue(step)  # what dragging the handle does
    qtbot.waitUntil(lambda: timeline.viewing is not None and timeline.viewing.step == step,
                    timeout=5000)
    return timeline.viewing


def _canvas_card(window: MainWindow, qtbot, ref: ParameterRef) -> str:
    qtbot.wait(20)  # let the layout settle (the banner above the canvas may just have gone)
    qtbot.mouseMove(window.canvas, window.canvas.edge_midpoint(ref).toPoint())
    qtbot.waitUntil(lambda: ref.symbol in window.canvas.hover_text(), timeout=2000)
    return window.canvas.hover_text()


def _assert_views_show(window: MainWindow, qtbot, expected: Snapshot) -> None:
    """Heatmaps show exactly these gradients; the canvas card these weights and gradients."""
    for layer in expected.layers:
        shown_weights, shown_biases = window.heatmaps.image_data(layer.index)
        assert np.array_equal(shown_weights, layer.weight_gradients)
        assert np.array_equal(shown_biases, layer.bias_gradients)
    ref = ParameterRef(2, "weight", 0, 1)
    card = _canvas_card(window, qtbot, ref)
    assert f"= {format_value(expected.layers[1].weights[0, 1])}" in card
    assert f"∂C/∂W²₁,₂ = {format_value(expected.layers[1].weight_gradients[0, 1])}" in card


def test_scrubbing_shows_the_stored_step_exactly(make_window, qtbot, monkeypatch) -> None:
    window = make_window(CIRCLE)
    markers: list[float | None] = []
    original_set_marker = window.cost_plot.set_marker

    def record_marker(epoch: float | None) -> None:
        markers.append(epoch)
        original_set_marker(epoch)

    monkeypatch.setattr(window.cost_plot, "set_marker", record_marker)
    latest = window.step(23)
    assert latest is not None and latest.step == 23
    timeline = _timeline(window)
    assert (timeline.slider.minimum(), timeline.slider.maximum()) == (0, 23)
    assert timeline.slider.value() == 23

    norm_steps, norms = window.heatmaps.norm_data()
    assert list(norm_steps) == list(range(24))  # every step, not one point per snapshot
    shown = _scrub_to(window, qtbot, 9)
    expected = take_snapshot(trained(CIRCLE, 9), window.sample_spin.value())
    after_steps, after_norms = window.heatmaps.norm_data()  # the norm curves stay as they are
    assert np.array_equal(after_steps, norm_steps) and np.array_equal(after_norms, norms)
    assert np.array_equal(shown.params, expected.params)
    assert np.array_equal(shown.gradient, expected.gradient)
    assert np.array_equal(shown.batch_rows, expected.batch_rows)
    _assert_views_show(window, qtbot, expected)
    assert markers[-1] == pytest.approx(epoch_position(shown))
    assert 1.0 < markers[-1] < 2.0  # 40 rows in batches of 8: step 9 is 4/5 into epoch 2
    assert window.banner.isVisible()
    assert "Viewing step 9 of 23 (history)" in window.banner.text
    assert "step 9" in window.status_line.text()
    assert window.snapshot is latest  # the latest state is untouched

    timeline.back_button.click()
    qtbot.waitUntil(lambda: timeline.viewing is not None and timeline.viewing.step == 8,
                    timeout=5000)
    _assert_views_show(window, qtbot, take_snapshot(trained(CIRCLE, 8)))


def test_latest_returns_to_the_latest_state(make_window, qtbot, monkeypatch) -> None:
    window = make_window(CIRCLE)
    latest = window.step(12)
    _scrub_to(window, qtbot, 4)
    timeline = _timeline(window)
    assert timeline.latest_button.isEnabled()
    timeline.latest_button.click()
    assert timeline.viewing is None and not window.banner.isVisible()
    assert timeline.slider.value() == 12
    assert latest is not None
    _assert_views_show(window, qtbot, latest)


def test_play_and_step_go_on_from_the_latest_state(make_window, qtbot) -> None:
    window = make_window(XOR)
    latest = window.step(30)
    assert latest is not None
    _scrub_to(window, qtbot, 10)
    timeline = _timeline(window)

    find_action(window, "actionStep").trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == 31, timeout=5000)
    assert np.array_equal(window.snapshot.params, latest.params - latest.update)
    assert timeline.viewing is None and not window.banner.isVisible()
    assert timeline.slider.value() == 31
    _assert_views_show(window, qtbot, window.snapshot)

    _scrub_to(window, qtbot, 5)
    find_action(window, "actionPlayPause").trigger()
    qtbot.waitUntil(lambda: window.playing, timeout=5000)
    assert not timeline.slider.isEnabled()  # no scrubbing while training runs
    qtbot.waitUntil(lambda: window.snapshot.step > 60, timeout=10000)
    find_action(window, "actionPlayPause").trigger()
    paused = window.sync()
    assert paused is not None and timeline.viewing is None
    # Training went on from step 31, not from the step on view: a replay agrees exactly.
    assert np.array_equal(paused.params, trained(XOR, paused.step).network.params)
    assert timeline.slider.isEnabled() and timeline.slider.value() == paused.step


def test_the_timeline_keeps_the_last_n_steps_and_shows_its_memory(make_window, qtbot) -> None:
    window = make_window(XOR)
    timeline = _timeline(window)
    count = parameter_count(window.snapshot.sizes)
    timeline.capacity_spin.setValue(10)
    qtbot.waitUntil(lambda: timeline.info is not None and timeline.info.capacity == 10,
                    timeout=5000)
    window.step(25)
    # every step: the worker reads the norms before the 10-step ring overwrites them
    assert list(window.heatmaps.norm_data()[0]) == list(range(26))
    info = timeline.info
    assert info is not None
    assert (info.kept, info.first_step, info.last_step) == (10, 15, 24)
    assert info.nbytes == 10 * bytes_per_step(count)
    assert (timeline.slider.minimum(), timeline.slider.maximum()) == (15, 25)
    assert timeline.memory_label.text() == f"10 steps kept, {format_bytes(info.nbytes)}"
    assert timeline.capacity_spin.value() == 10
    _scrub_to(window, qtbot, 15)
    timeline.slider.setValue(3)  # below the oldest kept step: the slider stops at it
    assert timeline.slider.value() == 15

    window.reset()
    qtbot.waitUntil(lambda: window.snapshot.step == 0, timeout=5000)
    assert timeline.info is not None and timeline.info.kept == 0
    assert not timeline.slider.isEnabled() and timeline.viewing is None

    timeline.capacity_spin.setValue(0)  # recording off
    qtbot.waitUntil(lambda: timeline.info is not None and timeline.info.capacity == 0,
                    timeout=5000)
    window.step(5)
    assert list(window.heatmaps.norm_data()[0]) == [0, 5]  # the snapshots' own steps only
    assert timeline.capacity_spin.text() == "history off"
    assert timeline.info.kept == 0 and not timeline.slider.isEnabled()
    assert timeline.memory_label.text() == "0 steps kept, 0 B"


def _weight_gradient_norms(snapshot: Snapshot) -> list[float]:
    return [float(np.linalg.norm(layer.weight_gradients)) for layer in snapshot.layers]


def test_the_norm_plot_has_every_step_and_a_reset_clears_it(make_window, qtbot) -> None:
    window = make_window(CIRCLE)
    window.step(100)  # one snapshot, at step 100
    replay = trained(CIRCLE, 0)
    expected = []
    for _ in range(101):
        expected.append(_weight_gradient_norms(take_snapshot(replay)))
        replay.step()
    steps, norms = window.heatmaps.norm_data()
    assert list(steps) == list(range(101))
    np.testing.assert_allclose(norms, expected, rtol=1e-12)
    for m, curve in enumerate(window.heatmaps.norm_curves):
        x, y = curve.getOriginalDataset()
        assert list(x) == list(range(101))
        np.testing.assert_allclose(y, [row[m] for row in expected], rtol=1e-12)

    window.reset()
    qtbot.waitUntil(lambda: window.snapshot.step == 0, timeout=5000)
    steps, norms = window.heatmaps.norm_data()
    assert list(steps) == [0]
    np.testing.assert_allclose(norms, [expected[0]], rtol=1e-12)  # same seed, same start
    assert list(window.heatmaps.norm_curves[0].getOriginalDataset()[0]) == [0]


def test_format_bytes() -> None:
    assert format_bytes(38_400_000) == "38 MB"
    assert format_bytes(4_420_000) == "4.4 MB"
    assert format_bytes(512_000) == "512 kB"
    assert format_bytes(2_500_000_000) == "2.5 GB"
    assert format_bytes(12) == "12 B"


def test_parameter_history_plots_the_selected_parameter(make_window, qtbot) -> None:
    window = make_window(XOR)
    window.step(15)
    panel = _parameter_history(window)
    assert panel.curve_data()[0].size == 0
    assert panel.graphics.isHidden()  # nothing selected: the hint, not empty axes
    ref = ParameterRef(1, "weight", 2, 1)
    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton,
                     pos=window.canvas.edge_midpoint(ref).toPoint())
    assert window.selected == ref and panel.parameter == ref
    assert not panel.graphics.isHidden()
    qtbot.waitUntil(lambda: len(panel.curve_data()[0]) == 16, timeout=5000)
    steps, values, gradients = panel.curve_data()
    replay = trained(XOR, 0)
    index = replay.network.flat_index(ref)
    expected_values, expected_gradients = [], []
    for _ in range(16):
        expected_values.append(replay.network.params[index])
        expected_gradients.append(replay.pending_batch().gradients.flat[index])
        replay.step()
    assert list(steps) == list(range(16))  # 15 stored steps and the latest state
    assert np.array_equal(values, expected_values)
    assert np.array_equal(gradients, expected_gradients)
    assert panel.title_label.text() == f"{ref.symbol} from step 0 to 15"  # no second count

    window.step(5)  # training on: the plot follows (throttled)
    qtbot.waitUntil(lambda: len(panel.curve_data()[0]) == 21, timeout=5000)
    assert panel.curve_data()[1][-1] == window.snapshot.params[index]

    window.select_parameter(None)
    assert panel.curve_data()[0].size == 0


def test_arrow_keys_scrub_and_do_not_train(make_window, qtbot) -> None:
    window = make_window(XOR)
    window.step(10)
    timeline = _timeline(window)
    window.activateWindow()
    timeline.slider.setFocus()
    qtbot.waitUntil(timeline.slider.hasFocus, timeout=2000)
    qtbot.keyClick(timeline.slider, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: timeline.viewing is not None and timeline.viewing.step == 9,
                    timeout=5000)
    qtbot.keyClick(timeline.slider, Qt.Key.Key_Right)  # back to the latest state
    qtbot.waitUntil(lambda: timeline.viewing is None, timeout=5000)
    assert window.snapshot.step == 10  # the Step shortcut (Right) did not fire
    assert timeline.slider.value() == 10
