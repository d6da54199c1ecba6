"""The training worker: owns the Trainer in its own QThread and emits immutable Snapshots.

Commands from the GUI thread are queued closures that run in the worker thread between
steps; `_interrupt` is set with each command so a running burst stops before its next
step (so Pause takes effect before the next step starts). While playing, the worker
trains at full speed and emits a snapshot at most every 1/30 s, only once the GUI has
drawn the last one (`frame_drawn`) and no sooner than the GUI asked (throttled at the
source); it rests while the GUI draws. Pause, Step and every command that changes state
always emit one.

Every step is recorded in a StepHistory (engine/history.py), a ring buffer of the last N
steps; `request_history_snapshot` rebuilds the Snapshot of a stored step in this thread and
sends it as `history_snapshot_ready`, and `request_parameter_series` sends one parameter's
stored values and gradients. A new trainer (Reset, new data or architecture) clears it.

Every live snapshot carries each layer's gradient norm ||dC/dW^m|| over the run
(`Snapshot.gradient_norms`: the run's GradientNormSeries, frozen at that moment): every step,
read from the history after each training burst, thinned to one even resolution once a long
run passes NORM_CAPACITY points. Snapshots rebuilt from the history carry none.

`set_parameter` is the one way the GUI changes a weight or bias by hand (gui/hand_edits.py):
it runs between steps like every command and answers with `parameter_set` and a snapshot.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from engine.errors import DeltascopeError, DivergenceError
from engine.gradcheck import GradientCheckCancelled, check_gradients
from engine.gradient_norms import GradientNormSeries
from engine.history import StepHistory, default_capacity, rebuild_snapshot
from engine.network import ParameterRef, parameter_count
from engine.snapshot import Snapshot, take_snapshot
from engine.trainer import Trainer

FRAME_INTERVAL = 1.0 / 30.0
# After sending a frame while playing, the worker rests (without the GIL) until the GUI has
# drawn it, at most this many seconds. Python runs one thread at a time: a GUI thread that
# has to win the GIL back from the training loop for each of its Python calls draws slowly,
# and each such switch costs the training loop too (milliseconds on a virtual machine).
MAX_REST = 0.25
# While playing, frames (making the snapshot, then resting while the GUI draws it) take at
# most this share of the worker's wall time by default (set_frame_budget changes it): after a
# frame that cost it t seconds, the next comes no sooner than t / budget after its start. The
# GUI's FramePacer bounds the GUI thread's CPU; this bounds what the training loop loses.
FRAME_BUDGET = 0.08

Command = Callable[[], None]


@dataclass(frozen=True)
class ParameterEdit:
    """A hand edit the worker carried out: params[index] (the weight or bias `ref`) went from
    `old` to `new`, bit for bit. `tag` is the caller's, passed through unchanged."""

    index: int
    ref: ParameterRef
    old: float
    new: float
    tag: int


