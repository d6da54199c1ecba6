"""Export Plots: what the person sees of the plots (and, optionally, the network canvas) as
one PNG, or as SVG where Qt's QSvgGenerator is available.

Only the drawing areas are exported, never the checkboxes and labels around them: the
canvas on top, then the visible plots side by side (cost and metric, gradient heatmaps and
norms, data, parameter history). PNG is pixels as shown; SVG redraws the same views with
vector paths and text (the canvas's neuron sprites and maps stay images).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QIODevice, QPointF, QRectF, QSize
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QGraphicsView, QWidget

from engine.io.atomic import write_atomically
from gui.base import dialogs

if TYPE_CHECKING:
    from gui.app.window_api import AppWindowApi

GAP = 6  # pixels between parts
FORMATS = ("png", "svg")


def svg_available() -> bool:
    """Whether this Qt has QtSvg (PySide6-Essentials ships it)."""
    try:
        from PySide6.QtSvg import QSvgGenerator  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class Part:
    """One drawing area and where it goes in the export."""

    widget: QWidget
    position: QPointF
    size: QSize


def plot_views(window: AppWindowApi) -> list[QWidget]:
    """The visible drawing areas of the plots, left to right (no checkboxes, no labels)."""
    heatmaps = window.heatmaps
    candidates: list[QWidget] = [window.cost_plot.graphics]
    candidates += heatmaps.layer_views()
    candidates += [heatmaps.norm_graphics, window.data_view.plot_widget]
    history = window.findChild(QWidget, "parameterHistory")  # gui/panels/parameter_history.py
    if history is not None:
        candidates.append(history.graphics)
    return [view for view in candidates if view.isVisible() and not view.size().isEmpty()]


def arrange(window: AppWindowApi, with_canvas: bool) -> tuple[list[Part], QSize]:
    """Canvas on top (full width), the heatmap rows and norms stacked in one column, the
    other plots each in its own column below."""
    views = plot_views(window)
    heatmap_views = {id(view) for view in window.heatmaps.layer_views()}
    heatmap_views.add(id(window.heatmaps.norm_graphics))
    columns: list[list[QWidget]] = []
    for view in views:
        if id(view) in heatmap_views and columns and id(columns[-1][0]) in heatmap_views:
            columns[-1].append(view)
        else:
            columns.append([view])
    parts: list[Part] = []
    top = 0
    width = 0
    canvas = window.canvas
    if with_canvas and canvas.isVisible() and not canvas.size().isEmpty():
        parts.append(Part(canvas, QPointF(0, 0), canvas.size()))
        top = canvas.height() + GAP
        width = canvas.width()
    x, bottom = 0, top
    for column in columns:
        y = top
        column_width = max(view.width() for view in column)
        for view in column:
            parts.append(Part(view, QPointF(x, y), view.size()))
            y += view.height() + GAP
        bottom = max(bottom, y - GAP)
        x += column_width + GAP
    width = max(width, x - GAP)
    return parts, QSize(max(width, 1), max(bottom, 1))


def export_plots(window: AppWindowApi, path: str | Path, with_canvas: bool = True) -> Path:
    """Write the plots (and the canvas) to `path`, PNG or SVG by its extension, atomically.
    OSError naming the file if it cannot be written; ValueError for another extension."""
    target = Path(path)
    kind = target.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise ValueError(f"{target.name}: Export Plots writes .png or .svg, not "
                         f"{target.suffix or 'no extension'}")
    parts, size = arrange(window, with_canvas)
    fill = window.palette().color(QPalette.ColorRole.Base)
    if kind == "png":
        dialogs.save_png(compose_png(parts, size, fill), str(target))
        return target
    if not svg_available():
        raise OSError(f"{target.name}: this Qt has no SVG support (QtSvg); save as .png")
    from PySide6.QtSvg import QSvgGenerator

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(size)
    # The screen's resolution: at QSvgGenerator's default (90 dpi) fonts and axes came out
    # at another scale than the curves and images around them.
    generator.setResolution(round(window.logicalDpiX()))
    generator.setViewBox(QRectF(0, 0, size.width(), size.height()))
    generator.setTitle("Deltascope plots")
    painter = QPainter(generator)
    painter.fillRect(QRectF(0, 0, size.width(), size.height()), fill)
    for part in parts:
        painter.save()
        painter.translate(part.position)
        _paint_vector(painter, part)
        painter.restore()
    painter.end()
    write_atomically(target, bytes(buffer.data()))
    return target


def compose_png(parts: list[Part], size: QSize, fill: QColor) -> QImage:
    """The parts' pixels at the screen's device pixel ratio: on a 2× screen a 1930 px wide
    window's plots were scaled down into a 965 px image."""
    grabs = [(part, part.widget.grab()) for part in parts]
    ratio = max((pixmap.devicePixelRatio() for _, pixmap in grabs), default=1.0)
    image = QImage(QSize(math.ceil(size.width() * ratio), math.ceil(size.height() * ratio)),
                   QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(ratio)  # painted in the window's (logical) coordinates
    image.fill(fill)
    painter = QPainter(image)
    for part, pixmap in grabs:
        painter.drawPixmap(part.position, pixmap)
    painter.end()
    return image


def _paint_vector(painter: QPainter, part: Part) -> None:
    widget = part.widget
    target = QRectF(0, 0, part.size.width(), part.size.height())
    paint_picture = getattr(widget, "paint_picture", None)
    if paint_picture is not None:  # the canvas draws itself again, as paths and text
        paint_picture(painter)
    elif isinstance(widget, QGraphicsView):
        widget.render(painter, target, widget.viewport().rect())
    else:
        painter.drawPixmap(QPointF(0, 0), widget.grab())


FILE_FILTER = "PNG image (*.png);;SVG drawing (*.svg)" if svg_available() else "PNG image (*.png)"
