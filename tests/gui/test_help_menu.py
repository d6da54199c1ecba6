"""Help ▸ Keyboard Shortcuts lists exactly the window's shortcuts; About names the version,
license and README."""

from __future__ import annotations

import tomllib
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QTableWidget

from engine.training.config import TrainingConfig
from gui.app.help_menu import readme_location
from tests.gui.helpers import find_action

XOR = TrainingConfig(dataset="xor", test_ratio=0.0, batch_size=0)
ROOT = Path(__file__).resolve().parents[2]
NATIVE = QKeySequence.SequenceFormat.NativeText


def listed(window) -> list[tuple[str, str]]:
    dialog = window.help_menu.shown
    assert dialog is not None and dialog.isVisible()
    table = dialog.findChild(QTableWidget, "shortcutsTable")
    return [(table.item(row, 0).text(), table.item(row, 1).text())
            for row in range(table.rowCount())]


def test_help_menu_is_last_with_shortcuts_and_about(make_window) -> None:
    window = make_window(XOR)
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus[-1] == "&Help"
    assert not window.windowIcon().isNull()  # the application icon
    help_menu = window.menuBar().actions()[-1].menu()
    assert [action.objectName() for action in help_menu.actions()] == [
        "actionKeyboardShortcuts", "actionAbout"]


def test_shortcut_list_is_every_action_with_a_key_and_follows_new_ones(make_window) -> None:
    window = make_window(XOR)
    find_action(window, "actionKeyboardShortcuts").trigger()
    rows = listed(window)
    keys = {key for key, _ in rows}
    expected = {", ".join(shortcut.toString(NATIVE) for shortcut in action.shortcuts())
                for action in window.findChildren(QAction) if not action.shortcut().isEmpty()}
    assert keys == expected
    for key, text in (("Space", "Play"), ("Right", "Step"), ("Shift+Right", "Step epoch"),
                      ("Ctrl+R", "Reset"), ("Ctrl+E", "Export Weights…"), ("N", "Next phase")):
        assert (QKeySequence(key).toString(NATIVE), text) in rows, key
    menu_order = [text for _, text in rows]
    assert menu_order.index("Save Session…") < menu_order.index("Play")  # File before Train
    window.addAction(window.make_action("actionTestOnly", "Something new", "tip", "Ctrl+Alt+Y"))
    find_action(window, "actionKeyboardShortcuts").trigger()
    assert (QKeySequence("Ctrl+Alt+Y").toString(NATIVE), "Something new") in listed(window)


def test_about_names_version_license_and_readme(make_window) -> None:
    window = make_window(XOR)
    find_action(window, "actionAbout").trigger()
    dialog = window.help_menu.shown
    assert dialog is not None and dialog.objectName() == "aboutDialog" and dialog.isVisible()
    text = dialog.findChild(QLabel, "aboutText").text()
    with open(ROOT / "pyproject.toml", "rb") as file:
        project = tomllib.load(file)["project"]
    assert f"Deltascope {project['version']}" in text
    assert "MIT" in text
    assert str(ROOT / "README.md") in text and readme_location() == str(ROOT / "README.md")


def test_shortcut_descriptions_say_what_the_actions_do_today(make_window) -> None:
    """The list said Export Weights writes "JSON or NPZ" (ONNX too), Export Plots "a PNG
    image" (SVG and the canvas too) and Step epoch "one full epoch" (it ends the current)."""
    from gui.app.help_menu import shortcut_rows

    rows = {row[1]: row[2] for row in shortcut_rows(make_window(TrainingConfig()))}
    assert "ONNX" in rows["Export Weights…"]
    assert "SVG" in rows["Export Plots…"] and "canvas" in rows["Export Plots…"]
    assert "current epoch" in rows["Step epoch"]
