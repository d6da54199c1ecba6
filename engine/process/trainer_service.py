"""The trainer's side of the window link: carries out commands, trains, sends events.

A TrainerService owns the Trainer, its step history (engine/training/step_history.py) and its
gradient-norm series. `handle` carries out one command of engine/process/trainer_protocol.py;
`train` runs while playing, for at most a few milliseconds, so commands are looked at between
bursts. Events go out through the `send` callable given at construction. There is no Qt and no
process here: engine/process/trainer_process.py runs a service in the trainer process, and tests
drive one directly.

Frames while playing: a live snapshot goes out at most FRAME_RATE times a second (fewer when
a frame costs more than FRAME_SHARE of the trainer's time, never fewer than MIN_FRAME_RATE),
and only
while the window has drawn all but MAX_FRAMES_IN_FLIGHT - 1 of those already sent (FrameDrawn
gives one back), so a window that draws slowly gets fewer frames while training goes on at
full speed. Below FRAME_RATE steps a second every step is sent, and the next step waits until
the window has drawn it: that is what a slow speed is for.

Live snapshots leave out the decision grid and the evaluation (snapshot.with_views adds them
on the window's side: they cost more than a hundred steps of a wide network). Every live
snapshot carries each layer's gradient norm over the run (Snapshot.gradient_norms), read from
the history with each frame and whenever half the ring is new, so no step is overwritten
unread.

Why this is long: one class carries out every command of the protocol against the trainer it
owns; the messages themselves are engine/process/trainer_protocol.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from engine.core.errors import DeltascopeError, DivergenceError
from engine.core.network import parameter_count
from engine.data.dataset import Dataset
from engine.explain.gradcheck import GradientCheckCancelled, check_gradients
from engine.io.session import SessionFileError, encode_session, restore, session_dict
from engine.process import trainer_protocol as protocol
from engine.training.config import TrainingConfig, apply_hyperparameters
from engine.training.gradient_norms import GradientNormSeries
from engine.training.history_delta import HistorySender
from engine.training.snapshot import Snapshot, take_snapshot
from engine.training.step_history import StepHistory, default_capacity, rebuild_snapshot
from engine.training.trainer import Trainer

FRAME_RATE = 30.0
MIN_FRAME_RATE = 10.0
FRAME_SHARE = 0.04
MAX_FRAMES_IN_FLIGHT = 2
BURST_SECONDS = 0.004  # commands are looked at least this often while training plays
Send = Callable[[object], None]
CancelCheck = Callable[[], bool]


class TrainerService:
    """Carries out the commands of engine/process/trainer_protocol.py on one Trainer at a time."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._trainer: Trainer | None = None
        self._config = TrainingConfig()
        self._dataset: Dataset | None = None
        self._history: StepHistory | None = None
        self._norms = GradientNormSeries(1)
        self._history_sender = HistorySender()
        self._playing = False
        self._probe_row = 0
        self._speed: float | None = None
        self._frames_in_flight = 0
        self._next_frame_at = 0.0
        self._norms_read_at = 0  # the trainer's step when the norms were last read
        self._step_allowance = 0.0  # steps the speed allows now (paced play)
        self._paced_at = 0.0
        self._rate_steps = 0
        self._rate_since = time.perf_counter()
        self.stopped = False

    # -- what the process loop asks -------------------------------------------------------

    @property
    def playing(self) -> bool:
        return self._playing

    def wait_before_training(self) -> float:
        """Seconds until training may go on (0: now). Paced play waits for its next step, and
        below the frame rate for the window to draw the last one (then one second, a bound:
        FrameDrawn ends the wait)."""
        if self._speed is None:
            return 0.0
        if self._speed < FRAME_RATE and self._frames_in_flight > 0:
            return 1.0
        self._refill_allowance()
        if self._step_allowance >= 1.0:
            return 0.0
        return (1.0 - self._step_allowance) / self._speed

    # -- commands ---------------------------------------------------------------------------

    def handle(self, command: object, cancel_requested: CancelCheck = lambda: False) -> None:
        """Carry out one command. `cancel_requested` is polled by a running gradient check."""
        if isinstance(command, protocol.FrameDrawn):
            self._frames_in_flight = max(0, self._frames_in_flight - 1)
            return
        if isinstance(command, protocol.NewTrainer):
            self._new_trainer(command.session)
            return
        if isinstance(command, protocol.SetSpeed):
            self._speed = command.steps_per_second
            self._paced_at = time.perf_counter()
            self._step_allowance = 0.0
            return
        if isinstance(command, protocol.Fence):
            self._send(protocol.Fenced(command.token))
            return
        if isinstance(command, protocol.Stop):
            self._set_playing(False)
            self.stopped = True
            self._send(protocol.Stopped())
            return
        if isinstance(command, protocol.CancelGradientCheck):
            return  # no check running: nothing to cancel
        if self._trainer is None:
            self._send(protocol.Failed("There is no network to train yet."))
            return
        handler = _HANDLERS.get(type(command))
        if handler is None:
            self._send(protocol.Failed(f"Unknown command {type(command).__name__}."))
            return
        handler(self, command, cancel_requested)

    def _play(self, command: protocol.Play, cancel: CancelCheck) -> None:
        self._set_playing(True)

    def _pause(self, command: protocol.Pause, cancel: CancelCheck) -> None:
        self._set_playing(False)
        self._send_snapshot()

    def _step(self, command: protocol.Step, cancel: CancelCheck) -> None:
        self._set_playing(False)
        self._run_steps(lambda done: done < command.count)

    def _step_epoch(self, command: protocol.StepEpoch, cancel: CancelCheck) -> None:
        self._set_playing(False)
        epoch = self.trainer.epoch
        self._run_steps(lambda done: self.trainer.epoch == epoch)

    def _set_parameter(self, command: protocol.SetParameter, cancel: CancelCheck) -> None:
        self._set_playing(False)
        network = self.trainer.network
        index, value = int(command.index), float(command.value)
        if not 0 <= index < network.params.size:
            self._send(protocol.Failed(f"No parameter at index {index}: the network has "
                                       f"{network.params.size} parameters. Nothing was changed."))
            return
        ref = network.parameter_at(index)
        if not np.isfinite(value):
            self._send(protocol.Failed(f"{ref.symbol} must be a finite number, not {value}. "
                                       "Nothing was changed."))
            return
        old = float(network.params[index])
        network.params[index] = value
        try:
            snapshot = self._take()
        except DivergenceError:
            network.params[index] = old
            self._send(protocol.Failed(f"With {ref.symbol} = {value:g} the cost is not finite. "
                                       "Nothing was changed."))
            return
        self._send(protocol.ParameterEdit(index, ref, old, value, command.tag))
        self._publish(snapshot)

    def _set_hyperparameters(self, command: protocol.SetHyperparameters,
                             cancel: CancelCheck) -> None:
        config = self._config.with_changes(
            learning_rate=command.learning_rate, batch_size=command.batch_size,
            regularization=command.regularization,
            regularization_rate=command.regularization_rate, optimizer=command.optimizer)
        try:
            apply_hyperparameters(self.trainer, config)
            self._config = config
        except DeltascopeError as error:
            self._send(protocol.Failed(str(error)))
        self._send_snapshot()

    def _gradient_check(self, command: protocol.RunGradientCheck, cancel: CancelCheck) -> None:
        if self._playing:  # as Pause does: the window then shows the state checked
            self._pause(protocol.Pause(), cancel)
        trainer = self.trainer
        batch = trainer.pending_batch()

        def progress(done: int, total: int) -> bool:
            self._send(protocol.CheckProgress(done, total))
            return not cancel()

        try:
            result = check_gradients(trainer.network, batch.inputs, batch.targets, trainer.loss,
                                     trainer.reduction, progress=progress)
        except GradientCheckCancelled:
            result = None
        self._send(protocol.CheckFinished(result))

    def _history_snapshot(self, command: protocol.RequestHistorySnapshot,
                          cancel: CancelCheck) -> None:
        history = self.history
        step = history.nearest_step(command.step)
        if step is None:
            self._send(protocol.HistoryInfoReady(history.info()))
            return
        stored = history.stored(step)
        previous = history.stored(step - 1).params if step - 1 in history else None
        snapshot = rebuild_snapshot(self.trainer, stored, self._probe_row, previous, views=False)
        self._send(protocol.HistorySnapshotReady(*self._history_sender.cut(snapshot)))

    def _parameter_series(self, command: protocol.RequestParameterSeries,
                          cancel: CancelCheck) -> None:
        if 0 <= command.index < self.history.parameter_count:
            self._send(protocol.ParameterSeriesReady(self.history.parameter_series(command.index)))

    def _history_capacity(self, command: protocol.SetHistoryCapacity,
                          cancel: CancelCheck) -> None:
        try:
            self.history.resize(command.capacity)
        except ValueError as error:
            self._send(protocol.Failed(str(error)))
        self._send(protocol.HistoryInfoReady(self.history.info()))

    def _history_info(self, command: protocol.RequestHistoryInfo, cancel: CancelCheck) -> None:
        self._send(protocol.HistoryInfoReady(self.history.info()))

    def _probe(self, command: protocol.SetProbeRow, cancel: CancelCheck) -> None:
        self._probe_row = int(command.row)
        self._send_snapshot()

    def _snapshot(self, command: protocol.RequestSnapshot, cancel: CancelCheck) -> None:
        self._send_snapshot()

    def _read_session(self, command: protocol.ReadSession, cancel: CancelCheck) -> None:
        if command.pause:
            self._set_playing(False)
        assert self._dataset is not None
        try:
            data = encode_session(session_dict(self._config, self._dataset, self.trainer))
        except DeltascopeError as error:
            self._send(protocol.Failed(f"The training state could not be read: {error}"))
            return
        self._send(protocol.SessionRead(command.tag, data))

    def _new_trainer(self, session: bytes) -> None:
        self._set_playing(False)
        try:
            try:
                data = json.loads(session)
            except (ValueError, RecursionError) as error:
                raise SessionFileError(f"not a session ({error})") from None
            config, dataset, trainer = restore(data)
        except DeltascopeError as error:
            self._send(protocol.Failed(f"The new network could not be set up: {error}"))
            return
        old = self._history
        self._trainer, self._config, self._dataset = trainer, config, dataset
        if old is not None and parameter_count(trainer.network.sizes) == old.parameter_count:
            old.clear()  # same architecture: keep the chosen N
        else:
            self._history = _new_history(trainer)
        self._norms = GradientNormSeries(trainer.network.depth)
        self._history_sender = HistorySender()
        self._send(protocol.TrainerReplaced())
        self._send_snapshot()

    # -- training -------------------------------------------------------------------------

    @property
    def trainer(self) -> Trainer:
        assert self._trainer is not None, "no trainer yet"
        return self._trainer

    @property
    def history(self) -> StepHistory:
        assert self._history is not None, "no trainer yet"
        return self._history

    def train(self) -> None:
        """While playing: train for up to BURST_SECONDS (fewer steps when the speed says so),
        then send a frame if one is due and the window has room for it."""
        if not self._playing or self.wait_before_training() > 0:
            return
        trainer, history = self.trainer, self.history
        start = time.perf_counter()
        end = start + BURST_SECONDS
        paced = self._speed is not None
        every_step_shown = paced and self._speed < FRAME_RATE
        # At most half the ring a burst, and the norms read once half of it is new: so no
        # step is overwritten before its norm is read.
        most = max(1, history.capacity // 2)
        steps = 0
        try:
            while True:
                history.record_step(trainer)
                steps += 1
                if paced:
                    self._step_allowance -= 1.0
                    if every_step_shown or self._step_allowance < 1.0:
                        break
                if steps >= most or time.perf_counter() >= end:
                    break
        except DivergenceError as error:
            self._on_divergence(error)
            return
        finally:
            self._rate_steps += steps
        if trainer.step_count - self._norms_read_at >= most:
            self._record_gradient_norms()  # before the ring overwrites them (frames read too)
        now = time.perf_counter()
        due = every_step_shown or now >= self._next_frame_at
        if due and self._frames_in_flight < MAX_FRAMES_IN_FLIGHT:
            seconds = now - self._rate_since
            if seconds > 0:
                self._send(protocol.RateMeasured(self._rate_steps / seconds))
            self._rate_steps, self._rate_since = 0, now
            self._send_snapshot()
            # Frames take at most FRAME_SHARE of the trainer's time (a wide network's frame
            # costs milliseconds), at FRAME_RATE or fewer, never below MIN_FRAME_RATE; timed
            # from when this one was due, so bursts ending late do not lower the rate.
            cost = time.perf_counter() - now
            interval = min(max(cost / FRAME_SHARE, 1.0 / FRAME_RATE), 1.0 / MIN_FRAME_RATE)
            self._next_frame_at = max(self._next_frame_at + interval, now + interval / 2)

    def _refill_allowance(self) -> None:
        now = time.perf_counter()
        assert self._speed is not None
        # At most a tenth of a second's steps saved up, so a stall is not made up in a rush.
        self._step_allowance = min(self._step_allowance + (now - self._paced_at) * self._speed,
                                   max(1.0, self._speed / 10.0))
        self._paced_at = now

    def _run_steps(self, more: Callable[[int], bool]) -> None:
        """Steps kept in the history while `more(steps done)`, norms read every half ring."""
        trainer, history = self.trainer, self.history
        done = 0
        try:
            while more(done):
                history.record_step(trainer)
                done += 1
                if trainer.step_count % max(1, history.capacity // 2) == 0:
                    self._record_gradient_norms()
        except DivergenceError as error:
            self._on_divergence(error)
            return
        self._send_snapshot()

    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            if playing:
                self._rate_steps, self._rate_since = 0, time.perf_counter()
                self._paced_at, self._step_allowance = time.perf_counter(), 1.0
            self._send(protocol.PlayingChanged(playing))

    def _on_divergence(self, error: DivergenceError) -> None:
        """Pause, report, and show the state training stopped at: the last finite weights,
        with the pending batch's numbers as they are (NaN/Inf included)."""
        self._set_playing(False)
        self._send(protocol.Diverged(str(error)))
        self._publish(take_snapshot(self.trainer, self._probe_row, allow_nonfinite=True,
                                    message=str(error), views=False))

    def _take(self) -> Snapshot:
        return take_snapshot(self.trainer, self._probe_row, views=False)

    def _send_snapshot(self) -> None:
        try:
            snapshot = self._take()
        except DivergenceError as error:
            self._on_divergence(error)
            return
        self._publish(snapshot)

    def _publish(self, snapshot: Snapshot) -> None:
        """Send a live snapshot with the norm series, after the history's info."""
        self._frames_in_flight += 1
        self._send(protocol.HistoryInfoReady(self.history.info()))
        snapshot = self._with_gradient_norms(snapshot)
        self._send(protocol.SnapshotReady(*self._history_sender.cut(snapshot)))

    def _with_gradient_norms(self, snapshot: Snapshot) -> Snapshot:
        """`snapshot` carrying the run's gradient norms up to its step: those of the steps
        recorded since the series' last point, then its own. The same step again (a hand edit
        or a setting changed the gradient) replaces it."""
        series = self._norms
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
        """Add the norms of the steps the history recorded since the series' last point."""
        series = self._norms
        series.extend(*self.history.weight_gradient_norms(self.trainer.network.sizes,
                                                          series.last_step))
        self._norms_read_at = self.trainer.step_count


_HANDLERS: dict[type, Callable[[TrainerService, Any, CancelCheck], None]] = {
    protocol.Play: TrainerService._play,
    protocol.Pause: TrainerService._pause,
    protocol.Step: TrainerService._step,
    protocol.StepEpoch: TrainerService._step_epoch,
    protocol.SetParameter: TrainerService._set_parameter,
    protocol.SetHyperparameters: TrainerService._set_hyperparameters,
    protocol.RunGradientCheck: TrainerService._gradient_check,
    protocol.RequestHistorySnapshot: TrainerService._history_snapshot,
    protocol.RequestParameterSeries: TrainerService._parameter_series,
    protocol.SetHistoryCapacity: TrainerService._history_capacity,
    protocol.RequestHistoryInfo: TrainerService._history_info,
    protocol.SetProbeRow: TrainerService._probe,
    protocol.RequestSnapshot: TrainerService._snapshot,
    protocol.ReadSession: TrainerService._read_session,
}


def _new_history(trainer: Trainer) -> StepHistory:
    """An empty history sized by default for this trainer's network."""
    count = parameter_count(trainer.network.sizes)
    batch = trainer.effective_batch_size
    row_width = 0 if batch == len(trainer.data.train) else batch  # full batches store no rows
    return StepHistory(count, default_capacity(count, row_width), row_width)
