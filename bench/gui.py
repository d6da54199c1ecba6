"""What the window costs: training speed with the window drawing, and the canvas redraw time.

    python -m bench.gui                 # about a minute and a half
    python -m bench.gui --seconds 2     # shorter training runs

1. Training steps per second for the same settings, headless (a Trainer stepping in a plain
   loop in this thread) against the window (MainWindow playing: the worker thread trains
   while the GUI thread draws every snapshot it sends, up to 30 a second, in the canvas,
   plots, heatmaps and data view). Target: the window keeps at least 0.8x the headless rate.
   Each is measured `--repeats-training` times, alternating, and the best of each kept (the
   machine's background noise only ever slows a run down); the window's rate is taken after
   a warm-up second, so it is the steady rate of a window that keeps playing.
2. Canvas redraw time (a new snapshot in, a full repaint out) for 2-4-1, 2-8-8-1 and a
   6 x 64 network (target: under 16 ms). `bench.gui_canvas` has more network sizes.

Runs on the offscreen platform unless QT_QPA_PLATFORM says otherwise (e.g. under xvfb-run
with QT_QPA_PLATFORM=xcb, to include putting pixels on a real X server).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python bench/gui.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.gui_canvas import TARGET_MS, snapshots, time_case  # noqa: E402
from engine.config import HiddenLayer, TrainingConfig, build_trainer  # noqa: E402
from engine.datasets import make_dataset  # noqa: E402
from engine.seeding import seed_streams  # noqa: E402
from gui.animation import SETTINGS_KEY as SMOOTH_SETTINGS_KEY  # noqa: E402
from gui.canvas import NetworkCanvas  # noqa: E402

WINDOW_TARGET = 0.8
TRAINING_CASES: list[tuple[str, TrainingConfig]] = [
    ("xor 2-4-1 full batch", TrainingConfig()),
    ("circle 2-8-8-1 batch 10", TrainingConfig(
        dataset="circle", samples=500, test_ratio=0.3, batch_size=10,
        hidden=(HiddenLayer(8, "tanh"), HiddenLayer(8, "tanh")))),
    ("spiral 2-16x3-1 batch 10", TrainingConfig(
        dataset="spiral", samples=500, test_ratio=0.3, batch_size=10,
        hidden=tuple(HiddenLayer(16, "tanh") for _ in range(3)))),
]
REDRAW_CASES: list[tuple[str, list[int]]] = [
    ("2-4-1", [2, 4, 1]),
    ("2-8-8-1", [2, 8, 8, 1]),
    ("2-64x6-1", [2, *[64] * 6, 1]),
]


def wait(milliseconds: int) -> None:
    """Run the event loop for a while (the window keeps drawing)."""
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def headless_rate(config: TrainingConfig, seconds: float) -> float:
    """Steps per second of Trainer.step in a plain loop."""
    dataset = make_dataset(config.dataset, config.samples, config.noise,
                           seed_streams(config.seed).data)
    trainer = build_trainer(config, dataset)  # the same data and start as the window's
    for _ in range(200):  # warm-up
        trainer.step()
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            trainer.step()
        steps += 50
    return steps / (time.perf_counter() - start)


WARM_UP = 1.0  # seconds of playing before the window's rate is measured


def window_rate(config: TrainingConfig, seconds: float, settings_path: str) -> tuple[float, float]:
    """Steps per second while the window plays and draws, after WARM_UP seconds of playing;
    also the frames it drew per second then."""
    from gui.main_window import MainWindow

    window = MainWindow(config, settings=QSettings(settings_path, QSettings.Format.IniFormat))
    window.resize(1280, 800)
    window.show()
    drawn: list[tuple[float, int]] = []  # (when, step) of every frame drawn
    window.snapshot_shown.connect(
        lambda snapshot: drawn.append((time.perf_counter(), snapshot.step)))
    window.step(200)  # warm-up, and a paused start
    window.play_action.trigger()
    wait(int(WARM_UP * 1000))
    drawn.clear()
    wait(int(seconds * 1000))
    snapshot = window.sync()
    end = time.perf_counter()
    window.stop_worker()
    window.hide()
    window.deleteLater()
    if snapshot is None or len(drawn) < 2:
        raise RuntimeError("the window drew fewer than 2 frames while playing")
    start, first = drawn[0]
    return (snapshot.step - first) / (end - start), (len(drawn) - 1) / (end - start)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="training time per run")
    parser.add_argument("--repeats", type=int, default=60, help="redraws per canvas case")
    parser.add_argument("--smooth", action="store_true",
                        help="with View > Smooth Animation on (more frames, less training)")
    parser.add_argument("--repeats-training", type=int, default=3,
                        help="headless and window runs per training case (best kept)")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings_path = str(Path(os.environ.get("TMPDIR", "/tmp")) / "deltascope-bench-gui.ini")
    settings = QSettings(settings_path, QSettings.Format.IniFormat)
    settings.setValue(SMOOTH_SETTINGS_KEY, args.smooth)
    settings.sync()
    print(f"platform {app.platformName()}, {os.cpu_count()} CPUs, {args.seconds:g} s per "
          f"training run, best of {args.repeats_training}"
          f"{', Smooth Animation' if args.smooth else ''}")
    print()
    header = (f"{'training':<26}{'headless steps/s':>17}{'window steps/s':>16}"
              f"{'window/headless':>17}{'frames/s':>10}")
    print(header)
    print("-" * len(header))
    worst = float("inf")
    for name, config in TRAINING_CASES:
        headless, windowed, frames = 0.0, 0.0, 0.0
        for _ in range(args.repeats_training):
            headless = max(headless, headless_rate(config, args.seconds))
            rate, frame_rate = window_rate(config, args.seconds, settings_path)
            if rate > windowed:
                windowed, frames = rate, frame_rate
        ratio = windowed / headless
        worst = min(worst, ratio)
        print(f"{name:<26}{headless:>17,.0f}{windowed:>16,.0f}{ratio:>16.2f}x"
              f"{frames:>10.1f}")
    print()
    header = f"{'canvas redraw':<26}{'edges':>8}{'drawn':>8}{'median ms':>11}"
    print(header)
    print("-" * len(header))
    largest = 0.0
    for name, sizes in REDRAW_CASES:
        median, edges, drawn = redraw_ms(sizes, args.repeats)
        largest = median
        print(f"{name:<26}{edges:>8,}{drawn:>8,}{median:>11.2f}")
    print()
    met = "met" if worst >= WINDOW_TARGET else "NOT met"
    print(f"targets: window >= {WINDOW_TARGET}x headless: {met} (worst {worst:.2f}x); "
          f"6x64 redraw < {TARGET_MS:.0f} ms: {'met' if largest < TARGET_MS else 'NOT met'} "
          f"({largest:.1f} ms)")


if __name__ == "__main__":
    main()
