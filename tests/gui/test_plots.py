"""The cost plot, the gradient heatmaps and the data view show exactly what a Snapshot holds."""

from __future__ import annotations

import dataclasses
import time
from typing import TypeVar

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QWidget

from engine.core.initializers import initialize
from engine.core.network import Network, ParameterRef
from engine.core.notation import scientific
from engine.data.dataset import Dataset, split_dataset
from engine.training.gradient_norms import GradientNormSeries
from engine.training.snapshot import HistoryArrays, Snapshot, take_snapshot
from engine.training.trainer import Trainer
from gui.base.colors import MIDDLE, POSITIVE, class_color
from gui.views.cost_plot import CostPlot
from gui.views.data_view import DataView
from gui.views.heatmaps import GradientHeatmaps

WidgetT = TypeVar("WidgetT", bound=QWidget)

XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = np.array([[0.0], [1.0], [1.0], [0.0]])


def xor_trainer(sizes: tuple[int, ...] = (2, 4, 1), test_ratio: float = 0.25) -> Trainer:
    """XOR (plus jittered copies, so both splits have points) on a small tanh/sigmoid net."""
    rng = np.random.default_rng(0)
    inputs = np.vstack([XOR_INPUTS + rng.normal(0, 0.1, XOR_INPUTS.shape) for _ in range(5)])
    targets = np.vstack([XOR_TARGETS] * 5)
    dataset = Dataset(inputs, targets, "classification", ("x1", "x2"), ("y",), ("0", "1"), "xor")
    split = split_dataset(dataset, test_ratio, np.random.default_rng(0))
    activations = ["tanh"] * (len(sizes) - 2) + ["sigmoid"]
    network = Network(list(sizes), activations)
    initialize(network, "xavier", np.random.default_rng(0))
    return Trainer(network, split, loss="bce", optimizer="adam", learning_rate=0.05)


def snapshot_after(trainer: Trainer, steps: int) -> Snapshot:
    for _ in range(steps):
        trainer.step()
    return take_snapshot(trainer)


def click(qtbot, widget: QWidget, point: QPointF) -> None:  # type: ignore[no-untyped-def]
    """Click at `point` (widget coordinates) on whatever child is there, as a person would."""
    target = widget.childAt(point.toPoint())
    assert target is not None
    qtbot.mouseClick(target, Qt.MouseButton.LeftButton,
                     pos=target.mapFrom(widget, point.toPoint()))


def hover(qtbot, widget: QWidget, point: QPointF) -> None:  # type: ignore[no-untyped-def]
    target = widget.childAt(point.toPoint())
    assert target is not None
    # pyqtgraph drops mouse moves closer together than its rate limit (10 ms).
    time.sleep(0.02)
    qtbot.mouseMove(target, target.mapFrom(widget, point.toPoint()))


def color_distance(color: object, rgb: tuple[int, int, int]) -> int:
    return max(abs(color.red() - rgb[0]), abs(color.green() - rgb[1]),  # type: ignore[attr-defined]
               abs(color.blue() - rgb[2]))  # type: ignore[attr-defined]


