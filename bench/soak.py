"""Memory while playing for a long time: the window's and the trainer process's RSS.

    python -m bench.soak                      # 10 minutes of spiral, a line every 30 s
    python -m bench.soak --minutes 3 --dataset xor --every 15

The window plays at full speed (offscreen unless QT_QPA_PLATFORM says otherwise) and prints
the resident memory of both processes as it goes, then how much each grew after the first
minute. Target: flat within 10 MB after the first minute (the history, the gradient-norm
series and the cost plot are all bounded).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python bench/soak.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

TARGET_MB = 10.0


def rss_mb(pid: int | None) -> float:
    """Resident set size of a process in MB (Linux /proc), NaN if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return float("nan")


def run_for(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between lines")
    parser.add_argument("--dataset", default="spiral")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from gui.app.launch import initial_config
    from gui.app.main_window import MainWindow

    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"deltascope-soak-{os.getpid()}"
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(initial_config(args.dataset), settings=settings)
    window.resize(1280, 800)
    window.show()
    window.set_speed(None)
    window.play_action.trigger()
    start = time.monotonic()
    print(f"{args.dataset}, playing at max speed for {args.minutes:g} min")
    print(f"{'minute':>7} {'step':>12} {'window MB':>10} {'trainer MB':>11}")
    rows: list[tuple[float, float, float]] = []
    while (elapsed := time.monotonic() - start) < args.minutes * 60:
        run_for(min(args.every, args.minutes * 60 - elapsed))
        minute = (time.monotonic() - start) / 60
        window_mb, trainer_mb = rss_mb(os.getpid()), rss_mb(window.worker.pid)
        rows.append((minute, window_mb, trainer_mb))
        step = window.snapshot.step if window.snapshot is not None else 0
        print(f"{minute:7.2f} {step:12,} {window_mb:10.1f} {trainer_mb:11.1f}", flush=True)
    window.sync()
    window.stop_worker()
    settled = [row for row in rows if row[0] >= 1.0]
    if len(settled) >= 2:
        for name, column in (("window", 1), ("trainer", 2)):
            growth = settled[-1][column] - settled[0][column]
            verdict = "ok" if growth <= TARGET_MB else "MISSES the target"
            print(f"{name} grew {growth:+.1f} MB after the first minute "
                  f"(target <= {TARGET_MB:g} MB): {verdict}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
