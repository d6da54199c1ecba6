"""The trainer process: a TrainerService (engine/process/trainer_service.py) behind a pipe.

Why a process: Python runs one thread at a time, so a window drawing 30 frames a second in the
same interpreter takes that time from training (measured with the old training thread: 1-4
frames a second at 0.8x training speed, and Pause taking seconds on a busy machine). A child
process has its own interpreter and core; the price is that commands and snapshots must be plain
data (engine/process/trainer_protocol.py, sent as bytes by engine/process/wire.py, never
pickled).

`serve(connection)` is the child's main function. It reads commands between training bursts
(the service trains at most a few milliseconds at a time), and a sender thread writes events
to the pipe, so a window that is slow to read never stops training. When the window's end of
the pipe closes (the window exited, or was killed), reading fails and the process ends.
"""

from __future__ import annotations

import os
import queue
import threading
from collections import deque
from multiprocessing.connection import Connection

import numpy as np

from engine.process import trainer_protocol as protocol
from engine.process.trainer_service import TrainerService
from engine.process.wire import WireError, decode, encode

# Requests of which only the newest matters: when a later one of the same kind is already
# waiting, an earlier one is skipped (a dragged timeline asks for many steps in a row).
_COALESCED = (protocol.RequestHistorySnapshot, protocol.RequestParameterSeries)


class _Inbox:
    """Commands read from the pipe, in order; EOFError once the window's end is closed."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._waiting: deque[object] = deque()

    def _read_available(self, timeout: float | None) -> None:
        if self._connection.poll(timeout):
            while True:
                self._waiting.append(_decode_command(self._connection.recv_bytes()))
                if not self._connection.poll(0):
                    break

    def next(self, timeout: float | None) -> object | None:
        """The next command, waiting up to `timeout` seconds (None: until one comes)."""
        if not self._waiting:
            self._read_available(timeout)
        while self._waiting:
            command = self._waiting.popleft()
            if isinstance(command, _COALESCED) and any(
                    isinstance(later, type(command)) for later in self._waiting):
                continue
            return command
        return None

    def cancel_requested(self) -> bool:
        """True once a CancelGradientCheck has come (the commands around it keep waiting)."""
        self._read_available(0)
        for index, command in enumerate(self._waiting):
            if isinstance(command, protocol.CancelGradientCheck):
                del self._waiting[index]
                return True
        return False


def _decode_command(data: bytes) -> object:
    try:
        return decode(data)
    except WireError as error:
        return _Unreadable(str(error))


class _Unreadable:
    """Bytes that were not a message (answered with Failed, never carried out)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Sender:
    """Encodes events in the caller's thread and writes them to the pipe in its own."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="event-sender", daemon=True)
        self._thread.start()

    def send(self, event: object) -> None:
        self._queue.put(encode(event))

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            try:
                self._connection.send_bytes(data)
            except OSError:
                return  # the window is gone; the main loop finds out when it reads

    def close(self) -> None:
        """Write what is queued, then end the thread."""
        self._queue.put(None)
        self._thread.join(timeout=2.0)


def serve(connection: Connection) -> None:
    """Run a TrainerService on `connection` until Stop or until the window's end closes."""
    sender = _Sender(connection)
    service = TrainerService(sender.send)
    inbox = _Inbox(connection)
    # Diverging training overflows on the way to NaN; the trainer reports it as a
    # DivergenceError and rolls back, so the warnings themselves are noise here.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            while not service.stopped:
                timeout = service.wait_before_training() if service.playing else None
                command = inbox.next(timeout)
                if isinstance(command, _Unreadable):
                    sender.send(protocol.Failed(f"A command could not be read: {command.reason}"))
                elif command is not None:
                    service.handle(command, inbox.cancel_requested)
                else:
                    service.train()
        except (EOFError, OSError):
            pass  # the window's end of the pipe is closed: nobody is left to train for
    sender.close()


def main(connection: Connection) -> None:
    """The process's target (multiprocessing): serve, then exit without running atexit
    handlers inherited from the window's modules."""
    serve(connection)
    connection.close()
    os._exit(0)
