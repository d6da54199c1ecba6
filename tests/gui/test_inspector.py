"""The inspector dock, driven through the window: pick a parameter in the canvas or a
heatmap, read its numbers, click a factor, type a wrong value and read the diagnosis."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QDockWidget, QWidget

from engine.core.network import ParameterRef
from engine.core.notation import number
from engine.explain.explain import GRADIENT, LOSS_SLOPE, SIGMA_PRIME, UPSTREAM, explain
from engine.training.config import TrainingConfig
from gui.app.main_window import MainWindow
from gui.panels.inspector import InspectorPanel
from gui.views.canvas import HIGHLIGHT
from tests.gui.helpers import flat_index

HIDDEN_WEIGHT = ParameterRef(1, "weight", 2, 1)
OUTPUT_WEIGHT = ParameterRef(2, "weight", 0, 3)


def parts(window: MainWindow) -> tuple[QDockWidget, InspectorPanel]:
    dock = window.findChild(QDockWidget, "inspectorDock")
    panel = window.findChild(InspectorPanel, "inspector")
    assert dock is not None and panel is not None
    return dock, panel


def click(qtbot, widget: QWidget, point: QPointF) -> None:  # type: ignore[no-untyped-def]
    """Click at `point` (widget coordinates) on whatever child is there, as a person would."""
    target = widget.childAt(point.toPoint())
    assert target is not None
    qtbot.mouseClick(target, Qt.MouseButton.LeftButton, pos=target.mapFrom(widget, point.toPoint()))


def highlighted_pixels(window: MainWindow, point: QPointF, reach: int = 45, step: int = 2) -> int:
    """Pixels of the canvas's highlight colour within `reach` of a point (every `step`-th)."""
    image = window.canvas.grab().toImage()
    ratio = image.devicePixelRatio()
    count = 0
    width, height = int(image.width() / ratio), int(image.height() / ratio)
    for x in range(max(int(point.x()) - reach, 0), min(int(point.x()) + reach, width), step):
        for y in range(max(int(point.y()) - reach, 0), min(int(point.y()) + reach, height), step):
            color = image.pixelColor(int(x * ratio), int(y * ratio))
            if max(abs(color.red() - HIGHLIGHT.red()), abs(color.green() - HIGHLIGHT.green()),
                   abs(color.blue() - HIGHLIGHT.blue())) < 30:
                count += 1
    return count


def select_in_canvas(qtbot, window: MainWindow, ref: ParameterRef) -> InspectorPanel:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton,
                     pos=window.canvas.edge_midpoint(ref).toPoint())
    dock, panel = parts(window)
    qtbot.waitUntil(lambda: panel.breakdown is not None and panel.breakdown.ref == ref,
                    timeout=2000)
    return panel


