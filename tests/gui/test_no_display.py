"""Without a display the window says so in one line and exits 2, instead of Qt's abort."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gui.app.launch import display_problem

ROOT = Path(__file__).resolve().parents[2]


def test_main_without_a_display_exits_2_with_one_line() -> None:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    finished = subprocess.run([sys.executable, str(ROOT / "main.py")], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=30)
    assert finished.returncode == 2
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1 and "no display was found" in lines[0] and "train" in lines[0]
    assert finished.stdout == ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 and Wayland are Linux")
def test_a_missing_xcb_cursor_library_is_named_with_its_package(monkeypatch) -> None:
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    problem = display_problem({"DISPLAY": ":0"})
    assert problem is not None and "apt-get install libxcb-cursor0" in problem
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "libxcb-cursor.so.0")
    assert display_problem({"DISPLAY": ":0"}) is None
