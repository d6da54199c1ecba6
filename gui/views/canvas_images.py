"""The canvas for image inputs: the sample as an image, layer 1's neurons as weight images.

When the data has an image shape (engine/data/image_shape.py), drawing one circle per pixel and
one edge per layer-1 weight says nothing. Instead:

- the input column is the current sample's image, each pixel coloured by its value on the
  diverging colormap (the neuron fills' colours);
- each neuron of layer 1 is a tile: its incoming weights W¹ᵢ (or, colouring by dC/dw, their
  gradients) as an image of the input's shape, every tile on one shared symmetric scale;
  a dot on the tile's right edge is the neuron itself (fill: its activation for the
  sample; click it for its bias), and layer 2's edges leave from the tiles;
- a pixel of a tile is a weight: hovering shows it, clicking selects it (the inspector shows
  its chain rule), and a selected layer-1 weight is outlined in its tile and in the sample;
- when the tiles do not fit at MIN_TILE_SIDE px, only the strongest (largest ‖W¹ᵢ‖, or
  ‖∂C/∂W¹ᵢ‖) are drawn and the legend says how many are hidden, as the canvas keeps the
  strongest edges past its edge budget. They are picked again at most once a second, so
  tiles do not jump about between frames.

Layers 2..L are drawn as everywhere else (circles, edges binned by gui/views/canvas_geometry.py).

Why this is long: the whole image-input variant of the canvas (input image, weight images, their
layout and hit-testing) in one place, so the circle-drawing path in canvas_scene.py stays free
of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from engine.core.network import ParameterRef
from engine.core.notation import html_to_plain, shown_index, sym
from gui.base.colors import signed_rgb
from gui.views import canvas_geometry as geo
from gui.views import canvas_scene as paint

Array = NDArray[np.float64]

MIN_TILE_SIDE = 16.0  # px: smaller weight images are unreadable; then only the strongest
MIN_IMAGE_PIXEL = 1.0  # px per image pixel, at least
TILE_GAP = 0.12  # gap between tiles, as a fraction of a tile
MARGIN = 16.0
MAX_INPUT_SIDE = 200.0
RESELECT_SECONDS = 1.0  # the strongest tiles are picked again at most this often


@dataclass(frozen=True)
class ImageLayout:
    """Where the sample image and the weight tiles are, and the layout of the rest.

    base: the canvas layout (layer 0's neurons all at the sample image's centre, layer 1's at
    their tiles' centres, hidden ones far outside, layers 2..L in columns).
    shown: layer-1 neurons drawn as tiles (ascending); tile_x / tile_y their top-left corners.
    pixel / input_pixel: side of one image pixel in a tile / in the sample image (px).
    visible: (E,) which edges may be drawn (none of layer 1, none from a hidden tile).
    """

    shape: tuple[int, int]
    base: geo.CanvasLayout
    input_rect: QRectF
    input_pixel: float
    pixel: float
    shown: NDArray[np.intp]
    tile_x: Array
    tile_y: Array
    visible: NDArray[np.bool_]

    @property
    def tile_width(self) -> float:
        return self.shape[1] * self.pixel

    @property
    def tile_height(self) -> float:
        return self.shape[0] * self.pixel

    @property
    def hidden_count(self) -> int:
        return self.base.sizes[1] - len(self.shown)

    @property
    def dot_radius(self) -> float:
        """The neuron dot on each tile's right edge."""
        return float(np.clip(0.14 * min(self.tile_width, self.tile_height), 3.0, 7.0))

    def tile_rect(self, slot: int) -> QRectF:
        return QRectF(float(self.tile_x[slot]), float(self.tile_y[slot]), self.tile_width,
                      self.tile_height)

    def edge_start(self, neuron: int) -> QPointF | None:
        """Where layer 2's edges from layer-1 neuron `neuron` come out of the block of tiles
        (its right side, at the neuron's row); None when its tile is hidden."""
        slot = self.slot_of(neuron)
        if slot is None:
            return None
        return QPointF(float(self.tile_x.max()) + self.tile_width + 2.0,
                       self.dot_center(slot).y())

    def slot_of(self, neuron: int) -> int | None:
        """Position of layer-1 neuron `neuron` among the tiles (None when hidden)."""
        slot = int(np.searchsorted(self.shown, neuron))
        return slot if slot < len(self.shown) and self.shown[slot] == neuron else None

    def dot_center(self, slot: int) -> QPointF:
        rect = self.tile_rect(slot)
        return QPointF(rect.right(), rect.center().y())

    def tile_pixel_rect(self, slot: int, pixel: int) -> QRectF:
        row, column = divmod(pixel, self.shape[1])
        return QRectF(float(self.tile_x[slot]) + column * self.pixel,
                      float(self.tile_y[slot]) + row * self.pixel, self.pixel, self.pixel)

    def input_pixel_rect(self, pixel: int) -> QRectF:
        row, column = divmod(pixel, self.shape[1])
        return QRectF(self.input_rect.x() + column * self.input_pixel,
                      self.input_rect.y() + row * self.input_pixel,
                      self.input_pixel, self.input_pixel)


def strongest_rows(matrix: Array) -> Array:
    """‖row‖ of each row (NaN counts as the weakest): how strong each tile is."""
    norms = np.sqrt(np.nansum(np.square(matrix), axis=1))
    return np.where(np.isfinite(norms), norms, 0.0)


def _tile_grid(count: int, shape: tuple[int, int], width: float, height: float,
               ) -> tuple[int, float]:
    """(columns, px per image pixel) that make `count` tiles as large as the area allows."""
    rows, columns = shape
    best = (1, 0.0)
    for across in range(1, count + 1):
        down = math.ceil(count / across)
        pixel = min(width / (across * columns * (1 + TILE_GAP)),
                    height / (down * rows * (1 + TILE_GAP)))
        if pixel > best[1]:
            best = (across, pixel)
    return best


def compute_image_layout(sizes: tuple[int, ...], shape: tuple[int, int], width: float,
                         height: float, strength: Array) -> ImageLayout:
    """The image layout at this widget size; `strength` (N¹,) picks the tiles drawn when not
    all fit."""
    rows, columns = shape
    count = sizes[1]
    top, bottom = geo.HEADER_HEIGHT, max(height - geo.LEGEND_HEIGHT, geo.HEADER_HEIGHT + 20.0)
    area = bottom - top
    middle = 0.5 * (top + bottom)
    input_pixel = max(1.0, math.floor(min(0.16 * width, 0.8 * area, MAX_INPUT_SIDE)
                                      / max(rows, columns)))
    input_rect = QRectF(MARGIN + 4.0, round(middle - rows * input_pixel / 2),
                        columns * input_pixel, rows * input_pixel)
    gap = max(24.0, 0.05 * width)
    rest = len(sizes) - 2
    rest_column = max(110.0, 0.13 * width)
    block_left = input_rect.right() + gap
    block_width = max(60.0, width - block_left - MARGIN - rest * (rest_column + gap))
    across, pixel = _tile_grid(count, shape, block_width, area)
    smallest = max(MIN_TILE_SIDE / max(rows, columns), MIN_IMAGE_PIXEL)
    if pixel >= smallest:
        shown = np.arange(count)
    else:
        pixel = smallest
        step_x, step_y = columns * pixel * (1 + TILE_GAP), rows * pixel * (1 + TILE_GAP)
        across = max(1, int(block_width // step_x))
        fits = max(1, across * max(1, int(area // step_y)))
        shown = np.sort(np.argsort(-strength, kind="stable")[:fits])
    if pixel >= 2.0:
        pixel = float(math.floor(pixel))  # whole screen pixels per image pixel: even squares
    step_x, step_y = columns * pixel * (1 + TILE_GAP), rows * pixel * (1 + TILE_GAP)
    down = math.ceil(len(shown) / across)
    left = block_left + (block_width - across * step_x) / 2
    upper = middle - down * step_y / 2
    slot = np.arange(len(shown))
    tile_x = np.round(left + (slot % across) * step_x)
    tile_y = np.round(upper + (slot // across) * step_y)

    spacing = min(area / max([1, *sizes[2:]]), geo.MAX_SPACING)
    rest_x = np.linspace(block_left + block_width + gap + rest_column / 2,
                         width - MARGIN - rest_column / 2, max(rest, 1))[:rest]
    radius = float(np.clip(min(spacing * 0.36, rest_column * 0.16), geo.MIN_RADIUS,
                           geo.MAX_RADIUS))
    column_x = np.round(np.concatenate([[input_rect.center().x(),
                                         block_left + block_width / 2], rest_x]))
    far = -1e4
    layer1_x, layer1_y = np.full(count, far), np.full(count, far)
    layer1_x[shown] = tile_x + columns * pixel / 2
    layer1_y[shown] = tile_y + rows * pixel / 2
    neuron_x = (np.full(sizes[0], column_x[0]), layer1_x,
                *(np.full(n, column_x[m]) for m, n in enumerate(sizes) if m >= 2))
    neuron_y = (np.full(sizes[0], round(middle)), layer1_y,
                *(np.round(middle + (np.arange(n) - 0.5 * (n - 1)) * spacing)
                  for m, n in enumerate(sizes) if m >= 2))
    base = geo.layout_from_positions(tuple(sizes), width, height, radius, spacing, column_x,
                                     neuron_x, neuron_y)
    visible = base.edge_layer >= 2
    hidden = np.ones(count, dtype=bool)
    hidden[shown] = False
    if rest and hidden.any():
        visible &= ~((base.edge_layer == 2) & hidden[np.minimum(base.edge_column, count - 1)])
    return ImageLayout(shape, base, input_rect, float(input_pixel), pixel, shown, tile_x,
                       tile_y, visible)


# -- hit testing ----------------------------------------------------------------------------


def item_at(image: ImageLayout, x: float, y: float) -> ParameterRef | tuple[int, int] | None:
    """A pixel of the sample (input neuron (0, j)), a pixel of a tile (that weight of W¹),
    a tile's neuron dot ((1, i)), or None elsewhere."""
    rows, columns = image.shape
    rect = image.input_rect
    if rect.contains(QPointF(x, y)):
        row = min(int((y - rect.y()) // image.input_pixel), rows - 1)
        column = min(int((x - rect.x()) // image.input_pixel), columns - 1)
        return 0, row * columns + column
    if not len(image.shown):
        return None
    reach = image.dot_radius + 2.0
    dots_x = image.tile_x + image.tile_width
    dots_y = image.tile_y + image.tile_height / 2
    near = np.hypot(dots_x - x, dots_y - y)
    slot = int(np.argmin(near))
    if near[slot] <= reach:
        return 1, int(image.shown[slot])
    inside = ((x >= image.tile_x) & (x < image.tile_x + image.tile_width)
              & (y >= image.tile_y) & (y < image.tile_y + image.tile_height))
    if not inside.any():
        return None
    slot = int(np.flatnonzero(inside)[0])
    row = min(int((y - image.tile_y[slot]) // image.pixel), rows - 1)
    column = min(int((x - image.tile_x[slot]) // image.pixel), columns - 1)
    return ParameterRef(1, "weight", int(image.shown[slot]), row * columns + column)


def edge_at(image: ImageLayout, x: float, y: float, widths: Array) -> int | None:
    """The visible edge nearest the point within the hit tolerance."""
    scores = geo.edge_scores(image.base, x, y, widths)
    scores[~image.visible] = np.inf
    if not scores.size:
        return None
    best = int(np.argmin(scores))
    return best if scores[best] <= geo.HIT_TOLERANCE else None


def weight_point(image: ImageLayout, ref: ParameterRef) -> QPointF | None:
    """Centre of a layer-1 weight's pixel in its tile (None when the tile is hidden)."""
    slot = image.slot_of(ref.row)
    return None if slot is None else image.tile_pixel_rect(slot, ref.column).center()


def neuron_point(image: ImageLayout, layer: int, index: int) -> QPointF | None:
    """An input's pixel centre in the sample, or a layer-1 neuron's dot (None if hidden)."""
    if layer == 0:
        return image.input_pixel_rect(index).center()
    slot = image.slot_of(index)
    return None if slot is None else image.dot_center(slot)


# -- painting -------------------------------------------------------------------------------


def rgb_image(values: Array, shape: tuple[int, int], max_abs: float) -> QImage:
    """`values` (k, rows * columns) as k images of `shape` stacked downward, on the diverging
    colormap over [-max_abs, max_abs] (NaN as the canvas's NaN grey)."""
    rows, columns = shape
    values = np.asarray(values, dtype=np.float64).reshape(-1, rows * columns)
    rgb = signed_rgb(np.nan_to_num(values, nan=0.0, posinf=max_abs, neginf=-max_abs), max_abs)
    rgb[np.isnan(values)] = paint.NAN_RGB
    pixels = np.ascontiguousarray(rgb.reshape(-1, columns, 3))
    height = pixels.shape[0]
    image = QImage(pixels.data, columns, height, 3 * columns, QImage.Format.Format_RGB888)
    return image.copy()  # own the bytes: `pixels` goes away


@dataclass(frozen=True)
class ImageScene:
    """What the image part of one frame shows."""

    layout: ImageLayout
    sample: QImage  # the sample's pixels
    tiles: QImage  # every layer-1 neuron's row of W¹ (or dC/dW¹), stacked
    tile_max: float  # the tiles' shared scale


def image_scene(image: ImageLayout, inputs: Array, weights: Array) -> ImageScene:
    """The sample image (scale max(1, max |x|), as the neuron fills) and the tiles."""
    tile_max = geo.finite_max_abs(weights)
    return ImageScene(image, rgb_image(inputs, image.shape, max(1.0, geo.finite_max_abs(inputs))),
                      rgb_image(weights, image.shape, tile_max), tile_max)


def paint_image_scene(painter: QPainter, scene: paint.Scene, images: ImageScene) -> None:
    """The whole static picture with image inputs, on an already cleared device."""
    image = images.layout
    paint.paint_headers(painter, scene)
    _paint_input_subheader(painter, scene, image)
    paint.paint_edge_lines(painter, scene)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.drawImage(image.input_rect, images.sample)
    painter.setPen(QPen(paint.OUTLINE, 1.0))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(image.input_rect)
    rows, columns = image.shape
    if len(image.shown):  # layer 2's edges leave from the block of tiles, not across it
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(scene.theme.background)
        painter.drawRect(QRectF(float(image.tile_x.min()) - 2, float(image.tile_y.min()) - 2,
                                float(image.tile_x.max() - image.tile_x.min())
                                + image.tile_width + 4,
                                float(image.tile_y.max() - image.tile_y.min())
                                + image.tile_height + 4))
        painter.setPen(QPen(paint.OUTLINE, 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
    for slot, neuron in enumerate(image.shown.tolist()):
        rect = image.tile_rect(slot)
        painter.drawImage(rect, images.tiles, QRectF(0, neuron * rows, columns, rows))
        painter.drawRect(rect)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    _paint_dots(painter, scene, image)
    _paint_later_layers(painter, scene)
    bins = scene.bins  # the legend counts the edges drawn of those that can be (layer 2 on)
    shown = replace(bins, drawn=bins.drawn[image.visible], color_level=bins.color_level[
        image.visible])
    paint.paint_legend(painter, replace(scene, bins=shown))
    _paint_tile_caption(painter, scene, images)


def _paint_input_subheader(painter: QPainter, scene: paint.Scene, image: ImageLayout) -> None:
    """Under 'Input': the image's shape instead of a neuron count."""
    rows, columns = image.shape
    box = QRectF(max(2.0, float(image.base.column_x[0]) - 70), 31.0, 140, 18.0)
    painter.fillRect(box, scene.theme.background)
    painter.setFont(paint.font(scene.base_font, 11))
    painter.setPen(scene.theme.muted)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter,
                     f"{rows}×{columns} image, {rows * columns} inputs")


def _fill(level: int) -> QColor:
    """The canvas's fill shade `level` (paint.fill_levels: 0 .. 2 * FILL_LEVELS, then NaN)."""
    if level == paint.NAN_FILL:
        return QColor(*paint.NAN_RGB)
    red, green, blue = signed_rgb(np.array([level - paint.FILL_LEVELS], dtype=np.float64),
                                  float(paint.FILL_LEVELS))[0]
    return QColor(int(red), int(green), int(blue))


def _paint_dots(painter: QPainter, scene: paint.Scene, image: ImageLayout) -> None:
    """Each shown tile's neuron: a dot on its right edge filled by its activation."""
    values = scene.snapshot.probe.activations[1]
    levels = paint.fill_levels(values, max(1.0, geo.finite_max_abs(values)))
    radius = image.dot_radius
    painter.setPen(QPen(paint.OUTLINE, 1.0))
    for slot, neuron in enumerate(image.shown.tolist()):
        painter.setBrush(_fill(levels[neuron]))
        painter.drawEllipse(image.dot_center(slot), radius, radius)


def _paint_later_layers(painter: QPainter, scene: paint.Scene) -> None:
    """Layers 2..L as the canvas always draws them (circles, bias squares, labels)."""
    layout, snapshot = scene.layout, scene.snapshot
    if len(layout.sizes) <= 2:
        return
    later = replace(layout, neuron_x=layout.neuron_x[2:], neuron_y=layout.neuron_y[2:],
                    radii=layout.radii[2:], spacings=layout.spacings[2:])
    levels = []
    for m in range(2, len(layout.sizes)):
        values = snapshot.probe.activations[m]
        levels.append(paint.fill_levels(values, max(1.0, geo.finite_max_abs(values))))
    paint.paint_circles(painter, later, levels)
    radius, square = layout.radius, layout.bias_size
    biases = snapshot.params if scene.mode == "weight" else snapshot.gradient
    if radius >= paint.MIN_SQUARE_RADIUS:
        painter.setPen(QPen(paint.OUTLINE, 0.8))
        for m in range(2, len(layout.sizes)):
            fills = paint.fill_levels(biases[layout.bias_index[m]], scene.bins.max_abs)
            left = float(layout.column_x[m] - radius - square / 2)
            for y, level in zip((layout.neuron_y[m] - square / 2).tolist(), fills, strict=True):
                painter.setBrush(_fill(level))
                painter.drawRect(QRectF(left, y, square, square))
    if layout.spacing - 2 * radius >= 14.0:
        painter.setFont(paint.font(scene.base_font, 11))
        painter.setPen(scene.theme.muted)
        for m in range(2, len(layout.sizes)):
            for i, (x, y) in enumerate(zip(layout.neuron_x[m].tolist(),
                                           layout.neuron_y[m].tolist(), strict=True)):
                painter.drawText(QRectF(x - 40, y + radius + 1, 80, 14),
                                 Qt.AlignmentFlag.AlignCenter, scene.label(m, i))


def tile_caption(images: ImageScene, mode: str) -> list[str]:
    """The lines under the tiles: what they show, their scale, how many are hidden."""
    image = images.layout
    weights = html_to_plain(sym("W", 1, "i"))
    what = weights if mode == "weight" else f"∂C/∂{weights}"
    scale = f"±{images.tile_max:.3g}" if images.tile_max > 0 else "0"
    lines = [f"each tile: neuron i's {what} as a {image.shape[0]}×{image.shape[1]} image, "
             f"one scale {scale}"]
    if image.hidden_count:
        lines.append(f"strongest {len(image.shown)} of {image.base.sizes[1]} shown, "
                     f"{image.hidden_count} hidden")
    return lines


def _paint_tile_caption(painter: QPainter, scene: paint.Scene, images: ImageScene) -> None:
    image = images.layout
    if not len(image.shown):
        return
    painter.setFont(paint.font(scene.base_font, 11))
    painter.setPen(scene.theme.muted)
    top = float(image.tile_y.max() + image.tile_height + 4)
    centre = float(image.base.column_x[1])
    for k, text in enumerate(tile_caption(images, scene.mode)):
        painter.drawText(QRectF(centre - 300, top + 14 * k, 600, 14),
                         Qt.AlignmentFlag.AlignHCenter, text)
    painter.drawText(QRectF(image.input_rect.x() - 8, image.input_rect.bottom() + 4,
                            image.input_rect.width() + 16, 14), Qt.AlignmentFlag.AlignHCenter,
                     f"sample #{shown_index(scene.snapshot.probe.row)}")


def paint_weight_outline(painter: QPainter, image: ImageLayout, ref: ParameterRef,
                         color: QColor, width: float) -> None:
    """A layer-1 weight: its pixel outlined in its tile and in the sample image."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(color, width))
    slot = image.slot_of(ref.row)
    if slot is not None:
        painter.drawRect(image.tile_pixel_rect(slot, ref.column).adjusted(-1, -1, 1, 1))
        painter.drawRect(image.tile_rect(slot).adjusted(-2, -2, 2, 2))
    painter.drawRect(image.input_pixel_rect(ref.column).adjusted(-1, -1, 1, 1))


def paint_highlight_groups(painter: QPainter, image: ImageLayout, rows: set[int],
                           input_pixels: set[int], color: QColor, width: float) -> None:
    """Highlights of many layer-1 weights and input pixels at once (a step-through phase
    highlights all of W¹ and the whole input): one frame per tile with a highlighted weight
    and one around the sample image when every pixel is highlighted, not one outline per
    pixel (which filled the tiles with solid purple)."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(color, width))
    for row in sorted(rows):
        slot = image.slot_of(row)
        if slot is not None:
            painter.drawRect(image.tile_rect(slot).adjusted(-2, -2, 2, 2))
    if len(input_pixels) == image.shape[0] * image.shape[1]:
        painter.drawRect(image.input_rect.adjusted(-2, -2, 2, 2))
        return
    for pixel in sorted(input_pixels):
        painter.drawRect(image.input_pixel_rect(pixel).adjusted(-1, -1, 1, 1))


def paint_neuron_outline(painter: QPainter, image: ImageLayout, layer: int, index: int,
                         color: QColor, width: float) -> None:
    """An input pixel, or a layer-1 tile (with its dot)."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(color, width))
    if layer == 0:
        painter.drawRect(image.input_pixel_rect(index).adjusted(-1, -1, 1, 1))
        return
    slot = image.slot_of(index)
    if slot is not None:
        painter.drawRect(image.tile_rect(slot).adjusted(-2, -2, 2, 2))
        reach = image.dot_radius + 2.0
        painter.drawEllipse(image.dot_center(slot), reach, reach)

