"""What neuron maps cost: the snapshot's grid pass in the worker, and the canvas redraw.

    QT_QPA_PLATFORM=offscreen python -m bench.neuron_maps            # 60 repeats per case
    QT_QPA_PLATFORM=offscreen python -m bench.neuron_maps --repeats 30

Per network (tanh hidden layers, sigmoid output, circle data, 60 x 60 grid):
- "output only": the grid pass as it was before neuron maps (network.predict, the first
  output kept); "all maps": grid_outputs (one forward pass, every layer's activations kept
  as read-only (N, ny, nx) maps); "snapshot": the whole take_snapshot with maps.
- the canvas redraw (set_snapshot + grab at 1280x800, two snapshots a step apart alternating,
  so every redraw colours new thumbnails) with circles and with map thumbnails.
Target: a redraw under 16 ms for 2-16x6-1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.gui_canvas import snapshots  # noqa: E402
from engine.core.initializers import initialize  # noqa: E402
from engine.core.network import Network  # noqa: E402
from engine.data.dataset import Dataset, split_dataset  # noqa: E402
from engine.training.snapshot import Snapshot, grid_outputs, take_snapshot  # noqa: E402
from engine.training.trainer import Trainer  # noqa: E402
from gui.views.canvas import NetworkCanvas  # noqa: E402

TARGET_MS = 16.0
RESOLUTION = 60
CASES = (("2-4-1", [2, 4, 1]), ("2-8-8-1", [2, 8, 8, 1]), ("2-16x6-1", [2, *[16] * 6, 1]))


def circle_trainer(sizes: list[int]) -> Trainer:
    """A tanh/sigmoid network of these sizes on 200 circle points, Adam, batches of 20."""
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-1.0, 1.0, (200, 2))
    targets = (np.hypot(inputs[:, 0], inputs[:, 1]) < 0.6).astype(np.float64)[:, None]
    data = Dataset(inputs, targets, "classification", ("x1", "x2"), ("y",), ("0", "1"), "circle")
    network = Network(sizes, ["tanh"] * (len(sizes) - 2) + ["sigmoid"])
    initialize(network, "xavier", np.random.default_rng(0))
    return Trainer(network, split_dataset(data, 0.0), loss="bce", optimizer="adam",
                   learning_rate=0.01, batch_size=20)


def median_ms(run: Callable[[], object], repeats: int) -> float:
    """Median milliseconds of `run`, after 5 warm-up runs."""
    times = []
    for k in range(repeats + 5):
        start = time.perf_counter()
        run()
        if k >= 5:
            times.append(1000.0 * (time.perf_counter() - start))
    return statistics.median(times)


def output_only(network: Network) -> np.ndarray:
    """The grid pass before neuron maps: predict over the grid, keep output 0."""
    axis = np.linspace(-1.1, 1.1, RESOLUTION)
    grid_x, grid_y = np.meshgrid(axis, axis)
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    return network.predict(points)[:, 0].reshape(RESOLUTION, RESOLUTION).copy()


def redraw_ms(canvas: NetworkCanvas, pair: tuple[Snapshot, Snapshot], repeats: int) -> float:
    """Median ms of set_snapshot + grab, alternating the two snapshots."""
    count = [0]

    def redraw() -> None:
        canvas.set_snapshot(pair[count[0] % 2])
        canvas.grab()
        count[0] += 1

    return median_ms(redraw, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    print(f"neuron maps, {RESOLUTION}x{RESOLUTION} grid, median of {args.repeats}; canvas "
          f"1280x800, platform {app.platformName()}  (redraw target < {TARGET_MS:.0f} ms)")
    print(f"{'network':<10}{'output only':>13}{'all maps':>10}{'snapshot':>10}"
          f"{'circles':>10}{'maps':>8}{'radius':>8}")
    for name, sizes in CASES:
        trainer = circle_trainer(sizes)
        network = trainer.network
        before = median_ms(lambda network=network: output_only(network), args.repeats)
        maps = median_ms(lambda network=network: grid_outputs(
            network, (-1.1, 1.1), (-1.1, 1.1), RESOLUTION), args.repeats)
        snapshot = median_ms(lambda trainer=trainer: take_snapshot(trainer), args.repeats)
        pair = snapshots(sizes, RESOLUTION)
        canvas = NetworkCanvas()
        canvas.resize(1280, 800)
        canvas.show()
        app.processEvents()
        circles = redraw_ms(canvas, pair, args.repeats)
        canvas.set_show_maps(True)
        thumbnails = redraw_ms(canvas, pair, args.repeats)
        assert canvas.shows_maps()
        radius = canvas._require_layout().radius
        print(f"{name:<10}{before:>11.2f}ms{maps:>8.2f}ms{snapshot:>8.2f}ms"
              f"{circles:>8.2f}ms{thumbnails:>6.2f}ms{radius:>7.1f}px")
        canvas.close()
        canvas.deleteLater()
        app.processEvents()


if __name__ == "__main__":
    main()