class TrainingWorker(QObject):
    """Runs training in the thread it is moved to; talk to it only through its public methods."""

    snapshot_ready = Signal(object)  # Snapshot
    rate_measured = Signal(float)  # training steps per second while playing
    playing_changed = Signal(bool)
    diverged = Signal(str)  # one-line message; training is paused, weights intact
    failed = Signal(str)  # a command could not be carried out; state unchanged
    stopped = Signal()
    fenced = Signal(int)  # see fence()
    check_progress = Signal(int, int)  # parameters done, total
    check_finished = Signal(object)  # GradientCheckResult, or None when cancelled
    history_info = Signal(object)  # HistoryInfo; sent before every snapshot_ready
    history_snapshot_ready = Signal(object)  # Snapshot rebuilt from the history
    parameter_series_ready = Signal(object)  # ParameterSeries
    parameter_set = Signal(object)  # ParameterEdit; sent before the snapshot that shows it
    trainer_replaced = Signal()  # a new Trainer took over; sent before its first snapshot

    def __init__(self, trainer: Trainer) -> None:
        super().__init__()
        self._trainer = trainer
        self._commands: queue.SimpleQueue[Command | None] = queue.SimpleQueue()
        self._interrupt = False
        self._playing = False
        self._probe_row = 0
        self._frame_drawn = threading.Event()  # set: the GUI has drawn the last frame
        self._frame_drawn.set()
        # perf_counter times before which no frame goes out: one written only by the GUI
        # thread (frame_drawn), one only by the worker (its frame budget), so neither
        # overwrites the other's.
        self._gui_ready_at = 0.0
        self._budget_ready_at = 0.0
        self._frame_budget = FRAME_BUDGET
        self._rate_steps = 0  # steps and seconds trained since the last frame
        self._rate_seconds = 0.0
        self._cancel_check = False
        self._history = _new_history(trainer)
        self._norm_series = GradientNormSeries(trainer.network.depth)
        self._requests_lock = threading.Lock()
        self._wanted_history_step: int | None = None
        self._wanted_series_index: int | None = None

    # -- called from the GUI thread -------------------------------------------------------

    def submit(self, command: Command) -> None:
        """Run `command` in the worker thread before the next training step."""
        self._commands.put(command)
        self._interrupt = True
        self._frame_drawn.set()  # a command ends a rest

    def play(self) -> None:
        self.submit(lambda: self._set_playing(True))

    def pause(self) -> None:
        self.submit(self._pause)

    def step(self, count: int = 1) -> None:
        self.submit(lambda: self._run_steps(count))

    def step_epoch(self) -> None:
        self.submit(self._run_epoch)

    def replace_trainer(self, trainer: Trainer) -> None:
        """Hand over a new Trainer (the GUI must not touch it afterwards); pauses."""

        def replace() -> None:
            self._set_playing(False)
            self._trainer = trainer
            if parameter_count(trainer.network.sizes) == self._history.parameter_count:
                self._history.clear()  # same architecture: keep the chosen N
            else:
                self._history = _new_history(trainer)
            self._norm_series = GradientNormSeries(trainer.network.depth)
            self.trainer_replaced.emit()
            self._emit_snapshot()

        self.submit(replace)

    def set_parameter(self, index: int, value: float, tag: int = 0) -> None:
        """Set the parameter at flat position `index` (Network.flat_index) to `value` by hand.

        Runs between steps and pauses first: hand edits change the paused state only. The
        optimizer's state is kept as it is (momentum velocities, Adam's moments and step
        count are not reset), so the next step continues from the edited weights with the
        optimizer's memory of the earlier gradients. Then it sends `parameter_set` and a fresh
        snapshot, whose gradients are those of the pending batch at the edited parameters.
        A value that is not finite, an index out of range, or a value whose cost is not
        finite is refused with `failed`; nothing changes then.
        """
        self.submit(lambda: self._set_parameter(int(index), float(value), tag))

    def read_trainer(self, read: Callable[[Trainer], None]) -> None:
        """Call `read(trainer)` in the worker thread between steps; `read` must not change the
        trainer (use `configure` for that) and hands its result back itself."""
        self.submit(lambda: read(self._trainer))

    def configure(self, change: Callable[[Trainer], None]) -> None:
        """Apply `change` to the trainer between steps (learning rate, optimizer, ...)."""

        def apply() -> None:
            try:
                change(self._trainer)
            except DeltascopeError as error:
                self.failed.emit(str(error))
            self._emit_snapshot()

        self.submit(apply)

    def set_probe_row(self, row: int) -> None:
        def apply() -> None:
            self._probe_row = row
            self._emit_snapshot()

        self.submit(apply)

    def request_snapshot(self) -> None:
        self.submit(self._emit_snapshot)

    def fence(self, token: int) -> None:
        """Emit `fenced(token)` once every command submitted before this one has run (so
        every snapshot they sent has arrived before `fenced` does: signals keep their order)."""
        self.submit(lambda: self.fenced.emit(token))

    def run_gradient_check(self) -> None:
        """Central differences on the paused state's batch; pauses first."""
        self._cancel_check = False
        self.submit(self._gradient_check)

    def cancel_gradient_check(self) -> None:
        """Stop a running check at its next progress report (set directly, not queued)."""
        self._cancel_check = True

    def request_history_snapshot(self, step: int) -> None:
        """Send the Snapshot of stored step `step` (or the nearest stored one) as
        `history_snapshot_ready`. Requests coalesce: only the latest one is served."""
        with self._requests_lock:
            self._wanted_history_step = int(step)
        self.submit(self._serve_history_snapshot)

    def request_parameter_series(self, index: int) -> None:
        """Send parameter `index` (flat position) over the stored steps as
        `parameter_series_ready`. Requests coalesce: only the latest one is served."""
        with self._requests_lock:
            self._wanted_series_index = int(index)
        self.submit(self._serve_parameter_series)

    def request_history_info(self) -> None:
        """Send `history_info` now (it is otherwise sent before every snapshot)."""
        self.submit(lambda: self.history_info.emit(self._history.info()))

    def set_history_capacity(self, capacity: int) -> None:
        """Keep the last `capacity` steps from now on (the newest stored ones are kept)."""

        def apply() -> None:
            try:
                self._history.resize(capacity)
            except ValueError as error:
                self.failed.emit(str(error))
            self.history_info.emit(self._history.info())

        self.submit(apply)

    @property
    def frame_budget(self) -> float:
        return self._frame_budget

    def set_frame_budget(self, share: float) -> None:
        """Let frames take up to `share` (0 < share <= 1) of the worker's time while playing:
        more frames a second, less training. Takes effect at the next frame."""
        if not 0.0 < share <= 1.0:
            raise ValueError(f"a frame budget is a share in (0, 1], got {share}")
        self._frame_budget = share  # one float: read by the worker thread as it is

    def frame_drawn(self, next_in: float = 0.0) -> None:
        """The GUI has drawn the last snapshot: a resting worker trains on, and while playing
        sends its next frame no sooner than `next_in` seconds from now."""
        self._gui_ready_at = time.perf_counter() + next_in
        self._frame_drawn.set()

    def stop(self) -> None:
        """Ask `run` to return; then quit() and wait() on the thread."""
        self._commands.put(None)
        self._interrupt = True
        self._frame_drawn.set()

    # -- the worker thread ----------------------------------------------------------------

    @Slot()
    def run(self) -> None:
        """The worker's loop: every queued command first, then a burst of training while playing."""
        # Diverging training overflows on the way to NaN; the trainer reports it as a
        # DivergenceError and rolls back, so the warnings themselves are noise here.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self._loop()
        self._set_playing(False)
        self.stopped.emit()

    def _loop(self) -> None:
        self._emit_snapshot()
        while True:
            # Clear before polling: a command put after the poll sets the flag again, so the
            # burst below stops before its first step.
            self._interrupt = False
            if self._playing:
                try:
                    command = self._commands.get_nowait()
                except queue.Empty:
                    self._train_burst()
                    continue
            else:
                command = self._commands.get()
            if command is None:
                return
            command()

    def _train_burst(self) -> None:
        trainer = self._trainer
        start = time.perf_counter()
        deadline = start + FRAME_INTERVAL
        record = self._history.record_step
        steps = 0
        try:
            while not self._interrupt:
                record(trainer)
                steps += 1
                if time.perf_counter() >= deadline:
                    break
        except DivergenceError as error:
            self._on_divergence(error)
            return
        self._record_gradient_norms()  # a burst's steps: far fewer than the history holds
        now = time.perf_counter()
        self._rate_steps += steps
        self._rate_seconds += now - start
        if self._frame_drawn.is_set() and now >= max(self._gui_ready_at, self._budget_ready_at):
            # Everything for the GUI goes out together, then the worker rests while the
            # GUI draws: one GIL hand-over per frame instead of one per signal and paint.
            if self._rate_seconds > 0:
                self.rate_measured.emit(self._rate_steps / self._rate_seconds)
            self._rate_steps, self._rate_seconds = 0, 0.0
            self._emit_snapshot()
            self._frame_drawn.wait(MAX_REST)
            cost = time.perf_counter() - now
            self._budget_ready_at = now + cost / self._frame_budget

    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self.playing_changed.emit(playing)

    def _pause(self) -> None:
        self._set_playing(False)
        self._emit_snapshot()

    def _run_steps(self, count: int) -> None:
        self._set_playing(False)
        try:
            for _ in range(count):
                self._train_step()
        except DivergenceError as error:
            self._on_divergence(error)
            return
        self._emit_snapshot()

    def _run_epoch(self) -> None:
        self._set_playing(False)
        trainer = self._trainer
        epoch = trainer.epoch
        try:
            while trainer.epoch == epoch:  # Trainer.run_epoch, each step recorded
                self._train_step()
        except DivergenceError as error:
            self._on_divergence(error)
            return
        self._emit_snapshot()

    def _train_step(self) -> None:
        """One step kept in the history (Step, Step epoch), its gradient norms read every
        half ring, before the ring can overwrite them. (Bursts while playing read them
        after each burst instead: fewer calls on the hot path.)"""
        self._history.record_step(self._trainer)
        if self._trainer.step_count % max(1, self._history.capacity // 2) == 0:
            self._record_gradient_norms()

    def _gradient_check(self) -> None:
        self._set_playing(False)
        trainer = self._trainer
        batch = trainer.pending_batch()

        def progress(done: int, total: int) -> bool:
            self.check_progress.emit(done, total)
            return not self._cancel_check

        try:
            result = check_gradients(trainer.network, batch.inputs, batch.targets, trainer.loss,
                                     trainer.reduction, progress=progress)
        except GradientCheckCancelled:
            result = None
        self.check_finished.emit(result)

    def _set_parameter(self, index: int, value: float, tag: int) -> None:
        self._set_playing(False)
        network = self._trainer.network
        if not 0 <= index < network.params.size:
            self.failed.emit(f"No parameter at index {index}: the network has "
                             f"{network.params.size} parameters. Nothing was changed.")
            return
        ref = network.parameter_at(index)
        if not np.isfinite(value):
            self.failed.emit(f"{ref.symbol} must be a finite number, not {value}. "
                             "Nothing was changed.")
            return
        old = float(network.params[index])
        network.params[index] = value
        try:
            snapshot = take_snapshot(self._trainer, self._probe_row)
        except DivergenceError:
            network.params[index] = old
            self.failed.emit(f"With {ref.symbol} = {value:g} the cost is not finite. "
                             "Nothing was changed.")
            return
        self.parameter_set.emit(ParameterEdit(index, ref, old, value, tag))
        self._publish(snapshot)

    def _on_divergence(self, error: DivergenceError) -> None:
        """Pause, report, and show the state training stopped at: the last finite weights,
        with the pending batch's numbers as they are (NaN/Inf included)."""
        self._set_playing(False)
        self.diverged.emit(str(error))
        self._publish(take_snapshot(self._trainer, self._probe_row, allow_nonfinite=True,
                                    message=str(error)))

    def _emit_snapshot(self) -> None:
        try:
            snapshot: Snapshot = take_snapshot(self._trainer, self._probe_row)
        except DivergenceError as error:
            self._on_divergence(error)
            return
        self._publish(snapshot)

    def _publish(self, snapshot: Snapshot) -> None:
        """Send a live snapshot (never one rebuilt from the history), with the norm series."""
        self._frame_drawn.clear()
        self.history_info.emit(self._history.info())
        self.snapshot_ready.emit(self._with_gradient_norms(snapshot))

    def _with_gradient_norms(self, snapshot: Snapshot) -> Snapshot:
        """`snapshot` carrying the run's gradient norms up to its step: those of the steps
        recorded since the series' last point, then its own.
        The same step again (a hand edit or a setting changed the gradient) replaces it."""
        series = self._norm_series
        last = series.last_step
        if last is not None and snapshot.step < last:  # cannot happen within one trainer
            series.clear()
        self._record_gradient_norms()
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged state's norm: Inf/NaN
            norms = [np.linalg.norm(layer.weight_gradients) for layer in snapshot.layers]
        if series.last_step == snapshot.step:
            series.replace_last(norms)
        else:
            series.extend([snapshot.step], [norms])
        return replace(snapshot, gradient_norms=series.frozen())

    def _record_gradient_norms(self) -> None:
        """Add the norms of the steps the history recorded since the series' last point.
        Called after every training burst (and every half history while stepping), so the
        ring has not yet overwritten any of them: the plot gets every step."""
        series = self._norm_series
        sizes = self._trainer.network.sizes
        series.extend(*self._history.weight_gradient_norms(sizes, series.last_step))

    def _serve_history_snapshot(self) -> None:
        with self._requests_lock:
            wanted, self._wanted_history_step = self._wanted_history_step, None
        if wanted is None:
            return  # a later request of the same burst was served already
        history = self._history
        step = history.nearest_step(wanted)
        if step is None:
            self.history_info.emit(history.info())
            return
        stored = history.stored(step)
        previous = history.stored(step - 1).params if step - 1 in history else None
        snapshot = rebuild_snapshot(self._trainer, stored, self._probe_row, previous)
        self.history_snapshot_ready.emit(snapshot)

    def _serve_parameter_series(self) -> None:
        with self._requests_lock:
            index, self._wanted_series_index = self._wanted_series_index, None
        if index is None or not 0 <= index < self._history.parameter_count:
            return
        self.parameter_series_ready.emit(self._history.parameter_series(index))


def _new_history(trainer: Trainer) -> StepHistory:
    """An empty history sized by default for this trainer's network."""
    count = parameter_count(trainer.network.sizes)
    batch = trainer.effective_batch_size
    row_width = 0 if batch == len(trainer.data.train) else batch  # full batches store no rows
    return StepHistory(count, default_capacity(count, row_width), row_width)