def test_clicking_an_edge_shows_that_weights_numbers(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    snapshot = window.step(20)
    dock, panel = parts(window)
    assert dock.windowTitle() == "Inspector"
    assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert dock.toggleViewAction() in window.view_menu.actions()
    assert panel.breakdown is None and panel.placeholder.isVisibleTo(panel)  # nothing selected
    select_in_canvas(qtbot, window, OUTPUT_WEIGHT)
    assert window.selected == OUTPUT_WEIGHT
    # raised over the data view it is tabbed with
    qtbot.waitUntil(lambda: window.data_view.visibleRegion().isEmpty(), timeout=2000)
    assert dock.isVisible() and not panel.visibleRegion().isEmpty()
    index = flat_index(snapshot, OUTPUT_WEIGHT)
    values = panel.values.text()
    for shown in (snapshot.params[index], snapshot.gradient[index], snapshot.update[index],
                  snapshot.learning_rate, snapshot.params[index] - snapshot.update[index]):
        assert number(shown) in values
    assert snapshot.previous_params is not None
    assert number(snapshot.previous_params[index]) in values
    assert "W<sup>2</sup><sub>1,4</sub>" in panel.header.text()  # 1-based: row 0, col 3
    sample = panel.sample
    assert sample is not None
    upstream = snapshot.layers[0].activations[sample, 3]  # a^1_3 feeds W^2_03
    assert number(upstream) in panel.factor_rows[UPSTREAM].label.text()
    a, t = snapshot.layers[1].activations[sample, 0], snapshot.batch_targets[sample, 0]
    delta_row = panel.factor_rows["delta"].label.text()
    assert "a &minus; t" in delta_row  # sigmoid + bce: the combined delta, explained
    assert number(a - t) in delta_row
    assert not panel.factor_rows[SIGMA_PRIME].isVisibleTo(panel)
    assert panel.samples_table.rowCount() == snapshot.batch_inputs.shape[0]
    assert "product = engine gradient" in panel.combination.text()
    assert number(snapshot.gradient[index]) in panel.combination.text()


def test_a_hidden_weight_lists_the_sum_over_the_next_layer(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    snapshot = window.step(10)
    panel = select_in_canvas(qtbot, window, HIDDEN_WEIGHT)
    sample = panel.sample
    assert sample is not None
    delta_k = snapshot.layers[1].deltas[sample, 0]
    weight_k = snapshot.layers[1].weights[0, 2]
    term = panel.term_rows[0].label.text()
    assert number(weight_k, 4) in term and number(delta_k, 4) in term
    slope = panel.factor_rows[LOSS_SLOPE].label.text()
    assert number(weight_k * delta_k) in slope


def test_clicking_a_heatmap_cell_shows_the_bias(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    snapshot = window.step(10)
    ref = ParameterRef(1, "bias", 2)
    click(qtbot, window.heatmaps, window.heatmaps.cell_center(ref))
    _, panel = parts(window)
    qtbot.waitUntil(lambda: panel.breakdown is not None and panel.breakdown.ref == ref,
                    timeout=2000)
    assert window.selected == ref
    assert "&part;z<sup>1</sup><sub>3</sub>/&part;b<sup>1</sup><sub>3</sub>" in \
        panel.factor_rows[UPSTREAM].label.text()
    gradient = snapshot.layers[0].bias_gradients[2]
    assert number(gradient) in panel.values.text()
    assert "np.sum(delta, axis=0)" in panel.combination.text()


def test_a_typed_wrong_value_gets_a_diagnosis(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    snapshot = window.step(10)
    panel = select_in_canvas(qtbot, window, HIDDEN_WEIGHT)
    # the batch gradient summed, but the cost is the mean over the 4 XOR samples
    summed = np.sum(snapshot.layers[0].deltas[:, 2] * snapshot.batch_inputs[:, 1])
    panel.check_factor.setCurrentIndex(panel.check_factor.findData(GRADIENT))
    qtbot.keyClicks(panel.check_value, f"{summed:.5g}")
    qtbot.mouseClick(panel.check_button, Qt.MouseButton.LeftButton)
    assert "missing 1/B (B = 4)" in panel.check_result.text()
    # sigma' of the tanh layer evaluated at the output a instead of z
    sample = panel.sample
    assert sample is not None
    a = snapshot.layers[0].activations[sample, 2]
    panel.check_factor.setCurrentIndex(panel.check_factor.findData(SIGMA_PRIME))
    panel.check_value.clear()
    qtbot.keyClicks(panel.check_value, f"{1 - np.tanh(a) ** 2:.6g}")
    qtbot.keyClick(panel.check_value, Qt.Key.Key_Return)
    assert "taken at the output a" in panel.check_result.text()
    panel.check_value.clear()
    qtbot.keyClicks(panel.check_value, f"{1 - a * a:.6g}")
    qtbot.keyClick(panel.check_value, Qt.Key.Key_Return)
    assert "Right" in panel.check_result.text()
    panel.check_value.clear()
    qtbot.keyClicks(panel.check_value, "abc")
    qtbot.mouseClick(panel.check_button, Qt.MouseButton.LeftButton)
    assert "not a number" in panel.check_result.text()


def test_clicking_a_factor_highlights_it_in_the_canvas(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    window.step(10)
    panel = select_in_canvas(qtbot, window, HIDDEN_WEIGHT)
    canvas = window.canvas
    downstream, upstream = canvas.neuron_center(2, 0), canvas.neuron_center(0, 1)
    next_weight = canvas.edge_midpoint(ParameterRef(2, "weight", 0, 2))
    assert highlighted_pixels(window, downstream) == 0
    # dC/da^1_2 lives in layer 2: neuron k = 0 and the weight W^2_02 that carries its delta back
    qtbot.mouseClick(panel.factor_rows[LOSS_SLOPE], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: highlighted_pixels(window, downstream) > 0, timeout=2000)
    assert highlighted_pixels(window, next_weight, reach=8, step=1) > 0
    assert highlighted_pixels(window, upstream) == 0
    # a^0_1: the input neuron the weight starts from
    qtbot.mouseClick(panel.factor_rows[UPSTREAM], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: highlighted_pixels(window, upstream) > 0, timeout=2000)
    assert highlighted_pixels(window, downstream) == 0
    # clicking it again, or selecting another parameter, clears the highlight
    qtbot.mouseClick(panel.factor_rows[UPSTREAM], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: highlighted_pixels(window, upstream) == 0, timeout=2000)
    qtbot.mouseClick(panel.factor_rows[UPSTREAM], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: highlighted_pixels(window, upstream) > 0, timeout=2000)
    window.select_parameter(OUTPUT_WEIGHT)
    qtbot.waitUntil(lambda: highlighted_pixels(window, upstream) == 0, timeout=2000)


def test_the_inspector_follows_the_shown_snapshot(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    earlier = window.step(5)
    panel = select_in_canvas(qtbot, window, OUTPUT_WEIGHT)
    later = window.step(5)
    assert earlier is not None and later is not None
    index = flat_index(later, OUTPUT_WEIGHT)
    assert panel.breakdown is not None and panel.breakdown.value == later.params[index]
    window.show_snapshot(earlier)  # e.g. from the timeline
    assert panel.breakdown.value == earlier.params[index]
    expected = explain(earlier, OUTPUT_WEIGHT, panel.sample or 0)
    assert panel.breakdown.total_gradient == expected.total_gradient
    assert number(expected.total_gradient) in panel.values.text()
    # closed, it catches up when a selection (e.g. the gradient check's worst) reopens it
    dock, _ = parts(window)
    dock.close()
    window.data_dock.raise_()
    window.show_snapshot(later)
    bias = ParameterRef(2, "bias", 0)
    window.select_parameter(bias)
    qtbot.waitUntil(lambda: not panel.visibleRegion().isEmpty(), timeout=2000)
    assert panel.breakdown is not None and panel.breakdown.ref == bias
    assert panel.breakdown.value == later.params[flat_index(later, bias)]




def test_regularization_shows_as_an_extra_term(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(TrainingConfig(regularization="l2", regularization_rate=0.01,
                                        optimizer="sgd"))
    snapshot = window.step(3)
    panel = select_in_canvas(qtbot, window, HIDDEN_WEIGHT)
    index = flat_index(snapshot, HIDDEN_WEIGHT)
    term = 0.01 * snapshot.params[index]
    assert "L2 term" in panel.combination.text()
    assert number(term) in panel.combination.text()
    assert panel.breakdown is not None
    # SGD: the update shown is the learning rate times data gradient plus penalty gradient
    assert np.isclose(panel.breakdown.update,
                      snapshot.learning_rate * (snapshot.gradient[index] + term), rtol=1e-12)


def test_the_value_field_shows_the_start_of_the_number(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    """A narrow field showed the number's tail ("837601630724"), which reads as any value."""
    window = make_window()
    window.step(20)
    panel = select_in_canvas(qtbot, window, OUTPUT_WEIGHT)
    field = panel.value_edit
    assert field.text() and field.cursorPosition() == 0
