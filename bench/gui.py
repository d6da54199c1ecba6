"""What the window costs while training runs in its own process.

Training speed, frame rate and pause latency with the window playing, training while the GUI
thread is busy, and the canvas redraw time:

    python -m bench.gui                 # about a minute and a half
    python -m bench.gui --seconds 2     # shorter training runs
    python -m bench.gui --cases 1,4     # only XOR and the 6 x 64 network
    python -m bench.gui --cases 5,6     # the wide ones: digits 64-32-10, 784-128-64-10

Training runs in a child process (engine/process/trainer_process.py), so the window and the trainer
no longer share one interpreter. For each case, measured in this one run:

1. headless steps/s: a Trainer stepping in a plain loop in this process, each step kept in a
   StepHistory as the trainer process keeps it (`history.record_step`), for `--seconds`
   after a warm-up second.
2. window steps/s: a MainWindow at 1280x800 playing at max speed (`set_speed(None)`), after a
   warm-up second: (step of the last snapshot shown - step of the first) / the time between
   them, over `--seconds`.
3. window/headless (target: at least 0.95x; 0.9x for 6 x 64 and the wide networks).
4. frames/s: snapshots the window showed per second then (target: 30; 10 for 6 x 64 and
   the wide networks).
5. pause p95: Pause clicked while playing (`play_action`) until the paused state's snapshot
   has been shown and the repaints it asked for are done; the 95th percentile (nearest rank)
   of `--trials` (20) pauses, each after 0.2 s of playing again (target: 50 ms; 100 ms for
   6 x 64 and the wide networks).

The wide cases have image inputs, so the canvas draws weight images (gui/views/canvas_images.py):
digits 64-32-10 (batch 32, the window's digits settings) and 784-128-64-10 (batch 64) on
2,048 random 28 x 28 "images" with 10 random classes (a quarter held out for testing).

Then, XOR playing at max speed: the steps trained in a second while the GUI thread is idle
(running its event loop, drawing every frame) against a second in which it runs a
pure-Python busy loop and reads nothing from the trainer (target: busy/idle at least 0.9x).
Each second starts at a freshly shown snapshot's step and ends at the step `window.sync()`
pauses at (a snapshot shown right after the busy loop would be one queued early in it). A
reference row measures the machine instead: the headless rate with another process running
the same busy loop against the headless rate alone. Well below 1x, the CPUs slow each other
down (other processes running, or virtual CPUs of a crowded host) and no row above can be
trusted; run again on a quiet machine.

Last, the canvas redraw time (a new snapshot in, a full repaint out; target under 16 ms for
6 x 64); `bench.gui_canvas` has more network sizes.

One BLAS thread per process unless OPENBLAS_NUM_THREADS says otherwise, as main.py sets it
for the app (the header shows it; `OPENBLAS_NUM_THREADS=2 python -m bench.gui` compares).

Runs on the offscreen platform unless QT_QPA_PLATFORM says otherwise (e.g. under xvfb-run
with QT_QPA_PLATFORM=xcb, to include putting pixels on a real X server). Window settings go to
a throw-away INI file per window, so the user's settings are neither read nor changed.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python bench/gui.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # as main.py sets them for the app

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.gui_canvas import TARGET_MS, snapshots, time_case  # noqa: E402
from engine.core.seeding import seed_streams  # noqa: E402
from engine.data.dataset import Dataset  # noqa: E402
from engine.data.datasets import make_dataset  # noqa: E402

# The trainer process sizes its history with this; the headless loop must keep the same.
from engine.process.trainer_service import _new_history  # noqa: E402
from engine.training.config import (  # noqa: E402
    HiddenLayer,
    TrainingConfig,
    build_trainer,
    suited_to_dataset,
)
from engine.training.snapshot import Snapshot  # noqa: E402
from gui.app.main_window import MainWindow  # noqa: E402
from gui.views.canvas import NetworkCanvas  # noqa: E402

WARM_UP = 1.0  # seconds of training before any rate is measured
REPLAY_SECONDS = 0.2  # playing between two timed pauses
PERCENTILE = 95
BUSY_TARGET = 0.9
BUSY_SECONDS = 1.0
BUSY_REPEATS = 3  # idle and busy seconds, alternating; the median of each is kept
TIMEOUT = 10.0  # seconds to wait for the window before giving up


@dataclass(frozen=True)
class Case:
    name: str
    config: TrainingConfig
    ratio_target: float  # window steps/s at least this times headless
    fps_target: float  # frames shown per second while playing, at least
    pause_target_ms: float  # p95 pause latency, at most
    data: Callable[[], Dataset] | None = None  # the data, when the config names no built-in


def _tanh(*sizes: int) -> tuple[HiddenLayer, ...]:
    return tuple(HiddenLayer(size, "tanh") for size in sizes)


CASES: list[Case] = [
    Case("xor 2-4-1 full batch", TrainingConfig(), 0.95, 30.0, 50.0),
    Case("circle 2-8-8-1 b10", TrainingConfig(
        dataset="circle", samples=500, test_ratio=0.3, batch_size=10,
        hidden=_tanh(8, 8)), 0.95, 30.0, 50.0),
    Case("spiral 2-16x3-1 b10", TrainingConfig(
        dataset="spiral", samples=500, test_ratio=0.3, batch_size=10,
        hidden=_tanh(16, 16, 16)), 0.95, 30.0, 50.0),
    Case("spiral3 6x64 b10", TrainingConfig(
        dataset="spiral3", samples=500, test_ratio=0.3, batch_size=10,
        hidden=_tanh(*[64] * 6), output_activation="softmax", loss="cross_entropy"),
        0.9, 10.0, 100.0),
]


def random_images(samples: int = 2048, side: int = 28, classes: int = 10) -> Dataset:
    """`samples` random side x side images in [0, 1) with random one-hot classes."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, classes, samples)
    names = tuple(f"px_{r}_{c}" for r in range(side) for c in range(side))
    class_names = tuple(str(k) for k in range(classes))
    return Dataset(rng.random((samples, side * side)), np.eye(classes)[labels],
                   "classification", names, tuple(f"y={k}" for k in class_names), class_names,
                   "random784", (side, side))


