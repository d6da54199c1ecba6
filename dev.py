"""Set up Deltascope's virtual environment on first use, then launch the app or run the tests.

    python3 dev.py app [ARGS...]    open the window (ARGS go to main.py, e.g. `train --dataset xor`)
    python3 dev.py test [ARGS...]   run the whole test suite (ARGS go to pytest)

Only the Python standard library is used here, so it works on a fresh machine with Python 3.11+.
The environment lives in .venv; it is reinstalled when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".deltascope-installed"


def _venv_python() -> Path:
    scripts = "Scripts" if os.name == "nt" else "bin"
    return VENV / scripts / ("python.exe" if os.name == "nt" else "python")


def _ensure_environment() -> Path:
    """Create .venv and install the project with its test extra unless already current."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    python = _venv_python()
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return python
    if not python.exists():
        print("deltascope: creating virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("deltascope: installing dependencies (first run only) ...", flush=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-e", f"{ROOT}[test]"],
        check=True,
    )
    STAMP.write_text(wanted)
    return python


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"app", "test"}:
        print(__doc__)
        return 2
    python = _ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "app":
        return subprocess.call([str(python), str(ROOT / "main.py"), *rest], cwd=ROOT)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.call([str(python), "-m", "pytest", "-q", *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
