"""The window's side of the trainer process: commands out, Qt signals in.

TrainerLink starts engine/process/trainer_process.py in a child process and talks to it over a pipe
with the messages of engine/process/trainer_protocol.py. Its methods send commands and return at
once; what the trainer sends back arrives through a QSocketNotifier in the GUI thread and
goes out as the signals below, in the order the trainer sent it. When several live snapshots
are waiting, only the newest is shown (the others are acknowledged unseen), so a window that
fell behind catches up at once instead of drawing stale frames.

Process start: on Linux a fork server (multiprocessing's "forkserver") that has imported the
trainer's modules once, so a new trainer process starts in milliseconds and never inherits
the window's threads or Qt state; elsewhere "spawn". The child is a daemon of this process
and also ends by itself when its end of the pipe closes, so it never outlives the window,
even one killed with SIGKILL.

If the child dies (killed, crashed, out of memory), `died` says so in one line; the window
keeps its last snapshot and may start a new link.
"""

from __future__ import annotations

import json
import multiprocessing
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Signal

from engine.io.session import encode_session
from engine.process import trainer_protocol as protocol
from engine.process.wire import WireError, decode, encode
from engine.training.history_delta import HistoryReceiver
from engine.training.snapshot import Snapshot

STOP_SECONDS = 1.0
# Events that may sit between two live snapshots without making the earlier one worth drawing.
_PASSING = (protocol.HistoryInfoReady, protocol.RateMeasured, protocol.CheckProgress,
            protocol.PlayingChanged)

ParameterEdit = protocol.ParameterEdit  # what `parameter_set` carries (panels name it)


def _context() -> Any:
    """forkserver (preloaded with the trainer's modules) where there is one, else spawn."""
    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["engine.process.trainer_process"])
        return context
    return multiprocessing.get_context("spawn")


