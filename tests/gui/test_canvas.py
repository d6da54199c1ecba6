"""The network canvas: what it draws, what clicking and hovering report, and its layout."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from engine.core.initializers import initialize
from engine.core.network import Network, ParameterRef
from engine.data.dataset import Dataset, split_dataset
from engine.training.snapshot import Snapshot, take_snapshot
from engine.training.trainer import Trainer
from gui.base.colors import signed_rgb
from gui.views import canvas_geometry as geo
from gui.views import canvas_overlay
from gui.views.canvas import NetworkCanvas
from gui.views.canvas_scene import EDGE_PALETTE, FILL_LEVELS, NAN_FILL, NAN_RGB, fill_levels


def make_trainer(sizes: list[int]) -> Trainer:
    """XOR on a tanh/sigmoid network of the given sizes (2 inputs, 1 output)."""
    inputs = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    targets = np.array([[0.0], [1.0], [1.0], [0.0]])
    data = Dataset(inputs, targets, "classification", ("x1", "x2"), ("y",), ("0", "1"), "xor")
    network = Network(sizes, ["tanh"] * (len(sizes) - 2) + ["sigmoid"])
    initialize(network, "xavier", np.random.default_rng(0))
    return Trainer(network, split_dataset(data, 0.0), loss="bce", optimizer="adam",
                   learning_rate=0.05)


@pytest.fixture
def trainer() -> Trainer:
    return make_trainer([2, 4, 1])


@pytest.fixture
def canvas(qtbot: QtBot, trainer: Trainer) -> NetworkCanvas:
    widget = NetworkCanvas()
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_snapshot(take_snapshot(trainer, probe_row=1))
    return widget


def weight_refs(snapshot: Snapshot) -> list[ParameterRef]:
    return [ParameterRef(m + 1, "weight", i, j)
            for m, layer in enumerate(snapshot.layers)
            for i in range(layer.weights.shape[0]) for j in range(layer.weights.shape[1])]


def all_weights(snapshot: Snapshot, gradient: bool = False) -> np.ndarray:
    """Every weight (or dC/dw) in the canvas's edge order."""
    arrays = snapshot.weight_gradients if gradient else snapshot.weights
    return np.concatenate([array.ravel() for array in arrays])


def test_object_name_and_empty_state(qtbot: QtBot) -> None:
    widget = NetworkCanvas()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    assert widget.objectName() == "networkCanvas"
    assert widget.item_at(QPointF(200, 150)) is None
    assert not widget.grab().isNull()


def test_clicking_each_edge_emits_its_weight(qtbot: QtBot, canvas: NetworkCanvas) -> None:
    for ref in weight_refs(canvas._snapshot):  # type: ignore[arg-type]
        point = canvas.edge_midpoint(ref).toPoint()
        assert canvas.item_at(QPointF(point)) == ref
        with qtbot.waitSignal(canvas.parameter_clicked, timeout=1000) as blocker:
            qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=point)
        assert blocker.args == [ref]
        assert canvas.selection() == ref


def test_clicking_a_neuron_emits_its_bias_but_an_input_emits_nothing(
    qtbot: QtBot, canvas: NetworkCanvas
) -> None:
    for layer, index in ((1, 0), (1, 3), (2, 0)):
        center = canvas.neuron_center(layer, index)
        assert canvas.item_at(center) == (layer, index)
        with qtbot.waitSignal(canvas.parameter_clicked, timeout=1000) as blocker:
            qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=center.toPoint())
        assert blocker.args == [ParameterRef(layer, "bias", index)]
    with qtbot.assertNotEmitted(canvas.parameter_clicked):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton,
                         pos=canvas.neuron_center(0, 1).toPoint())
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(5, 400))
    assert canvas.item_at(QPointF(5, 400)) is None


def test_width_grows_with_weight_and_colour_shows_its_sign(canvas: NetworkCanvas) -> None:
    weights = all_weights(canvas._snapshot)  # type: ignore[arg-type]
    widths, colors = canvas.edge_widths(), canvas.edge_colors().astype(int)
    order = np.argsort(np.abs(weights))
    assert np.all(np.diff(widths[order]) >= 0)
    assert widths[order[-1]] == pytest.approx(geo.MAX_EDGE_WIDTH)
    assert widths[order[0]] < widths[order[-1]]
    assert widths.min() >= geo.MIN_EDGE_WIDTH
    # positive is blue (blue > red), negative is orange (red > blue)
    assert np.array_equal(np.sign(colors[:, 2] - colors[:, 0]), np.sign(weights))
    with pytest.raises(ValueError):
        widths[0] = 1.0


