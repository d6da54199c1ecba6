"""Colours shared by several views: the diverging colormap of the canvas, the heatmaps and
their legends, the class colours, the text colours of the panels, and the highlight purple.

Negative values are orange, zero is near white, positive values are blue
(TensorFlow Playground's convention, readable for the common colour-vision deficiencies).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtGui import QColor

NEGATIVE = (245, 147, 34)
MIDDLE = (232, 234, 235)
POSITIVE = (8, 119, 189)
CLASS_COLORS: tuple[tuple[int, int, int], ...] = (
    NEGATIVE, POSITIVE, (46, 160, 67), (170, 68, 153), (204, 51, 51), (102, 102, 102),
    (23, 167, 184), (166, 166, 28), (140, 86, 75), (227, 119, 194),  # ten for digits
)
# Text: secondary (muted) text, and a verdict that is right or wrong.
MUTED_TEXT = "#6c757d"
CORRECT_TEXT = "#1e8449"
WRONG_TEXT = "#c0392b"
# What a walk-through or the inspector points at: the canvas's rings and outlines, the
# heatmaps' frame.
HIGHLIGHT = QColor(142, 68, 173)

_STOPS = np.array([0.0, 0.5, 1.0])
_COLORS = np.array([NEGATIVE, MIDDLE, POSITIVE], dtype=np.float64)


def diverging_colormap() -> pg.ColorMap:
    """pyqtgraph colormap over [0, 1]; use it with symmetric levels (-m, m)."""
    return pg.ColorMap(_STOPS, _COLORS.astype(np.uint8))


def signed_rgb(values: NDArray[np.float64], max_abs: float) -> NDArray[np.uint8]:
    """(n, 3) RGB for each value, mapping [-max_abs, max_abs] onto the diverging colormap."""
    scale = max_abs if max_abs > 0 else 1.0
    position = np.clip(0.5 + 0.5 * np.asarray(values, dtype=np.float64) / scale, 0.0, 1.0)
    channels = [np.interp(position, _STOPS, _COLORS[:, c]) for c in range(3)]
    return np.round(np.stack(channels, axis=-1)).astype(np.uint8)


def signed_color(value: float, max_abs: float) -> QColor:
    """One QColor on the diverging colormap."""
    red, green, blue = signed_rgb(np.array([value]), max_abs)[0]
    return QColor(int(red), int(green), int(blue))


def class_color(index: int) -> QColor:
    red, green, blue = CLASS_COLORS[index % len(CLASS_COLORS)]
    return QColor(red, green, blue)
