"""Neuron maps: thumbnails of each neuron over the input plane, and the hovered one large."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from engine.training.config import HiddenLayer, TrainingConfig
from engine.training.snapshot import Snapshot, take_snapshot
from gui.app.main_window import MainWindow
from gui.base.colors import signed_rgb
from gui.views import canvas_geometry as geo
from gui.views.canvas import NetworkCanvas
from gui.views.data_view import DataView
from gui.views.neuron_maps import (
    LOOKUP,
    NAN_ARGB,
    SHADES,
    map_levels,
    neuron_title,
    thumbnail_columns,
)
from tests.gui.helpers import find_action
from tests.gui.test_canvas import make_trainer
from tests.gui.test_plots import shown, snapshot_after, xor_trainer

CIRCLE = TrainingConfig(dataset="circle", samples=120, test_ratio=0.0, optimizer="adam",
                        learning_rate=0.03,
                        hidden=(HiddenLayer(4, "tanh"), HiddenLayer(3, "relu")))


def activation_of(snapshot: Snapshot, layer: int) -> str | None:
    return snapshot.activation_names[layer - 1] if layer > 0 else None


def expected_rgb(value: float, levels: tuple[float, float]) -> np.ndarray:
    """The diverging colour of `value` between the map's levels."""
    low, high = levels
    position = float(np.clip((value - low) / (high - low), 0.0, 1.0))
    return signed_rgb(np.array([2.0 * position - 1.0]), 1.0)[0].astype(int)


def rgb(image: QImage, column: int, row: int) -> np.ndarray:
    color = image.pixelColor(column, row)
    return np.array([color.red(), color.green(), color.blue()])


