"""What `pip install .` gives: the `deltascope` command (main:run) that opens the window or,
as `deltascope train ...`, trains without one; the icon files shipped as package data; the
desktop file. (Installing into a fresh virtual environment was tried by hand: see README.)"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import main
from engine.cli import program_name
from gui.app.app_icon import ICON_SIZES, ICON_SVG, icon_png

ROOT = Path(__file__).resolve().parents[1]


def project() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)


def test_the_deltascope_command_is_main_run() -> None:
    assert project()["project"]["scripts"] == {"deltascope": "main:run"}
    assert callable(main.run)


def test_deltascope_train_trains_as_main_py_train(monkeypatch, capsys, tmp_path: Path) -> None:
    exported = tmp_path / "xor.json"
    monkeypatch.setattr(sys, "argv", ["/venv/bin/deltascope", "train", "--dataset", "xor",
                                      "--steps", "5", "--export", str(exported)])
    with pytest.raises(SystemExit) as stopped:
        main.run()
    assert stopped.value.code == 0
    assert exported.read_text().startswith("{")


def test_installed_command_without_a_display_names_itself() -> None:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    code = "import sys; sys.argv[0] = '/venv/bin/deltascope'; import main; main.run()"
    finished = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=30)
    assert finished.returncode == 2
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1 and "no display was found" in lines[0]
    assert "`deltascope train ...`" in lines[0]
    assert program_name("main.py") == "python main.py"
    assert program_name("/venv/bin/deltascope") == "deltascope"


def test_icons_are_package_data_and_the_desktop_file_names_them() -> None:
    patterns = project()["tool"]["setuptools"]["package-data"]["gui"]
    assert ICON_SVG.is_file() and ICON_SVG.match(f"gui/{patterns[0]}")
    for size in ICON_SIZES:
        png = icon_png(size)
        assert png.is_file() and any(png.match(f"gui/{pattern}") for pattern in patterns)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # keys are case-sensitive
    desktop.read(ROOT / "assets" / "deltascope.desktop")
    entry = desktop["Desktop Entry"]
    assert (entry["Type"], entry["Exec"], entry["Icon"]) == ("Application", "deltascope",
                                                            "deltascope")
