"""Never lose an hour of training: a recovery session written in the background.

While the shown weights are trained and unsaved, every `interval_ms` the trainer process is
asked for its session between two steps (training plays on) and a thread writes it
atomically to `recovery-<pid>.deltascope` in the data folder. A clean close or a save
deletes it, so a recovery file of a process that no longer runs means that run ended without
either: a crash, a kill, a power cut. `offer_recovery` then asks whether to continue from it.
(Each window process has its own file, so two Deltascopes never touch each other's.)
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from engine.io.session import write_session
from gui.base import dialogs

if TYPE_CHECKING:
    from gui.app.window_api import AppWindowApi

AUTOSAVE_TAG = 2  # ReadSession tag of the autosave (File > Save uses its own)
INTERVAL_MS = 3 * 60 * 1000


class Autosaver(QObject):
    """Writes `window`'s session into `folder` every `interval_ms` while it is unsaved."""

    written = Signal(str)  # the recovery file's path, after each write
    write_failed = Signal(str)  # one line

    def __init__(self, window: AppWindowApi, folder: Path, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(window)
        self.setObjectName("autosaver")
        self._window = window
        self.folder = folder
        self.path = folder / f"recovery-{os.getpid()}.deltascope"
        self.active = True
        self._writer: threading.Thread | None = None
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.save_now)
        window.worker.session_read.connect(self._on_session_read)
        window.training_saved.connect(self.discard)
        self._timer.start()

    def orphans(self) -> list[Path]:
        """Recovery files of window processes that no longer run, newest first."""
        found = []
        for path in self.folder.glob("recovery-*.deltascope"):
            pid = path.stem.removeprefix("recovery-")
            if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
                found.append(path)
        return sorted(found, key=lambda path: path.stat().st_mtime, reverse=True)

    def save_now(self) -> None:
        """Ask for the session now if training is unsaved (the write follows in a thread)."""
        window = self._window
        if not self.active or not window.has_unsaved_training or not window.worker.alive:
            return
        window.worker.read_session(AUTOSAVE_TAG, pause=False)

    def discard(self) -> None:
        """Delete the recovery file (after a save, or at a clean close)."""
        self._wait_for_writer()
        if self.active:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def stop(self) -> None:
        """A clean close: no more writes and no recovery file."""
        self._timer.stop()
        self.discard()
        self.active = False

    def _on_session_read(self, tag: int, session: dict[str, Any]) -> None:
        if tag != AUTOSAVE_TAG or not self.active:
            return
        self._wait_for_writer()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._writer = threading.Thread(target=self._write, args=(session,),
                                        name="autosave", daemon=True)
        self._writer.start()

    def _write(self, session: dict[str, Any]) -> None:
        try:
            write_session(self.path, session)
        except (OSError, ValueError) as error:
            self.write_failed.emit(f"Autosave to {self.path} failed: {error}")
            return
        self.written.emit(str(self.path))

    def _wait_for_writer(self) -> None:
        if self._writer is not None:
            self._writer.join()
            self._writer = None


def offer_recovery(window: AppWindowApi, autosaver: Autosaver) -> bool:
    """If an earlier run left a recovery file, ask whether to continue from the newest; True
    if the window now shows it. Either way the orphaned files are deleted afterwards (the
    restored training is autosaved under this process from now on)."""
    orphans = autosaver.orphans()
    if not orphans:
        return False
    newest = orphans[0]
    written = time.strftime("%Y-%m-%d %H:%M", time.localtime(newest.stat().st_mtime))
    answer = dialogs.ask(
        window, "Restore unsaved training?",
        f"Deltascope did not close normally last time. Its training was saved for recovery "
        f"at {written}. Continue from there?",
        dialogs.Button.Yes | dialogs.Button.No, dialogs.Button.Yes)
    restored = answer == dialogs.Button.Yes and window.open_session(str(newest))
    if restored:
        window.mark_unsaved()  # the recovery file is not a save: closing still asks
        window.statusBar().showMessage("Unsaved training restored from the recovery file",
                                       10_000)
    for path in orphans:
        with contextlib.suppress(OSError):
            path.unlink()
    return restored


def _running(pid: int) -> bool:
    """Whether a process with this id runs (on POSIX; elsewhere assume it does not)."""
    if os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
