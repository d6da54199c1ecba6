"""The window's layout settles at every size: no plot and axis resize each other forever.

The data view locks its aspect ratio; an axis that shrank when its labels narrowed made it
flip between two layouts without end, and the window froze while training played (issue 13).
These tests sweep the window through many sizes, playing and paused, with the default and a
restored dock layout, and check after each resize that the event loop is free again and, when
paused, that no plot changes size any more.
"""

from __future__ import annotations

import time

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, QTimer

from engine.training.config import TrainingConfig
from gui.app.main_window import MainWindow

FINE = range(600, 1601, 7)  # the freeze needed a window about 930-1070 px wide
COARSE = range(600, 1601, 14)
FREE_WITHIN = 0.2  # seconds: a zero-delay timer must fire this soon after a resize
XOR = TrainingConfig(dataset="xor", test_ratio=0.0, batch_size=0)


def event_loop_free_within(seconds: float) -> bool:
    """Process events until a zero-delay timer fires; False if it took longer than
    `seconds` (a GUI thread stuck in one call never gets back here: the test times out)."""
    fired: list[bool] = []
    QTimer.singleShot(0, lambda: fired.append(True))
    deadline = time.monotonic() + seconds
    while not fired and time.monotonic() < deadline:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
    return bool(fired)


def plot_geometries(window: MainWindow) -> list[tuple[float, float, float, float]]:
    """Where every plot's view box sits in its scene, in a fixed order."""
    boxes = []
    for view in window.findChildren(pg.GraphicsView):
        for item in view.scene().items():
            if isinstance(item, pg.ViewBox):
                rect = item.sceneBoundingRect()
                boxes.append((rect.x(), rect.y(), rect.width(), rect.height()))
    return sorted(boxes)


def sweep(window: MainWindow, widths: range, height: int, check_settled: bool) -> list[str]:
    """Resize through `widths` at `height`; the problems seen, one line each."""
    problems = []
    for width in widths:
        window.resize(width, height)
        if not event_loop_free_within(FREE_WITHIN):
            problems.append(f"{width}x{height}: event loop busy for over {FREE_WITHIN} s")
            continue
        if check_settled:
            for _ in range(3):  # a layout that settles needs a few rounds of posted events
                QCoreApplication.processEvents()
            before = plot_geometries(window)
            for _ in range(5):
                QCoreApplication.processEvents()
            if plot_geometries(window) != before:
                problems.append(f"{width}x{height}: plots still changing size")
    return problems


@pytest.mark.timeout(120)
def test_window_settles_at_every_size_while_playing_and_paused(make_window, qtbot) -> None:
    window = make_window(XOR)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.playing, timeout=5000)
    assert sweep(window, FINE, 844, check_settled=False) == []
    window.sync()
    assert sweep(window, COARSE, 700, check_settled=True) == []


@pytest.mark.timeout(120)
def test_restored_narrow_layout_settles(make_window, qtbot) -> None:
    first = make_window(XOR)
    first.resize(1069, 844)
    first.resizeDocks([first.data_dock], [150], Qt.Orientation.Horizontal)
    qtbot.wait(50)
    first.close()  # untrained: closes without asking, saving the dock layout
    window = make_window(XOR)  # reads the same settings file
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.playing, timeout=5000)
    assert sweep(window, COARSE, 768, check_settled=False) == []
    window.sync()
    assert sweep(window, COARSE, 844, check_settled=True) == []
