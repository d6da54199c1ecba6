"""Hand edits through the window: double-click an edge or neuron (or use the inspector's value
field) to set a parameter while paused; Edit > Undo / Redo take it back and re-apply it."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu

from engine.core.network import ParameterRef
from engine.core.notation import number
from engine.training.config import TrainingConfig
from engine.training.snapshot import Snapshot, take_snapshot
from engine.training.trainer import Trainer
from gui.app.main_window import MainWindow
from gui.panels import hand_edits
from gui.panels.inspector import InspectorPanel
from gui.views.canvas_geometry import format_value
from tests.gui.helpers import find_action, flat_index, trained

CONFIG = TrainingConfig(dataset="xor", optimizer="adam", learning_rate=0.05)
HIDDEN_WEIGHT = ParameterRef(1, "weight", 2, 1)
OUTPUT_BIAS = ParameterRef(2, "bias", 0)
STEPS = 10


def edited_trainer(ref: ParameterRef, value: float) -> Trainer:
    """A trainer built as the window builds it, trained STEPS steps, with `ref` then set to
    `value` directly (its optimizer state untouched)."""
    trainer = trained(CONFIG, STEPS)
    trainer.network.params[trainer.network.flat_index(ref)] = value
    return trainer


class Dialog:
    """Stands in for hand_edits.ask_value: records the prefilled values, gives `answer`."""

    def __init__(self, answer: float | None) -> None:
        self.answer = answer
        self.prefilled: list[float] = []

    def __call__(self, parent: object, title: str, label: str, value: float) -> float | None:
        self.prefilled.append(value)
        return self.answer


@pytest.fixture
def dialog(monkeypatch: pytest.MonkeyPatch) -> Dialog:
    answer = Dialog(0.5)
    monkeypatch.setattr(hand_edits, "ask_value", answer)
    return answer


def inspector(window: MainWindow) -> InspectorPanel:
    panel = window.findChild(InspectorPanel, "inspector")
    assert panel is not None
    return panel


def double_click_edge(window: MainWindow, ref: ParameterRef) -> Snapshot:
    QTest.mouseDClick(window.canvas, Qt.MouseButton.LeftButton,
                      pos=window.canvas.edge_midpoint(ref).toPoint())
    snapshot = window.sync()
    assert snapshot is not None
    return snapshot


def test_double_clicking_an_edge_sets_the_weight_everywhere(qtbot, make_window, dialog) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CONFIG)
    before = window.step(STEPS)
    index = flat_index(before, HIDDEN_WEIGHT)
    reference = take_snapshot(edited_trainer(HIDDEN_WEIGHT, 0.5))
    after = double_click_edge(window, HIDDEN_WEIGHT)
    assert dialog.prefilled == [before.params[index]]  # the current value, every digit
    assert after.params[index] == 0.5
    np.testing.assert_array_equal(after.params, reference.params)
    assert after.step == before.step  # no training step was taken
    assert window.selected == HIDDEN_WEIGHT
    # gradients recomputed at the edited weights, in the heatmaps too
    assert not np.allclose(after.gradient, before.gradient)
    np.testing.assert_allclose(after.gradient, reference.gradient, rtol=1e-12, atol=1e-15)
    weight_image, bias_image = window.heatmaps.image_data(1)
    np.testing.assert_allclose(weight_image, reference.layers[0].weight_gradients, rtol=1e-12)
    np.testing.assert_allclose(bias_image, reference.layers[0].bias_gradients, rtol=1e-12)
    # the canvas's hover card and the inspector show the new value
    qtbot.mouseMove(window.canvas, window.canvas.edge_midpoint(HIDDEN_WEIGHT).toPoint())
    qtbot.waitUntil(lambda: window.canvas.hover_text() != "", timeout=2000)
    assert f"W¹₃,₂ = {format_value(0.5)} " in window.canvas.hover_text()
    panel = inspector(window)
    qtbot.waitUntil(lambda: panel.isVisible() and panel.value_edit.text() == "0.5", timeout=2000)
    assert number(reference.gradient[index]) in panel.values.text()


def test_undo_restores_the_exact_value_and_redo_reapplies_it(qtbot, make_window, dialog) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CONFIG)
    before = window.step(STEPS)
    index = flat_index(before, HIDDEN_WEIGHT)
    undo, redo = find_action(window, "actionUndo"), find_action(window, "actionRedo")
    assert not undo.isEnabled() and not redo.isEnabled()
    assert undo.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    assert redo.shortcut() == QKeySequence(QKeySequence.StandardKey.Redo)
    assert undo.statusTip() and redo.statusTip()
    menus = [a.menu().objectName() for a in window.menuBar().actions() if a.menu()]
    assert menus.index("editMenu") == 1  # right after File
    edit_menu = window.findChild(QMenu, "editMenu")
    assert edit_menu is not None and edit_menu.actions() == [undo, redo]
    edited = double_click_edge(window, HIDDEN_WEIGHT)
    assert undo.isEnabled() and undo.text() == "Undo set W¹₃,₂ = 0.5"
    undo.trigger()
    undone = window.sync()
    assert undone is not None
    assert undone.params.tobytes() == before.params.tobytes()  # bit for bit
    np.testing.assert_array_equal(undone.gradient, before.gradient)
    assert redo.isEnabled() and not undo.isEnabled()
    assert redo.text() == "Redo set W¹₃,₂ = 0.5"
    redo.trigger()
    redone = window.sync()
    assert redone is not None
    assert redone.params.tobytes() == edited.params.tobytes()
    assert redone.params[index] == 0.5 and window.selected == HIDDEN_WEIGHT


def test_the_inspector_value_field_sets_the_selected_parameter(qtbot, make_window, dialog) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CONFIG)
    before = window.step(STEPS)
    index = flat_index(before, HIDDEN_WEIGHT)
    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton,
                     pos=window.canvas.edge_midpoint(HIDDEN_WEIGHT).toPoint())
    panel = inspector(window)
    qtbot.waitUntil(lambda: panel.isVisible() and panel.breakdown is not None, timeout=2000)
    assert float(panel.value_edit.text()) == before.params[index]  # full precision
    panel.value_edit.selectAll()
    qtbot.keyClicks(panel.value_edit, "-1.25e-1")
    qtbot.keyClick(panel.value_edit, Qt.Key.Key_Return)
    after = window.sync()
    assert after is not None and after.params[index] == -0.125
    assert dialog.prefilled == []  # no dialog for the field
    assert find_action(window, "actionUndo").text() == "Undo set W¹₃,₂ = \u22120.125"
    qtbot.waitUntil(lambda: panel.value_edit.text() == "-0.125", timeout=2000)


@pytest.mark.parametrize("typed", ["abc", "nan", "-inf"])
def test_a_value_that_is_not_a_finite_number_is_refused(qtbot, make_window, dialog, typed) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CONFIG)
    before = window.step(STEPS)
    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton,
                     pos=window.canvas.edge_midpoint(HIDDEN_WEIGHT).toPoint())
    panel = inspector(window)
    qtbot.waitUntil(lambda: panel.isVisible() and panel.breakdown is not None, timeout=2000)
    with qtbot.assertNotEmitted(panel.value_edited):
        panel.value_edit.selectAll()
        qtbot.keyClicks(panel.value_edit, typed)
        qtbot.keyClick(panel.value_edit, Qt.Key.Key_Return)
    message = panel.value_message.text()
    assert "W¹₃,₂ is unchanged" in message
    assert ("not a number" if typed == "abc" else "finite number") in message
    after = window.sync()
    assert after is not None and after.params.tobytes() == before.params.tobytes()
    assert not find_action(window, "actionUndo").isEnabled()


def test_a_non_finite_dialog_answer_is_refused_with_a_message(qtbot, make_window, dialog) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CONFIG)
    before = window.step(STEPS)
    dialog.answer = float("nan")
    after = double_click_edge(window, HIDDEN_WEIGHT)
    assert after.params.tobytes() == before.params.tobytes()
    assert "finite number" in window.banner.text
    assert not find_action(window, "actionUndo").isEnabled()


def test_the_worker_refuses_a_value_whose_cost_is_not_finite(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CONFIG.with_changes(output_activation="linear", loss="mse"))
    before = window.step(STEPS)
    index = flat_index(before, OUTPUT_BIAS)
    window.worker.set_parameter(index, 1e300)  # outputs of 1e300: a squared error of inf
    after = window.sync()
    assert after is not None and after.params.tobytes() == before.params.tobytes()
    assert "the cost is not finite. Nothing was changed." in window.banner.text
    assert not find_action(window, "actionUndo").isEnabled()


def test_double_clicking_a_neuron_sets_its_bias(qtbot, make_window, dialog) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CONFIG)
    before = window.step(STEPS)
    index = flat_index(before, OUTPUT_BIAS)
    dialog.answer = -2.0
    QTest.mouseDClick(window.canvas, Qt.MouseButton.LeftButton,
                      pos=window.canvas.neuron_center(2, 0).toPoint())
    after = window.sync()
    assert after is not None
    assert dialog.prefilled == [before.params[index]]
    assert after.params[index] == -2.0
    changed = np.flatnonzero(after.params != before.params)
    assert changed.tolist() == [index]
    assert window.selected == OUTPUT_BIAS
    assert find_action(window, "actionUndo").text() == "Undo set b²₁ = \u22122"


def test_double_clicking_while_playing_pauses_first(qtbot, make_window, dialog) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CONFIG)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.playing, timeout=2000)
    after = double_click_edge(window, HIDDEN_WEIGHT)
    assert not window.playing
    assert after.params[flat_index(after, HIDDEN_WEIGHT)] == 0.5


def test_a_new_trainer_clears_the_undo_stack(qtbot, make_window, dialog) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CONFIG)
    window.step(STEPS)
    double_click_edge(window, HIDDEN_WEIGHT)
    undo = find_action(window, "actionUndo")
    assert undo.isEnabled()
    window.reset()
    window.sync()
    assert not undo.isEnabled() and not find_action(window, "actionRedo").isEnabled()


def test_training_goes_on_from_the_edit_with_adams_moments_kept(qtbot, make_window, dialog) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CONFIG)
    window.step(STEPS)
    double_click_edge(window, HIDDEN_WEIGHT)
    stepped = window.step(3)
    trainer = edited_trainer(HIDDEN_WEIGHT, 0.5)
    for _ in range(3):
        trainer.step()
    assert stepped is not None and stepped.step == STEPS + 3
    assert stepped.params.tobytes() == trainer.network.params.tobytes()
