"""Deltascope entry point (installed as the `deltascope` command, see pyproject.toml).

    python main.py                        open the window          (deltascope)
    python main.py --screenshot out.png [--dataset xor] [--steps N]
    python main.py train --dataset xor    train without a window   (deltascope train ...)
                                          (never imports Qt)
    python main.py check --dataset xor    gradient check without a window (exit 0/1/2)
"""

from __future__ import annotations

import os
import sys

# One BLAS thread per process: the window and the trainer process each have a core of their
# own (on 2 cores, a second BLAS thread in the window took the trainer's: 6 x 64 trained at
# 0.29x instead of 0.88x). Set before NumPy is first imported.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")


def main(argv: list[str]) -> int:
    if argv and argv[0] == "train":
        from engine.cli import main as train_main

        return train_main(argv[1:])
    if argv and argv[0] == "check":
        from engine.check_command import main as check_main

        return check_main(argv[1:])
    from gui.app.launch import main as gui_main

    return gui_main(argv)


def run() -> None:
    """The `deltascope` command."""
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    run()
