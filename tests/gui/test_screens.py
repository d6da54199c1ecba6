"""The window fits every screen: sized from the available geometry, nothing off-screen or
overlapping at 1024x768, 1366x768, 1920x1080 and 2x scale (2560x1600 at QT_SCALE_FACTOR=2 is a
1280x800 screen in Qt's logical pixels), a saved layout from a larger screen clamped onto the
current one, and adding hidden layers never resizes the window."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QPoint, QPointF, QRect, QSettings, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from engine.training.config import TrainingConfig
from gui.app.main_window import MainWindow
from gui.app.window_geometry import clamped_geometry, fitted_geometry, place_window
from tests.gui.layout_check import layout_problems, shown_docks

ROOT = Path(__file__).resolve().parents[2]
SCREENS = {  # name: available geometry (a desktop panel takes some of the first two)
    "1024x768": QRect(0, 27, 1024, 741),
    "1366x768": QRect(0, 0, 1366, 740),
    "1920x1080": QRect(0, 0, 1920, 1080),
    "2560x1600 at 2x": QRect(0, 0, 1280, 800),
}


def settle() -> None:
    for _ in range(5):
        QCoreApplication.processEvents()


@pytest.fixture
def first_run_window(qtbot, tmp_path: Path, answers):
    """A window as on a first run (no saved layout) placed for a given available geometry."""
    windows: list[MainWindow] = []

    def make(available: QRect, saved_geometry: object = None) -> MainWindow:
        settings = QSettings(str(tmp_path / f"settings{len(windows)}.ini"),
                             QSettings.Format.IniFormat)
        window = MainWindow(TrainingConfig(), settings=settings)
        windows.append(window)
        place_window(window, saved_geometry, available)
        window.show()
        window.sync()
        window._apply_default_layout()  # as the first run does once the window has its size
        settle()
        return window

    yield make
    for window in windows:
        window.stop_worker()
        window.hide()
        window.deleteLater()


def test_no_stale_dock_tab_bar_floats_over_the_docks(tmp_path: Path) -> None:
    """Launched as `python main.py` does (in a plain process), Qt left "Data | Inspector" and
    a second "Parameter history | Runs" tab bar drawn over the Gradients and Parameter history
    docks; gui/app/stale_tab_bars.py hides them."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.gui.layout_check", str(tmp_path / "s.ini"), "launch"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("screen", SCREENS)
def test_window_fits_the_screen_and_adding_layers_keeps_its_size(first_run_window,
                                                                  screen: str) -> None:
    available = SCREENS[screen]
    window = first_run_window(available)
    assert layout_problems(window, available) == []
    assert {"controlsDock", "dataDock", "gradientsDock", "costDock"} <= {
        dock.objectName() for dock in shown_docks(window)}
    size = window.size()
    for _ in range(4):
        window.controls.add_layer_button.click()
        settle()
    assert window.size() == size
    assert layout_problems(window, available) == []
    scroll = window.controls_dock.widget()
    if window.controls.height() > scroll.viewport().height():
        assert scroll.verticalScrollBar().isVisible()  # the dock scrolls instead


def test_window_uses_a_large_screen_without_filling_it(first_run_window) -> None:
    window = first_run_window(SCREENS["1920x1080"])
    assert (window.width(), window.height()) == (1280, 800)


def test_saved_geometry_from_a_larger_screen_is_clamped_onto_this_one(
        first_run_window, qtbot) -> None:
    big = first_run_window(QRect(0, 0, 2560, 1440))
    big.setGeometry(300, 200, 1900, 1200)
    settle()
    saved = big.saveGeometry()
    small = SCREENS["1024x768"]
    window = first_run_window(small, saved_geometry=saved)
    assert layout_problems(window, small) == []
    assert window.width() < 1024 and window.height() < 741


