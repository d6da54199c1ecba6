"""The window's size and place on the screen, and docks whose content scrolls.

A first run fits the window to the screen's available geometry (what panels and docks of the
desktop leave free) instead of a fixed size: 1280 x 800 where there is room, less on a small or
scaled screen, centred. A saved geometry (QSettings) from a larger screen is clamped onto the
current one. Everything takes the available geometry as an argument, so tests can give any
screen; the window passes its screen's.

Dock content that can grow (the Controls panel gains a row per hidden layer) sits in a
`QScrollArea`: the dock scrolls instead of raising the window's minimum height, so adding
layers never resizes the window and nothing overlaps on a short screen.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QByteArray,
    QChildEvent,
    QEvent,
    QMargins,
    QObject,
    QPoint,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFrame,
    QMainWindow,
    QScrollArea,
    QWidget,
)

PREFERRED_SIZE = QSize(1280, 800)
WHEEL_BOXES = (QAbstractSpinBox, QComboBox)
# Room for the window manager's title bar and borders (not known before the window is shown):
# the window itself (its client area) stays inside the available geometry less these.
FRAME = QMargins(8, 40, 8, 8)


def available_geometry(window: QWidget) -> QRect:
    """The free part of the screen under the window's centre (a restored window may be on any
    monitor), else of the screen it is on, else of the primary screen."""
    screen = QGuiApplication.screenAt(window.geometry().center()) or window.screen() \
        or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fitted_geometry(available: QRect, minimum: QSize,
                    preferred: QSize = PREFERRED_SIZE) -> QRect:
    """Where a first-run window goes: `preferred` or the room `available` leaves for it,
    whichever is smaller (but never below `minimum`), centred."""
    room = available.marginsRemoved(FRAME)
    size = preferred.boundedTo(room.size()).expandedTo(minimum)
    rect = QRect(QPoint(0, 0), size)
    rect.moveCenter(room.center())
    return _moved_inside(rect, room)


def clamped_geometry(geometry: QRect, available: QRect, minimum: QSize) -> QRect:
    """`geometry` (a window's client area) shrunk to fit `available` with its frame (never
    below `minimum`) and moved onto it."""
    room = available.marginsRemoved(FRAME)
    size = geometry.size().boundedTo(room.size()).expandedTo(minimum)
    return _moved_inside(QRect(geometry.topLeft(), size), room)


def _moved_inside(rect: QRect, room: QRect) -> QRect:
    """`rect` moved the least to lie in `room` (its top left corner in `room` if too big)."""
    left = max(room.left(), min(rect.left(), room.right() + 1 - rect.width()))
    top = max(room.top(), min(rect.top(), room.bottom() + 1 - rect.height()))
    return QRect(QPoint(left, top), rect.size())


def place_window(window: QMainWindow, saved: object, available: QRect | None = None) -> bool:
    """Restore a saved geometry clamped onto the screen, or fit a first-run window to it.
    True if a saved geometry was restored."""
    minimum = window.minimumSizeHint()
    if isinstance(saved, QByteArray) and not saved.isEmpty() and window.restoreGeometry(saved):
        if window.isMaximized() or window.isFullScreen():
            return True
        area = available if available is not None else available_geometry(window)
        window.setGeometry(clamped_geometry(window.geometry(), area, minimum))
        return True
    area = available if available is not None else \
        QGuiApplication.primaryScreen().availableGeometry()
    window.setGeometry(fitted_geometry(area, minimum))
    return False


class VerticalScrollArea(QScrollArea):
    """A frameless scroll area that scrolls its widget vertically only: always as wide as the
    widget needs (plus the scroll bar), while its height no longer sets the dock's.

    The mouse wheel over a number box or a list box that has no focus scrolls the area instead
    of changing the box (scrolling through the Controls must not change the loss or a layer's
    size on the way); once clicked, a box takes the wheel as usual."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.setObjectName(f"{widget.objectName() or 'content'}Scroll")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(widget)
        self._watch(widget)

    def _watch(self, widget: QWidget) -> None:
        """Filter the boxes in `widget` (wheel) and its containers (boxes added later)."""
        for child in (widget, *widget.findChildren(QWidget)):
            if isinstance(child, WHEEL_BOXES) or child.layout() is not None:
                child.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if isinstance(watched, WHEEL_BOXES):
            if event.type() == QEvent.Type.Wheel and not watched.hasFocus():
                QApplication.sendEvent(self.verticalScrollBar(), event)
                return True
        elif event.type() == QEvent.Type.ChildAdded and isinstance(event, QChildEvent):
            child = event.child()
            if isinstance(child, QWidget):
                self._watch(child)
        return False

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        widget = self.widget()
        width = (widget.minimumSizeHint().width() if widget is not None else 0) \
            + self.verticalScrollBar().sizeHint().width()
        return QSize(width, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(self.minimumSizeHint().width(), super().sizeHint().height())
