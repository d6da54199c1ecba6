"""Starting the window: the normal app, or the screenshot mode used for docs and checks.

    python main.py [--dataset xor]
    python main.py --screenshot out.png [--dataset xor] [--steps N] [--size 1280x800]
"""

from __future__ import annotations

import argparse
import ctypes.util
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QSettings, QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication

from engine.cli import program_name
from engine.core.errors import DeltascopeError
from engine.data.datasets import DATASET_NAMES, make_dataset
from engine.training.config import TrainingConfig, config_for_data
from gui.app.app_icon import app_icon
from gui.app.autosave import Autosaver, offer_recovery
from gui.app.freeze_watchdog import FreezeWatchdog

if TYPE_CHECKING:
    from gui.app.main_window import MainWindow


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=program_name(),
                                     description="Deltascope: watch backprop work.")
    parser.add_argument("--dataset", choices=DATASET_NAMES, default="xor")
    parser.add_argument("--screenshot", metavar="PNG", help="render the window to PNG and exit")
    parser.add_argument("--steps", type=int, default=0, help="train this many steps first")
    parser.add_argument("--size", default="1280x800", help="window size for --screenshot")
    return parser.parse_args(argv)


def initial_config(dataset: str) -> TrainingConfig:
    """The starting settings for a built-in dataset: output, loss, test ratio, batch size and
    what the dataset declares (config_for_data, as when the dataset is chosen in the window)."""
    return config_for_data(TrainingConfig(dataset=dataset), make_dataset(dataset), generated=True)


def display_problem(environment: dict[str, str] | None = None,
                    program: str = "python main.py") -> str | None:
    """Why Qt could not open a window here, in one line (instead of Qt's abort), or None.

    On Linux: no X or Wayland display at all, or an X display without libxcb-cursor0, which
    PySide6's xcb plugin needs and fresh Debian and Ubuntu desktops often lack."""
    env = os.environ if environment is None else environment
    platform = env.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or platform not in ("", "xcb"):
        return None
    if not env.get("DISPLAY") and not (platform == "" and env.get("WAYLAND_DISPLAY")):
        return ("no display was found: the window needs a desktop session. "
                f"`{program} train ...` trains without one (see `{program} train --help`).")
    if env.get("DISPLAY") and (platform == "xcb" or not env.get("WAYLAND_DISPLAY")) \
            and ctypes.util.find_library("xcb-cursor") is None:
        return ("Qt needs the system library libxcb-cursor0 to open a window on X11: install "
                "it (Debian/Ubuntu: sudo apt-get install libxcb-cursor0) and start again.")
    return None


def main(argv: list[str]) -> int:
    args = _parse(argv)
    problem = display_problem(program=program_name())
    if problem is not None:
        print(f"deltascope: {problem}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Deltascope")
    app.setOrganizationName("Deltascope")
    app.setDesktopFileName("deltascope")  # assets/deltascope.desktop, installed
    app.setWindowIcon(app_icon())
    from gui.app.main_window import MainWindow

    try:
        config = initial_config(args.dataset)
    except DeltascopeError as error:
        print(f"deltascope: error: {error}", file=sys.stderr)
        return 2
    if args.screenshot:
        return _screenshot(config, args)
    window = MainWindow(config)
    watchdog = _start_freeze_watchdog(window)
    autosaver = Autosaver(window, _data_folder())
    window.show()
    offer_recovery(window, autosaver)
    try:
        return app.exec()
    finally:
        autosaver.stop()
        watchdog.stop()


def _data_folder() -> Path:
    """Where Deltascope keeps files of its own (recovery session, freeze logs)."""
    return Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppLocalDataLocation))


def _start_freeze_watchdog(window: MainWindow) -> FreezeWatchdog:
    """Log every thread's stack if the window stops responding (see gui/app/freeze_watchdog.py),
    in the user's data folder; empty logs of earlier runs are removed."""
    folder = _data_folder() / "logs"
    for old in folder.glob("freeze-*.log"):
        if old.stat().st_size == 0:
            old.unlink(missing_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    watchdog = FreezeWatchdog(folder / f"freeze-{stamp}-{os.getpid()}.log", parent=window)
    watchdog.stalled.connect(lambda seconds, path: window.banner.show_message(
        f"The window did not respond for {seconds:.1f} s. The stacks of all threads are in "
        f"{path}: please attach that file to a bug report.", error=True))
    return watchdog


def _screenshot(config: TrainingConfig, args: argparse.Namespace) -> int:
    from gui.app.main_window import MainWindow
    from gui.base.dialogs import save_png

    width, height = (int(part) for part in args.size.lower().split("x"))
    settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                         "Deltascope", "screenshot")
    settings.clear()
    window = MainWindow(config, settings=settings)
    window.resize(width, height)
    window.show()
    if args.steps > 0:
        window.step(args.steps)
    else:
        window.sync()
    loop = QEventLoop()
    QTimer.singleShot(300, loop.quit)  # let layouts and plots settle
    loop.exec()
    save_png(window.grab(), args.screenshot)
    window.stop_worker()
    window.hide()
    print(f"screenshot written to {args.screenshot}")
    return 0
