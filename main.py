"""Deltascope entry point.

    python main.py                        open the window
    python main.py --screenshot out.png [--dataset xor] [--steps N]
    python main.py train --dataset xor    train without a window (never imports Qt)
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    if argv and argv[0] == "train":
        from engine.cli import main as train_main

        return train_main(argv[1:])
    from gui.app import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
