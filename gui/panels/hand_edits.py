"""Hand edits: set a weight or bias by hand while paused, with Edit > Undo / Redo.

Double-click an edge (its weight) or a neuron (its bias) in the canvas, or type into the
inspector's value field, and the worker sets that one parameter between steps
(TrainingWorker.set_parameter: it pauses first, keeps the optimizer's state, and answers with
`parameter_set` and a fresh snapshot at the new parameters). Each edit the worker carried out
becomes one QUndoCommand holding (flat index, old value, new value); undo and redo send the
stored values back to the worker, so undo restores the old value bit for bit. A new trainer
(reset, new data, architecture change, import) clears the stack.

The GUI never changes trainer state itself: it only asks the worker.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from engine.core.network import ParameterRef
from engine.core.notation import html_to_plain, number
from engine.explain import explain
from engine.training.step_history import parameter_index
from gui.panels.inspector import FiniteNumberValidator, InspectorPanel
from gui.panels.inspector_text import full_precision, parse_value
from gui.trainer_link import ParameterEdit

if TYPE_CHECKING:
    from gui.panels.window_api import WindowApi


def parameter_symbol(ref: ParameterRef) -> str:
    """The parameter in plain-text notation: W¹₂,₁ or b²₀."""
    return html_to_plain(explain.parameter_symbol(ref))


def ask_value(parent: QWidget, title: str, label: str, value: float) -> float | None:
    """A modal dialog asking for a finite number, prefilled with `value` at full precision;
    the number typed, or None when cancelled. Tests replace this function."""
    dialog = QDialog(parent, objectName="handEditDialog", windowTitle=title)
    field = QLineEdit(full_precision(value), objectName="handEditValue")
    field.setValidator(FiniteNumberValidator(field))
    field.selectAll()
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    field.textChanged.connect(lambda _text: ok.setEnabled(field.hasAcceptableInput()))
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(QLabel(label, wordWrap=True))
    layout.addWidget(field)
    layout.addWidget(buttons)
    dialog.setMinimumWidth(380)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return parse_value(field.text())


class SetParameterCommand(QUndoCommand):
    """One hand edit on the undo stack: (flat index, old value, new value). The edit is already
    applied when pushed, so the first redo (QUndoStack.push calls it) does nothing."""

    def __init__(self, edits: HandEdits, edit: ParameterEdit) -> None:
        super().__init__(f"set {parameter_symbol(edit.ref)} = {number(edit.new)}")
        self.edits = edits
        self.index, self.ref, self.old, self.new = edit.index, edit.ref, edit.old, edit.new
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self.edits.apply(self.ref, self.index, self.new)

    def undo(self) -> None:
        self.edits.apply(self.ref, self.index, self.old)


class HandEdits(QObject):
    """The window's hand edits: the undo stack, the Edit menu and the ways in (canvas
    double-click, inspector value field)."""

    def __init__(self, window: WindowApi) -> None:
        super().__init__(window)
        self.window = window
        self.stack = QUndoStack(self)
        self._next_tag = 0
        self._own_tags: set[int] = set()  # edits asked for here, not yet carried out

    # -- asking for edits ---------------------------------------------------------------------

    def edit_by_dialog(self, ref: ParameterRef) -> None:
        """Pause, then ask for the new value of `ref` in a dialog and apply it."""
        window = self.window
        if window.playing:
            window.sync()  # edits are made to the paused state
        snapshot = window.snapshot
        if snapshot is None:
            return
        window.select_parameter(ref)
        current = float(snapshot.params[parameter_index(snapshot.sizes, ref)])
        symbol = parameter_symbol(ref)
        what = "weight" if ref.kind == "weight" else "bias"
        value = ask_value(window, f"Set {symbol}",
                          f"New value of the {what} {symbol} (now {number(current)}).\n"
                          "Edit \u25b8 Undo takes it back.", current)
        if value is not None:
            self.request(ref, value)

    def request(self, ref: ParameterRef, value: float) -> bool:
        """Ask the worker to set `ref` to `value` (pausing first). A value that is not finite
        is refused here with a message; False then, and nothing changes."""
        window = self.window
        snapshot = window.snapshot
        symbol = parameter_symbol(ref)
        if not math.isfinite(value):
            window.banner.show_message(f"{symbol} must be a finite number, not {value}; "
                                       "nothing was changed.", error=True)
            return False
        if snapshot is None:
            return False
        index = parameter_index(snapshot.sizes, ref)
        window.select_parameter(ref)
        if window.playing:
            window.sync()
        self._next_tag += 1
        self._own_tags.add(self._next_tag)
        window.worker.set_parameter(index, value, self._next_tag)
        return True

    def apply(self, ref: ParameterRef, index: int, value: float) -> None:
        """Set a stored value again (undo/redo): no new stack entry."""
        self.window.select_parameter(ref)
        self.window.worker.set_parameter(index, value)

    # -- answers from the worker --------------------------------------------------------------

    def on_parameter_set(self, edit: ParameterEdit) -> None:
        if edit.tag not in self._own_tags:
            return  # an undo or redo carried out
        self._own_tags.discard(edit.tag)
        if _same_bits(edit.old, edit.new):
            return  # confirmed unchanged: nothing to undo
        self.stack.push(SetParameterCommand(self, edit))

    def on_trainer_replaced(self) -> None:
        self.stack.clear()
        self._own_tags.clear()


def _same_bits(a: float, b: float) -> bool:
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _insert_edit_menu(window: WindowApi, edits: HandEdits) -> QMenu:
    """Edit > Undo / Redo, between File and Train."""
    undo = edits.stack.createUndoAction(window, "Undo")
    undo.setObjectName("actionUndo")
    undo.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
    undo.setStatusTip("Take back the last hand edit of a weight or bias")
    redo = edits.stack.createRedoAction(window, "Redo")
    redo.setObjectName("actionRedo")
    redo.setShortcut(QKeySequence(QKeySequence.StandardKey.Redo))
    redo.setStatusTip("Set the weight or bias of the last undone hand edit again")
    menu = QMenu("&Edit", window, objectName="editMenu")
    menu.addAction(undo)
    menu.addAction(redo)
    window.menuBar().insertMenu(window.train_menu.menuAction(), menu)
    return menu


def install_hand_edits(window: WindowApi) -> HandEdits:
    """Edit menu with Undo/Redo, double-click on the canvas and the inspector's value field
    (after install_inspector) set weights and biases by hand through the worker."""
    edits = HandEdits(window)
    edits.setObjectName("handEdits")
    _insert_edit_menu(window, edits)
    window.canvas.parameter_double_clicked.connect(edits.edit_by_dialog)
    panel = window.findChild(InspectorPanel, "inspector")
    if panel is not None:
        panel.value_edited.connect(edits.request)
    window.worker.parameter_set.connect(edits.on_parameter_set)
    window.worker.trainer_replaced.connect(edits.on_trainer_replaced)
    return edits
