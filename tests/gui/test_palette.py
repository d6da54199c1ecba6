"""The canvas and the plots follow the application palette, light or dark, also when it
changes while the window runs."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from engine.training.config import TrainingConfig, suited_to_dataset
from gui.app.main_window import MainWindow
from gui.views.canvas_scene import theme_from_palette


def dark_palette() -> QPalette:
    """A dark palette as a desktop's dark theme gives (Fusion's roles, dark greys)."""
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, rgb in ((roles.Window, (37, 37, 38)), (roles.WindowText, (225, 225, 225)),
                      (roles.Base, (24, 24, 26)), (roles.AlternateBase, (40, 40, 42)),
                      (roles.Text, (232, 232, 232)), (roles.Button, (48, 48, 50)),
                      (roles.ButtonText, (225, 225, 225)), (roles.ToolTipBase, (48, 48, 50)),
                      (roles.ToolTipText, (232, 232, 232)), (roles.Mid, (90, 90, 92))):
        palette.setColor(role, QColor(*rgb))
    return palette


@pytest.fixture
def restore_palette(qapp: QApplication) -> Iterator[QApplication]:
    """The app's palette is put back after the test, whatever it set."""
    original = QPalette(qapp.palette())
    yield qapp
    qapp.setPalette(original)


def _corner(window: MainWindow) -> QColor:
    return window.canvas.grab().toImage().pixelColor(1, 1)


def _assert_dark(window: MainWindow, palette: QPalette) -> None:
    base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
    label_text = palette.color(QPalette.ColorRole.WindowText)
    assert window.canvas.theme == theme_from_palette(palette)
    assert _corner(window) == base  # the picture itself, not only the theme object
    views = (window.heatmaps.norm_graphics, window.cost_plot.graphics,
             window.heatmaps._rows[0].graphics)
    for view in views:
        assert view.backgroundBrush().color() == base
    for plot in (window.heatmaps.norm_plot, window.cost_plot.cost_plot):
        for name in ("left", "bottom"):
            assert plot.getAxis(name).textPen().color() == label_text
    title = window.heatmaps._rows[0].weight_plot.titleLabel
    assert QColor(title.opts["color"]) == label_text
    legends = (window.heatmaps._norm_legend, window.cost_plot._legend)
    for legend in legends:
        assert legend.items and all(QColor(label.opts["color"]) == label_text
                                    for _, label in legend.items)
    assert window.cost_plot._legend.brush().color().lightness() < 60
    assert text.lightness() > 200 and base.lightness() < 40


def test_the_canvas_and_plots_turn_dark_when_the_palette_changes(
        restore_palette: QApplication, make_window, qtbot) -> None:
    window = make_window(TrainingConfig(dataset="xor"))
    window.step(5)
    light = _corner(window)
    assert light.lightness() > 200  # the default (light) palette
    dark = dark_palette()
    restore_palette.setPalette(dark)
    qtbot.waitUntil(lambda: _corner(window) == dark.color(QPalette.ColorRole.Base), timeout=3000)
    _assert_dark(window, dark)


def test_a_window_opened_in_a_dark_palette_is_dark(
        restore_palette: QApplication, make_window, qtbot) -> None:
    dark = dark_palette()
    restore_palette.setPalette(dark)
    window = make_window(TrainingConfig(dataset="xor"))
    window.step(3)
    qtbot.waitUntil(lambda: _corner(window) == dark.color(QPalette.ColorRole.Base), timeout=3000)
    _assert_dark(window, dark)


def test_the_message_banner_stays_readable_in_a_dark_palette(
        restore_palette: QApplication, make_window) -> None:
    restore_palette.setPalette(dark_palette())
    window = make_window(TrainingConfig(dataset="xor"))
    window.banner.show_message("Weights exported to /tmp/w.json")
    window.banner.label.ensurePolished()
    text = window.banner.label.palette().color(QPalette.ColorRole.WindowText)
    assert text.lightness() < 80  # dark text on the banner's pale fill


def test_the_image_canvas_is_dark_in_a_dark_palette(
        restore_palette: QApplication, make_window) -> None:
    """Digits: the caption under 'Input', the backing of the tile block (also between tiles
    and in an empty slot) and the caption text take the palette's colours, not white."""
    dark = dark_palette()
    restore_palette.setPalette(dark)
    window = make_window(suited_to_dataset(TrainingConfig(dataset="digits", samples=300),
                                           "digits"))
    window.step(2)
    canvas = window.canvas
    image = canvas.image_layout()
    assert image is not None and len(image.shown) == 32
    picture = canvas.grab().toImage()
    ratio = picture.devicePixelRatio()

    def lightness(x: float, y: float) -> int:
        return picture.pixelColor(int(x * ratio), int(y * ratio)).lightness()

    base = dark.color(QPalette.ColorRole.Base).lightness()
    caption_box_left = max(2.0, float(image.base.column_x[0]) - 70) + 2
    assert lightness(caption_box_left, 33.0) <= base + 5  # the box behind "8×8 image, …"
    gap = float(image.tile_x[1] - image.tile_x[0]) - image.tile_width
    assert gap >= 2
    between_tiles = (float(image.tile_x[0]) + image.tile_width + gap / 2,
                     float(image.tile_y[0]) + 2)
    assert lightness(*between_tiles) <= base + 5
    across = int(np.count_nonzero(image.tile_y == image.tile_y[0]))
    if len(image.shown) % across:  # an empty slot at the end of the last row
        empty = (float(image.tile_x[len(image.shown) % across]) + image.tile_width / 2,
                 float(image.tile_y[-1]) + image.tile_height / 2)
        assert lightness(*empty) <= base + 5