def shown(qtbot, widget: WidgetT, width: int, height: int) -> WidgetT:  # type: ignore[no-untyped-def]
    """`widget` at this size, shown and exposed (closed at the test's end)."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


# -- cost plot ------------------------------------------------------------------------------


@pytest.fixture
def cost_plot(qtbot) -> CostPlot:  # type: ignore[no-untyped-def]
    return shown(qtbot, CostPlot(), 450, 300)


def test_cost_curves_show_the_history(qtbot, cost_plot: CostPlot) -> None:  # type: ignore[no-untyped-def]
    snapshot = snapshot_after(xor_trainer(), 6)  # full batch: one step per epoch
    cost_plot.set_snapshot(snapshot)
    qtbot.wait(20)  # let the views auto-range: getData() is what is drawn, clipped to view
    history = snapshot.history
    assert len(history.epochs) == 6
    for curve, values in (
        (cost_plot.train_curve, history.train_cost),
        (cost_plot.test_curve, history.test_cost),
        (cost_plot.metric_train_curve, history.train_metric * 100),
        (cost_plot.metric_test_curve, history.test_metric * 100),
    ):
        for x, y in (curve.getData(), curve.getOriginalDataset()):
            np.testing.assert_array_equal(x, history.epochs)
            np.testing.assert_array_equal(y, values)
        assert curve.isVisible()
    assert "accuracy" in cost_plot.metric_plot.getAxis("left").labelText


def test_test_curve_is_hidden_without_a_test_set(cost_plot: CostPlot) -> None:
    cost_plot.set_snapshot(snapshot_after(xor_trainer(test_ratio=0.0), 3))
    assert cost_plot.train_curve.isVisible()
    assert not cost_plot.test_curve.isVisible()
    assert not cost_plot.metric_test_curve.isVisible()
    assert cost_plot._legend.getLabel(cost_plot.test_curve) is None
    assert cost_plot._legend.getLabel(cost_plot.train_curve) is not None


def test_log_y_switches_the_cost_axis(qtbot, cost_plot: CostPlot) -> None:  # type: ignore[no-untyped-def]
    cost_plot.set_snapshot(snapshot_after(xor_trainer(), 4))
    axis = cost_plot.cost_plot.getAxis("left")
    assert not axis.logMode
    cost_plot.set_log_y(True)
    assert axis.logMode and cost_plot.log_y_checkbox.isChecked()
    qtbot.mouseClick(cost_plot.log_y_checkbox, Qt.MouseButton.LeftButton)
    assert not axis.logMode and not cost_plot.log_y()


def test_no_epochs_and_the_marker(cost_plot: CostPlot) -> None:
    cost_plot.set_snapshot(take_snapshot(xor_trainer()))
    assert len(cost_plot.train_curve.getData()[0] or []) == 0
    assert not cost_plot.train_curve.isVisible()
    assert cost_plot.hover_at(3.0) == ""
    cost_plot.set_marker(3.0)
    assert all(marker.isVisible() and marker.value() == 3.0 for marker in cost_plot._markers)
    cost_plot.set_marker(None)
    assert not any(marker.isVisible() for marker in cost_plot._markers)
    cost_plot.grab()


def test_hover_shows_values_at_the_nearest_epoch(qtbot, cost_plot: CostPlot) -> None:  # type: ignore[no-untyped-def]
    snapshot = snapshot_after(xor_trainer(), 8)
    cost_plot.set_snapshot(snapshot)
    qtbot.wait(50)
    text = cost_plot.hover_at(3.3)
    assert text.startswith("epoch 3")
    assert f"{snapshot.history.train_cost[2]:.4g}" in text
    # The same through the mouse: move over epoch 6 of the cost plot.
    view_box = cost_plot.cost_plot.getViewBox()
    y_middle = float(np.mean(view_box.viewRange()[1]))
    scene = view_box.mapViewToScene(QPointF(6.0, y_middle))
    graphics = cost_plot.graphics
    point = graphics.viewport().mapTo(cost_plot, graphics.mapFromScene(scene))
    hover(qtbot, cost_plot, QPointF(point))
    qtbot.waitUntil(lambda: cost_plot.hover_text.isVisible()
                    and "epoch 6" in cost_plot.hover_text.toPlainText())
    assert f"{snapshot.history.test_cost[5]:.4g}" in cost_plot.hover_text.toPlainText()
    assert cost_plot._hover_lines[0].value() == 6.0


def test_a_long_history_is_drawn_downsampled(cost_plot: CostPlot) -> None:
    snapshot = snapshot_after(xor_trainer(), 2)
    epochs = np.arange(1, 200_001, dtype=np.float64)
    cost = 1.0 / np.sqrt(epochs)
    history = HistoryArrays(epochs, epochs, cost, cost * 1.1, 1 - cost, 1 - cost)
    started = time.perf_counter()
    cost_plot.set_snapshot(dataclasses.replace(snapshot, history=history))
    cost_plot.set_log_y(True)
    cost_plot.grab()
    assert time.perf_counter() - started < 2.0
    assert cost_plot.train_curve.opts["downsampleMethod"] == "peak"
    assert cost_plot.train_curve.opts["clipToView"]
    assert np.array_equal(cost_plot.train_curve.getOriginalDataset()[1], cost)
    drawn = len(cost_plot.train_curve.getData()[0])
    assert 0 < drawn < len(epochs) / 10  # peak-downsampled to the view's pixels


# -- gradient heatmaps ----------------------------------------------------------------------


@pytest.fixture
def heatmaps(qtbot) -> GradientHeatmaps:  # type: ignore[no-untyped-def]
    return shown(qtbot, GradientHeatmaps(), 450, 400)


def test_heatmaps_show_the_gradients_with_symmetric_levels(heatmaps: GradientHeatmaps) -> None:
    snapshot = snapshot_after(xor_trainer(), 3)
    heatmaps.set_snapshot(snapshot)
    assert len(heatmaps.weight_images) == len(heatmaps.bias_images) == 2
    for layer in snapshot.layers:
        weights, biases = heatmaps.image_data(layer.index)
        assert np.array_equal(weights, layer.weight_gradients)
        assert np.array_equal(biases, layer.bias_gradients)
        extent = max(np.abs(layer.weight_gradients).max(), np.abs(layer.bias_gradients).max())
        assert heatmaps.levels(layer.index) == (-extent, extent)
        assert tuple(heatmaps.bias_images[layer.index - 1].getLevels()) == (-extent, extent)
    heatmaps.shared_scale_checkbox.setChecked(True)
    overall = max(float(np.abs(snapshot.gradient).max()), 0.0)
    assert heatmaps.levels(1) == heatmaps.levels(2) == (-overall, overall)


def test_row_i_column_j_is_weight_i_j(qtbot, heatmaps: GradientHeatmaps) -> None:  # type: ignore[no-untyped-def]
    snapshot = snapshot_after(xor_trainer(), 1)
    gradient = np.zeros((4, 2))
    gradient[3, 1] = 1.0
    first = dataclasses.replace(snapshot.layers[0], weight_gradients=gradient,
                                bias_gradients=np.zeros(4))
    heatmaps.set_snapshot(dataclasses.replace(snapshot, layers=(first, snapshot.layers[1])))
    qtbot.wait(20)
    picture = heatmaps.grab().toImage()
    for row in range(4):
        for column in range(2):
            center = heatmaps.cell_center(ParameterRef(1, "weight", row, column)).toPoint()
            color = picture.pixelColor(center)
            expected = POSITIVE if (row, column) == (3, 1) else MIDDLE
            assert color_distance(color, expected) <= 3, (row, column, color.getRgb())


def test_clicking_a_cell_emits_its_parameter(qtbot, heatmaps: GradientHeatmaps) -> None:  # type: ignore[no-untyped-def]
    heatmaps.set_snapshot(snapshot_after(xor_trainer(), 2))
    qtbot.wait(20)
    for ref in (ParameterRef(1, "weight", 2, 1), ParameterRef(1, "bias", 3),
                ParameterRef(2, "weight", 0, 3), ParameterRef(2, "bias", 0)):
        with qtbot.waitSignal(heatmaps.parameter_clicked) as blocker:
            click(qtbot, heatmaps, heatmaps.cell_center(ref))
        assert blocker.args == [ref]


def test_hovering_a_cell_shows_weight_and_gradient(qtbot, heatmaps: GradientHeatmaps) -> None:  # type: ignore[no-untyped-def]
    snapshot = snapshot_after(xor_trainer(), 2)
    heatmaps.set_snapshot(snapshot)
    qtbot.wait(20)
    hover(qtbot, heatmaps, heatmaps.cell_center(ParameterRef(1, "weight", 2, 1)))
    qtbot.waitUntil(lambda: "W¹₃,₂ =" in heatmaps.hover_label.text())  # 1-based: row 2, col 1
    layer = snapshot.layers[0]
    text = heatmaps.hover_label.text()
    assert f"W¹₃,₂ = {scientific(layer.weights[2, 1], 6)}" in text
    assert f"∂C/∂W¹₃,₂ = {scientific(layer.weight_gradients[2, 1], 6)}" in text
    hover(qtbot, heatmaps, heatmaps.cell_center(ParameterRef(2, "bias", 0)))
    qtbot.waitUntil(lambda: "b²₁ =" in heatmaps.hover_label.text())
    gradient = scientific(snapshot.layers[1].bias_gradients[0], 6)
    assert f"∂C/∂b²₁ = {gradient}" in heatmaps.hover_label.text()


def test_selection_outlines_one_cell(heatmaps: GradientHeatmaps) -> None:
    heatmaps.set_snapshot(snapshot_after(xor_trainer(), 1))
    heatmaps.set_selection(ParameterRef(1, "weight", 3, 1))
    outline = heatmaps._rows[0].weight_outline
    assert outline.isVisible() and outline.rect().topLeft() == QPointF(1, 3)
    heatmaps.set_selection(ParameterRef(2, "bias", 0))
    assert not outline.isVisible() and heatmaps._rows[1].bias_outline.isVisible()
    heatmaps.set_selection(None)
    assert not any(row.bias_outline.isVisible() for row in heatmaps._rows)


def test_items_are_kept_until_the_architecture_changes(heatmaps: GradientHeatmaps) -> None:
    trainer = xor_trainer()
    heatmaps.set_snapshot(snapshot_after(trainer, 1))
    images = [id(image) for image in heatmaps.weight_images + heatmaps.bias_images]
    heatmaps.set_snapshot(snapshot_after(trainer, 1))
    assert [id(image) for image in heatmaps.weight_images + heatmaps.bias_images] == images
    deeper = snapshot_after(xor_trainer((2, 5, 3, 1)), 1)
    heatmaps.set_snapshot(deeper)
    assert len(heatmaps.weight_images) == 3
    assert not set(images) & {id(image) for image in heatmaps.weight_images}
    assert np.array_equal(heatmaps.image_data(2)[0], deeper.layers[1].weight_gradients)


def test_norm_curves_draw_the_series_a_snapshot_carries(heatmaps: GradientHeatmaps) -> None:
    snapshot = snapshot_after(xor_trainer(), 3)
    series = GradientNormSeries(2)
    steps = np.arange(5)
    # A diverging stretch too: a zero, Inf and NaN draw as gaps, without a warning.
    norms = np.array([[0.5, 2.0], [0.25, 1.0], [np.inf, np.nan], [0.0, 0.5], [0.125, 0.25]])
    series.extend(steps, norms)
    heatmaps.set_snapshot(dataclasses.replace(snapshot, gradient_norms=series.frozen()))
    assert not heatmaps.norm_graphics.grab().isNull()  # painted
    shown_steps, shown_norms = heatmaps.norm_data()
    np.testing.assert_array_equal(shown_steps, steps)
    np.testing.assert_array_equal(shown_norms, norms)
    for m, curve in enumerate(heatmaps.norm_curves):
        x, y = curve.getOriginalDataset()
        np.testing.assert_array_equal(x, steps)
        np.testing.assert_array_equal(y, norms[:, m])
    assert [heatmaps._norm_legend.getLabel(c).text for c in heatmaps.norm_curves] == [
        "‖∂C/∂W¹‖", "‖∂C/∂W²‖"]
    heatmaps.set_snapshot(snapshot)  # no series (a past step from the history): kept as shown
    np.testing.assert_array_equal(heatmaps.norm_data()[0], steps)
    np.testing.assert_array_equal(heatmaps.norm_curves[0].getOriginalDataset()[0], steps)
    heatmaps.set_snapshot(snapshot_after(xor_trainer((2, 5, 3, 1)), 1))  # a new architecture
    assert heatmaps.norm_data()[1].shape == (0, 3)


# -- data view ------------------------------------------------------------------------------


@pytest.fixture
def data_view(qtbot) -> DataView:  # type: ignore[no-untyped-def]
    return shown(qtbot, DataView(), 450, 400)


def test_surface_is_the_grid_and_points_are_the_data(qtbot, data_view: DataView) -> None:  # type: ignore[no-untyped-def]
    trainer = xor_trainer()
    data_view.set_data(trainer.data.train, trainer.data.test)
    snapshot = snapshot_after(trainer, 5)
    data_view.set_snapshot(snapshot)
    assert snapshot.grid is not None
    assert np.array_equal(data_view.image_data(), snapshot.grid.values)
    assert tuple(data_view.surface.getLevels()) == (0.0, 1.0)
    assert len(data_view.train_points.data) == len(trainer.data.train) == 15
    assert len(data_view.test_points.data) == len(trainer.data.test) == 5
    labels = trainer.data.train.class_labels()
    brushes = [point.brush().color() for point in data_view.train_points.points()]
    assert brushes == [class_color(int(label)) for label in labels]
    assert data_view.test_points.isVisible()
    qtbot.mouseClick(data_view.show_test_checkbox, Qt.MouseButton.LeftButton)
    assert not data_view.test_points.isVisible()
    assert data_view.train_points.isVisible()


def test_show_map_replaces_the_output_until_cleared(data_view: DataView) -> None:
    trainer = xor_trainer()
    data_view.set_data(trainer.data.train, trainer.data.test)
    snapshot = snapshot_after(trainer, 2)
    data_view.set_snapshot(snapshot)
    activation = np.linspace(-2.0, 1.0, snapshot.grid.values.size).reshape(
        snapshot.grid.values.shape)
    data_view.show_map(activation, "a^1_0")
    assert np.array_equal(data_view.image_data(), activation)
    assert tuple(data_view.surface.getLevels()) == (-2.0, 2.0)
    assert data_view.plot.titleLabel.text == "a^1_0"
    data_view.set_snapshot(snapshot_after(trainer, 1))
    assert np.array_equal(data_view.image_data(), activation)
    data_view.show_map(None, "")
    assert np.array_equal(data_view.image_data(), data_view._grid.values)


def test_multi_class_regions_use_class_colours(data_view: DataView) -> None:
    rng = np.random.default_rng(3)
    inputs = rng.normal(0.0, 1.0, (30, 2))
    targets = np.eye(3)[np.arange(30) % 3]
    dataset = Dataset(inputs, targets, "classification", ("x1", "x2"), ("a", "b", "c"),
                      ("a", "b", "c"))
    network = Network([2, 4, 3], ["tanh", "softmax"])
    initialize(network, "xavier", np.random.default_rng(0))
    split = split_dataset(dataset, 0.2, np.random.default_rng(0))
    trainer = Trainer(network, split, loss="cross_entropy")
    data_view.set_data(split.train, split.test)
    snapshot = take_snapshot(trainer)
    data_view.set_snapshot(snapshot)
    image = data_view.image_data()
    assert image.shape == snapshot.grid.classes.shape + (4,)
    corner_class = int(snapshot.grid.classes[0, 0])
    assert tuple(image[0, 0, :3]) == class_color(corner_class).getRgb()[:3]
    key = data_view.legend.text()  # the class key above the plot, in the class colours
    for index, name in enumerate(("a", "b", "c")):
        assert f'color:{class_color(index).name()}">●</span>&nbsp;{name}' in key


def test_one_input_regression_shows_data_and_curve(data_view: DataView) -> None:
    inputs = np.linspace(-1.0, 1.0, 12)[:, None]
    dataset = Dataset(inputs, inputs**2, "regression", ("x",), ("y",))
    split = split_dataset(dataset, 0.25, np.random.default_rng(0))
    data_view.set_data(split.train, split.test)
    assert len(data_view.train_points.data) == 9
    np.testing.assert_array_equal(data_view.train_points.data["y"], split.train.targets[:, 0])
    x = np.array([0.5, -0.5, 0.0])
    data_view.set_curve(x, x**2)
    curve_x, curve_y = data_view.curve.getData()
    np.testing.assert_array_equal(curve_x, [-0.5, 0.0, 0.5])
    np.testing.assert_array_equal(curve_y, [0.25, 0.0, 0.25])
    assert data_view.plot_widget.isVisible()
    assert data_view.legend.isHidden()  # no classes, no key


def test_three_inputs_show_a_projection(data_view: DataView) -> None:
    inputs = np.random.default_rng(0).normal(size=(8, 3))
    dataset = Dataset(inputs, inputs[:, :1], "regression", ("a", "b", "c"), ("y",))
    split = split_dataset(dataset, 0.25)
    data_view.set_data(split.train, split.test)
    assert data_view.shown_page() is data_view.projection  # PCA of the inputs
    assert not data_view.message_label.isVisible() and not data_view.plot_widget.isVisible()
    assert len(data_view.projection.train_points.data) == len(split.train)
    network = Network([3, 2, 1], ["tanh", "linear"])
    data_view.set_snapshot(take_snapshot(Trainer(network, split, loss="mse")))
    assert data_view.shown_page() is data_view.projection
    assert data_view.projection.mistake_count() == 0  # regression: nothing to ring


def test_screen_points_lie_inside_the_grid(qtbot, data_view: DataView) -> None:  # type: ignore[no-untyped-def]
    trainer = xor_trainer()
    data_view.set_data(trainer.data.train, trainer.data.test)
    snapshot = snapshot_after(trainer, 1)
    data_view.set_snapshot(snapshot)
    qtbot.wait(20)
    (x_low, x_high), (y_low, y_high) = data_view.plot.getViewBox().viewRange()
    grid = snapshot.grid
    assert x_low <= grid.x[0] and x_high >= grid.x[-1]
    assert y_low <= grid.y[0] and y_high >= grid.y[-1]
    assert data_view.plot.getViewBox().state["aspectLocked"]
