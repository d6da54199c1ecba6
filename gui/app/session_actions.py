"""File ▸ Save Session… (Ctrl+S), Open Session… (Ctrl+Shift+O) and Open Recent.

A session (engine/io/session.py) is the whole training state in one `.deltascope` file, plus
the pinned runs. Saving pauses, then reads the trainer in the trainer process (between
steps) and writes the file atomically; opening reads the file in the background, checks all
of it first and changes nothing on any problem, then hands a ready-to-continue Trainer to the
trainer process as Reset does. The last MAX_RECENT paths are kept in the window's QSettings
under RECENT_KEY.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEventLoop, QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from engine.core.errors import DeltascopeError
from engine.io.session import (
    SESSION_EXTENSION,
    LoadedSession,
    SessionFileError,
    load_session,
    write_session,
)
from gui.app.background_load import load_in_background
from gui.base.file_dialogs import confirm, open_file_name, save_file_name
from gui.panels.pinned_run import runs_from_list, runs_to_list
from gui.panels.runs import RunsController

if TYPE_CHECKING:
    from gui.app.window_api import AppWindowApi

RECENT_KEY = "recentSessions"
MAX_RECENT = 8
SESSION_FILTER = f"Deltascope sessions (*{SESSION_EXTENSION});;All files (*)"
SAVE_TAG = 1  # ReadSession tag of File > Save (autosave uses its own)
READ_TIMEOUT_S = 30.0  # for the trainer process to read the trainer between steps


class SessionController(QObject):
    """Save and open sessions for one window (`window.findChild(SessionController)`)."""

    def __init__(self, window: AppWindowApi) -> None:
        super().__init__(window)
        self.setObjectName("sessionController")
        self._window = window
        self.save_action = window.make_action(
            "actionSaveSession", "Save Session…",
            "Save everything (settings, data, weights, optimizer, history, pinned runs) to a "
            "session file", QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self._on_save)
        self.open_action = window.make_action(
            "actionOpenSession", "Open Session…",
            "Continue a saved session exactly where it stopped", "Ctrl+Shift+O")
        self.open_action.triggered.connect(self._on_open)
        self.recent_menu = QMenu("Open &Recent", window)
        self.recent_menu.setObjectName("recentSessionsMenu")
        self._add_to_file_menu()
        self._update_recent_menu()

    def _add_to_file_menu(self) -> None:
        """Open Session, Open Recent and Save Session at the top of File, then a separator."""
        window = self._window
        file_menu = next(action.menu() for action in window.menuBar().actions()
                         if isinstance(action.menu(), QMenu)
                         and window.open_dataset_action in action.menu().actions())
        before = window.open_dataset_action
        file_menu.insertAction(before, self.open_action)
        file_menu.insertMenu(before, self.recent_menu)
        file_menu.insertAction(before, self.save_action)
        file_menu.insertSeparator(before)

    # -- recent files ---------------------------------------------------------------------

    def recent_paths(self) -> list[str]:
        """The most recently saved or opened session paths, newest first."""
        value = self._window.settings.value(RECENT_KEY, [])
        if isinstance(value, str):
            value = [value] if value else []
        if not isinstance(value, list):
            return []
        return [str(path) for path in value if str(path)][:MAX_RECENT]

    def _remember(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        paths = [path, *(other for other in self.recent_paths() if other != path)]
        self._window.settings.setValue(RECENT_KEY, paths[:MAX_RECENT])
        self._update_recent_menu()

    def clear_recent(self) -> None:
        self._window.settings.setValue(RECENT_KEY, [])
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        paths = self.recent_paths()
        for number, path in enumerate(paths, start=1):
            action = QAction(f"&{number}  {Path(path).name}", menu, toolTip=path, statusTip=path)
            action.setData(path)
            action.triggered.connect(lambda _=False, chosen=path: self.open_session(chosen))
            menu.addAction(action)
        if not paths:
            empty = menu.addAction("No recent sessions")
            empty.setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("Clear Recent")
        clear.setObjectName("actionClearRecentSessions")
        clear.setEnabled(bool(paths))
        clear.triggered.connect(self.clear_recent)

    # -- saving ---------------------------------------------------------------------------

    def _on_save(self) -> None:
        window = self._window
        path = save_file_name(window, window.settings, "Save Session",
                              f"session{SESSION_EXTENSION}", SESSION_FILTER)
        if path:
            if not Path(path).suffix:
                path += SESSION_EXTENSION
            self.save_session(path)

    def save_session(self, path: str | Path) -> bool:
        """Pause, then write the session to `path`; on error say so (the old file stays)."""
        window = self._window
        window.sync()
        try:
            data = self._read_session()
            runs = self._runs_controller()
            if runs is not None and runs.model.runs():
                data["pinned_runs"] = runs_to_list(runs.model.runs())
            write_session(path, data)
        except (DeltascopeError, OSError) as error:
            window.report("Cannot save session", f"{Path(path).name}: {error}")
            return False
        window.mark_saved(np.array(data["network"]["params"], dtype=np.float64))
        self._remember(path)
        confirm(window, f"Session saved to {Path(path).resolve()}")
        return True

    def _read_session(self) -> dict[str, Any]:
        """session_dict of the paused trainer, read in the trainer process between steps."""
        link = self._window.worker
        outcome: dict[str, Any] = {}
        loop = QEventLoop()

        def finish(key: str, value: object) -> None:
            outcome.setdefault(key, value)
            loop.quit()

        tag = SAVE_TAG
        connections = [
            (link.session_read, lambda read_tag, data: read_tag == tag and finish("data", data)),
            (link.failed, lambda message: finish("error", message)),
            (link.died, lambda message: finish("error", message)),
        ]
        for signal, slot in connections:
            signal.connect(slot)
        QTimer.singleShot(int(READ_TIMEOUT_S * 1000), loop.quit)
        link.read_session(tag)
        if link.alive:
            loop.exec()
        for signal, slot in connections:
            signal.disconnect(slot)
        if "data" in outcome:
            return outcome["data"]
        raise SessionFileError(outcome.get("error", "the training process did not answer in "
                                                    "time"))

    # -- opening --------------------------------------------------------------------------

    def _on_open(self) -> None:
        path = open_file_name(self._window, self._window.settings, "Open Session",
                              SESSION_FILTER)
        if path:
            self.open_session(path)

    def open_session(self, path: str | Path) -> bool:
        """Continue the session in `path`; on any problem say which field and change nothing."""
        window = self._window
        try:
            loaded = load_in_background(window, f"Reading {Path(path).name}…",
                                        lambda progress: load_session(path))
            if loaded is None:
                window.statusBar().showMessage("Opening the session was cancelled", 5000)
                return False
            runs = runs_from_list(loaded.pinned_runs)
        except DeltascopeError as error:
            message = str(error)
            if not isinstance(error, SessionFileError):  # a pinned run's own message
                message = f"{Path(path).name}: pinned_runs: {message}"
            window.report("Cannot open session", message)
            return False
        if not window.confirm_discard():
            return False
        self._adopt(loaded)
        controller = self._runs_controller()
        if controller is not None:
            controller.model.set_runs(runs)
        self._remember(path)
        window.statusBar().showMessage(
            f"Session {Path(path).name} opened at step {loaded.trainer.step_count}", 5000)
        return True

    def _adopt(self, loaded: LoadedSession) -> None:
        """Make the loaded settings, data and trainer the window's, as Reset would."""
        window = self._window
        window.set_csv_dataset(None if loaded.generated else loaded.dataset)
        # what the file holds counts as saved
        params = loaded.trainer.network.params.copy()
        window.adopt(loaded.trainer, loaded.config, saved_params=params)

    def _runs_controller(self) -> RunsController | None:
        return self._window.findChild(RunsController)


def install_sessions(window: AppWindowApi) -> SessionController:
    """Add File ▸ Open Session… (Ctrl+Shift+O), Open Recent and Save Session… (Ctrl+S)."""
    return SessionController(window)
