"""Step through, driven through the window: every phase, its highlights, Back, Cancel, and
Apply landing exactly where a normal Step does."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from engine.core.network import ParameterRef
from engine.explain.stepthrough import phases, resulting_params
from engine.training.config import HiddenLayer, TrainingConfig
from engine.training.snapshot import Snapshot
from gui.app.main_window import MainWindow
from gui.base.array_table import MAX_TABLE_WIDTH, ArrayModel
from gui.panels import stepthrough as stepthrough_module
from gui.panels.stepthrough import StepThrough
from tests.gui.helpers import find_action

# Three layers (13 phases), mini-batches of 6 from 40 samples, Adam: a realistic update.
CONFIG = TrainingConfig(dataset="circle", samples=40, batch_size=6, optimizer="adam",
                        hidden=(HiddenLayer(3, "tanh"), HiddenLayer(2, "relu")))
Highlights = tuple[list[tuple[int, int]], list[ParameterRef]]


def _walk(window: MainWindow) -> StepThrough:
    walk = window.findChild(StepThrough)
    assert walk is not None
    return walk


def _record_highlights(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> list[Highlights]:
    """Every set_highlights call the canvas gets (passed on to the real canvas)."""
    calls: list[Highlights] = []
    real = window.canvas.set_highlights

    def recording(neurons: list[tuple[int, int]], edges: list[ParameterRef]) -> None:
        calls.append((list(neurons), list(edges)))
        real(neurons, edges)

    monkeypatch.setattr(window.canvas, "set_highlights", recording)
    return calls


def _start(window: MainWindow, steps: int = 0) -> tuple[StepThrough, Snapshot]:
    if steps:
        window.step(steps)
    find_action(window, "actionStepThrough").trigger()
    walk = _walk(window)
    assert walk.active and walk.snapshot is window.snapshot
    return walk, walk.snapshot


def _table_values(walk: StepThrough, name: str) -> np.ndarray:
    return walk.panel.tables[name].model().values


def test_the_action_opens_the_dock_and_pauses_training(make_window, qtbot) -> None:
    window = make_window(CONFIG)
    action = find_action(window, "actionStepThrough")
    assert action in window.train_menu.actions() and action in window.toolbar.actions()
    assert not action.shortcut().isEmpty() and action.statusTip()
    dock = window.findChild(QDockWidget, "stepThroughDock")
    assert dock.windowTitle() == "Step through" and not dock.isVisible()
    assert not _walk(window).panel.next_button.isEnabled()
    find_action(window, "actionPlayPause").trigger()
    qtbot.waitUntil(lambda: window.playing, timeout=5000)
    walk, snapshot = _start(window)
    assert not window.playing and dock.isVisible()
    assert walk.panel.counter_label.text().startswith("Phase 1 of 13")
    qtbot.wait(50)  # a paused worker trains no further
    assert window.snapshot.step == snapshot.step and walk.active


def test_next_walks_every_phase_and_apply_equals_a_normal_step(
        make_window, monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window(CONFIG)
    highlights = _record_highlights(window, monkeypatch)
    walk, snapshot = _start(window, steps=3)
    expected = phases(snapshot)
    panel = walk.panel
    for index, phase in enumerate(expected):
        assert panel.counter_label.text().startswith(f"Phase {index + 1} of {len(expected)}")
        assert panel.title_label.text() == phase.title
        assert panel.explanation_label.text().startswith(phase.explanation)
        assert highlights[-1] == (phase.neurons, phase.edges)
        if phase.kind == "update":
            shown = _table_values(walk, "update")
            assert np.array_equal(shown[:, 0], np.concatenate(
                [phase.tables["old W"].ravel(), phase.tables["old b"]]))
            assert np.array_equal(shown[:, 2], np.concatenate(
                [phase.tables["new W"].ravel(), phase.tables["new b"]]))
        else:
            for name, values in phase.tables.items():
                assert np.array_equal(_table_values(walk, name).reshape(values.shape), values)
        lit = window.heatmaps.highlighted_layer()
        assert lit == (phase.layer if phase.kind in ("gradients", "update") else None)
        if phase.kind == "gradients":
            shown_weights, shown_biases = window.heatmaps.image_data(phase.layer)
            assert np.array_equal(shown_weights, phase.tables["dC/dW"])
            assert np.array_equal(shown_biases, phase.tables["dC/db"])
        assert panel.next_button.isEnabled() == (index < len(expected) - 1)
        if index < len(expected) - 1:
            panel.next_button.click()
    # Forward layer 2: its neurons, and the weights W² into them.
    forward_2 = expected[1]
    assert forward_2.neurons == [(2, 0), (2, 1)] and {ref.layer for ref in forward_2.edges} == {2}

    panel.apply_button.click()
    assert not walk.active
    assert window.snapshot.step == snapshot.step + 1
    assert window.snapshot.params.tobytes() == resulting_params(snapshot).tobytes()
    assert "bit for bit" in panel.message_label.text()
    assert highlights[-1] == ([], []) and window.heatmaps.highlighted_layer() is None

    twin = make_window(CONFIG)
    twin.step(4)
    assert twin.snapshot.step == window.snapshot.step
    assert twin.snapshot.params.tobytes() == window.snapshot.params.tobytes()


def test_back_returns_to_the_previous_phase(make_window) -> None:
    window = make_window(CONFIG)
    walk, snapshot = _start(window)
    panel = walk.panel
    assert not panel.back_button.isEnabled()
    for _ in range(5):
        panel.next_button.click()
    assert window.heatmaps.highlighted_layer() == 3  # gradients of layer 3
    panel.back_button.click()
    expected = phases(snapshot)[4]
    assert walk.index == 4 and panel.title_label.text() == expected.title
    assert expected.kind == "backward" and window.heatmaps.highlighted_layer() is None
    assert np.array_equal(_table_values(walk, "delta"), snapshot.layers[2].deltas)
    # The heatmaps' own API: a layer that does not exist frames nothing.
    window.heatmaps.set_highlighted_layer(7)
    assert window.heatmaps.highlighted_layer() is None


def test_keys_walk_forward_and_back_only_during_a_walk(make_window, qtbot) -> None:
    window = make_window(CONFIG)
    next_key, back_key = (find_action(window, name)
                          for name in ("actionStepThroughNext", "actionStepThroughBack"))
    assert not next_key.isEnabled() and not back_key.isEnabled()
    walk, _ = _start(window)
    assert next_key.isEnabled() and not back_key.isEnabled()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    for key in (Qt.Key.Key_N, Qt.Key.Key_N, Qt.Key.Key_N, Qt.Key.Key_B):
        qtbot.keyClick(window, key)
    assert walk.index == 2 and back_key.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not walk.active and not next_key.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_N)  # idle: the key does nothing
    assert not walk.active


def test_cancel_changes_nothing(make_window, monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window(CONFIG)
    highlights = _record_highlights(window, monkeypatch)
    walk, snapshot = _start(window, steps=2)
    for _ in range(9):
        walk.panel.next_button.click()
    walk.panel.cancel_button.click()
    assert not walk.active and "nothing was changed" in walk.panel.message_label.text()
    assert highlights[-1] == ([], []) and window.heatmaps.highlighted_layer() is None
    again = window.sync()
    assert again.step == snapshot.step
    assert again.params.tobytes() == snapshot.params.tobytes()
    assert again.update.tobytes() == snapshot.update.tobytes()  # optimizer state untouched
    window.step(1)
    assert window.snapshot.params.tobytes() == resulting_params(snapshot).tobytes()


@pytest.mark.parametrize("change", [
    lambda window: window.step(1),
    lambda window: window.reset(),
    lambda window: window.worker.set_hyperparameters(0.5, CONFIG.batch_size, "none", 0.0,
                                                     CONFIG.optimizer),
], ids=["step", "reset", "learning rate"])
def test_a_change_to_the_network_ends_the_walk_as_stale(
        make_window, qtbot, change: Callable[[MainWindow], object]) -> None:
    window = make_window(CONFIG)
    walk, _ = _start(window, steps=2)
    walk.panel.next_button.click()
    with qtbot.waitSignal(walk.finished, timeout=5000) as ended:
        change(window)
    assert ended.args == ["stale"] and not walk.active
    assert "stale" in walk.panel.message_label.text()
    assert not walk.panel.apply_button.isEnabled()


def test_resuming_training_ends_the_walk(make_window, qtbot) -> None:
    window = make_window(CONFIG)
    walk, _ = _start(window)
    with qtbot.waitSignal(walk.finished, timeout=5000) as ended:
        find_action(window, "actionPlayPause").trigger()
    assert ended.args == ["stale"] and "training resumed" in walk.panel.message_label.text()
    window.sync()


def test_showing_another_sample_keeps_the_walk(make_window, qtbot) -> None:
    window = make_window(CONFIG)
    walk, snapshot = _start(window)
    window.sample_spin.setValue(5)
    qtbot.waitUntil(lambda: window.snapshot.probe.row == 5, timeout=5000)
    assert walk.active and walk.snapshot is snapshot


def test_a_mismatch_is_reported_loudly(make_window, monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window(CONFIG)
    walk, _ = _start(window)
    monkeypatch.setattr(stepthrough_module, "resulting_params",
                        lambda snapshot: snapshot.params - 2.0 * snapshot.update)
    with_finished: list[str] = []
    walk.finished.connect(with_finished.append)
    walk.panel.apply_button.click()
    assert with_finished == ["mismatch"]
    assert walk.panel.message_label.text().startswith("MISMATCH")
    assert not window.banner.isHidden()


def test_tables_are_readable_and_large_layers_scroll(make_window, qtbot) -> None:
    config = TrainingConfig(dataset="circle", samples=120, batch_size=0,
                            hidden=(HiddenLayer(40, "tanh"),))
    window = make_window(config)
    walk, snapshot = _start(window)
    view = walk.panel.tables["z"]
    model = view.model()
    z = snapshot.layers[0].pre_activations
    assert model.rowCount() == 120 and model.columnCount() == 40
    assert model.headerData(7, Qt.Orientation.Vertical) == f"#{snapshot.batch_rows[7] + 1}"
    assert model.headerData(3, Qt.Orientation.Horizontal) == "z¹₄"  # column 3, 1-based
    assert model.data(model.index(7, 3)) == f"{z[7, 3]:.4g}"
    assert float(model.data(model.index(7, 3), Qt.ItemDataRole.ToolTipRole)) == z[7, 3]
    qtbot.waitUntil(lambda: view.isVisible(), timeout=2000)
    assert view.width() <= MAX_TABLE_WIDTH
    assert view.horizontalScrollBar().maximum() > 0 and view.verticalScrollBar().maximum() > 0


def test_numbers_show_four_significant_digits_and_no_negative_zero(qtbot) -> None:
    model = ArrayModel(np.array([[-0.0, 1.23456789, -0.000123456]]), ["#0"], ["a", "b", "c"])
    shown = [model.data(model.index(0, column)) for column in range(3)]
    assert shown == ["0", "1.235", "-0.0001235"]
    assert model.data(model.index(0, 1), Qt.ItemDataRole.ToolTipRole) == "1.2345678899999999"
