"""Painting the canvas's static picture: headers, edges, neurons, biases, labels, legend.

A neuron is a circle filled by the probe sample's activation, or, with neuron maps, a rounded
square showing its activation over the 2-D input plane (thumbnails from gui/views/neuron_maps.py).

Everything here draws one snapshot into a QPainter; the widget (gui/views/canvas.py) caches the
result and paints hover, selection and highlights over it.

Why this is long: every painted element of the canvas (headers, edges, neurons, biases, labels,
legend) shares one layout and palette.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shiboken6
from numpy.typing import NDArray
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QLinearGradient,
    QPainter,
    QPalette,
    QPen,
    QPolygonF,
)

from engine.core.notation import GRADIENT, shown_index
from engine.core.option_names import option_label
from engine.training.snapshot import Snapshot
from gui.base.colors import MIDDLE, MUTED_TEXT, NEGATIVE, POSITIVE, signed_rgb
from gui.views import canvas_geometry as geo
from gui.views.neuron_maps import CORNER_FRACTION

BACKGROUND = QColor(255, 255, 255)
INK = QColor(33, 37, 41)
MUTED = QColor(MUTED_TEXT)
OUTLINE = QColor(120, 126, 134)
BAND = QColor(241, 243, 245)
AA_EDGE_LIMIT = 600  # edges are antialiased up to this many drawn edges (see bench)
VALUE_RADIUS = 22.0  # neurons at least this large print their value inside
MIN_SQUARE_RADIUS = 9.0  # smaller neurons get no bias square (it would hide the neuron)
FILL_LEVELS = 32  # neuron and bias fills are quantised to 2 * 32 + 1 shades
NAN_FILL = 2 * FILL_LEVELS + 1  # the fill of a NaN value: NAN_RGB, after the signed shades
NAN_RGB = (134, 142, 150)  # NaN edges and fills: a mid grey, unlike any signed colour

_LINE_BYTES = 4 * 8  # one QLineF = four doubles
# EDGE_PALETTE[level + COLOR_LEVELS]: the colour of edge level -8..8, then NAN_LEVEL's grey
EDGE_PALETTE: NDArray[np.uint8] = np.vstack([signed_rgb(
    np.arange(-geo.COLOR_LEVELS, geo.COLOR_LEVELS + 1) / geo.COLOR_LEVELS, 1.0),
    np.array([NAN_RGB], dtype=np.uint8)])
EDGE_COLORS = [QColor(*map(int, rgb)) for rgb in EDGE_PALETTE]
_FILL_RGB = np.vstack([signed_rgb(np.arange(-FILL_LEVELS, FILL_LEVELS + 1) / FILL_LEVELS, 1.0),
                       np.array([NAN_RGB], dtype=np.uint8)])
_FILL_BRUSHES = [QBrush(QColor(*map(int, rgb))) for rgb in _FILL_RGB]
_FILL_TEXT = [INK if 0.299 * r + 0.587 * g + 0.114 * b > 150 else QColor(255, 255, 255)
              for r, g, b in _FILL_RGB.astype(float)]


def font(base: QFont, pixels: int, weight: QFont.Weight = QFont.Weight.Normal) -> QFont:
    """`base` at a pixel size and weight."""
    result = QFont(base)
    result.setPixelSize(pixels)
    result.setWeight(weight)
    return result


def pen(color: QColor, width: float, cap: Qt.PenCapStyle = Qt.PenCapStyle.FlatCap) -> QPen:
    result = QPen(color, width)
    result.setCapStyle(cap)
    return result


def fill_levels(values: NDArray[np.float64], max_abs: float) -> list[int]:
    """Index into the fill shades (0 .. 2 * FILL_LEVELS) of each value on [-max_abs, max_abs];
    +-Inf get the extreme shades, NaN gets NAN_FILL."""
    scale = max_abs if 0 < max_abs < math.inf else 1.0
    values = np.asarray(values, dtype=np.float64)
    nan = np.isnan(values)
    has_nan = bool(nan.any())
    position = np.clip((np.where(nan, 0.0, values) if has_nan else values) / scale, -1.0, 1.0)
    levels = np.rint(position * FILL_LEVELS).astype(np.intp) + FILL_LEVELS
    if has_nan:
        levels[nan] = NAN_FILL
    return levels.tolist()


@lru_cache(maxsize=8)
def neuron_sprites(radius: float, ratio: float) -> tuple[QImage, ...]:
    """One antialiased outlined circle per fill shade, centred in a square image.

    Blitting a sprite is about ten times cheaper than drawing an antialiased ellipse.
    """
    half = math.ceil(radius + 1.0)
    side = math.ceil(2 * half * ratio)
    sprites = []
    for brush in _FILL_BRUSHES:
        image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(0)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(OUTLINE, 1.0))
        painter.setBrush(brush)
        painter.drawEllipse(QPointF(half, half), radius, radius)
        painter.end()
        sprites.append(image)
    return tuple(sprites)


@dataclass(frozen=True)
class CanvasTheme:
    """The canvas's colours that follow the system palette (light or dark): the background,
    text, secondary text, and the cards and tags drawn over the picture. The signed colours
    of edges and fills are the same in both (gui/base/colors.py)."""

    background: QColor
    ink: QColor
    muted: QColor
    card: QColor
    card_border: QColor


def _mix(first: QColor, second: QColor, share: float) -> QColor:
    """`share` of `first` and the rest of `second`."""
    return QColor(*(round(share * a + (1 - share) * b) for a, b in (
        (first.red(), second.red()), (first.green(), second.green()),
        (first.blue(), second.blue()))))


def theme_from_palette(palette: QPalette) -> CanvasTheme:
    """The canvas colours of a palette: Base behind, Text on it, muted text between them."""
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    card = QColor(base)
    card.setAlpha(240)
    return CanvasTheme(base, text, _mix(text, base, 0.6), card, _mix(text, base, 0.2))


LIGHT = CanvasTheme(BACKGROUND, INK, MUTED, QColor(255, 255, 255, 240), QColor(206, 212, 218))


@dataclass(frozen=True)
class Scene:
    """What one frame shows."""

    snapshot: Snapshot
    layout: geo.CanvasLayout
    bins: geo.EdgeBins
    sorted_lines: NDArray[np.float64]  # (drawn, 4) in bins.order, C-contiguous
    mode: str
    show_values: bool
    label: Callable[[int, int], str]
    base_font: QFont
    # layer columns (gui/views/neuron_maps.py); None for the whole canvas or a column: circles
    thumbnails: tuple[QImage | None, ...] | None = None
    theme: CanvasTheme = LIGHT


def map_rect(layout: geo.CanvasLayout, layer: int, index: int) -> QRectF:
    """Where neuron (layer, index)'s map thumbnail is drawn."""
    side = layout.map_side_of(layer)
    return QRectF(float(layout.neuron_x[layer][index]) - side / 2,
                  float(layout.neuron_y[layer][index]) - side / 2, side, side)


