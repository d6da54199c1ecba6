"""A combo box of options shown by readable name (engine/core/option_names.py) that reads and
sets them by code name: the item data is the code, its tooltip says the code and the flag."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox

from engine.core.option_names import option_label, option_tip


class OptionCombo(QComboBox):
    """Items are (readable name, code); `code()` / `set_code()`; `code_changed(code)`."""

    code_changed = Signal(str)

    def __init__(self, kind: str, codes: Iterable[str], tip: str, object_name: str) -> None:
        super().__init__(objectName=object_name)
        self._kind, self._tip = kind, tip
        for code in codes:
            self.add_option(code)
        self.currentIndexChanged.connect(self._on_index_changed)
        self._update_tip()

    def add_option(self, code: str, label: str | None = None) -> None:
        """Append an option (`label` None: its readable name; a CSV file's label as is)."""
        self.addItem(option_label(self._kind, code) if label is None else label, code)
        if label is None:
            self.setItemData(self.count() - 1, option_tip(self._kind, code),
                             Qt.ItemDataRole.ToolTipRole)

    def code(self) -> str:
        """The chosen option's code name ('' when empty)."""
        data = self.currentData()
        return "" if data is None else str(data)

    def set_code(self, code: str) -> bool:
        """Choose the option with this code; False (nothing changes) if there is none."""
        index = self.findData(code)
        if index >= 0:
            self.setCurrentIndex(index)
        return index >= 0

    def _on_index_changed(self, _index: int) -> None:
        self._update_tip()
        self.code_changed.emit(self.code())

    def _update_tip(self) -> None:
        code = self.code()
        known = code and self.itemData(self.currentIndex(), Qt.ItemDataRole.ToolTipRole)
        self.setToolTip(f"{self._tip}; {option_tip(self._kind, code)}" if known else self._tip)