def assert_thumbnail_shows(image: QImage | None, values: np.ndarray,
                           levels: tuple[float, float]) -> bool:
    """Every inner pixel has the colour of the map value it stands for (y up, as a plot),
    and where the map is highest the pixel is the colour of the highest value. Returns
    whether the thumbnail varies (False for a flat map, e.g. a dead ReLU)."""
    assert image is not None
    side = image.width()
    assert image.height() == side >= 16
    ny, nx = values.shape
    cell = ((np.arange(side) + 0.5) / side * ny).astype(int)
    inner = range(side // 5, side - side // 5)
    sampled = {(c, r): values[ny - 1 - cell[r], cell[c]] for r in inner for c in inner}
    for (column, row), value in sampled.items():
        difference = np.abs(rgb(image, column, row) - expected_rgb(value, levels))
        assert difference.max() <= 2, (column, row, value)
    highest = max(sampled, key=lambda key: sampled[key])
    lowest = min(sampled, key=lambda key: sampled[key])
    high_rgb, low_rgb = rgb(image, *highest), rgb(image, *lowest)
    if np.array_equal(high_rgb, low_rgb):
        return False
    # red falls all along the colormap (orange 245, near-white 232, blue 8): the higher
    # value's pixel is the bluer one
    assert high_rgb[0] < low_rgb[0]
    return True


def hover(window: MainWindow, qtbot, point: QPoint) -> None:  # type: ignore[no-untyped-def]
    QTest.mouseMove(window.canvas, point)
    qtbot.wait(10)


@pytest.fixture
def circle_window(make_window):  # type: ignore[no-untyped-def]
    window = make_window(CIRCLE)
    window.step(80)
    return window


def test_canvas_draws_every_neuron_as_its_map(circle_window: MainWindow) -> None:
    window, canvas = circle_window, circle_window.canvas
    snapshot = window.snapshot
    assert snapshot is not None and snapshot.grid is not None
    assert find_action(window, "actionNeuronMaps").isChecked()
    assert canvas.shows_maps()
    grab = canvas.grab().toImage()
    ratio = grab.devicePixelRatio()
    varying = 0
    for m, size in enumerate(snapshot.sizes):
        for i in range(size):
            values = snapshot.grid.activations[m][i]
            levels = map_levels(activation_of(snapshot, m), values)
            thumbnail = canvas.thumbnail(m, i)
            varying += assert_thumbnail_shows(thumbnail, values, levels)
            assert thumbnail is not None
            # drawn where the neuron is: the canvas pixel a third in from the thumbnail's
            # top-left corner is the thumbnail's own
            corner = canvas.map_rect(m, i).topLeft()
            side = thumbnail.width()
            inside = (round(corner.x() * ratio) + side // 3, round(corner.y() * ratio) + side // 3)
            assert rgb(grab, *inside).tolist() == rgb(thumbnail, side // 3, side // 3).tolist()
    assert varying >= 8  # of 10 neurons: the maps really show shapes
    assert map_levels("tanh", snapshot.grid.activations[1][0]) == (-1.0, 1.0)
    relu = snapshot.grid.activations[2][0]
    assert map_levels("relu", relu) == (-np.abs(relu).max(), np.abs(relu).max())


def test_hovering_a_neuron_shows_its_map_large_live_until_leaving(
    qtbot, circle_window: MainWindow  # type: ignore[no-untyped-def]
) -> None:
    window, canvas, data_view = circle_window, circle_window.canvas, circle_window.data_view
    snapshot = window.snapshot
    assert snapshot is not None and snapshot.grid is not None
    hover(window, qtbot, canvas.neuron_center(1, 2).toPoint())
    qtbot.waitUntil(lambda: data_view.shown_neuron() == (1, 2), timeout=2000)
    assert np.array_equal(data_view.image_data(), snapshot.grid.activations[1][2])
    assert tuple(data_view.surface.getLevels()) == (-1.0, 1.0)
    assert data_view.plot.titleLabel.text == "a¹₃ = tanh(z¹₃)"
    after = window.step(5)  # training goes on under the mouse: the map follows
    assert after is not None and after.grid is not None
    assert np.array_equal(data_view.image_data(), after.grid.activations[1][2])
    assert not np.array_equal(after.grid.activations[1][2], snapshot.grid.activations[1][2])
    hover(window, qtbot, canvas.neuron_center(2, 1).toPoint())
    qtbot.waitUntil(lambda: data_view.shown_neuron() == (2, 1), timeout=2000)
    relu = after.grid.activations[2][1]
    assert np.array_equal(data_view.image_data(), relu)
    assert tuple(data_view.surface.getLevels()) == pytest.approx(
        (-np.abs(relu).max(), np.abs(relu).max()))
    hover(window, qtbot, canvas.neuron_center(0, 1).toPoint())
    qtbot.waitUntil(lambda: data_view.shown_neuron() == (0, 1), timeout=2000)
    assert np.array_equal(data_view.image_data(), after.grid.activations[0][1])
    assert data_view.plot.titleLabel.text.startswith("a⁰₂ = ")
    hover(window, qtbot, QPoint(5, canvas.height() // 2))  # nothing there
    qtbot.waitUntil(lambda: data_view.shown_neuron() is None, timeout=2000)
    assert np.array_equal(data_view.image_data(), after.grid.values)


def test_pausing_shows_the_paused_snapshots_maps_exactly(
    qtbot, circle_window: MainWindow  # type: ignore[no-untyped-def]
) -> None:
    window, canvas, data_view = circle_window, circle_window.canvas, circle_window.data_view
    started = window.snapshot.step
    hover(window, qtbot, canvas.neuron_center(1, 0).toPoint())
    qtbot.waitUntil(lambda: data_view.shown_neuron() == (1, 0), timeout=2000)
    find_action(window, "actionPlayPause").trigger()
    qtbot.waitUntil(lambda: window.snapshot.step > started + 20, timeout=5000)
    paused = window.sync()
    assert paused is not None and paused.grid is not None and not window.playing
    assert np.array_equal(data_view.image_data(), paused.grid.activations[1][0])
    for m, size in enumerate(paused.sizes):
        for i in range(size):
            values = paused.grid.activations[m][i]
            assert_thumbnail_shows(canvas.thumbnail(m, i), values,
                                   map_levels(activation_of(paused, m), values))


def test_the_view_toggle_turns_thumbnails_and_hover_maps_off(
    qtbot, circle_window: MainWindow, make_window  # type: ignore[no-untyped-def]
) -> None:
    window, canvas, data_view = circle_window, circle_window.canvas, circle_window.data_view
    action = find_action(window, "actionNeuronMaps")
    assert action in window.view_menu.actions()
    with_maps = canvas.grab().toImage()
    action.trigger()
    assert not action.isChecked()
    assert not canvas.shows_maps() and canvas.thumbnail(1, 0) is None
    assert canvas.grab().toImage() != with_maps
    hover(window, qtbot, canvas.neuron_center(1, 1).toPoint())
    qtbot.waitUntil(lambda: canvas.hover_text() != "", timeout=2000)
    assert data_view.shown_neuron() is None
    assert np.array_equal(data_view.image_data(), window.snapshot.grid.values)
    off_again = make_window(CIRCLE)  # the same settings file: the choice is remembered
    assert not find_action(off_again, "actionNeuronMaps").isChecked()
    assert not off_again.canvas.shows_maps()
    action.trigger()
    assert canvas.shows_maps() and canvas.thumbnail(1, 0) is not None


def test_one_input_regression_draws_no_thumbnails(
    qtbot, make_window, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    window = make_window(CIRCLE)
    path = tmp_path / "line.csv"
    xs = np.linspace(-1.0, 1.0, 12)
    path.write_text("x,y\n" + "".join(f"{x},{0.5 * x + 0.25}\n" for x in xs))
    assert window.open_dataset(path)
    qtbot.waitUntil(lambda: window.snapshot.sizes[0] == 1, timeout=5000)
    window.step(3)
    assert window.snapshot.task == "regression" and window.snapshot.grid is None
    assert find_action(window, "actionNeuronMaps").isChecked()
    assert not find_action(window, "actionNeuronMaps").isEnabled()
    assert not window.canvas.shows_maps()
    assert window.canvas.thumbnail(1, 0) is None
    hover(window, qtbot, window.canvas.neuron_center(1, 0).toPoint())
    qtbot.waitUntil(lambda: window.canvas.hover_text() != "", timeout=2000)
    assert window.data_view.shown_neuron() is None


def test_small_neurons_fall_back_to_circles(qtbot) -> None:  # type: ignore[no-untyped-def]
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(1280, 800)
    canvas.show()
    canvas.set_show_maps(True)
    canvas.set_snapshot(take_snapshot(make_trainer([2, 16, 16, 1]), grid_resolution=20))
    assert canvas.shows_maps() and canvas.thumbnail(1, 15) is not None
    canvas.resize(420, 300)  # sixteen neurons in 180 px: radius below MIN_MAP_RADIUS
    qtbot.waitUntil(lambda: canvas._require_layout().width == 420, timeout=2000)
    layout = canvas._require_layout()
    assert layout.radius_of(1) < geo.MIN_MAP_RADIUS and layout.radius_of(2) < geo.MIN_MAP_RADIUS
    assert canvas.thumbnail(1, 15) is None and canvas.thumbnail(2, 0) is None
    # the two inputs and the output have room for maps of their own
    assert layout.radius_of(0) >= geo.MIN_MAP_RADIUS and layout.radius_of(3) >= geo.MIN_MAP_RADIUS
    assert canvas.shows_maps() and canvas.thumbnail(0, 1) is not None
    assert canvas.thumbnail(3, 0) is not None
    assert canvas.thumbnail(0, 1).width() == round(layout.map_side_of(0)
                                                   * canvas.devicePixelRatioF())


def test_thumbnail_columns_flip_y_round_corners_and_grey_nan() -> None:
    maps = np.zeros((2, 4, 4))
    maps[0, 3, :] = 1.0  # the top row of the plane (largest y)
    maps[1, :, :2] = -2.0
    maps[1, 0, 3] = np.nan  # bottom right
    single = thumbnail_columns([maps[:1], maps[1:]], [None, "linear"], 20,
                               [np.array([0]), np.array([0])])
    assert [(column.width(), column.height()) for column in single] == [(20, 20), (20, 20)]
    image = thumbnail_columns([maps], ["linear"], 20, [np.array([0, 26])])[0]
    assert image.copy(0, 26, 20, 20) == single[1]  # a neuron looks the same in any column
    assert (image.width(), image.height()) == (20, 46)
    first, second = image.copy(0, 0, 20, 20), image.copy(0, 26, 20, 20)
    assert first.pixel(10, 3) == int(LOOKUP[SHADES - 1])  # high at the top
    assert first.pixel(10, 16) == int(LOOKUP[SHADES // 2])  # 0: the middle shade
    assert first.pixelColor(0, 0).alpha() == 0 and first.pixelColor(19, 19).alpha() == 0
    assert first.pixelColor(10, 0).alpha() > 0  # the outlined border runs along the edge
    assert all(image.pixelColor(10, row).alpha() == 0 for row in range(20, 26))  # the gap
    assert second.pixel(3, 10) == int(LOOKUP[0])  # -2: the low end, on the left
    assert second.pixel(16, 16) == NAN_ARGB  # NaN bottom right
    assert neuron_title(2, 3, "tanh") == "a²₄ = tanh(z²₄)"
    assert neuron_title(0, 1, None, "x₂") == "a⁰₂ = x₂"
    assert map_levels("sigmoid", np.array([5.0])) == (0.0, 1.0)
    assert map_levels("linear", np.array([-3.0, np.nan, 1.0])) == (-3.0, 3.0)
    assert map_levels("relu", np.zeros(3)) == (-1.0, 1.0)


def test_data_view_neuron_map_follows_snapshots_with_the_activations_levels(
    qtbot  # type: ignore[no-untyped-def]
) -> None:
    view = shown(qtbot, DataView(), 450, 400)
    trainer = xor_trainer()
    view.set_data(trainer.data.train, trainer.data.test)
    first = snapshot_after(trainer, 2)
    view.set_snapshot(first)
    view.show_neuron_map(2, 0, "a²₁ = σ(z²₁)")  # the sigmoid output: levels [0, 1]
    assert view.shown_neuron() == (2, 0)
    assert np.array_equal(view.image_data(), first.grid.activations[2][0])
    assert tuple(view.surface.getLevels()) == (0.0, 1.0)
    assert view.plot.titleLabel.text == "a²₁ = σ(z²₁)"
    later = snapshot_after(trainer, 3)
    view.set_snapshot(later)
    assert np.array_equal(view.image_data(), later.grid.activations[2][0])
    view.show_neuron_map(5, 0)  # no such layer: the output stays
    assert view.shown_neuron() is None
    assert np.array_equal(view.image_data(), later.grid.values)
    custom = np.full(later.grid.values.shape, 0.25)
    view.show_map(custom, "fixed", levels=(-0.5, 0.5))
    assert view.shown_neuron() is None
    assert tuple(view.surface.getLevels()) == (-0.5, 0.5)
    view.show_map(None)
    assert np.array_equal(view.image_data(), later.grid.values)