def map_tops(layout: geo.CanvasLayout, layer: int, ratio: float) -> NDArray[np.intp]:
    """Top row (device px) of each of a layer's thumbnails in its column image."""
    ys = layout.neuron_y[layer]
    return np.rint((ys - ys[0]) * ratio).astype(np.intp)


def map_corner(layout: geo.CanvasLayout, layer: int) -> float:
    """Corner radius of a layer's thumbnails' rounded squares."""
    return max(1.0, CORNER_FRACTION * layout.map_side_of(layer))


def paint_scene(painter: QPainter, scene: Scene) -> None:
    """The whole static picture, on an already cleared device."""
    paint_headers(painter, scene)
    paint_edges(painter, scene)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    paint_neurons(painter, scene)
    paint_legend(painter, scene)


def paint_headers(painter: QPainter, scene: Scene) -> None:
    """'Input', 'Hidden m (activation)', 'Output (activation)' and the neuron count."""
    layout = scene.layout
    title = font(scene.base_font, 13, QFont.Weight.DemiBold)
    sub = font(scene.base_font, 11)
    columns = [float(x) for x in layout.column_x]
    last = len(layout.sizes) - 1
    for m, x in enumerate(columns):
        # Each column's text stays in its own strip: up to halfway to its neighbours, or
        # to the canvas's edge (an edge column shifted inward overlapped the next header).
        low = 4.0 if m == 0 else (columns[m - 1] + x) / 2 + 4.0
        high = layout.width - 4.0 if m == last else (x + columns[m + 1]) / 2 - 4.0
        gap = max(high - low, 1.0)
        name = "Input" if m == 0 else "Output" if m == last else f"Hidden {m}"
        count = layout.sizes[m]
        counted = f"{count} neuron{'s' * (count != 1)}"
        if m > 0:
            activation = option_label("activation", scene.snapshot.activation_names[m - 1])
            if QFontMetricsF(title).horizontalAdvance(f"{name} ({activation})") <= gap:
                name += f" ({activation})"
            else:  # narrow columns: the activation moves to the second line
                counted = f"{activation}, {count}"
        lines = ((title, name, 12.0, scene.theme.ink), (sub, counted, 31.0, scene.theme.muted))
        for face, text, top, color in lines:
            painter.setFont(face)
            painter.setPen(color)
            metrics = QFontMetricsF(face)
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, gap)
            width = metrics.horizontalAdvance(text) + 2
            left = min(max(x - width / 2, low), high - width)  # inside its strip
            painter.drawText(QRectF(left, top, width, 18.0), Qt.AlignmentFlag.AlignCenter, text)


