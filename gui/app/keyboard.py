"""Keyboard focus: the window's shortcuts work whatever was clicked last.

- The canvas takes the focus when the window opens and when it is clicked, so Space, Right,
  Shift+Right, Ctrl+R, ... act on training, not on the first number box of the toolbar.
- A number box (spin box, or a value field of the inspector) keeps what it needs to edit a
  number: digits, sign and decimal point, the arrow keys (with Shift to select), Home, End,
  Page Up/Down, Backspace, Delete, Enter, and copy, cut, paste and select all. Every other
  key that is one of the window's shortcuts (Space, Ctrl+E, Ctrl+R, letters like G or M, ...)
  goes to the window, never into the box. Escape leaves the box (back to the canvas).
- A text field (renaming a pinned run in its table) keeps every key it can type and its
  standard editing keys; the window's Ctrl and Alt shortcuts still win there.
- Clicking a button that takes no focus (the toolbar's, the timeline's) while a box has the
  focus commits the box and gives the focus back to the canvas, so the arrows step again.
  Focus never falls into a box by itself either: when the focused control is disabled (Play
  disables the timeline's slider), the canvas takes the focus rather than the next box.

Boxes apply their value on Enter, on leaving them and on their arrows, not on every key
(`keyboardTracking` off, set where the boxes are made), so typing "64" never builds 6 first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QLineEdit,
    QWidget,
)

if TYPE_CHECKING:
    from gui.app.window_api import AppWindowApi

Key = Qt.Key
Modifier = Qt.KeyboardModifier

# Keys a number box edits with (with or without Shift, or Ctrl to jump by words).
NUMBER_BOX_KEYS = frozenset({
    Key.Key_Left, Key.Key_Right, Key.Key_Up, Key.Key_Down, Key.Key_Home, Key.Key_End,
    Key.Key_PageUp, Key.Key_PageDown, Key.Key_Backspace, Key.Key_Delete, Key.Key_Return,
    Key.Key_Enter, Key.Key_Tab, Key.Key_Backtab,
    *(Key(Key.Key_0.value + digit) for digit in range(10)),
    Key.Key_Minus, Key.Key_Plus, Key.Key_Period, Key.Key_Comma,
})
NUMBER_BOX_SEQUENCES = (QKeySequence.StandardKey.Copy, QKeySequence.StandardKey.Cut,
                        QKeySequence.StandardKey.Paste, QKeySequence.StandardKey.SelectAll)
TEXT_FIELD_SEQUENCES = (*NUMBER_BOX_SEQUENCES, QKeySequence.StandardKey.Undo,
                        QKeySequence.StandardKey.Redo)
COMMAND_MODIFIERS = Modifier.ControlModifier | Modifier.AltModifier | Modifier.MetaModifier


def is_text_field(widget: QWidget) -> bool:
    """A field for free text (a line edit inside an item view: a table cell being renamed)."""
    if not isinstance(widget, QLineEdit):
        return False
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractItemView):
            return True
        parent = parent.parentWidget()
    return False


def is_number_box(widget: QWidget) -> bool:
    """A spin box, or a line edit that is not a text field (the inspector's value fields)."""
    if isinstance(widget, QAbstractSpinBox):
        return True
    return isinstance(widget, QLineEdit) and not isinstance(
        widget.parentWidget(), QAbstractSpinBox) and not is_text_field(widget)


def _matches(event: QKeyEvent, keys: tuple[QKeySequence.StandardKey, ...]) -> bool:
    return any(event.matches(key) for key in keys)


def box_keeps(widget: QWidget, event: QKeyEvent) -> bool:
    """Whether the focused `widget` keeps this key rather than the window's shortcut."""
    if is_text_field(widget):
        return not (event.modifiers() & COMMAND_MODIFIERS) or _matches(event,
                                                                       TEXT_FIELD_SEQUENCES)
    modifiers = event.modifiers() & ~Modifier.KeypadModifier
    if _matches(event, NUMBER_BOX_SEQUENCES):
        return True
    if Key(event.key()) not in NUMBER_BOX_KEYS:
        return False
    return modifiers in (Modifier.NoModifier, Modifier.ShiftModifier,
                         Modifier.ControlModifier,
                         Modifier.ControlModifier | Modifier.ShiftModifier)


class KeyboardFocus(QObject):
    """Keeps the window's shortcuts out of its boxes (see the module docstring); one per
    window (`window.findChild(KeyboardFocus)`)."""

    def __init__(self, window: AppWindowApi) -> None:
        super().__init__(window)
        self.setObjectName("keyboardFocus")
        self._window = window
        window.canvas.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_focus_changed)
        for button in window.findChildren(QAbstractButton):
            if not button.focusPolicy() & Qt.FocusPolicy.ClickFocus:
                button.pressed.connect(self.leave_box)

    def shortcut_keys(self) -> set[str]:
        """The key sequences of the window's enabled actions (portable text, "Ctrl+E")."""
        return {shortcut.toString(QKeySequence.SequenceFormat.PortableText)
                for action in self._window.findChildren(QAction) if action.isEnabled()
                for shortcut in action.shortcuts() if not shortcut.isEmpty()}

    def leave_box(self) -> None:
        """If a box of the window has the focus: apply what it holds, focus the canvas."""
        focused = QApplication.focusWidget()
        if focused is not None and focused.window() is self._window and (
                is_number_box(focused) or is_text_field(focused)):
            self._window.canvas.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if new is None or new.window() is not self._window or not (
                is_number_box(new) or is_text_field(new)):
            return
        if old is not None and not old.isEnabled():
            # The focused control was disabled (Play disables the timeline) and Qt handed the
            # focus on to this box: the canvas takes it, so the keys stay the window's.
            self._window.canvas.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        new.installEventFilter(self)  # once: installing it again only moves it first

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if not isinstance(event, QKeyEvent) or not isinstance(watched, QWidget):
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            if box_keeps(watched, event):
                return False
            sequence = QKeySequence(event.keyCombination()).toString(
                QKeySequence.SequenceFormat.PortableText)
            if sequence in self.shortcut_keys():
                event.ignore()  # not overridden: the window's shortcut runs
                return True
            return False
        if event.type() == QEvent.Type.KeyPress and event.key() == Key.Key_Escape \
                and is_number_box(watched):
            self.leave_box()
            return True
        return False


def install_keyboard_focus(window: AppWindowApi) -> KeyboardFocus:
    """After every feature has added its buttons: the canvas gets the focus and boxes stop
    swallowing the window's shortcuts."""
    keys = KeyboardFocus(window)
    window.canvas.setFocus(Qt.FocusReason.OtherFocusReason)
    return keys