def test_gradient_mode_styles_edges_by_the_gradient(canvas: NetworkCanvas) -> None:
    canvas.set_color_mode("gradient")
    gradients = all_weights(canvas._snapshot, gradient=True)  # type: ignore[arg-type]
    weights = all_weights(canvas._snapshot)  # type: ignore[arg-type]
    assert not np.array_equal(np.sign(gradients), np.sign(weights))  # the test can tell them apart
    widths, colors = canvas.edge_widths(), canvas.edge_colors().astype(int)
    order = np.argsort(np.abs(gradients))
    assert np.all(np.diff(widths[order]) >= 0)
    assert widths[order[-1]] > widths[order[0]]
    assert np.array_equal(np.sign(colors[:, 2] - colors[:, 0]), np.sign(gradients))
    with pytest.raises(ValueError):
        canvas.set_color_mode("bias")


def test_hover_card_shows_current_values_and_follows_new_snapshots(
    qtbot: QtBot, canvas: NetworkCanvas, trainer: Trainer
) -> None:
    ref = ParameterRef(2, "weight", 0, 3)
    qtbot.mouseMove(canvas, canvas.edge_midpoint(ref).toPoint())
    qtbot.waitUntil(lambda: canvas.hover_text() != "", timeout=1000)

    def expected(snapshot: Snapshot) -> list[str]:
        layer = snapshot.layers[1]
        return [f"W²₁,₄ = {geo.format_value(layer.weights[0, 3])}",  # 1-based: row 0, col 3
                f"∂C/∂W²₁,₄ = {geo.format_value(layer.weight_gradients[0, 3])}"]

    for line in expected(canvas._snapshot):  # type: ignore[arg-type]
        assert line in canvas.hover_text()
    before = canvas.hover_text()
    for _ in range(5):
        trainer.step()
    snapshot = take_snapshot(trainer, probe_row=1)
    canvas.set_snapshot(snapshot)
    assert canvas.hover_text() != before
    for line in expected(snapshot):
        assert line in canvas.hover_text()


def test_hovering_neurons_reports_them_and_shows_z_a_b(qtbot: QtBot, canvas: NetworkCanvas) -> None:
    with qtbot.waitSignal(canvas.neuron_hovered, timeout=1000) as blocker:
        qtbot.mouseMove(canvas, canvas.neuron_center(1, 2).toPoint())
    assert blocker.args == [1, 2]
    snapshot = canvas._snapshot
    assert snapshot is not None
    text = canvas.hover_text()
    assert "h¹₃" in text  # neuron 2 (0-based), shown 1-based
    assert f"a = {geo.format_value(snapshot.probe.activations[1][2])}" in text
    assert f"z = {geo.format_value(snapshot.probe.pre_activations[0][2])}" in text
    assert f"∂C/∂b¹₃ = {geo.format_value(snapshot.layers[0].bias_gradients[2])}" in text
    with qtbot.waitSignal(canvas.neuron_hovered, timeout=1000) as blocker:
        qtbot.mouseMove(canvas, QPoint(5, 400))
    assert blocker.args == [-1, -1]
    assert canvas.hover_text() == ""


def test_rendering_draws_edges_and_neurons_where_they_are(canvas: NetworkCanvas) -> None:
    image = canvas.grab().toImage()
    ratio = image.devicePixelRatio()

    def pixel(point: QPointF) -> QColor:
        return image.pixelColor(int(point.x() * ratio), int(point.y() * ratio))

    white = QColor(255, 255, 255)
    assert pixel(QPointF(5, 400)) == white
    snapshot = canvas._snapshot
    assert snapshot is not None
    weights = all_weights(snapshot)
    strongest = weight_refs(snapshot)[int(np.argmax(np.abs(weights)))]
    drawn = pixel(canvas.edge_midpoint(strongest))
    expected = canvas.edge_colors()[int(np.argmax(np.abs(weights)))]
    assert drawn != white
    assert abs(drawn.red() - int(expected[0])) + abs(drawn.blue() - int(expected[2])) < 40
    assert pixel(canvas.neuron_center(1, 0)) != white


def test_selection_and_highlights_change_the_picture(canvas: NetworkCanvas) -> None:
    plain = canvas.grab().toImage()
    ref = ParameterRef(1, "weight", 2, 1)
    canvas.set_selection(ref)
    assert canvas.selection() == ref
    selected = canvas.grab().toImage()
    assert selected != plain
    canvas.set_selection(None)
    canvas.set_highlights([(1, 0)], [ParameterRef(2, "weight", 0, 1)])
    assert canvas.grab().toImage() != plain
    canvas.clear_highlights()
    assert canvas.grab().toImage() == plain
    canvas.set_selection(ParameterRef(3, "bias", 0))  # no layer 3: ignored
    assert canvas.selection() is None


