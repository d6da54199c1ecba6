"""File dialogs that start where the person last was, and confirmations that are seen.

Every open and save dialog of the window starts in the folder of the last file opened or
written (remembered in the window's QSettings under LAST_FOLDER_KEY), or the home folder the
first time: never wherever the program happened to be started from. A dialog's default file
name is put in that folder.

`confirm` shows what a save, export or copy did, and where, in the status bar for
CONFIRM_MS: the status line (epoch, step, costs) steps aside while it shows, so nothing covers
it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMainWindow

LAST_FOLDER_KEY = "lastFolder"
CONFIRM_MS = 8000


def start_folder(settings: QSettings) -> Path:
    """The last folder a file was opened from or written to, if it still exists; else home."""
    saved = settings.value(LAST_FOLDER_KEY, "")
    if isinstance(saved, str) and saved and Path(saved).is_dir():
        return Path(saved)
    return Path.home()


def remember_folder(settings: QSettings, path: str | Path) -> None:
    """Dialogs start in the folder of `path` from now on."""
    settings.setValue(LAST_FOLDER_KEY, str(Path(path).resolve().parent))


def save_file_name(window: QMainWindow, settings: QSettings, caption: str, default_name: str,
                   filters: str) -> str:
    """Ask where to save (starting in the remembered folder); "" if cancelled."""
    path, _ = QFileDialog.getSaveFileName(window, caption,
                                          str(start_folder(settings) / default_name), filters)
    if path:
        remember_folder(settings, path)
    return path


def open_file_name(window: QMainWindow, settings: QSettings, caption: str, filters: str) -> str:
    """Ask which file to open (starting in the remembered folder); "" if cancelled."""
    path, _ = QFileDialog.getOpenFileName(window, caption, str(start_folder(settings)), filters)
    if path:
        remember_folder(settings, path)
    return path


def confirm(window: QMainWindow, text: str) -> None:
    """Say in the status bar, for a few seconds, what was just saved, exported or copied."""
    window.statusBar().showMessage(text, CONFIRM_MS)
