"""What a person would call a broken layout, as a list of problems (empty when it fits).

Used in-process (tests/gui/test_screens.py gives the window any screen's available geometry)
and in a child process whose offscreen screen really has that size:

    QT_QPA_PLATFORM=offscreen:configfile=screen.json python -m tests.gui.layout_check
"""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QTabBar, QWidget


def shown_docks(window: QMainWindow) -> list[QDockWidget]:
    """Docks a person sees (not closed, not behind another dock's tab)."""
    return [dock for dock in window.findChildren(QDockWidget)
            if dock.isVisible() and not dock.visibleRegion().isEmpty()]


def _in_window(widget: QWidget, window: QMainWindow) -> QRect:
    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


def layout_problems(window: QMainWindow, available: QRect) -> list[str]:
    """Every way the window breaks out of `available` or its parts overlap, one line each."""
    problems = []
    if not available.contains(window.frameGeometry()):
        problems.append(f"window {window.frameGeometry()} not inside {available}")
    inside = window.rect()
    parts = {dock.objectName(): _in_window(dock, window) for dock in shown_docks(window)}
    parts["central"] = _in_window(window.centralWidget(), window)
    bar = _in_window(window.statusBar(), window)
    if not inside.contains(bar):
        problems.append(f"status bar {bar} not inside the window {inside}")
    for name, rect in parts.items():
        if not inside.contains(rect):
            problems.append(f"{name} {rect} not inside the window {inside}")
        if rect.intersects(bar):
            problems.append(f"{name} {rect} overlaps the status bar {bar}")
    problems += _tab_bar_problems(window, parts)
    names = sorted(parts)
    for number, first in enumerate(names):
        for second in names[number + 1:]:
            if parts[first].intersects(parts[second]):
                problems.append(f"{first} {parts[first]} overlaps {second} {parts[second]}")
    return problems


def _tab_bar_problems(window: QMainWindow, parts: dict[str, QRect]) -> list[str]:
    """Dock tab bars Qt left behind float over the docks: a shown tab bar on the window must
    lie inside it and cover no dock, and no other such bar may list the same tabs."""
    problems, seen = [], set()
    for bar in window.findChildren(QTabBar):
        if (bar.parent() is not window or not bar.isVisible()
                or not window.rect().intersects(bar.geometry())):  # Qt parks unused ones off it
            continue
        tabs = tuple(bar.tabText(index) for index in range(bar.count()))
        if tabs in seen:
            problems.append(f"a second tab bar {tabs}")
        if not window.rect().contains(bar.geometry()):
            problems.append(f"tab bar {tabs} {bar.geometry()} sticks out of the window")
        seen.add(tabs)
        problems += [f"tab bar {tabs} {bar.geometry()} covers {name} {rect}"
                     for name, rect in parts.items() if bar.geometry().intersects(rect)]
    return problems


def _open(settings_path: str, geometry: QRect | None = None) -> dict[str, object]:
    """Open a window with these settings (at `geometry` if given, then closed so that it is
    saved); what it looked like."""
    from PySide6.QtCore import QSettings

    from gui.app.main_window import MainWindow

    app = QApplication.instance()
    window = MainWindow(settings=QSettings(settings_path, QSettings.Format.IniFormat))
    window.show()
    window.sync()
    for _ in range(5):
        app.processEvents()
    screen = app.screenAt(window.geometry().center()) or window.screen()
    report: dict[str, object] = {
        "geometry": [window.x(), window.y(), window.width(), window.height()],
        "screen": screen.name(),
        "problems": layout_problems(window, screen.availableGeometry())}
    if geometry is None:
        for _ in range(3):
            window.controls.add_layer_button.click()
            app.processEvents()
        report["size after adding layers"] = [window.width(), window.height()]
        window.stop_worker()
    else:
        window.setGeometry(geometry)
        app.processEvents()
        window.close()  # saves the layout
    return report


def launch_problems(settings_path: str, seconds: float = 1.0) -> list[str]:
    """Open the window for XOR as `python main.py` does and let it run for `seconds`: what is
    wrong with its layout then (a plain process shows what a test process may not: Qt's
    stale dock tab bars)."""
    import time

    from PySide6.QtCore import QSettings

    from gui.app.launch import initial_config
    from gui.app.main_window import MainWindow

    app = QApplication.instance()
    window = MainWindow(initial_config("xor"),
                        settings=QSettings(settings_path, QSettings.Format.IniFormat))
    window.show()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    problems = layout_problems(window, window.screen().availableGeometry().united(
        window.frameGeometry()))
    window.stop_worker()
    return problems


def main() -> int:
    """On this process's screens: a first run (on the primary screen), then a window saved on
    another screen (if there is one) larger than that screen; print what each looked like as
    JSON."""
    QApplication.instance() or QApplication(sys.argv[:1])
    settings = sys.argv[1]
    if sys.argv[2:] == ["launch"]:
        print(json.dumps(launch_problems(settings)))
        return 0
    report = {"first run": _open(settings)}
    others = [screen for screen in QApplication.screens()
              if screen is not QApplication.primaryScreen()]
    if others:  # a layout saved on another screen, larger than that screen
        other = others[0].availableGeometry()
        _open(settings, QRect(other.x() + 80, other.y() + 60, other.width() + 400,
                              other.height() + 300))
        report["saved on another screen"] = _open(settings)
        report["other screen"] = others[0].name()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