def test_new_architecture_relayouts_and_drops_stale_selection(canvas: NetworkCanvas) -> None:
    canvas.set_selection(ParameterRef(1, "weight", 3, 1))
    big = make_trainer([2, 8, 8, 1])
    canvas.set_snapshot(take_snapshot(big))
    assert canvas.edge_widths().shape == (2 * 8 + 8 * 8 + 8,)
    assert canvas.item_at(canvas.neuron_center(2, 7)) == (2, 7)
    assert canvas.selection() == ParameterRef(1, "weight", 3, 1)
    canvas.set_snapshot(take_snapshot(make_trainer([2, 2, 1])))
    assert canvas.selection() is None


def test_layout_follows_the_widget_size(qtbot: QtBot, canvas: NetworkCanvas) -> None:
    before = canvas.neuron_center(2, 0)
    canvas.resize(700, 500)
    qtbot.waitUntil(lambda: canvas.neuron_center(2, 0) != before, timeout=1000)
    assert canvas.neuron_center(2, 0).x() < 700
    ref = ParameterRef(1, "weight", 1, 0)
    assert canvas.item_at(canvas.edge_midpoint(ref)) == ref


def test_six_by_sixty_four_network_renders_and_stays_clickable(
    qtbot: QtBot, canvas: NetworkCanvas
) -> None:
    sizes = [2, *[64] * 6, 1]
    canvas.set_snapshot(take_snapshot(make_trainer(sizes)))
    image = canvas.grab().toImage()
    assert not image.isNull()
    drawn = canvas.drawn_edges()
    assert drawn.size == 2 * 64 + 5 * 64 * 64 + 64
    assert 0 < drawn.sum() <= 2 * geo.EDGE_BUDGET
    assert canvas.item_at(canvas.neuron_center(3, 40)) == (3, 40)
    with qtbot.waitSignal(canvas.parameter_clicked, timeout=1000) as blocker:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton,
                         pos=canvas.neuron_center(6, 63).toPoint())
    assert blocker.args == [ParameterRef(6, "bias", 63)]
    ref = ParameterRef(7, "weight", 0, 10)
    assert canvas.item_at(canvas.edge_midpoint(ref)) == ref


def test_format_value_and_neuron_names() -> None:
    assert geo.format_value(0.41318) == "0.4132"
    assert geo.format_value(-2.13e-5) == "-2.130e-05"
    assert geo.format_value(0.0) == "0.0000"
    assert geo.neuron_name((2, 4, 1), 1, 2) == "h¹₃"  # 0-based positions, 1-based names
    assert geo.neuron_name((2, 4, 1), 0, 1) == "x₂"
    assert geo.neuron_name((2, 4, 1), 2, 0) == "y₁"


def diverged_snapshot(trainer: Trainer) -> Snapshot:
    """A diverged state as take_snapshot(..., allow_nonfinite=True) shows it: W^1[0,0] NaN,
    W^2[0,1] +Inf, W^1[3,1] -Inf (so z, a, deltas and gradients hold NaN), and a probe whose
    a^1 is [NaN, +Inf, -Inf, 0.25]."""
    network = trainer.network
    for ref, value in ((ParameterRef(1, "weight", 0, 0), np.nan),
                       (ParameterRef(2, "weight", 0, 1), np.inf),
                       (ParameterRef(1, "weight", 3, 1), -np.inf)):
        network.params[network.flat_index(ref)] = value
    snapshot = take_snapshot(trainer, probe_row=1, allow_nonfinite=True)
    activations = list(snapshot.probe.activations)
    activations[1] = np.array([np.nan, np.inf, -np.inf, 0.25])
    return dataclasses.replace(
        snapshot, probe=dataclasses.replace(snapshot.probe, activations=tuple(activations)))


def hover(qtbot: QtBot, canvas: NetworkCanvas, point: QPointF) -> str:
    qtbot.mouseMove(canvas, QPoint(5, 400))
    qtbot.mouseMove(canvas, point.toPoint())
    qtbot.waitUntil(lambda: canvas.hover_text() != "", timeout=1000)
    return canvas.hover_text()


