"""Help ▸ Keyboard Shortcuts and Help ▸ About Deltascope.

The shortcut list is generated from the window's actions (menus first, in menu order, then the
keys that live on the window alone, like N and B of Step through), so it cannot drift from
what the keys do. About gives the version from the package metadata (pyproject.toml when run
from a source folder that was never installed), the license and where the README is.
"""

from __future__ import annotations

import importlib.metadata
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import PySide6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from gui.app.window_api import AppWindowApi

DISTRIBUTION = "deltascope"
SOURCE_ROOT = Path(__file__).resolve().parents[2]
NUMBER_BOX_NOTE = ("In a number box, digits, the arrow keys, Home, End, Backspace and Delete "
                   "edit the number and Enter applies it; every other shortcut above still "
                   "works there, and Escape leaves the box.")


def version() -> str:
    """The installed package's version, or the source folder's pyproject.toml version."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        with open(SOURCE_ROOT / "pyproject.toml", "rb") as file:
            return str(tomllib.load(file)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def license_name() -> str:
    try:
        metadata = importlib.metadata.metadata(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "MIT"
    return metadata.get("License") or metadata.get("License-Expression") or "MIT"


def readme_location() -> str:
    """The README beside the code (a source folder), else the installed package's metadata
    file, which holds the README as its description."""
    readme = SOURCE_ROOT / "README.md"
    if readme.is_file():
        return str(readme)
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "README.md in the source folder"
    for file in distribution.files or ():
        if file.name == "METADATA":
            return f"{distribution.locate_file(file)} (after its header)"
    return "README.md in the source folder"


def _menu_actions(menu: QMenu) -> list[QAction]:
    found = []
    for action in menu.actions():
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            found.extend(_menu_actions(submenu))
        elif not action.isSeparator():
            found.append(action)
    return found


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(keys, action, what it does) for every action of the window that has a shortcut: the
    menus' in menu order, then the window's own."""
    ordered: list[QAction] = []
    for action in window.menuBar().actions():
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            ordered.extend(_menu_actions(submenu))
    ordered.extend(action for action in window.findChildren(QAction) if action not in ordered)
    rows = []
    seen: set[tuple[str, str]] = set()
    for action in ordered:
        keys = ", ".join(shortcut.toString(QKeySequence.SequenceFormat.NativeText)
                         for shortcut in action.shortcuts() if not shortcut.isEmpty())
        text = action.text().replace("&", "").strip()
        if not keys or (keys, text) in seen:
            continue
        seen.add((keys, text))
        rows.append((keys, text, action.statusTip() or action.toolTip()))
    return rows


def shortcuts_dialog(window: QMainWindow) -> QDialog:
    """A window listing every shortcut (objectName shortcutsDialog)."""
    dialog = QDialog(window, objectName="shortcutsDialog")
    dialog.setWindowTitle("Keyboard Shortcuts")
    rows = shortcut_rows(window)
    table = QTableWidget(len(rows), 3, objectName="shortcutsTable")
    table.setHorizontalHeaderLabels(["Keys", "Action", "What it does"])
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(True)
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            table.setItem(row, column, item)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
    note = QLabel(NUMBER_BOX_NOTE, wordWrap=True, objectName="shortcutsNote")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(table, 1)
    layout.addWidget(note)
    layout.addWidget(buttons)
    dialog.resize(720, 560)
    return dialog


def about_text() -> str:
    return (f"<h3>Deltascope {version()}</h3>"
            "<p>Watch backpropagation work: a visual multilayer-perceptron trainer that shows "
            "every gradient.</p>"
            f"<p>License: {license_name()}</p>"
            f"<p>README: {readme_location()}</p>"
            f"<p>Python {sys.version.split()[0]}, PySide6 {PySide6.__version__}</p>")


def about_dialog(window: QWidget) -> QDialog:
    """Version, license and the README's location (objectName aboutDialog)."""
    dialog = QDialog(window, objectName="aboutDialog")
    dialog.setWindowTitle("About Deltascope")
    label = QLabel(about_text(), objectName="aboutText", wordWrap=True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(label)
    layout.addWidget(buttons)
    return dialog


class HelpMenu:
    """Help ▸ Keyboard Shortcuts (F1) and About Deltascope; each opens a window that stays
    until closed (`shown` holds the last one opened)."""

    def __init__(self, window: AppWindowApi) -> None:
        self._window = window
        self.shown: QDialog | None = None
        menu = window.menuBar().addMenu("&Help")
        menu.setObjectName("helpMenu")
        shortcuts = window.make_action("actionKeyboardShortcuts", "Keyboard Shortcuts",
                                       "List every keyboard shortcut",
                                       QKeySequence.StandardKey.HelpContents)
        shortcuts.triggered.connect(lambda: self._show(shortcuts_dialog(window)))
        about = window.make_action("actionAbout", "About Deltascope",
                                   "Version, license and where the README is")
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(lambda: self._show(about_dialog(window)))
        menu.addAction(shortcuts)
        menu.addAction(about)

    def _show(self, dialog: QDialog) -> None:
        if self.shown is not None:
            self.shown.close()
            self.shown.deleteLater()
        self.shown = dialog
        dialog.show()


def install_help_menu(window: AppWindowApi) -> HelpMenu:
    """Add the Help menu (last in the menu bar)."""
    return HelpMenu(window)