def paint_edges(painter: QPainter, scene: Scene) -> None:
    """One drawLines call per (width, colour) bin, straight from the NumPy line array."""
    layout, bins = scene.layout, scene.bins
    if not bins.drawn.all():  # past the budget: a band stands for all connections
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BAND)
        for m in range(1, len(layout.sizes)):
            a, b = layout.neuron_y[m - 1], layout.neuron_y[m]
            xa, xb = layout.column_x[m - 1], layout.column_x[m]
            painter.drawPolygon(QPolygonF([QPointF(xa, a[0]), QPointF(xb, b[0]),
                                           QPointF(xb, b[-1]), QPointF(xa, a[-1])]))
    paint_edge_lines(painter, scene)


def paint_edge_lines(painter: QPainter, scene: Scene) -> None:
    """The drawn edges: one drawLines call per (width, colour) bin."""
    bins = scene.bins
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, len(bins.order) <= AA_EDGE_LIMIT)
    lines = scene.sorted_lines
    base = lines.ctypes.data
    widths = bins.width[bins.order]
    for start, stop, _, level in bins.bins:
        painter.setPen(pen(EDGE_COLORS[level + geo.COLOR_LEVELS], float(widths[start])))
        # drawLines(const QLineF *, int) reads the rows of `lines` in place
        painter.drawLines(shiboken6.wrapInstance(base + start * _LINE_BYTES, QLineF), stop - start)