class TrainerLink(QObject):
    """A trainer process and the pipe to it. Talk to it only through the public methods."""

    snapshot_ready = Signal(object)  # Snapshot (no grid or evaluation: snapshot.with_views)
    rate_measured = Signal(float)  # training steps per second while playing
    playing_changed = Signal(bool)
    diverged = Signal(str)  # one-line message; training is paused, weights intact
    failed = Signal(str)  # a command could not be carried out; state unchanged
    fenced = Signal(int)  # see fence()
    check_progress = Signal(int, int)  # parameters done, total
    check_finished = Signal(object)  # GradientCheckResult, or None when cancelled
    history_info = Signal(object)  # HistoryInfo; sent before every snapshot_ready
    history_snapshot_ready = Signal(object)  # Snapshot rebuilt from the history
    parameter_series_ready = Signal(object)  # ParameterSeries
    parameter_set = Signal(object)  # ParameterEdit; sent before the snapshot that shows it
    trainer_replaced = Signal()  # a new trainer took over; sent before its first snapshot
    session_read = Signal(int, object)  # tag, the session dict asked for with read_session()
    died = Signal(str)  # the trainer process ended unexpectedly (one line)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._complete: Callable[[Snapshot], Snapshot] = lambda snapshot: snapshot
        self._start()

    def _start(self) -> None:
        context = _context()
        self._connection, child_end = context.Pipe(duplex=True)
        from engine.process.trainer_process import main

        self._process = context.Process(target=main, args=(child_end,), daemon=True,
                                        name="deltascope-trainer")
        self._process.start()
        child_end.close()  # only the child holds its end: it sees EOF when we go
        self._alive = True
        self._history = HistoryReceiver()
        self._playing = False  # as the trainer last said
        self._pausing = False  # Pause sent while playing; its PlayingChanged(False) not yet in
        self._notifier = QSocketNotifier(self._connection.fileno(), QSocketNotifier.Type.Read,
                                         self)
        self._notifier.activated.connect(self._on_readable)

    def restart(self) -> None:
        """After the process ended: a new one (with no trainer until replace_trainer), on the
        same signals, so everything connected to this link stays connected."""
        self.stop()
        self._notifier.deleteLater()
        self._start()

    # -- state ------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def alive(self) -> bool:
        """False once the process has ended (stopped or died)."""
        return self._alive

    def set_completion(self, complete: Callable[[Snapshot], Snapshot]) -> None:
        """Pass every snapshot through `complete` before it is emitted (the window adds the
        decision grid and evaluation the trainer leaves out)."""
        self._complete = complete

    # -- commands ---------------------------------------------------------------------------

    def send(self, command: object) -> None:
        """Send one command of engine/process/trainer_protocol.py (dropped once the process
        ended)."""
        if not self._alive:
            return
        try:
            self._connection.send_bytes(encode(command))
        except OSError:
            self._on_died()

    def play(self) -> None:
        self.send(protocol.Play())

    def pause(self) -> None:
        """Pause; live frames still on their way (trained before the pause) are not drawn,
        so the paused state shows as soon as it comes."""
        if self._playing:
            self._pausing = True
        self.send(protocol.Pause())

    def step(self, count: int = 1) -> None:
        self.send(protocol.Step(int(count)))

    def step_epoch(self) -> None:
        self.send(protocol.StepEpoch())

    def replace_trainer(self, session: dict[str, Any]) -> None:
        """Train from now on with the trainer this session dict describes (pauses)."""
        self.send(protocol.NewTrainer(encode_session(session)))

    def set_parameter(self, index: int, value: float, tag: int = 0) -> None:
        """Set the parameter at flat position `index` to `value` by hand (pauses first);
        answered by `parameter_set` and a snapshot, or `failed` (nothing changed)."""
        self.send(protocol.SetParameter(int(index), float(value), int(tag)))

    def set_hyperparameters(self, learning_rate: float, batch_size: int, regularization: str,
                            regularization_rate: float, optimizer: str) -> None:
        self.send(protocol.SetHyperparameters(float(learning_rate), int(batch_size),
                                              regularization, float(regularization_rate),
                                              optimizer))

    def set_probe_row(self, row: int) -> None:
        self.send(protocol.SetProbeRow(int(row)))

    def set_speed(self, steps_per_second: float | None) -> None:
        self.send(protocol.SetSpeed(None if steps_per_second is None
                                    else float(steps_per_second)))

    def request_snapshot(self) -> None:
        self.send(protocol.RequestSnapshot())

    def fence(self, token: int) -> None:
        """`fenced(token)` comes once every command sent before this one has been carried out
        (and every event they caused has been emitted)."""
        self.send(protocol.Fence(int(token)))

    def run_gradient_check(self) -> None:
        self.send(protocol.RunGradientCheck())

    def cancel_gradient_check(self) -> None:
        self.send(protocol.CancelGradientCheck())

    def request_history_snapshot(self, step: int) -> None:
        self.send(protocol.RequestHistorySnapshot(int(step)))

    def request_parameter_series(self, index: int) -> None:
        self.send(protocol.RequestParameterSeries(int(index)))

    def request_history_info(self) -> None:
        self.send(protocol.RequestHistoryInfo())

    def set_history_capacity(self, capacity: int) -> None:
        self.send(protocol.SetHistoryCapacity(int(capacity)))

    def read_session(self, tag: int = 0, pause: bool = True) -> None:
        """The session dict comes as `session_read(tag, dict)` (or `failed`); `pause` first,
        or read between two steps while training plays on."""
        self.send(protocol.ReadSession(int(tag), bool(pause)))

    def stop(self) -> None:
        """End the process: asked first, then terminated if it has not ended within a second.
        Safe to call twice."""
        if self._process.pid is None:
            return
        if self._alive:
            self._alive = False
            self._notifier.setEnabled(False)
            try:
                self._connection.send_bytes(encode(protocol.Stop()))
            except OSError:
                pass
        self._process.join(STOP_SECONDS)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(STOP_SECONDS)
        self._connection.close()

    # -- events -----------------------------------------------------------------------------

    def _on_readable(self) -> None:
        events: list[object] = []
        try:
            while self._connection.poll(0):
                events.append(decode(self._connection.recv_bytes()))
        except (EOFError, OSError):
            self._dispatch(events)
            self._on_died()
            return
        except WireError as error:
            self.failed.emit(f"A message from the trainer could not be read: {error}")
        self._dispatch(events)

    def _dispatch(self, events: list[object]) -> None:
        for position, event in enumerate(events):
            if isinstance(event, protocol.SnapshotReady | protocol.HistorySnapshotReady):
                # every one, skipped or not: each history part builds on the one before
                event = replace(event, snapshot=self._history.join(event.snapshot,
                                                                   event.history_start))
            live = isinstance(event, protocol.SnapshotReady)
            if isinstance(event, protocol.PlayingChanged):
                self._playing = event.playing
                self._pausing = self._pausing and event.playing
            if not (live and (self._pausing or _superseded(events, position))):
                self._emit(event)
            if live:  # drawn (the slots draw at once) or skipped: room for one more
                self.send(protocol.FrameDrawn())

    def _emit(self, event: object) -> None:
        match event:
            case protocol.SnapshotReady(snapshot, _):
                self.snapshot_ready.emit(self._complete(snapshot))
            case protocol.HistorySnapshotReady(snapshot, _):
                self.history_snapshot_ready.emit(self._complete(snapshot))
            case protocol.RateMeasured(rate):
                self.rate_measured.emit(rate)
            case protocol.PlayingChanged(playing):
                self.playing_changed.emit(playing)
            case protocol.Diverged(message):
                self.diverged.emit(message)
            case protocol.Failed(message):
                self.failed.emit(message)
            case protocol.Fenced(token):
                self.fenced.emit(token)
            case protocol.CheckProgress(done, total):
                self.check_progress.emit(done, total)
            case protocol.CheckFinished(result):
                self.check_finished.emit(result)
            case protocol.HistoryInfoReady(info):
                self.history_info.emit(info)
            case protocol.ParameterSeriesReady(series):
                self.parameter_series_ready.emit(series)
            case protocol.ParameterEdit():
                self.parameter_set.emit(event)
            case protocol.TrainerReplaced():
                self.trainer_replaced.emit()
            case protocol.SessionRead(tag, session):
                self.session_read.emit(tag, json.loads(session))
            case protocol.Stopped():
                pass

    def _on_died(self) -> None:
        if not self._alive:
            return
        self._alive = False
        self._notifier.setEnabled(False)
        self._process.join(STOP_SECONDS)
        self.died.emit(_death_message(self._process.exitcode))


def _superseded(events: list[object], position: int) -> bool:
    """True when a later live snapshot in `events` follows this one with nothing between
    them that belongs to this one's moment (a fence, an edit, a new trainer...)."""
    for later in events[position + 1:]:
        if isinstance(later, protocol.SnapshotReady):
            return True
        if not isinstance(later, _PASSING):
            return False
    return False


def _death_message(exit_code: int | None) -> str:
    """One line on how the trainer process ended."""
    if exit_code is not None and exit_code < 0:
        try:
            name = signal.Signals(-exit_code).name
        except ValueError:
            name = f"signal {-exit_code}"
        how = f"was killed ({name})"
        if -exit_code == signal.SIGKILL:
            how += ", perhaps by the system for lack of memory"
    elif exit_code is None:
        how = "stopped answering"
    else:
        how = f"crashed (exit code {exit_code})"
    return (f"The training process {how}. The last snapshot stays shown: you can export its "
            "weights or save the session, or restart training from it.")