def test_a_diverged_snapshot_is_drawn_with_nan_grey_and_inf_extreme(
    qtbot: QtBot, canvas: NetworkCanvas, trainer: Trainer
) -> None:
    snapshot = diverged_snapshot(trainer)
    assert snapshot.diverged and np.isnan(snapshot.gradient).any()
    canvas.set_snapshot(snapshot)
    image = canvas.grab().toImage()
    assert not image.isNull()
    layout = canvas._require_layout()
    nan_edge, inf_edge, minus_inf_edge = (layout.edge_index(1, 0, 0), layout.edge_index(2, 0, 1),
                                          layout.edge_index(1, 3, 1))
    colors, widths = canvas.edge_colors(), canvas.edge_widths()
    assert tuple(colors[nan_edge]) == NAN_RGB
    assert np.array_equal(colors[inf_edge], EDGE_PALETTE[2 * geo.COLOR_LEVELS])  # bluest
    assert np.array_equal(colors[minus_inf_edge], EDGE_PALETTE[0])  # most orange
    assert np.isfinite(widths).all()
    assert widths[nan_edge] == geo.MIN_EDGE_WIDTH
    assert widths[inf_edge] == pytest.approx(layout.max_edge_width)
    finite = np.isfinite(all_weights(snapshot))
    assert widths[finite].max() == pytest.approx(layout.max_edge_width)  # scaled by finite only
    ratio = image.devicePixelRatio()

    def pixel(layer: int, index: int) -> tuple[int, int, int]:
        """The fill, halfway between the printed value and the top of the circle."""
        point = canvas.neuron_center(layer, index) - QPointF(0.0, 0.7 * layout.radius)
        color = image.pixelColor(int(point.x() * ratio), int(point.y() * ratio))
        return color.red(), color.green(), color.blue()

    assert pixel(1, 0) == NAN_RGB
    assert pixel(1, 1) == tuple(int(c) for c in signed_rgb(np.array([1.0]), 1.0)[0])
    assert pixel(1, 2) == tuple(int(c) for c in signed_rgb(np.array([-1.0]), 1.0)[0])
    for ref, text in ((ParameterRef(1, "weight", 0, 0), "W¹₁,₁ = NaN"),
                      (ParameterRef(2, "weight", 0, 1), "W²₁,₂ = Inf")):
        assert text in hover(qtbot, canvas, canvas.edge_midpoint(ref))
    assert "a = NaN" in hover(qtbot, canvas, canvas.neuron_center(1, 0))
    assert "a = Inf" in hover(qtbot, canvas, canvas.neuron_center(1, 1))
    assert "a = -Inf" in hover(qtbot, canvas, canvas.neuron_center(1, 2))
    assert "∂C/∂b²₁ = NaN" in hover(qtbot, canvas, canvas.neuron_center(2, 0))
    canvas.set_color_mode("gradient")
    assert not canvas.grab().toImage().isNull()
    gradients = all_weights(snapshot, gradient=True)
    assert np.all(canvas.edge_colors()[np.isnan(gradients)] == NAN_RGB)
    assert np.isfinite(canvas.edge_widths()).all()


def test_a_snapshot_with_nothing_finite_still_draws(
    qtbot: QtBot, canvas: NetworkCanvas, trainer: Trainer
) -> None:
    trainer.network.params[:] = np.nan
    snapshot = take_snapshot(trainer, allow_nonfinite=True)
    for mode in ("weight", "gradient"):
        canvas.set_color_mode(mode)
        canvas.set_snapshot(snapshot)
        assert not canvas.grab().toImage().isNull()
        assert np.all(canvas.edge_colors() == NAN_RGB)
        assert np.all(canvas.edge_widths() == geo.MIN_EDGE_WIDTH)
    assert "= NaN" in hover(qtbot, canvas, canvas.edge_midpoint(ParameterRef(1, "weight", 1, 1)))


