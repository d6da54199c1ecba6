"""The canvas's cached picture (gui/views/canvas.py): the static scene of the current state
rendered once into an image that is reused between frames, and the neuron-map thumbnails
coloured once per snapshot grid, layout and size. Hover, selection and highlights are painted
over the picture every frame (gui/views/canvas_overlay.py), so moving the mouse never redraws
the edges.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage, QPainter

from engine.training.snapshot import GridOutputs, Snapshot
from gui.views import canvas_geometry as geo
from gui.views import canvas_scene as paint
from gui.views import neuron_maps


class CanvasPicture:
    """The picture of the canvas's current state, or none until it is asked for again."""

    def __init__(self) -> None:
        self._valid: QImage | None = None  # the picture of the current state, or None
        self._buffer: QImage | None = None  # its image, kept between frames
        # (grid, layout, device pixel ratio, one column image per layer): the last thumbnails
        self._thumbnail_cache: tuple[GridOutputs, geo.CanvasLayout, float,
                                     tuple[QImage | None, ...]] | None = None

    def invalidate(self) -> None:
        """The state changed: render the picture again when it is next shown."""
        self._valid = None

    def image(self, size: QSize, ratio: float, background: QColor,
              paint_scene: Callable[[QPainter], None]) -> QImage:
        """The picture, rendered by `paint_scene` into the reused image if it is not valid."""
        if self._valid is None:
            device_size = size * ratio
            if self._buffer is None or self._buffer.size() != device_size:
                self._buffer = QImage(device_size, QImage.Format.Format_ARGB32_Premultiplied)
                self._buffer.setDevicePixelRatio(ratio)
            image = self._buffer
            image.fill(background)
            painter = QPainter(image)
            paint_scene(painter)
            painter.end()
            self._valid = image
        return self._valid

    def thumbnails(self, snapshot: Snapshot, layout: geo.CanvasLayout,
                   ratio: float) -> tuple[QImage | None, ...]:
        """Every layer's column of map thumbnails for this snapshot's grid and layout, each
        column at its own neuron size; None for a column whose neurons are too small for a map
        (cached; a new size gives new sides)."""
        grid = snapshot.grid
        assert grid is not None
        cache = self._thumbnail_cache
        if cache is not None and cache[0] is grid and cache[1] is layout and cache[2] == ratio:
            return cache[3]
        columns: list[QImage | None] = []
        activations = (None, *snapshot.activation_names)
        for m in range(len(layout.sizes)):
            if layout.radius_of(m) < geo.MIN_MAP_RADIUS:
                columns.append(None)
                continue
            side = round(layout.map_side_of(m) * ratio)
            image = neuron_maps.thumbnail_columns(
                [grid.activations[m]], [activations[m]], side,
                [paint.map_tops(layout, m, ratio)])[0]
            image.setDevicePixelRatio(ratio)
            columns.append(image)
        self._thumbnail_cache = (grid, layout, ratio, tuple(columns))
        return self._thumbnail_cache[3]
