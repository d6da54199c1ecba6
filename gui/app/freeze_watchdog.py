"""A watchdog for a frozen window: when the GUI thread stays away from its event loop for
`stall_seconds`, the Python stack of every thread goes to a log file the person can send.

A timer in the GUI thread re-arms `faulthandler.dump_traceback_later` on every beat. If the
thread is stuck (in a layout loop, a long computation, a deadlock), no beat comes and
faulthandler's own C thread writes the stacks, without needing the stuck thread or the GIL.
When the thread comes back, `stalled` says for how long it was away and where the stacks are.
One watchdog per process: faulthandler has one such timer.
"""

from __future__ import annotations

import faulthandler
import time
from pathlib import Path
from typing import TextIO

from PySide6.QtCore import QObject, QTimer, Signal

BEAT_MS = 500
STALL_SECONDS = 5.0


class FreezeWatchdog(QObject):
    """Writes every thread's stack to `log_path` when the GUI thread stalls."""

    stalled = Signal(float, str)  # seconds the event loop was away, the log's path

    def __init__(self, log_path: Path, stall_seconds: float = STALL_SECONDS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_path = log_path
        self._stall_seconds = stall_seconds
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log: TextIO | None = open(log_path, "a", encoding="utf-8")  # noqa: SIM115
        self._last_beat = time.monotonic()
        self._timer = QTimer(self, interval=BEAT_MS)
        self._timer.timeout.connect(self._beat)
        self._timer.start()
        self._arm()

    def _arm(self) -> None:
        if self._log is not None:
            faulthandler.dump_traceback_later(self._stall_seconds, repeat=False, file=self._log)

    def _beat(self) -> None:
        now = time.monotonic()
        away = now - self._last_beat
        self._last_beat = now
        self._arm()
        if away >= self._stall_seconds:
            self.stalled.emit(away, str(self.log_path))

    def stop(self) -> None:
        """Disarm and close the log; an empty log (no stall) is deleted."""
        if self._log is None:
            return
        faulthandler.cancel_dump_traceback_later()
        self._timer.stop()
        self._log.close()
        self._log = None
        if self.log_path.exists() and self.log_path.stat().st_size == 0:
            self.log_path.unlink()