def test_bins_and_fills_of_nan_and_inf() -> None:
    layout = geo.compute_layout((3, 2), 800.0, 600.0)
    values = np.array([np.nan, np.inf, -np.inf, 2.0, -1.0, 0.0])
    bins = geo.bin_edges(layout, values)
    assert bins.max_abs == 2.0
    assert bins.color_level.tolist() == [geo.NAN_LEVEL, 8, -8, 8, -4, 0]
    assert bins.width[1] == bins.width[2] == bins.width[3] == layout.max_edge_width
    assert bins.width[0] == bins.width[5] == geo.MIN_EDGE_WIDTH
    assert sorted(bins.order.tolist()) == list(range(6))
    assert {level for *_, level in bins.bins} == {geo.NAN_LEVEL, 8, -8, -4, 0}
    wide = geo.compute_layout((3, 40), 800.0, 600.0)  # 120 edges; a layer keeps 48 at least
    many = np.where(np.arange(120) < 72, np.nan, np.arange(120.0))
    many[100] = -np.inf
    strongest = geo.bin_edges(wide, many, budget=1)  # NaN edges are the first left out
    assert np.array_equal(np.flatnonzero(strongest.drawn), np.arange(72, 120))
    levels = fill_levels(np.array([np.nan, np.inf, -np.inf, 0.0, 0.5]), 1.0)
    assert levels == [NAN_FILL, 2 * FILL_LEVELS, 0, FILL_LEVELS, FILL_LEVELS + FILL_LEVELS // 2]
    assert fill_levels(np.array([1.0, np.nan]), np.inf) == [2 * FILL_LEVELS, NAN_FILL]
    assert geo.finite_max_abs(np.array([np.nan, -np.inf, -3.0])) == 3.0
    assert geo.finite_max_abs(np.array([np.nan])) == 0.0


def test_format_value_writes_nan_and_inf() -> None:
    assert geo.format_value(float("nan")) == "NaN"
    assert geo.format_value(float("inf")) == "Inf"
    assert geo.format_value(float("-inf")) == "-Inf"
    assert geo.format_number(float("inf"), "+.2f") == "+Inf"
    assert geo.format_number(float("nan"), "+.3g") == "NaN"
    assert geo.format_number(0.5, "+.2f") == "+0.50"


def test_a_wide_hidden_layer_does_not_shrink_the_inputs_and_outputs() -> None:
    """2-32-3 (a csv opened after digits): each column is sized by its own room, so the
    32 hidden neurons are small while the 2 inputs and 3 outputs stay as large as in 2-4-1,
    with room for their labels and maps; edges still run from centre to centre."""
    width, height = 700.0, 480.0
    default = geo.compute_layout((2, 4, 1), width, height)
    wide = geo.compute_layout((2, 32, 3), width, height)
    assert wide.radius_of(1) < default.radius_of(1)
    assert wide.radius_of(0) >= default.radius_of(0)
    assert wide.radius_of(2) >= default.radius_of(1)
    for m in (0, 2):
        assert wide.radius_of(m) >= geo.MIN_MAP_RADIUS
        assert wide.spacing_of(m) - 2 * wide.radius_of(m) >= 14.0  # room for a label
    assert wide.radius == wide.radius_of(1)  # the smallest column's
    for m in range(3):  # neurons of a column never overlap
        gaps = np.diff(wide.neuron_y[m])
        assert (gaps >= 2 * wide.radius_of(m)).all()
    for edge in (0, wide.edge_index(1, 31, 1), wide.edge_index(2, 2, 31)):
        ref = geo.edge_ref(wide, edge)
        x0, y0, x1, y1 = wide.edge_lines[edge]
        assert (x0, y0) == (wide.neuron_x[ref.layer - 1][ref.column],
                            wide.neuron_y[ref.layer - 1][ref.column])
        assert (x1, y1) == (wide.neuron_x[ref.layer][ref.row], wide.neuron_y[ref.layer][ref.row])
    # a click on an input's rim finds that input, not a hidden neuron
    x, y = float(wide.neuron_x[0][1]), float(wide.neuron_y[0][1])
    assert geo.neuron_at(wide, x + wide.radius_of(0) - 1, y) == (0, 1)


def test_a_wide_hidden_layer_keeps_input_and_output_maps_and_edge_ends(
        qtbot: QtBot) -> None:
    widget = NetworkCanvas()
    qtbot.addWidget(widget)
    widget.resize(700, 480)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_show_maps(True)
    widget.set_snapshot(take_snapshot(make_trainer([2, 32, 1]), grid_resolution=16))
    layout = widget._require_layout()
    assert widget.shows_maps()
    assert widget.thumbnail(0, 0) is not None and widget.thumbnail(2, 0) is not None
    assert widget.thumbnail(1, 0) is None  # 32 neurons: small circles
    assert widget.map_rect(0, 0).width() == layout.map_side_of(0) > layout.map_side_of(1)
    # an outlined edge ends on each neuron's own rim
    ref = ParameterRef(1, "weight", 5, 0)
    segment = canvas_overlay.edge_segment(layout, widget._bins, None, ref)
    assert segment is not None
    line = segment[0]
    source = QPointF(float(layout.neuron_x[0][0]), float(layout.neuron_y[0][0]))
    target = QPointF(float(layout.neuron_x[1][5]), float(layout.neuron_y[1][5]))
    assert np.hypot(*(line.p1() - source).toTuple()) == pytest.approx(layout.radius_of(0))
    assert np.hypot(*(line.p2() - target).toTuple()) == pytest.approx(layout.radius_of(1))
