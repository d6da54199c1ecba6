"""Reading a file without freezing the window: the load runs in a thread, with progress and
Cancel, while the event loop goes on (training keeps showing, the window repaints).

`load_in_background` returns when the load is done, so its callers stay simple; a person
cannot start anything else meanwhile (the progress dialog is window-modal). Cancel returns at
once: a load that reports progress stops at its next report, one that does not (a JSON parse)
finishes in its thread and its result is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

from engine.data.csv_data import LoadCancelled

T = TypeVar("T")
Progress = Callable[[int, int], bool]
POLL_MS = 30
SHOW_AFTER_MS = 400  # a quick load shows no dialog at all
STEPS = 1000


class _Shared:
    """What the loading thread and the GUI thread both see (plain attributes: one writer
    each, read as they are)."""

    def __init__(self) -> None:
        self.done_bytes = 0
        self.total_bytes = 0
        self.cancelled = threading.Event()
        self.finished = threading.Event()
        self.result: object = None
        self.error: BaseException | None = None


def load_in_background(parent: QWidget, label: str,
                       load: Callable[[Progress], T]) -> T | None:
    """Run `load(progress)` in a thread and wait for it with the event loop running; its
    result, None when the person cancelled, or the exception it raised."""
    shared = _Shared()

    def progress(done: int, total: int) -> bool:
        shared.done_bytes, shared.total_bytes = done, total
        return not shared.cancelled.is_set()

    def run() -> None:
        try:
            shared.result = load(progress)
        except BaseException as error:  # noqa: BLE001 - handed to the GUI thread
            shared.error = error
        finally:
            shared.finished.set()

    dialog = QProgressDialog(label, "Cancel", 0, STEPS, parent)
    dialog.setObjectName("loadProgress")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(SHOW_AFTER_MS)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setValue(0)
    loop = QEventLoop()
    dialog.canceled.connect(shared.cancelled.set)
    dialog.canceled.connect(loop.quit)

    def poll() -> None:
        if shared.finished.is_set():
            loop.quit()
        elif shared.total_bytes:
            dialog.setValue(min(STEPS - 1, STEPS * shared.done_bytes // shared.total_bytes))

    timer = QTimer(interval=POLL_MS)
    timer.timeout.connect(poll)
    threading.Thread(target=run, name="file-load", daemon=True).start()
    timer.start()
    loop.exec()
    timer.stop()
    dialog.canceled.disconnect()  # closing a progress dialog emits canceled too
    dialog.close()
    dialog.deleteLater()
    if shared.cancelled.is_set() or isinstance(shared.error, LoadCancelled):
        return None
    if shared.error is not None:
        raise shared.error
    return shared.result  # type: ignore[return-value]
