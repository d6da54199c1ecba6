"""Messages to the person, and atomic image writes. Kept apart so tests can replace `ask`."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QMessageBox, QWidget

from engine.io.atomic import write_atomically

Button = QMessageBox.StandardButton


def ask(
    parent: QWidget, title: str, text: str, buttons: Button, default: Button,
    labels: dict[Button, str] | None = None,
) -> Button:
    """A modal question; returns the button the person pressed. `labels` renames buttons."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, buttons, parent)
    box.setDefaultButton(default)
    for button, label in (labels or {}).items():
        box.button(button).setText(label)
    return Button(box.exec())


def show_error(parent: QWidget, title: str, text: str) -> QMessageBox:
    """A window-modal error box that does not block the caller (objectName `errorDialog`)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    box.open()
    return box


def save_png(image: QImage | QPixmap, path: str) -> None:
    """Encode as PNG and write atomically (temp file, then rename)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError(f"could not encode the image for {path}")
    write_atomically(path, bytes(buffer.data()))
