"""Export Plots writes the drawing areas as shown (no checkboxes), with the network canvas,
as PNG or SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QGraphicsView

from engine.training.config import TrainingConfig
from gui.app import plot_export


def test_png_holds_the_canvas_and_the_visible_plots_only(make_window, tmp_path: Path) -> None:
    window = make_window(TrainingConfig(dataset="xor"))
    window.step(20)
    views = plot_export.plot_views(window)
    assert views and all(isinstance(view, QGraphicsView) for view in views)  # no checkboxes
    assert window.cost_plot.graphics in views and window.heatmaps.norm_graphics in views
    path = tmp_path / "plots.png"
    assert window.export_plots(path)
    image = QImage(str(path))
    canvas = window.canvas
    assert not image.isNull()
    assert image.width() >= canvas.width()
    tallest_plot = max(view.height() for view in views)
    assert image.height() >= canvas.height() + tallest_plot
    assert image.width() < 6000 and image.height() < 6000
    # The canvas is the top-left part, pixel for pixel.
    shown = canvas.grab().toImage()
    for x, y in ((1, 1), (canvas.width() // 2, canvas.height() // 2)):
        assert image.pixelColor(x, y) == shown.pixelColor(x, y)
    without = tmp_path / "plots-only.png"
    assert window.export_plots(without, with_canvas=False)
    assert QImage(str(without)).height() == image.height() - canvas.height() - plot_export.GAP


@pytest.mark.skipif(not plot_export.svg_available(), reason="this Qt has no QtSvg")
def test_svg_parses_and_draws_text_and_paths(make_window, tmp_path: Path) -> None:
    window = make_window(TrainingConfig(dataset="xor"))
    window.step(20)
    path = tmp_path / "plots.svg"
    assert window.export_plots(path)
    root = ElementTree.parse(path).getroot()
    assert root.tag.endswith("svg")
    tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
    assert {"text", "path"} <= tags  # vector text and lines, not one embedded bitmap
    texts = " ".join(element.text or "" for element in root.iter() if element.tag.endswith("text"))
    assert "Input" in texts and "epoch" in texts  # the canvas header and the cost axis


def test_an_unknown_extension_is_refused_with_its_name(make_window, tmp_path: Path) -> None:
    window = make_window(TrainingConfig(dataset="xor"))
    with pytest.raises(ValueError, match=r"plots\.gif.*\.png or \.svg"):
        plot_export.export_plots(window, tmp_path / "plots.gif")
    assert not (tmp_path / "plots.gif").exists()


def test_png_keeps_the_screens_device_pixels(make_window, tmp_path: Path, monkeypatch) -> None:
    """On a 2× screen each view grabs twice its size in pixels: the export keeps them all
    (it was scaled down into a 965 px image) and the colour bars of the heatmaps come along."""
    import pyqtgraph as pg
    from PySide6.QtGui import QPainter, QPixmap

    def grab_at_2x(view: pg.GraphicsView) -> QPixmap:
        pixmap = QPixmap(view.size() * 2)
        pixmap.setDevicePixelRatio(2.0)
        pixmap.fill()
        painter = QPainter(pixmap)
        view.render(painter)
        painter.end()
        return pixmap

    window = make_window(TrainingConfig(dataset="xor"))
    window.step(20)
    monkeypatch.setattr(pg.GraphicsView, "grab", grab_at_2x)
    parts, size = plot_export.arrange(window, with_canvas=False)
    path = tmp_path / "plots.png"
    assert plot_export.export_plots(window, path, with_canvas=False)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (size.width() * 2, size.height() * 2)
    for row in window.heatmaps._rows:  # every row's colour bar is inside what is grabbed
        view = row.graphics
        assert any(part.widget is view for part in parts)
        bar = view.mapFromScene(row.color_bar.sceneBoundingRect()).boundingRect()
        assert view.viewport().rect().contains(bar), (bar, view.viewport().rect())
