"""The toolbar's training speed: steps per second from 1 to as fast as the machine goes.

Below the frame rate (30 a second) every step is drawn; above it the view shows 30 frames a
second of a faster run. The default lets a person watch XOR learn over several seconds.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

SPEEDS: tuple[float | None, ...] = (1, 3, 10, 30, 100, 300, 1000, 3000, 10000, None)
DEFAULT_SPEED: float | None = 10


def speed_label(speed: float | None) -> str:
    """'30 steps/s', '3k steps/s' or 'max'."""
    if speed is None:
        return "max"
    if speed >= 1000 and speed % 1000 == 0:
        return f"{speed / 1000:g}k steps/s"
    return f"{speed:g} steps/s"


class SpeedControl(QComboBox):
    """Steps per second while training plays (None: as fast as possible)."""

    speed_changed = Signal(object)  # float | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("speedControl")
        self.setToolTip("Training speed while playing, in steps per second. Up to 30 every "
                        "step is drawn; above, the view shows 30 frames a second.")
        for speed in SPEEDS:
            self.addItem(speed_label(speed), None if speed is None else float(speed))
        self.setCurrentIndex(SPEEDS.index(DEFAULT_SPEED))
        self.currentIndexChanged.connect(lambda _: self.speed_changed.emit(self.speed()))

    def speed(self) -> float | None:
        return self.currentData()

    def set_speed(self, speed: float | None) -> None:
        """Show `speed` (a value not in the list is added in order) and announce it."""
        if speed is None:
            index = self.count() - 1  # "max" is last
        else:
            speed = float(speed)
            index = self.findData(speed)
            if index < 0:
                index = sum(1 for row in range(self.count() - 1) if self.itemData(row) < speed)
                self.insertItem(index, speed_label(speed), speed)
        if index == self.currentIndex():
            self.speed_changed.emit(speed)
        else:
            self.setCurrentIndex(index)
