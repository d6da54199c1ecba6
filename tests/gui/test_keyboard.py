"""The window's shortcuts work after clicking anything; number boxes keep digits and arrows
but never swallow a shortcut; layer sizes apply on Enter, not per keystroke.

Keys go through QTest to whatever widget has the focus after the click, as a person's would.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from engine.training.config import TrainingConfig
from gui.app.main_window import MainWindow
from tests.gui.helpers import find_action

XOR = TrainingConfig(dataset="xor", test_ratio=0.0, batch_size=0)
Key = Qt.Key
Mod = Qt.KeyboardModifier


@pytest.fixture
def make_window(make_window, qtbot):
    """Windows that are active, as the one a person types into is (on a real X server
    without a window manager nothing activates them otherwise)."""

    def make(config: TrainingConfig | None = None) -> MainWindow:
        window = make_window(config)
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
        return window

    return make


def focused(window: MainWindow) -> QWidget:
    return QApplication.focusWidget() or window


def press(window: MainWindow, key: Qt.Key, modifier: Qt.KeyboardModifier = Mod.NoModifier) -> None:
    QTest.keyClick(focused(window), key, modifier)


def click(widget: QWidget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def toolbar_button(window: MainWindow, name: str) -> QWidget:
    return window.toolbar.widgetForAction(find_action(window, name))


@pytest.fixture
def export_dialogs(monkeypatch) -> list[str]:
    """Export dialogs opened (their captions); each is cancelled."""
    opened: list[str] = []

    def cancelled(parent, caption, *args, **kwargs):
        opened.append(caption)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", cancelled)
    return opened


def assert_shortcuts_work(window: MainWindow, qtbot, export_dialogs: list[str]) -> None:
    """Space plays and pauses, Right steps, Shift+Right steps an epoch, Ctrl+E asks where to
    export, Ctrl+R resets: each sent to the focused widget."""
    where = type(focused(window)).__name__
    press(window, Key.Key_Space)
    qtbot.waitUntil(lambda: window.playing, timeout=5000)
    press(window, Key.Key_Space)
    qtbot.waitUntil(lambda: not window.playing, timeout=5000)
    before = window.sync().step
    press(window, Key.Key_Right)
    assert window.sync().step == before + 1, where
    press(window, Key.Key_Right, Mod.ShiftModifier)
    assert window.sync().epoch > 0, where
    press(window, Key.Key_E, Mod.ControlModifier)
    assert export_dialogs and export_dialogs.pop() == "Export Weights", where
    window.mark_saved(window.snapshot.params)  # Reset asks nothing
    press(window, Key.Key_R, Mod.ControlModifier)
    qtbot.waitUntil(lambda: window.sync().step == 0, timeout=5000)


@pytest.mark.parametrize("button", ["actionPlayPause", "actionStep", "actionReset",
                                    "actionColorByGradient"])
def test_shortcuts_work_after_clicking_a_toolbar_button(make_window, qtbot, export_dialogs,
                                                        button: str) -> None:
    window = make_window(XOR)
    click(window.sample_spin.lineEdit())  # a number box had the focus before
    assert focused(window) is window.sample_spin
    click(toolbar_button(window, button))
    if window.playing:
        window.play_action.trigger()
        qtbot.waitUntil(lambda: not window.playing, timeout=5000)
    assert focused(window) is not window.sample_spin
    assert_shortcuts_work(window, qtbot, export_dialogs)


def test_shortcuts_work_right_after_the_window_opens(make_window, qtbot, export_dialogs) -> None:
    window = make_window(XOR)
    assert focused(window) is window.canvas
    assert_shortcuts_work(window, qtbot, export_dialogs)


@pytest.mark.parametrize("control", ["addLayerButton", "featureCheck3", "lossCombo",
                                     "speedControl"])
def test_shortcuts_work_after_clicking_a_control(make_window, qtbot, export_dialogs,
                                                 control: str) -> None:
    window = make_window(XOR)
    widget = window.findChild(QWidget, control)
    assert widget is not None, control
    click(widget)
    popup = getattr(widget, "hidePopup", None)
    if popup is not None:  # the list a click opened; offscreen, the window is not active again
        popup()
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    window.sync()
    assert_shortcuts_work(window, qtbot, export_dialogs)


@pytest.mark.parametrize("box", ["sampleSpin", "timelineCapacity", "learningRateSpin",
                                 "layerSize1"])
def test_number_boxes_keep_digits_and_arrows_but_not_shortcuts(make_window, qtbot,
                                                                export_dialogs, box: str) -> None:
    window = make_window(XOR)
    window.step(5)
    window.mark_saved(window.snapshot.params)
    spin = window.findChild(QWidget, box)
    click(spin.lineEdit())
    assert focused(window) is spin
    text = spin.text()
    press(window, Key.Key_Space)  # plays, and the box keeps "10000" (or whatever it held)
    qtbot.waitUntil(lambda: window.playing, timeout=5000)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: not window.playing, timeout=5000)
    assert spin.text() == text
    if focused(window) is not spin:  # Space commits the box and focuses the canvas
        click(spin.lineEdit())
    press(window, Key.Key_E, Mod.ControlModifier)
    assert export_dialogs == ["Export Weights"] and spin.text() == text
    click(spin.lineEdit())
    step = window.sync().step
    press(window, Key.Key_End)
    press(window, Key.Key_Right)  # the cursor moves in the box: no training step
    press(window, Key.Key_Left)
    assert window.sync().step == step and focused(window) is spin
    press(window, Key.Key_A, Mod.ControlModifier)
    press(window, Key.Key_2)
    assert spin.text() != text and "2" in spin.text()  # digits go in
    window.mark_saved(window.sync().params)  # a new layer size asks nothing
    press(window, Key.Key_Escape)  # leaves the box
    assert focused(window) is window.canvas


def test_layer_size_applies_on_enter_not_per_keystroke(make_window, qtbot) -> None:
    window = make_window(XOR)
    changes: list[int] = []
    window.controls.structure_changed.connect(lambda: changes.append(1))
    spin = window.findChild(QWidget, "layerSize1")
    click(spin.lineEdit())
    press(window, Key.Key_A, Mod.ControlModifier)
    QTest.keyClicks(spin.lineEdit(), "64")
    assert changes == [] and window.config.hidden[0].size == 4  # nothing built mid-typing
    press(window, Key.Key_Return)
    assert changes == [1]
    qtbot.waitUntil(lambda: window.sync().sizes == (2, 64, 1), timeout=5000)
    spin = window.findChild(QWidget, "layerSize1")
    click(spin.lineEdit())
    QTest.keyClick(spin.lineEdit(), Key.Key_Up)  # the arrows apply at once
    qtbot.waitUntil(lambda: window.sync().sizes == (2, 65, 1), timeout=5000)
    assert changes == [1, 1]


def test_layer_size_applies_when_the_box_loses_focus(make_window, qtbot) -> None:
    window = make_window(XOR)
    spin = window.findChild(QWidget, "layerSize1")
    click(spin.lineEdit())
    press(window, Key.Key_A, Mod.ControlModifier)
    QTest.keyClicks(spin.lineEdit(), "7")
    assert window.config.hidden[0].size == 4
    click(window.canvas)
    qtbot.waitUntil(lambda: window.sync().sizes == (2, 7, 1), timeout=5000)


def test_focus_does_not_fall_into_a_box_when_the_timeline_is_disabled(
        make_window, qtbot, export_dialogs) -> None:
    window = make_window(XOR)
    window.step(5)
    slider = window.findChild(QWidget, "timelineSlider")
    assert slider.isEnabled()
    slider.setFocus(Qt.FocusReason.MouseFocusReason)  # clicked: Left/Right scrub there
    press(window, Key.Key_Space)  # plays: the slider is disabled and loses the focus
    qtbot.waitUntil(lambda: window.playing, timeout=5000)
    assert not slider.isEnabled()
    assert focused(window) is window.canvas
    press(window, Key.Key_Space)
    qtbot.waitUntil(lambda: not window.playing, timeout=5000)
    assert_shortcuts_work(window, qtbot, export_dialogs)
