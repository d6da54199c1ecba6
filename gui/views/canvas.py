"""The network canvas: the multilayer perceptron drawn from a Snapshot, clickable and hoverable.

Edges are sorted into (width, colour) bins and each bin is one QPainter.drawLines call over a
NumPy array of line coordinates (no item per edge, no list of QLineF per frame). The static
picture is rendered once per snapshot into a cached image; hover, selection and highlights
are painted over it, so moving the mouse never redraws 20k edges. With neuron maps on (and a
snapshot with a 2-D grid, and neurons large enough) each neuron is drawn as a thumbnail of its
activation over the input plane; the thumbnails are coloured once per snapshot and size.
With image inputs (`set_image_shape`) the input column is the sample's image and layer 1's
neurons are images of their weights (gui/views/canvas_images.py).

Why this is long: it is one widget's state and the public API its tests and panels drive
(snapshot, colour mode, values, maps, image inputs, selection, highlights, hit points, edge
widths and colours, hover text), and when each change invalidates the layout, the edge bins or
the picture; everything that can be a function of a layout already is one: geometry and
hit-testing in gui/views/canvas_geometry.py, the static picture in canvas_scene.py and its
cache in canvas_picture.py, image inputs in canvas_images.py, what is painted over the picture
(outlines, hover card) and what is under the mouse in canvas_overlay.py.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QWidget

from engine.core.network import ParameterRef
from engine.training.snapshot import Snapshot
from gui.base.colors import HIGHLIGHT
from gui.views import canvas_geometry as geo
from gui.views import canvas_images as images
from gui.views import canvas_overlay as overlay
from gui.views import canvas_scene as paint
from gui.views.canvas_picture import CanvasPicture
from gui.views.canvas_scene import EDGE_PALETTE, theme_from_palette


class NetworkCanvas(QWidget):
    """Neurons in columns, weights as edges; click a weight or a neuron (its bias) to pick it."""

    parameter_clicked = Signal(object)  # ParameterRef
    parameter_double_clicked = Signal(object)  # ParameterRef (a neuron stands for its bias)
    neuron_hovered = Signal(int, int)  # layer, index; -1, -1 when leaving a neuron
    edge_budget = geo.EDGE_BUDGET  # most edges drawn; past it each layer's strongest

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkCanvas")
        self.setMouseTracking(True)
        self.setMinimumSize(360, 260)
        self._snapshot: Snapshot | None = None
        self._layout: geo.CanvasLayout | None = None
        self._bins: geo.EdgeBins | None = None
        self._sorted_lines = np.zeros((0, 4))
        self._picture = CanvasPicture()  # the static picture, painted over every frame
        self._mode = "weight"
        self._show_values = True
        self._show_maps = False
        self._feature_names: tuple[str, ...] = ()
        self._image_shape: tuple[int, int] | None = None
        self._image_layout: images.ImageLayout | None = None  # with image inputs
        self._image_layout_time = 0.0  # when its strongest tiles were picked
        self._selection: ParameterRef | None = None
        self._highlight_neurons: list[tuple[int, int]] = []
        self._highlight_edges: list[ParameterRef] = []
        self._hovered: overlay.Item | None = None
        self._hover_pos = QPointF()

    # -- public API ---------------------------------------------------------------------------

    def set_snapshot(self, snapshot: Snapshot) -> None:
        """Show this snapshot (the card of a hovered item follows it)."""
        architecture_changed = self._snapshot is None or snapshot.sizes != self._snapshot.sizes
        self._snapshot = snapshot
        if architecture_changed:
            self._layout = None
            self._selection = self._valid(self._selection)
            self._highlight_neurons, self._highlight_edges = [], []
            self._hovered = None
        self._refresh()

    def set_color_mode(self, mode: str) -> None:
        """'weight' (edges show w) or 'gradient' (edges show dC/dw, squares dC/db)."""
        if mode not in ("weight", "gradient"):
            raise ValueError(f"unknown colour mode {mode!r} (known: weight, gradient)")
        if mode != self._mode:
            self._mode = mode
            self._refresh()

    def color_mode(self) -> str:
        return self._mode

    def set_show_values(self, show: bool) -> None:
        """Print activations inside large neurons and bias values beside them."""
        self._show_values = bool(show)
        self._picture.invalidate()
        self.update()

    def set_show_maps(self, show: bool) -> None:
        """Draw each neuron as its map over the 2-D input plane (when the snapshot has one
        and neurons are at least MIN_MAP_RADIUS large), else as a circle."""
        self._show_maps = bool(show)
        self._picture.invalidate()
        self.update()

    def shows_maps(self) -> bool:
        """Whether the neurons are drawn as map thumbnails now."""
        snapshot, layout = self._snapshot, self._layout
        if not self._show_maps or snapshot is None or layout is None or snapshot.grid is None \
                or self._image_layout is not None:
            return False
        return (len(snapshot.grid.activations) == len(snapshot.sizes)
                and float(layout.radii.max()) >= geo.MIN_MAP_RADIUS)

    def shows_map_of(self, layer: int) -> bool:
        """Whether layer `layer`'s neurons are drawn as map thumbnails now (its neurons are
        large enough; a wide layer's small ones are circles beside larger maps)."""
        return self.shows_maps() and self._require_layout().radius_of(layer) >= geo.MIN_MAP_RADIUS

    def thumbnail(self, layer: int, index: int) -> QImage | None:
        """The map thumbnail drawn for neuron (layer, index), in device pixels (top row = the
        largest y of the plane), or None when the canvas draws circles."""
        thumbnails = self._thumbnails()
        if thumbnails is None or self._layout is None:
            return None
        image = thumbnails[layer]
        if image is None:
            return None
        side = image.width()
        top = int(paint.map_tops(self._layout, layer, self.devicePixelRatioF())[index])
        return image.copy(0, top, side, side)

    def map_rect(self, layer: int, index: int) -> QRectF:
        """Where neuron (layer, index)'s map thumbnail is (or would be) drawn, widget px."""
        return paint.map_rect(self._require_layout(), layer, index)

    def neuron_label(self, layer: int, index: int) -> str:
        """The neuron's name as the canvas writes it (a feature name for an input)."""
        return self._neuron_label(layer, index)

    def set_feature_names(self, names: tuple[str, ...] | list[str]) -> None:
        """Label the input neurons with the dataset's feature names instead of x_j."""
        self._feature_names = tuple(names)
        self._picture.invalidate()
        self.update()

    def set_image_shape(self, shape: tuple[int, int] | None) -> None:
        """The inputs are an image of this shape (rows, columns): draw the sample as an image
        and layer 1's neurons as weight images; None: circles and edges everywhere."""
        self._image_shape = None if shape is None else (int(shape[0]), int(shape[1]))
        self._layout = None
        self._refresh()
        self._picture.invalidate()
        self.update()

    def image_layout(self) -> images.ImageLayout | None:
        """Where the sample image and the weight images are (None unless drawn so)."""
        return self._image_layout

    def set_selection(self, ref: ParameterRef | None) -> None:
        """Outline a selected weight (edge) or bias (halo around its neuron); None clears."""
        self._selection = self._valid(ref)
        self.update()

    def selection(self) -> ParameterRef | None:
        return self._selection

    def set_highlights(self, neurons: list[tuple[int, int]], edges: list[ParameterRef]) -> None:
        """Transient highlights (inspector, step-through), drawn in purple."""
        self._highlight_neurons = list(neurons)
        self._highlight_edges = [ref for ref in edges if self._valid(ref) is not None]
        self.update()

    def clear_highlights(self) -> None:
        self.set_highlights([], [])

    def item_at(self, pos: QPointF) -> overlay.Item | None:
        """The neuron (layer, index) or weight under a widget point; neurons win over edges."""
        if self._layout is None or self._bins is None:
            return None
        return overlay.item_at(self._layout, self._image_layout, pos, self._hit_widths())

    def edge_midpoint(self, ref: ParameterRef) -> QPointF:
        """A point near the middle of the weight's edge where a click picks exactly it (with
        image inputs, a layer-1 weight's pixel in its neuron's weight image)."""
        layout = self._require_layout()
        if self._image_layout is not None and ref.layer == 1:
            point = images.weight_point(self._image_layout, ref)
            if point is None:
                raise ValueError(f"{ref.symbol}: its neuron's weight image is hidden")
            return point
        edge = layout.edge_index(ref.layer, ref.row, ref.column)
        return QPointF(*geo.click_point(layout, edge, self._hit_widths()))

    def neuron_center(self, layer: int, index: int) -> QPointF:
        layout = self._require_layout()
        if self._image_layout is not None and layer <= 1:
            point = images.neuron_point(self._image_layout, layer, index)
            if point is not None:
                return point
        return QPointF(float(layout.neuron_x[layer][index]), float(layout.neuron_y[layer][index]))

    def edge_widths(self) -> NDArray[np.float64]:
        """Pen width (px) of every edge, in edge order (layer by layer, W^m row-major)."""
        widths = self._require_bins().width.copy()
        widths.flags.writeable = False
        return widths

    def edge_colors(self) -> NDArray[np.uint8]:
        """RGB of every edge, in edge order."""
        colors = EDGE_PALETTE[self._require_bins().color_level + geo.COLOR_LEVELS]
        colors.flags.writeable = False
        return colors

    def drawn_edges(self) -> NDArray[np.bool_]:
        """Which edges are drawn (all, unless the network is past the edge budget)."""
        return self._require_bins().drawn.copy()

    def hover_text(self) -> str:
        """The hover card's text for the hovered item ('' when nothing is hovered)."""
        if self._snapshot is None or self._hovered is None:
            return ""
        return overlay.hover_text(self._snapshot, self._hovered, self._neuron_label)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(900, 600)

    # -- state ---------------------------------------------------------------------------------

    def _valid(self, ref: ParameterRef | None) -> ParameterRef | None:
        sizes = () if self._snapshot is None else self._snapshot.sizes
        if ref is None or not 1 <= ref.layer < len(sizes) or not 0 <= ref.row < sizes[ref.layer]:
            return None
        if ref.kind == "weight" and not 0 <= ref.column < sizes[ref.layer - 1]:
            return None
        return ref

    def _require_layout(self) -> geo.CanvasLayout:
        if self._layout is None:
            self._refresh()
        if self._layout is None:
            raise RuntimeError("the canvas has no snapshot yet")
        return self._layout

    def _require_bins(self) -> geo.EdgeBins:
        self._require_layout()
        assert self._bins is not None
        return self._bins

    def _hit_widths(self) -> NDArray[np.float64]:
        bins = self._require_bins()
        return np.where(bins.drawn, bins.width, 0.0)

    def _refresh(self) -> None:
        """Recompute the layout if needed and the edge bins; the scene is redrawn on paint."""
        snapshot = self._snapshot
        if snapshot is None:
            return
        size = (float(self.width()), float(self.height()))
        source = snapshot.params if self._mode == "weight" else snapshot.gradient
        visible = None
        if self._image_inputs(snapshot):
            self._layout = self._refresh_image_layout(snapshot, source, size)
            visible = self._image_layout.visible if self._image_layout is not None else None
        elif self._layout is None or (self._layout.width, self._layout.height) != size \
                or self._image_layout is not None:
            self._image_layout = None
            self._layout = geo.compute_layout(snapshot.sizes, *size)
        assert self._layout is not None
        self._bins = geo.bin_edges(self._layout, source[self._layout.weight_index],
                                   self.edge_budget, visible)
        self._sorted_lines = np.ascontiguousarray(self._layout.edge_lines[self._bins.order])
        self._picture.invalidate()
        self.update()

    def _image_inputs(self, snapshot: Snapshot) -> bool:
        shape = self._image_shape
        return (shape is not None and len(snapshot.sizes) >= 2
                and shape[0] * shape[1] == snapshot.sizes[0])

    def _refresh_image_layout(self, snapshot: Snapshot, source: NDArray[np.float64],
                              size: tuple[float, float]) -> geo.CanvasLayout:
        """The image layout for this size, made again when the strongest tiles change."""
        assert self._image_shape is not None
        image = self._image_layout
        first = snapshot.layers[0].weights if self._mode == "weight" \
            else snapshot.layers[0].weight_gradients
        strength = images.strongest_rows(first)
        if image is not None and image.base.sizes == snapshot.sizes \
                and (image.base.width, image.base.height) == size \
                and image.shape == self._image_shape and (
                    not image.hidden_count
                    or time.monotonic() - self._image_layout_time < images.RESELECT_SECONDS
                    or np.array_equal(image.shown, np.sort(np.argsort(
                        -strength, kind="stable")[:len(image.shown)]))):
            return image.base
        self._image_layout = images.compute_image_layout(
            snapshot.sizes, self._image_shape, *size, strength)
        self._image_layout_time = time.monotonic()
        return self._image_layout.base

    def _neuron_label(self, layer: int, index: int) -> str:
        if layer == 0 and index < len(self._feature_names):
            return self._feature_names[index]
        sizes = self._snapshot.sizes if self._snapshot is not None else ()
        return geo.neuron_name(sizes, layer, index)

    # -- events --------------------------------------------------------------------------------

    @property
    def theme(self) -> paint.CanvasTheme:
        """The colours the canvas paints with, from its palette (light or dark)."""
        return theme_from_palette(self.palette())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        """A new system or application palette: repaint the cached picture in its colours."""
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._picture.invalidate()
            self.update()
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._refresh()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        self._on_hover(event.position())

    def leaveEvent(self, event: object) -> None:  # noqa: N802 (Qt override)
        self._on_hover(None)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        item = self._parameter_at(event.position())
        if item is not None:
            self.set_selection(item)
            self.parameter_clicked.emit(item)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        item = self._parameter_at(event.position())
        if item is not None:
            self.parameter_double_clicked.emit(item)

    def _parameter_at(self, pos: QPointF) -> ParameterRef | None:
        """The weight under `pos`, or the bias of the neuron there (inputs have none)."""
        item = self.item_at(pos)
        if isinstance(item, tuple):
            return ParameterRef(item[0], "bias", item[1]) if item[0] >= 1 else None
        return item

    def _on_hover(self, pos: QPointF | None) -> None:
        item = None if pos is None else self.item_at(pos)
        was_neuron = isinstance(self._hovered, tuple)
        changed = item != self._hovered
        self._hovered = item
        if pos is not None:
            self._hover_pos = QPointF(pos)
        if changed and isinstance(item, tuple):
            self.neuron_hovered.emit(*item)
        elif changed and was_neuron:
            self.neuron_hovered.emit(-1, -1)
        if changed or item is not None:
            self.update()

    # -- painting ------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        """The cached scene, then highlights, selection, hover and the hover card."""
        if self._snapshot is None or self._layout is None:
            painter.fillRect(self.rect(), self.theme.background)
            painter.setPen(self.theme.muted)
            painter.setFont(paint.font(self.font(), 14))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No network yet")
            return
        painter.drawImage(0, 0, self._picture.image(self.size(), self.devicePixelRatioF(),
                                                    self.theme.background, self._paint_scene))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        edges, neurons = self._highlight_edges, self._highlight_neurons
        if self._image_layout is not None:  # W¹ and the input image: one frame per tile
            images.paint_highlight_groups(
                painter, self._image_layout, {ref.row for ref in edges if ref.layer == 1},
                {index for layer, index in neurons if layer == 0}, HIGHLIGHT, 3.0)
            edges = [ref for ref in edges if ref.layer != 1]
            neurons = [(layer, index) for layer, index in neurons if layer != 0]
        for ref in edges:
            self._paint_edge_outline(painter, ref, HIGHLIGHT, 3.0)
        for layer, index in neurons:
            self._paint_ring(painter, layer, index, HIGHLIGHT, 3.0)
        if self._selection is not None:
            if self._selection.kind == "weight":
                self._paint_edge_outline(painter, self._selection, self.theme.ink, 4.0)
            else:
                self._paint_ring(painter, self._selection.layer, self._selection.row,
                                self.theme.ink, 2.5)
        if isinstance(self._hovered, ParameterRef):
            self._paint_edge_outline(painter, self._hovered, self.theme.muted, 3.0)
        elif self._hovered is not None:
            self._paint_ring(painter, *self._hovered, self.theme.muted, 1.5)
        if self._hovered is not None:
            overlay.paint_card(painter, self.hover_text(), self.font(), self._hover_pos,
                               QRectF(self.rect()), self.theme)

    def paint_picture(self, painter: QPainter) -> None:
        """The canvas's picture (as shown, without hover or selection) onto any painter, for
        vector export (gui/app/plot_export.py): edges and text stay paths and text."""
        painter.fillRect(QRectF(0, 0, self.width(), self.height()), self.theme.background)
        if self._snapshot is None or self._layout is None or self._bins is None:
            return
        paint.paint_scene(painter, self._scene())

    def _scene(self) -> paint.Scene:
        assert self._snapshot is not None and self._layout is not None and self._bins is not None
        return paint.Scene(
            self._snapshot, self._layout, self._bins, self._sorted_lines, self._mode,
            self._show_values, self._neuron_label, self.font(), self._thumbnails(),
            self.theme)

    def _paint_scene(self, painter: QPainter) -> None:
        """The static picture for the current snapshot (into the cached picture)."""
        assert self._snapshot is not None
        scene = self._scene()
        if self._image_layout is not None:
            layer = self._snapshot.layers[0]
            images.paint_image_scene(painter, scene, images.image_scene(
                self._image_layout, self._snapshot.probe.activations[0],
                layer.weights if self._mode == "weight" else layer.weight_gradients))
        else:
            paint.paint_scene(painter, scene)

    def _thumbnails(self) -> tuple[QImage | None, ...] | None:
        """Every layer's map thumbnails, or None when the canvas draws circles."""
        if not self.shows_maps():
            return None
        assert self._snapshot is not None and self._layout is not None
        return self._picture.thumbnails(self._snapshot, self._layout, self.devicePixelRatioF())

    def _paint_edge_outline(self, painter: QPainter, ref: ParameterRef, color: QColor,
                            extra: float) -> None:
        layout, bins = self._layout, self._bins
        if layout is None or bins is None:
            return
        if self._valid(ref) is None and not (self._image_layout is not None and ref.layer == 1):
            return
        overlay.paint_edge_outline(painter, layout, bins, self._image_layout, ref, color, extra)

    def _paint_ring(self, painter: QPainter, layer: int, index: int, color: QColor,
                    width: float) -> None:
        if self._layout is not None:
            overlay.paint_ring(painter, self._layout, self._image_layout, layer, index, color,
                               width, self.shows_map_of(layer))
