"""View > Smooth Animation: more frames a second while training plays, for less training.

Python runs one thread at a time, so the window's drawing is time the training thread does
not train. By default frames take at most DEFAULT_SHARE of the training thread's time and
of the GUI thread's CPU (2 to 4 frames a second, training at 0.8x or more of its speed
without a window); Smooth Animation allows SMOOTH_SHARE (about 20 frames a second, 0.6x to
0.7x). `python -m bench.gui [--smooth]` measures both. The choice is remembered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gui.frame_pacer import FramePacer
from gui.worker import FRAME_BUDGET

if TYPE_CHECKING:
    from gui.main_window import MainWindow

DEFAULT_SHARE = FRAME_BUDGET
SMOOTH_SHARE = 0.35
SETTINGS_KEY = "smoothAnimation"


def drawing_share(smooth: bool) -> float:
    return SMOOTH_SHARE if smooth else DEFAULT_SHARE


def install_smooth_animation(window: MainWindow, pacer: FramePacer) -> None:
    """The checkable View action `actionSmoothAnimation`, applied to the worker's frame
    budget and the GUI's frame pacer now and whenever it is toggled."""
    action = window.make_action(
        "actionSmoothAnimation", "Smooth Animation",
        "Draw more frames a second while training plays (training runs slower)",
        checkable=True)
    window.view_menu.addAction(action)

    def apply(smooth: bool) -> None:
        share = drawing_share(smooth)
        window.worker.set_frame_budget(share)
        pacer.budget = share

    window.remember_checked(action, SETTINGS_KEY, default=False)
    action.toggled.connect(apply)
    apply(action.isChecked())