def test_geometry_arithmetic() -> None:
    minimum = QRect(0, 0, 878, 544).size()
    fitted = fitted_geometry(QRect(0, 27, 1024, 741), minimum)
    assert QRect(0, 27, 1024, 741).contains(fitted)
    assert fitted.width() >= 878 and fitted.height() >= 544
    clamped = clamped_geometry(QRect(-500, 900, 3000, 2000), QRect(1920, 0, 1366, 768), minimum)
    assert QRect(1920, 0, 1366, 768).contains(clamped)  # onto the second monitor


def run_layout_check(tmp_path: Path, screens: list[tuple[str, int, int, int, int]]) -> dict:
    """tests/gui/layout_check.py in a child process whose offscreen platform has `screens`
    (name, x, y, width, height)."""
    config = tmp_path / "screens.json"
    config.write_text(json.dumps({"screens": [
        {"name": name, "x": x, "y": y, "width": width, "height": height,
         "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
        for name, x, y, width, height in screens]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    finished = subprocess.run(
        [sys.executable, "-m", "tests.gui.layout_check", str(tmp_path / "settings.ini")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=80)
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(90)
def test_first_run_on_a_real_1024x768_offscreen_screen(tmp_path: Path) -> None:
    """The whole path (the window reads its own screen) on a screen Qt really has."""
    first = run_layout_check(tmp_path, [("small", 0, 0, 1024, 768)])["first run"]
    assert first["screen"] == "small" and first["problems"] == []
    x, y, width, height = first["geometry"]
    assert width <= 1024 and height <= 768 - 40  # room left for the title bar
    assert first["size after adding layers"] == [width, height]


@pytest.mark.timeout(90)
def test_a_layout_saved_on_another_monitor_stays_there_fitted(tmp_path: Path) -> None:
    """Two real offscreen screens: a window saved on the 1024x768 one, larger than it, comes
    back on that screen (not moved to the primary one), fitted onto it."""
    report = run_layout_check(tmp_path, [("small", 0, 0, 1024, 768),
                                         ("large", 1024, 0, 1920, 1080)])
    assert report["first run"]["problems"] == []
    restored = report["saved on another screen"]
    assert restored["screen"] == report["other screen"] and restored["problems"] == []


def wheel_down(widget) -> None:
    """One notch of the mouse wheel over the middle of `widget`."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_controls_instead_of_changing_an_unfocused_box(
        first_run_window) -> None:
    window = first_run_window(SCREENS["1024x768"])
    for _ in range(3):
        window.controls.add_layer_button.click()  # a row added later is guarded too
    settle()
    scroll = window.controls_dock.widget()
    bar = scroll.verticalScrollBar()
    assert bar.maximum() > 0
    config = window.controls.config()
    for name in ("lossCombo", "layerSize4", "learningRateSpin"):
        box = window.controls.findChild(QWidget, name)
        before = bar.value()
        wheel_down(box)
        assert window.controls.config() == config, name
        assert bar.value() > before or bar.value() == bar.maximum(), name
        bar.setValue(0)
    box = window.controls.findChild(QWidget, "learningRateSpin")
    box.setFocus()
    wheel_down(box)  # a focused box takes the wheel
    assert window.controls.config().learning_rate != config.learning_rate


def test_opening_every_panel_keeps_the_window_on_a_small_screen(first_run_window) -> None:
    """At 1024x768, Step through (its button row and table), the Metrics dock and digits'
    10x10 matrices made the window's minimum size grow past the screen (1299x891)."""
    from PySide6.QtWidgets import QDockWidget

    available = SCREENS["1024x768"]
    window = first_run_window(available)
    window.findChild(type(window.play_action), "actionStepThrough").trigger()
    settle()
    window.findChild(QDockWidget, "metricsDock").raise_()
    window.controls.dataset_combo.set_code("digits")
    window.sync()
    settle()
    for dock in window.findChildren(QDockWidget):
        if not dock.isVisible() and dock.toggleViewAction().isChecked():
            dock.raise_()
            settle()
    assert window.minimumSizeHint().width() <= available.width()
    assert window.minimumSizeHint().height() <= available.height()
    assert layout_problems(window, available) == []