def paint_neurons(painter: QPainter, scene: Scene) -> None:
    """Circles (or maps) filled by the probe sample's activation, bias squares, values and
    labels, each column at its own neuron size."""
    layout, snapshot = scene.layout, scene.snapshot
    biases = snapshot.params if scene.mode == "weight" else snapshot.gradient
    activation_levels = []
    for m in range(len(layout.sizes)):
        activations = snapshot.probe.activations[m]
        activation_levels.append(
            fill_levels(activations, max(1.0, geo.finite_max_abs(activations))))
    paint_circles(painter, layout, activation_levels, scene.thumbnails)
    if scene.thumbnails is not None:
        paint_maps(painter, layout, scene.thumbnails)
    for m, (xs, ys) in enumerate(zip(layout.neuron_x, layout.neuron_y, strict=True)):
        radius, square = layout.radius_of(m), layout.bias_size_of(m)
        on_map = scene.thumbnails is not None and scene.thumbnails[m] is not None
        if m > 0 and radius >= MIN_SQUARE_RADIUS:
            painter.setPen(QPen(OUTLINE, 0.8))
            levels = fill_levels(biases[layout.bias_index[m]], scene.bins.max_abs)
            left = float(layout.column_x[m] - radius - square / 2)
            for y, level in zip((ys - square / 2).tolist(), levels, strict=True):
                painter.setBrush(_FILL_BRUSHES[level])
                painter.drawRect(QRectF(left, y, square, square))
        gap = layout.spacing_of(m) - 2 * radius
        show_text = scene.show_values and radius >= VALUE_RADIUS
        if show_text:
            painter.setFont(font(scene.base_font, 11))
            values = snapshot.probe.activations[m]
            for i, (x, y) in enumerate(zip(xs.tolist(), ys.tolist(), strict=True)):
                text = geo.format_number(values[i], ".2f")
                if on_map:  # on a map: a small tag at its foot
                    paint_tag(painter, scene.base_font, QPointF(x, y + radius - 8), text,
                              scene.theme)
                    continue
                painter.setPen(_FILL_TEXT[activation_levels[m][i]])
                painter.drawText(QRectF(x - radius, y - radius, 2 * radius, 2 * radius),
                                 Qt.AlignmentFlag.AlignCenter, text)
        if show_text and m > 0 and gap >= 34.0:  # room for a label and the next bias tag
            for i, y in enumerate(ys.tolist()):
                value = float(biases[layout.bias_index[m][i]])
                text = (f"b {geo.format_number(value, '+.2f')}" if scene.mode == "weight"
                        else f"{GRADIENT}b {geo.format_number(value, '+.3g')}")
                paint_tag(painter, scene.base_font, QPointF(layout.column_x[m], y - radius - 10),
                          text, scene.theme)
        if gap >= 14.0:
            painter.setFont(font(scene.base_font, 11))
            painter.setPen(scene.theme.muted)
            for i, (x, y) in enumerate(zip(xs.tolist(), ys.tolist(), strict=True)):
                painter.drawText(QRectF(x - 40, y + radius + 1, 80, 14),
                                 Qt.AlignmentFlag.AlignCenter, scene.label(m, i))


def paint_circles(painter: QPainter, layout: geo.CanvasLayout,
                  activation_levels: list[list[int]],
                  thumbnails: tuple[QImage | None, ...] | None = None) -> None:
    """Every neuron (of the columns without thumbnails) as a circle sprite filled by its
    shade of the probe's activation, at its column's radius."""
    ratio = painter.device().devicePixelRatioF()
    for m, (xs, ys, levels) in enumerate(zip(layout.neuron_x, layout.neuron_y,
                                             activation_levels, strict=True)):
        if thumbnails is not None and thumbnails[m] is not None:
            continue
        radius = layout.radius_of(m)
        sprites = neuron_sprites(radius, ratio)
        half = math.ceil(radius + 1.0)
        for x, y, level in zip((xs - half).tolist(), (ys - half).tolist(), levels, strict=True):
            painter.drawImage(QPointF(x, y), sprites[level])


def paint_maps(painter: QPainter, layout: geo.CanvasLayout,
               thumbnails: tuple[QImage | None, ...]) -> None:
    """The neurons of columns with thumbnails as their maps: one unscaled blit per column."""
    for m, image in enumerate(thumbnails):
        if image is not None:
            painter.drawImage(map_rect(layout, m, 0).topLeft(), image)


