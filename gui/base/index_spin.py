"""A spin box over 0-based positions that people read 1-based (engine/core/notation.py's index
base): value() 0 shows "1". Code and tests keep the 0-based value."""

from __future__ import annotations

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QSpinBox

from engine.core.notation import INDEX_BASE


class IndexSpinBox(QSpinBox):
    """QSpinBox whose text is value() + INDEX_BASE."""

    def textFromValue(self, value: int) -> str:  # noqa: N802 (Qt override)
        return str(value + INDEX_BASE)

    def valueFromText(self, text: str) -> int:  # noqa: N802 (Qt override)
        return int(text) - INDEX_BASE

    def validate(self, text: str, position: int) -> object:  # noqa: N802 (Qt override)
        if text == "":
            return QValidator.State.Intermediate, text, position
        if not text.isdigit():
            return QValidator.State.Invalid, text, position
        value = int(text) - INDEX_BASE
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, position
        return QValidator.State.Intermediate, text, position
