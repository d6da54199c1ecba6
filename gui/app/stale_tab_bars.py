"""Hide the dock tab bars Qt leaves behind.

Tabifying and splitting docks before the window is first shown (as the features do when they
install themselves) makes QMainWindow create a tab bar per intermediate arrangement; the ones
it no longer uses are never hidden, so once the window is shown they float over other docks
("Data | Inspector" drawn across the Gradients dock). After every layout change this finds
the window's tab bars that sit under no dock group of theirs and hides them, once each: a bar
Qt shows again is one it still uses (it keeps one for a group whose other docks are closed,
placed off the window), and it is left to Qt.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar

ADJACENT = 4  # pixels a used tab bar may be from the dock above it


def stale_tab_bars(window: QMainWindow) -> list[QTabBar]:
    """The window's visible dock tab bars that no dock group uses: a used bar lies right under
    the dock its current tab names (Qt puts dock tabs below the docks)."""
    docks = {dock.windowTitle(): dock for dock in window.findChildren(QDockWidget)
             if dock.parent() is window}
    stale = []
    for bar in window.findChildren(QTabBar):
        if bar.parent() is not window or not bar.isVisible():
            continue
        dock = docks.get(bar.tabText(bar.currentIndex()))
        if dock is None or dock.isFloating() or not _under(bar, dock):
            stale.append(bar)
    return stale


def _under(bar: QTabBar, dock: QDockWidget) -> bool:
    area, place = dock.geometry(), bar.geometry()
    return (abs(place.top() - (area.bottom() + 1)) <= ADJACENT
            and abs(place.left() - area.left()) <= ADJACENT)


class StaleTabBarCleaner(QObject):
    """Hides stale tab bars once the window is shown or resized and its layout has settled;
    not on every relayout, so a bar Qt is still animating into place (a dock dragged into
    a tab) is never mistaken for a stale one."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.clean)
        self._hidden: list[QTabBar] = []  # hidden once each, so Qt and this never ping-pong
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Show, QEvent.Type.Resize):
            self._timer.start()
        return False

    def clean(self) -> None:
        for bar in stale_tab_bars(self._window):
            if bar not in self._hidden:  # shown again: Qt uses it after all, leave it to Qt
                self._hidden.append(bar)
                bar.hide()


def install_stale_tab_bar_cleaner(window: QMainWindow) -> StaleTabBarCleaner:
    return StaleTabBarCleaner(window)
