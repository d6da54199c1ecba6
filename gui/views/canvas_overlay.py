"""What the canvas draws over its cached picture, and what the mouse points at.

The cached picture (gui/views/canvas_scene.py) changes once per snapshot; everything here
changes with the mouse or a selection and is painted anew each frame: the item under a point
(neurons win over edges; with image inputs the sample's pixels and the weight tiles first),
outlines of highlighted, selected and hovered weights and neurons, and the hover card with
its text. Functions of the layout they are given; the widget (gui/views/canvas.py) keeps the
state.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QLineF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from engine.core.network import ParameterRef
from engine.core.notation import bias_name, gradient_of, shown_index
from engine.training.snapshot import Snapshot
from gui.views import canvas_geometry as geo
from gui.views import canvas_images as images
from gui.views import canvas_scene as paint
from gui.views.canvas_scene import EDGE_COLORS

Item = ParameterRef | tuple[int, int]  # a weight, or a neuron (layer, index)


def item_at(layout: geo.CanvasLayout, image: images.ImageLayout | None, pos: QPointF,
            hit_widths: NDArray[np.float64]) -> Item | None:
    """The neuron (layer, index) or weight under a widget point; neurons win over edges.
    With image inputs: the sample's pixels, the tiles, then layers 2..L."""
    if image is not None:
        item = images.item_at(image, pos.x(), pos.y())
        if item is not None:
            return item
        neuron = geo.neuron_at(image.base, pos.x(), pos.y())
        if neuron is not None and neuron[0] >= 1:
            return neuron
        edge = images.edge_at(image, pos.x(), pos.y(), hit_widths)
        return None if edge is None else geo.edge_ref(image.base, edge)
    neuron = geo.neuron_at(layout, pos.x(), pos.y())
    if neuron is not None:
        return neuron
    edge = geo.edge_at(layout, pos.x(), pos.y(), hit_widths)
    return None if edge is None else geo.edge_ref(layout, edge)


def hover_text(snapshot: Snapshot, item: Item, label: Callable[[int, int], str]) -> str:
    """The hover card's text for a weight (value, gradient, its two neurons) or a neuron
    (the probe sample's z and a, its bias and the bias's gradient)."""
    if isinstance(item, ParameterRef):
        layer = snapshot.layers[item.layer - 1]
        source = label(item.layer - 1, item.column)
        target = label(item.layer, item.row)
        return (f"{item.symbol} = {geo.format_value(layer.weights[item.row, item.column])}"
                f"   ({source} \u2192 {target})\n"
                f"{gradient_of(item.symbol)} = "
                f"{geo.format_value(layer.weight_gradients[item.row, item.column])}")
    m, i = item
    probe = snapshot.probe
    name = label(m, i)
    sample = f"(sample #{shown_index(probe.row)})"
    if m == 0:
        return f"{name} = {geo.format_value(probe.activations[0][i])}   {sample}"
    layer = snapshot.layers[m - 1]
    return (f"{name}   {sample}\n"
            f"z = {geo.format_value(probe.pre_activations[m - 1][i])}   "
            f"a = {geo.format_value(probe.activations[m][i])}\n"
            f"{bias_name(m, i)} = {geo.format_value(layer.biases[i])}   "
            f"{gradient_of(bias_name(m, i))} = {geo.format_value(layer.bias_gradients[i])}")


def edge_segment(layout: geo.CanvasLayout, bins: geo.EdgeBins, image: images.ImageLayout | None,
                 ref: ParameterRef) -> tuple[QLineF, float] | None:
    """The visible part of a weight's edge (circle to circle) and its pen width."""
    edge = layout.edge_index(ref.layer, ref.row, ref.column)
    x0, y0, x1, y1 = layout.edge_lines[edge]
    length = max(float(np.hypot(x1 - x0, y1 - y0)), 1e-9)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    source, target = layout.radius_of(ref.layer - 1), layout.radius_of(ref.layer)
    if image is not None and ref.layer == 2:  # out of the block of tiles
        start = image.edge_start(ref.column)
        if start is None:
            return None
        return (QLineF(start.x(), start.y(), x1 - ux * target, y1 - uy * target),
                float(bins.width[edge]))
    return (QLineF(x0 + ux * source, y0 + uy * source, x1 - ux * target, y1 - uy * target),
            float(bins.width[edge]))


def paint_edge_outline(painter: QPainter, layout: geo.CanvasLayout, bins: geo.EdgeBins,
                       image: images.ImageLayout | None, ref: ParameterRef, color: QColor,
                       extra: float) -> None:
    """A weight's edge drawn `extra` px wider in `color`, its own colour on top (with image
    inputs, a layer-1 weight's pixel outlined in its tile)."""
    if image is not None and ref.layer == 1:
        images.paint_weight_outline(painter, image, ref, color, extra / 2 + 1)
        return
    found = edge_segment(layout, bins, image, ref)
    if found is None:
        return
    line, width = found
    painter.setPen(paint.pen(color, width + extra, Qt.PenCapStyle.RoundCap))
    painter.drawLine(line)
    level = bins.color_level[layout.edge_index(ref.layer, ref.row, ref.column)]
    painter.setPen(paint.pen(EDGE_COLORS[level + geo.COLOR_LEVELS], max(width, 1.5),
                             Qt.PenCapStyle.RoundCap))
    painter.drawLine(line)


def paint_ring(painter: QPainter, layout: geo.CanvasLayout, image: images.ImageLayout | None,
               layer: int, index: int, color: QColor, width: float, maps: bool) -> None:
    """A ring around a neuron (a rounded square around its map thumbnail when `maps`)."""
    if not 0 <= layer < len(layout.sizes) or not 0 <= index < layout.sizes[layer]:
        return
    if image is not None and layer <= 1:
        images.paint_neuron_outline(painter, image, layer, index, color, width)
        return
    painter.setPen(QPen(color, width))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    reach = layout.radius_of(layer) + 2.0 + width / 2
    center = QPointF(float(layout.neuron_x[layer][index]), float(layout.neuron_y[layer][index]))
    if maps:  # a rounded square around the thumbnail
        corner = paint.map_corner(layout, layer) + 2.0 + width / 2
        box = QRectF(center - QPointF(reach, reach), QSizeF(2 * reach, 2 * reach))
        painter.drawRoundedRect(box, corner, corner)
        return
    painter.drawEllipse(center, reach, reach)


def paint_card(painter: QPainter, text: str, base_font: QFont, hover_pos: QPointF,
               area: QRectF, theme: paint.CanvasTheme) -> None:
    """The hover card with `text` beside the mouse, kept inside `area` (the widget)."""
    font = paint.font(base_font, 12)
    metrics = QFontMetricsF(font)
    lines = text.split("\n")
    width = max(metrics.horizontalAdvance(line) for line in lines) + 20
    height = metrics.height() * len(lines) + 14
    x = min(hover_pos.x() + 16, area.width() - width - 4)
    y = hover_pos.y() + 18
    if y + height > area.height() - 4:
        y = hover_pos.y() - height - 10
    box = QRectF(max(x, 4.0), max(y, 4.0), width, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 28))
    painter.drawRoundedRect(box.translated(1.5, 2.0), 6, 6)
    painter.setPen(QPen(theme.card_border, 1.0))
    painter.setBrush(theme.card)
    painter.drawRoundedRect(box, 6, 6)
    painter.setFont(font)
    painter.setPen(theme.ink)
    painter.drawText(box.adjusted(10, 7, -10, -7), Qt.AlignmentFlag.AlignLeft, text)