def paint_tag(painter: QPainter, base_font: QFont, center: QPointF, text: str,
              theme: CanvasTheme | None = None) -> None:
    """Small text on a rounded box of the theme's card colour centred at `center`."""
    theme = theme or LIGHT
    face = font(base_font, 10)
    metrics = QFontMetricsF(face)
    width, height = metrics.horizontalAdvance(text) + 8, metrics.height() + 2
    box = QRectF(center.x() - width / 2, center.y() - height / 2, width, height)
    painter.setPen(QPen(theme.card_border, 0.8))
    painter.setBrush(theme.card)
    painter.drawRoundedRect(box, 3, 3)
    painter.setFont(face)
    painter.setPen(theme.ink)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def paint_legend(painter: QPainter, scene: Scene) -> None:
    """Colour bar -max..+max, thickness hint, and what fills and squares mean."""
    layout, bins = scene.layout, scene.bins
    top = layout.height - geo.LEGEND_HEIGHT + 14
    title = font(scene.base_font, 12, QFont.Weight.DemiBold)
    small = font(scene.base_font, 11)
    name = "weight w" if scene.mode == "weight" else f"gradient {GRADIENT}w"
    painter.setFont(title)
    painter.setPen(scene.theme.ink)
    painter.drawText(QPointF(16.0, top + 10), name)
    bar = QRectF(16.0, top + 16, 180, 10)
    gradient = QLinearGradient(bar.topLeft(), bar.topRight())
    for stop, rgb in ((0.0, NEGATIVE), (0.5, MIDDLE), (1.0, POSITIVE)):
        gradient.setColorAt(stop, QColor(*rgb))
    painter.setPen(QPen(OUTLINE, 0.8))
    painter.setBrush(QBrush(gradient))
    painter.drawRect(bar)
    painter.setFont(small)
    painter.setPen(scene.theme.muted)
    limit = f"{bins.max_abs:.3g}" if bins.max_abs > 0 else ""  # no "-0" and "+0"
    low, high = (f"-{limit}", f"+{limit}") if limit else ("", "")
    for text, align, left in ((low, Qt.AlignmentFlag.AlignLeft, bar.left()),
                              ("0", Qt.AlignmentFlag.AlignHCenter, bar.center().x() - 40),
                              (high, Qt.AlignmentFlag.AlignRight, bar.right() - 80)):
        painter.drawText(QRectF(left, bar.bottom() + 2, 80, 14), align, text)
    if shows_nan(scene):  # the grey of NaN, beside the bar
        swatch = QRectF(bar.right() + 10, bar.top(), 14, bar.height())
        painter.setPen(QPen(OUTLINE, 0.8))
        painter.setBrush(QColor(*NAN_RGB))
        painter.drawRect(swatch)
        painter.setPen(scene.theme.muted)
        painter.drawText(QRectF(swatch.center().x() - 15, bar.bottom() + 2, 30, 14),
                         Qt.AlignmentFlag.AlignHCenter, "NaN")
    x = bar.right() + 36
    if x + 3 * 60 > layout.width:  # narrow: the colour bar alone
        return
    painter.setFont(title)
    painter.setPen(scene.theme.ink)
    painter.drawText(QPointF(x, top + 10), f"thickness |{name.split()[-1]}|")
    for k, fraction in enumerate((0.0, 0.5, 1.0)):  # the thinnest, middle and thickest bins
        width = geo.MIN_EDGE_WIDTH + fraction * (layout.max_edge_width - geo.MIN_EDGE_WIDTH)
        left = x + k * 60
        painter.setPen(pen(scene.theme.ink, width))
        painter.drawLine(QPointF(left, top + 21), QPointF(left + 40, top + 21))
        painter.setFont(small)
        painter.setPen(scene.theme.muted)
        painter.drawText(QRectF(left, top + 28, 58, 14), Qt.AlignmentFlag.AlignLeft,
                         f"{fraction * bins.max_abs:.3g}")
    x += 3 * 60 + 24
    bias_name = "bias b" if scene.mode == "weight" else f"{GRADIENT}b"
    if scene.thumbnails is not None:
        lines = ["neuron square: its activation a over the input plane (hover: large in Data)"]
        if scene.show_values and float(layout.radii.max()) >= VALUE_RADIUS:
            lines.append(f"number on it: a of sample #{shown_index(scene.snapshot.probe.row)}")
    else:
        lines = [f"neuron fill: activation a of sample #{shown_index(scene.snapshot.probe.row)}"]
    if float(layout.radii[1:].max()) >= MIN_SQUARE_RADIUS:
        lines.append(f"square on a neuron's left: {bias_name} (same colors)")
    if not bins.drawn.all():
        lines.append(f"strongest {int(bins.drawn.sum()):,} of {bins.drawn.size:,} edges drawn")
    metrics = QFontMetricsF(small)
    if x + max(metrics.horizontalAdvance(text) for text in lines) > layout.width - 8:
        return  # narrow: no room for the explanation
    for k, text in enumerate(lines):
        painter.drawText(QPointF(x, top + 10 + 15 * k), text)


def shows_nan(scene: Scene) -> bool:
    """Whether some edge, neuron fill or bias square of the scene is NaN (drawn grey)."""
    snapshot = scene.snapshot
    biases = snapshot.params if scene.mode == "weight" else snapshot.gradient
    return (bool(np.any(scene.bins.color_level == geo.NAN_LEVEL))
            or any(np.isnan(values).any() for values in snapshot.probe.activations)
            or bool(np.isnan(biases).any()))
