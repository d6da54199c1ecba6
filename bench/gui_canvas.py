"""Redraw time of the network canvas: a new snapshot in, a full repaint out.

    QT_QPA_PLATFORM=offscreen python -m bench.gui_canvas            # 60 repeats per case
    QT_QPA_PLATFORM=offscreen python -m bench.gui_canvas --repeats 30

One redraw = `set_snapshot` (edge values, colour/width bins) + `grab()` (paintEvent renders
the cached scene from scratch: headers, edges, neurons, legend, then the overlays). Two
snapshots of the same network, a training step apart, alternate so every redraw has new
values. The canvas is 1280x800 and shown (offscreen platform). Cases: XOR 2-4-1, 2-8-8-1,
2-16x3-1 (560 edges, the most that are antialiased), 2-32-32-1 (1,120 edges, aliased),
2-64x6-1 (six hidden layers of 64, 20,672 edges) with the default edge budget, and the same
network with every edge drawn, to show what the budget buys.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.core.initializers import initialize  # noqa: E402
from engine.core.network import Network  # noqa: E402
from engine.data.dataset import Dataset, split_dataset  # noqa: E402
from engine.training.snapshot import Snapshot, take_snapshot  # noqa: E402
from engine.training.trainer import Trainer  # noqa: E402
from gui.views.canvas import NetworkCanvas  # noqa: E402

TARGET_MS = 16.0


def snapshots(sizes: list[int], grid_resolution: int = 10) -> tuple[Snapshot, Snapshot]:
    """Two snapshots of a tanh/sigmoid network on circle data, one Adam step apart."""
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-1.0, 1.0, (200, 2))
    targets = (np.hypot(inputs[:, 0], inputs[:, 1]) < 0.6).astype(np.float64)[:, None]
    data = Dataset(inputs, targets, "classification", ("x1", "x2"), ("y",), ("0", "1"), "circle")
    network = Network(sizes, ["tanh"] * (len(sizes) - 2) + ["sigmoid"])
    initialize(network, "xavier", np.random.default_rng(0))
    trainer = Trainer(network, split_dataset(data, 0.0), loss="bce", optimizer="adam",
                      learning_rate=0.01, batch_size=20)
    first = take_snapshot(trainer, grid_resolution=grid_resolution)
    trainer.step()
    return first, take_snapshot(trainer, grid_resolution=grid_resolution)


def time_case(canvas: NetworkCanvas, pair: tuple[Snapshot, Snapshot], repeats: int,
              budget: int) -> tuple[list[float], int]:
    """Milliseconds per redraw, after 5 warm-up redraws; also the number of drawn edges."""
    canvas.edge_budget = budget
    times: list[float] = []
    for k in range(repeats + 5):
        start = time.perf_counter()
        canvas.set_snapshot(pair[k % 2])
        canvas.grab()
        if k >= 5:
            times.append(1000.0 * (time.perf_counter() - start))
    return times, int(canvas.drawn_edges().sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    cases = [
        ("2-4-1", [2, 4, 1], NetworkCanvas.edge_budget),
        ("2-8-8-1", [2, 8, 8, 1], NetworkCanvas.edge_budget),
        ("2-16x3-1", [2, 16, 16, 16, 1], NetworkCanvas.edge_budget),
        ("2-32-32-1", [2, 32, 32, 1], NetworkCanvas.edge_budget),
        ("2-64x6-1", [2, *[64] * 6, 1], NetworkCanvas.edge_budget),
        ("2-64x6-1, all edges", [2, *[64] * 6, 1], 10**9),
    ]
    print(f"canvas redraw at 1280x800, {args.repeats} repeats, platform "
          f"{app.platformName()}  (target: < {TARGET_MS:.0f} ms for 6x64)")
    print(f"{'network':<22}{'edges':>8}{'drawn':>8}{'median ms':>11}{'mean ms':>10}{'max ms':>9}")
    for name, sizes, budget in cases:
        canvas = NetworkCanvas()
        canvas.resize(1280, 800)
        canvas.show()
        app.processEvents()
        times, drawn = time_case(canvas, snapshots(sizes), args.repeats, budget)
        edges = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        print(f"{name:<22}{edges:>8}{drawn:>8}{statistics.median(times):>11.2f}"
              f"{statistics.fmean(times):>10.2f}{max(times):>9.2f}")
        canvas.close()
        canvas.deleteLater()
        app.processEvents()


if __name__ == "__main__":
    main()
