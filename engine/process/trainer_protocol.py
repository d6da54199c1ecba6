"""The closed set of messages between the window and the trainer process.

Commands go to the trainer, events come back; each is a small frozen dataclass of plain data
(engine/process/wire.py sends them as bytes, never pickled). Nothing here runs code: a command says
what to do, engine/process/trainer_service.py does it.

Order is kept both ways: the trainer carries out commands in the order sent and sends events
in the order they happen (a `Fenced(token)` arrives after every event of the commands sent
before its `Fence`).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.core.network import ParameterRef
from engine.explain.gradcheck import GradientCheckResult, LayerCheck
from engine.process.wire import register
from engine.training.evaluation import DataEvaluation, SetMetrics
from engine.training.gradient_norms import GradientNorms
from engine.training.snapshot import GridOutputs, HistoryArrays, LayerState, ProbeState, Snapshot
from engine.training.step_history import HistoryInfo, ParameterSeries

# -- commands (window -> trainer) -----------------------------------------------------------


@dataclass(frozen=True)
class Play:
    """Train continuously at the current speed until Pause (or a command that pauses)."""


@dataclass(frozen=True)
class Pause:
    """Stop before the next step and send the paused state's snapshot."""


@dataclass(frozen=True)
class Step:
    """Pause, train `count` steps, send the snapshot after them."""

    count: int = 1


@dataclass(frozen=True)
class StepEpoch:
    """Pause, train to the end of the current epoch, send the snapshot."""


@dataclass(frozen=True)
class NewTrainer:
    """Train from now on with the trainer this session describes (the JSON text of
    engine/io/session.py `session_dict`: settings, data, weights, optimizer state, progress;
    text because JSON's C codec handles a large dataset far faster than a tree). Pauses."""

    session: bytes


@dataclass(frozen=True)
class SetParameter:
    """Pause and set the parameter at flat position `index` to `value` by hand; answered by
    ParameterSet and a snapshot, or Failed (nothing changed). `tag` comes back unchanged."""

    index: int
    value: float
    tag: int = 0


@dataclass(frozen=True)
class SetHyperparameters:
    """The settings that change between steps without a reset (a different optimizer starts
    with fresh state); answered by a snapshot, or Failed (nothing changed)."""

    learning_rate: float
    batch_size: int
    regularization: str
    regularization_rate: float
    optimizer: str


@dataclass(frozen=True)
class RunGradientCheck:
    """Pause and compare every gradient with central differences on the pending batch:
    CheckProgress while it runs, then CheckFinished."""


@dataclass(frozen=True)
class CancelGradientCheck:
    """Stop a running gradient check at its next progress report (CheckFinished(None))."""


@dataclass(frozen=True)
class RequestHistorySnapshot:
    """Send stored step `step` (or the nearest stored one) as HistorySnapshotReady."""

    step: int


@dataclass(frozen=True)
class RequestParameterSeries:
    """Send the parameter at flat position `index` over the stored steps."""

    index: int


@dataclass(frozen=True)
class SetHistoryCapacity:
    """Keep the last `capacity` steps from now on; answered by HistoryInfoReady (or Failed)."""

    capacity: int


@dataclass(frozen=True)
class RequestHistoryInfo:
    """Send HistoryInfoReady now."""


@dataclass(frozen=True)
class SetSpeed:
    """Train at most `steps_per_second` while playing (None: as fast as possible). Below the
    frame rate every step is shown: the trainer waits for the window to draw each one."""

    steps_per_second: float | None


@dataclass(frozen=True)
class SetProbeRow:
    """Show this training sample in the snapshots' probe; answered by a snapshot."""

    row: int


@dataclass(frozen=True)
class RequestSnapshot:
    """Send a snapshot of the current state."""


@dataclass(frozen=True)
class Fence:
    """Answered by Fenced(token) once every command sent before it has been carried out."""

    token: int


@dataclass(frozen=True)
class ReadSession:
    """Send the session dict of the trainer as it is between steps (SessionRead with the same
    `tag`), or Failed; `pause` first (File > Save) or read on the fly (autosave)."""

    tag: int = 0
    pause: bool = True


@dataclass(frozen=True)
class FrameDrawn:
    """The window has drawn one more live snapshot: the trainer may send another."""


@dataclass(frozen=True)
class Stop:
    """End the trainer process (it answers Stopped first)."""


COMMANDS = (Play, Pause, Step, StepEpoch, NewTrainer, SetParameter, SetHyperparameters,
            RunGradientCheck, CancelGradientCheck, RequestHistorySnapshot,
            RequestParameterSeries, SetHistoryCapacity, RequestHistoryInfo, SetSpeed,
            SetProbeRow, RequestSnapshot, Fence, ReadSession, FrameDrawn, Stop)

# -- events (trainer -> window) -------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotReady:
    """A live snapshot, without its grid and evaluation (snapshot.with_views adds them), and
    with only the per-epoch history entries from `history_start` on: the ones before are
    those of the previous snapshot sent (see engine/training/history_delta.py)."""

    snapshot: Snapshot
    history_start: int = 0


@dataclass(frozen=True)
class HistorySnapshotReady:
    """A stored step rebuilt as a Snapshot (asked for with RequestHistorySnapshot); its
    history as in SnapshotReady."""

    snapshot: Snapshot
    history_start: int = 0


@dataclass(frozen=True)
class RateMeasured:
    steps_per_second: float


@dataclass(frozen=True)
class PlayingChanged:
    playing: bool


@dataclass(frozen=True)
class Diverged:
    """Training diverged and was paused at the last finite weights; one-line message."""

    message: str


@dataclass(frozen=True)
class Failed:
    """A command could not be carried out; nothing changed. One-line message."""

    message: str


@dataclass(frozen=True)
class Fenced:
    token: int


@dataclass(frozen=True)
class CheckProgress:
    done: int
    total: int


@dataclass(frozen=True)
class CheckFinished:
    """The gradient check's result, or None when it was cancelled."""

    result: GradientCheckResult | None


@dataclass(frozen=True)
class HistoryInfoReady:
    info: HistoryInfo


@dataclass(frozen=True)
class ParameterSeriesReady:
    series: ParameterSeries


@dataclass(frozen=True)
class ParameterEdit:
    """A hand edit the trainer carried out: params[index] (the weight or bias `ref`) went from
    `old` to `new`, bit for bit. `tag` is the caller's, passed through unchanged. Sent before
    the snapshot that shows it."""

    index: int
    ref: ParameterRef
    old: float
    new: float
    tag: int


@dataclass(frozen=True)
class TrainerReplaced:
    """A new trainer took over; sent before its first snapshot."""


@dataclass(frozen=True)
class SessionRead:
    """The session asked for with ReadSession, as JSON text (see NewTrainer)."""

    tag: int
    session: bytes


@dataclass(frozen=True)
class Stopped:
    """The trainer process is about to exit."""


EVENTS = (SnapshotReady, HistorySnapshotReady, RateMeasured, PlayingChanged, Diverged, Failed,
          Fenced, CheckProgress, CheckFinished, HistoryInfoReady, ParameterSeriesReady,
          ParameterEdit, TrainerReplaced, SessionRead, Stopped)

register(*COMMANDS, *EVENTS, Snapshot, LayerState, ProbeState, HistoryArrays, GridOutputs,
         DataEvaluation, SetMetrics, GradientNorms, HistoryInfo, ParameterSeries,
         GradientCheckResult, LayerCheck, ParameterRef)
