"""What a person would call a broken layout, as a list of problems (empty when it fits).

Used in-process (tests/gui/test_screens.py gives the window any screen's available geometry)
and in a child process whose offscreen screen really has that size:

    QT_QPA_PLATFORM=offscreen:configfile=screen.json python -m tests.gui.layout_check
"""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QWidget


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
    names = sorted(parts)
    for number, first in enumerate(names):
        for second in names[number + 1:]:
            if parts[first].intersects(parts[second]):
                problems.append(f"{first} {parts[first]} overlaps {second} {parts[second]}")
    return problems


def main() -> int:
    """Open the window as a first run on this process's screen; print the problems as JSON."""
    from PySide6.QtCore import QSettings

    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = QSettings(sys.argv[1], QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.show()
    window.sync()
    for _ in range(5):
        app.processEvents()
    available = window.screen().availableGeometry()
    report = {"size": [window.width(), window.height()], "problems":
              layout_problems(window, available)}
    for _ in range(3):
        window.controls.add_layer_button.click()
        app.processEvents()
    report["size after adding layers"] = [window.width(), window.height()]
    window.stop_worker()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