CASES += [
    Case("digits 64-32-10 b32", suited_to_dataset(TrainingConfig(dataset="digits"), "digits"),
         0.9, 10.0, 100.0),
    Case("random 784-128-64-10 b64", TrainingConfig(
        dataset="random784", test_ratio=0.25, batch_size=64, hidden=_tanh(128, 64),
        output_activation="softmax", loss="cross_entropy"), 0.9, 10.0, 100.0, random_images),
]
REDRAW_CASES: list[tuple[str, list[int]]] = [
    ("2-4-1", [2, 4, 1]),
    ("2-8-8-1", [2, 8, 8, 1]),
    ("2-64x6-1", [2, *[64] * 6, 1]),
]


@dataclass(frozen=True)
class WindowResult:
    steps_per_second: float
    frames_per_second: float
    pause_ms: list[float]


# -- the event loop -------------------------------------------------------------------------


def wait(seconds: float) -> None:
    """Run the event loop for a while (the window keeps drawing)."""
    loop = QEventLoop()
    timer = QTimer(loop)
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(max(0, round(seconds * 1000)))
    loop.exec()


class FrameLog:
    """Every snapshot the window shows: when, its step, and whether the window was playing."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.times: list[float] = []
        self.steps: list[int] = []
        self.playing: list[bool] = []
        self._loop: QEventLoop | None = None
        self._until: Callable[[], bool] = lambda: True
        window.snapshot_shown.connect(self._on_shown)

    def _on_shown(self, snapshot: Snapshot) -> None:
        self.times.append(time.perf_counter())
        self.steps.append(snapshot.step)
        self.playing.append(self.window.playing)
        if self._loop is not None and self._until():
            self._loop.quit()

    def __len__(self) -> int:
        return len(self.times)

    def run_until(self, condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        """Run the event loop until a shown snapshot makes `condition` true."""
        if condition():
            return
        loop = self._loop = QEventLoop()
        self._until = condition
        timer = QTimer(loop)
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(round(timeout * 1000))
        loop.exec()
        self._loop = None
        if not condition():
            raise RuntimeError(f"the window showed no awaited snapshot within {timeout:g} s")

    def next_frame(self) -> tuple[float, int]:
        """Wait for the next snapshot shown; when it was shown and its step."""
        count = len(self)
        self.run_until(lambda: len(self) > count)
        return self.times[-1], self.steps[-1]


def open_window(config: TrainingConfig, settings_file: Path,
                data: Dataset | None = None) -> tuple[MainWindow, FrameLog]:
    """A shown 1280x800 window at max speed, paused at its first snapshot (training on
    `data` when given, as an opened CSV would be)."""
    window = MainWindow(TrainingConfig() if data is not None else config,
                        settings=QSettings(str(settings_file), QSettings.Format.IniFormat))
    if data is not None:
        window.set_csv_dataset(data)
        window.adopt(build_trainer(config, data), config)
    window.set_speed(None)
    window.resize(1280, 800)
    window.show()
    log = FrameLog(window)
    if window.sync() is None:
        raise RuntimeError("the window got no snapshot from its trainer process")
    return window, log


def close_window(window: MainWindow) -> None:
    window.stop_worker()
    window.hide()
    window.deleteLater()
    wait(0.05)  # the deferred delete


def set_playing(window: MainWindow, log: FrameLog, playing: bool) -> None:
    """Click Play/Pause if needed and wait until a snapshot of that state is shown."""
    if window.playing != playing:
        count = len(log)
        window.play_action.trigger()
        log.run_until(lambda: len(log) > count and log.playing[-1] == playing)


# -- measurements ---------------------------------------------------------------------------


def headless_rate(config: TrainingConfig, seconds: float, data: Dataset | None = None) -> float:
    """Steps per second of `history.record_step(trainer)` in a plain loop, as the trainer
    process steps (the same data, start and history), after WARM_UP seconds."""
    dataset = data if data is not None else make_dataset(
        config.dataset, config.samples, config.noise, seed_streams(config.seed).data)
    trainer = build_trainer(config, dataset)
    history = _new_history(trainer)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # as the process
        for duration, measured in ((WARM_UP, False), (seconds, True)):
            steps = 0
            start = time.perf_counter()
            while time.perf_counter() - start < duration:
                for _ in range(20):
                    history.record_step(trainer)
                steps += 20
            if measured:
                return steps / (time.perf_counter() - start)
    raise AssertionError("unreachable")


def pause_latency_ms(window: MainWindow, log: FrameLog) -> float:
    """Click Pause while playing; milliseconds until the paused snapshot has been shown and
    the repaints it asked for are done."""
    count = len(log)
    start = time.perf_counter()
    window.play_action.trigger()
    log.run_until(lambda: any(not playing for playing in log.playing[count:]))
    QApplication.processEvents()  # the repaints the views asked for
    return 1000.0 * (time.perf_counter() - start)


def window_run(config: TrainingConfig, seconds: float, trials: int,
               settings_file: Path, data: Dataset | None = None) -> WindowResult:
    """Steps and frames per second while the window plays at max speed (after WARM_UP), then
    the latency of `trials` pauses."""
    window, log = open_window(config, settings_file, data)
    try:
        set_playing(window, log, True)
        wait(WARM_UP)
        first = len(log) - 1
        wait(seconds)
        last = len(log) - 1
        if last - first < 1:
            raise RuntimeError(f"the window showed no frame in {seconds:g} s of playing")
        elapsed = log.times[last] - log.times[first]
        steps = (log.steps[last] - log.steps[first]) / elapsed
        frames = (last - first) / elapsed
        pauses: list[float] = []
        for _ in range(trials):
            set_playing(window, log, True)
            wait(REPLAY_SECONDS)
            pauses.append(pause_latency_ms(window, log))
    finally:
        close_window(window)
    return WindowResult(steps, frames, pauses)


def busy_run(settings_file: Path) -> tuple[float, float]:
    """XOR at max speed: median steps per second over BUSY_SECONDS with the GUI thread idle
    (event loop running), and with it in a pure-Python busy loop, BUSY_REPEATS of each."""
    window, log = open_window(TrainingConfig(), settings_file)
    rates: dict[bool, list[float]] = {False: [], True: []}
    try:
        for _ in range(BUSY_REPEATS):
            for busy in (False, True):
                set_playing(window, log, True)
                wait(0.3)
                start, first_step = log.next_frame()
                if busy:
                    end = start + BUSY_SECONDS
                    while time.perf_counter() < end:
                        sum(range(100))
                else:
                    wait(BUSY_SECONDS)
                stop = time.perf_counter()
                snapshot = window.sync()  # pauses: its step is the trainer's step now
                assert snapshot is not None
                rates[busy].append((snapshot.step - first_step) / (stop - start))
    finally:
        close_window(window)
    return statistics.median(rates[False]), statistics.median(rates[True])


def machine_reference(seconds: float) -> tuple[float, float]:
    """Headless XOR steps per second alone, then with another process in the busy loop."""
    alone = headless_rate(TrainingConfig(), seconds)
    busy_loop = ("import time\n"
                 f"end = time.perf_counter() + {WARM_UP + seconds + 0.5}\n"
                 "while time.perf_counter() < end:\n"
                 "    sum(range(100))\n")
    neighbour = subprocess.Popen([sys.executable, "-c", busy_loop])
    try:
        time.sleep(0.1)  # running
        beside = headless_rate(TrainingConfig(), seconds)
    finally:
        neighbour.kill()
        neighbour.wait()
    return alone, beside


def redraw_ms(sizes: list[int], repeats: int) -> tuple[float, int, int]:
    """Median canvas redraw time in ms, edges in the network, edges drawn."""
    canvas = NetworkCanvas()
    canvas.resize(1280, 800)
    canvas.show()
    QApplication.processEvents()
    times, drawn = time_case(canvas, snapshots(sizes), repeats, NetworkCanvas.edge_budget)
    canvas.close()
    canvas.deleteLater()
    edges = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    return statistics.median(times), edges, drawn


def percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile (p95 of 20 values: the 19th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100.0 * len(ordered)) - 1)]


# -- the report -----------------------------------------------------------------------------


def cell(text: str, width: int, missed: bool = False) -> str:
    """`text` right-aligned in `width`, then "!" if it misses its target (else a space)."""
    return f"{text:>{width}}{'!' if missed else ' '}"


def parse_cases(text: str) -> list[Case]:
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise SystemExit(f"--cases: numbers 1 to {len(CASES)} separated by commas") from None
    if not numbers or any(not 1 <= number <= len(CASES) for number in numbers):
        raise SystemExit(f"--cases: numbers 1 to {len(CASES)} separated by commas")
    return [CASES[number - 1] for number in numbers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="measured training time per run (after a warm-up second)")
    parser.add_argument("--cases", default=",".join(str(n) for n in range(1, len(CASES) + 1)),
                        help="training cases to run, e.g. 1,4: " + "; ".join(
                            f"{n} {case.name}" for n, case in enumerate(CASES, 1)))
    parser.add_argument("--trials", type=int, default=20, help="timed pauses per case")
    parser.add_argument("--repeats", type=int, default=60, help="redraws per canvas case")
    args = parser.parse_args()
    cases = parse_cases(args.cases)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(f"platform {app.platformName()}, {os.cpu_count()} CPUs, {args.seconds:g} s per "
          f"training run after {WARM_UP:g} s of warm-up, p{PERCENTILE} of {args.trials} pauses, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print()

    with tempfile.TemporaryDirectory(prefix="deltascope-bench-gui-") as directory:
        header = (f"{'training':<26}{'headless steps/s':>18}{'window steps/s':>16}"
                  f"{'window/headless':>17}{'frames/s':>10}"
                  f"{f'pause p{PERCENTILE} ms':>14}")
        print(header)
        print("-" * len(header))
        for number, case in enumerate(cases):
            data = case.data() if case.data is not None else None
            headless = headless_rate(case.config, args.seconds, data)
            result = window_run(case.config, args.seconds, args.trials,
                                Path(directory) / f"case{number}.ini", data)
            ratio = result.steps_per_second / headless
            pause = percentile(result.pause_ms, PERCENTILE)
            frames = result.frames_per_second
            print(f"{case.name:<26}"
                  f"{cell(f'{headless:,.0f}', 17)}"
                  f"{cell(f'{result.steps_per_second:,.0f}', 15)}"
                  f"{cell(f'{ratio:.2f}x', 16, ratio < case.ratio_target)}"
                  f"{cell(f'{frames:.1f}', 9, frames < case.fps_target)}"
                  f"{cell(f'{pause:.1f}', 13, pause > case.pause_target_ms)}",
                  flush=True)
        print("targets (! = missed): window/headless >= 0.95x (0.9x for 6x64 and wider), "
              "frames/s >= 30")
        print(f"  (10 for 6x64 and wider), pause p{PERCENTILE} <= 50 ms (100 ms for 6x64 and "
              "wider)")
        print()

        idle, busy = busy_run(Path(directory) / "busy.ini")
        ratio = busy / idle
        header = (f"{'steps while the GUI thread is busy':<36}{'idle steps/s':>14}"
                  f"{'busy steps/s':>14}{'busy/idle':>11}")
        print(header)
        print("-" * len(header))
        print(f"{'xor 2-4-1, max speed':<36}{cell(f'{idle:,.0f}', 13)}{cell(f'{busy:,.0f}', 13)}"
              f"{cell(f'{ratio:.2f}x', 10, ratio < BUSY_TARGET)}")
        alone, beside = machine_reference(BUSY_SECONDS * BUSY_REPEATS)
        print(f"{'(machine: headless, busy process)':<36}{cell(f'{alone:,.0f}', 13)}"
              f"{cell(f'{beside:,.0f}', 13)}{cell(f'{beside / alone:.2f}x', 10)}")
        print(f"target: busy/idle >= {BUSY_TARGET}x (median of {BUSY_REPEATS} seconds of each)")
        print()

    header = f"{'canvas redraw':<22}{'edges':>8}{'drawn':>8}{'median ms':>11}"
    print(header)
    print("-" * len(header))
    for name, sizes in REDRAW_CASES:
        median, edges, drawn = redraw_ms(sizes, args.repeats)
        missed = sizes == REDRAW_CASES[-1][1] and median >= TARGET_MS
        print(f"{name:<22}{edges:>8,}{drawn:>8,}{cell(f'{median:.2f}', 10, missed)}")
    print(f"target: 6x64 redraw < {TARGET_MS:.0f} ms")


if __name__ == "__main__":
    main()
