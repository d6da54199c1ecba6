"""Axes, colour bars and tables stay readable: scientific labels at any magnitude, tick
labels that never collide, empty states instead of made-up axes, headers that fit."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from engine.core.network import ParameterRef
from engine.core.option_names import OPTION_NAMES
from engine.training.config import TrainingConfig
from engine.training.snapshot import Snapshot
from gui.base.plot_style import ReadableAxis, tick_strings
from gui.panels.gradcheck_panel import COLUMNS, GradientCheckPanel
from gui.panels.parameter_history import ParameterHistoryPanel
from gui.views.heatmaps import color_bar_ticks
from tests.gui.helpers import tick_texts


def _assert_no_collisions(axis: ReadableAxis, least: int = 1) -> list[str]:
    texts = tick_texts(axis)
    assert len(texts) >= least, texts
    rects = sorted((rect for rect, _ in texts), key=lambda rect: (rect.left(), rect.top()))
    for first, second in zip(rects, rects[1:], strict=False):
        assert not first.intersects(second), [text for _, text in texts]
    return [text for _, text in texts]


def test_tick_strings_read_at_any_magnitude() -> None:
    assert tick_strings([0.0, 1e-13, 2e-13], 1e-13) == ["0", "1e−13", "2e−13"]
    assert tick_strings([1.5e-13, 2e-13, 2.5e-13], 5e-14) == ["1.5e−13", "2.0e−13", "2.5e−13"]
    assert tick_strings([0.0, 2000.0, 4000.0], 2000.0) == ["0", "2000", "4000"]
    assert tick_strings([-0.5, 0.0, 0.5], 0.5) == ["−0.5", "0.0", "0.5"]
    assert tick_strings([0.0, 50000.0, 100000.0], 50000.0) == ["0", "5e4", "1e5"]
    assert [text for _, text in color_bar_ticks(1.234e-13)[0]] == ["−1.2e−13", "0", "1.2e−13"]


def test_step_axes_never_collide_at_1024_px(make_window, qtbot) -> None:
    window = make_window(TrainingConfig(dataset="xor"))
    window.resize(1024, 768)
    window.step(7000)
    window.select_parameter(ParameterRef(1, "weight", 0, 0))
    history = window.findChild(ParameterHistoryPanel, "parameterHistory")
    assert history is not None
    qtbot.waitUntil(lambda: len(history.curve_data()[0]) > 100, timeout=5000)
    axes = (history.gradient_plot.getAxis("bottom"), window.heatmaps.norm_plot.getAxis("bottom"),
            history.value_plot.getAxis("left"), history.gradient_plot.getAxis("left"))
    for _ in range(3):  # value axes widen to their labels once, then the layout settles
        QApplication.processEvents()
        for axis in axes:
            tick_texts(axis)
    for axis in axes:
        texts = _assert_no_collisions(axis)
        assert not any("x0" in text or "(x" in text for text in texts)  # no SI scale factor
    assert history.gradient_plot.getAxis("bottom").labelText == "step"  # not "step (x0.001)"
    value_axis, gradient_axis = history.value_plot.getAxis("left"), axes[3]
    assert value_axis.width() == gradient_axis.width()  # the stacked plots stay lined up


def test_a_narrow_axis_thins_its_labels(qtbot) -> None:
    import pyqtgraph as pg
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = widget.addPlot(axisItems={"bottom": ReadableAxis("bottom")})
    widget.resize(260, 120)
    widget.show()
    plot.setXRange(0, 123456, padding=0)
    qtbot.waitExposed(widget)
    QApplication.processEvents()
    assert len(_assert_no_collisions(plot.getAxis("bottom"), least=2)) <= 4


def test_heatmap_colour_bars_read_tiny_gradients(make_window) -> None:
    window = make_window(TrainingConfig(dataset="xor"))
    snapshot = window.step(5)
    assert snapshot is not None
    tiny = dataclasses.replace(snapshot, layers=tuple(
        dataclasses.replace(layer, weight_gradients=layer.weight_gradients * 1e-13,
                            bias_gradients=layer.bias_gradients * 1e-13)
        for layer in snapshot.layers))
    window.heatmaps.set_snapshot(tiny)
    QApplication.processEvents()  # the bars' axes take their new width
    for m in range(1, len(tiny.layers) + 1):
        low, high = window.heatmaps.levels(m)
        assert 1e-16 < high < 1e-11 and low == -high
        axis = window.heatmaps._rows[m - 1].color_bar.axis
        drawn = sorted(tick_texts(axis), key=lambda item: item[0].top())  # top to bottom
        labels = [text for _, text in drawn]
        assert len(labels) == 3, labels  # both ends are drawn, not just "0"
        assert labels[1] == "0" and re.fullmatch(r"\d(\.\d)?e−1[1-6]", labels[0]), labels
        assert labels[2] == "−" + labels[0]


def test_empty_plots_show_an_empty_state_not_an_axis(make_window) -> None:
    window = make_window(TrainingConfig(dataset="xor"))
    heatmaps, cost = window.heatmaps, window.cost_plot
    assert window.snapshot is not None and window.snapshot.step == 0
    assert heatmaps.norm_empty_state.isVisible() and not heatmaps.norm_graphics.isVisible()
    assert cost.empty_state.isVisible() and not cost.graphics.isVisible()
    snapshot: Snapshot | None = window.step(30)
    assert snapshot is not None and snapshot.history.epochs.size > 0
    assert not heatmaps.norm_empty_state.isVisible() and heatmaps.norm_graphics.isVisible()
    assert not cost.empty_state.isVisible() and cost.graphics.isVisible()


def test_gradient_check_headers_fit_their_columns(qtbot) -> None:
    panel = GradientCheckPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 300)  # a narrow dock: the table scrolls, headers stay whole
    panel.show()
    qtbot.waitExposed(panel)
    header = panel.table.horizontalHeader()
    metrics = header.fontMetrics()
    for column, title in enumerate(COLUMNS):
        assert header.sectionSize(column) >= metrics.horizontalAdvance(title), title


def test_option_combos_show_readable_names_with_code_names_in_tooltips(make_window) -> None:
    controls = make_window(TrainingConfig(dataset="reg-gauss", loss="half_sse",
                                          output_activation="linear")).controls
    assert controls.dataset_combo.currentText() == "Gaussian (regression)"
    assert controls.dataset_combo.code() == "reg-gauss"
    assert controls.loss_combo.currentText() == "Half squared error"
    assert "--loss half_sse" in controls.loss_combo.toolTip()
    combo = controls.loss_combo
    texts = [combo.itemText(index) for index in range(combo.count())]
    assert "Cross-entropy" in texts and "Binary cross-entropy" in texts
    for index in range(combo.count()):
        code = combo.itemData(index)
        assert combo.itemText(index) == OPTION_NAMES["loss"][code]
        assert code in combo.itemData(index, 3)  # Qt.ToolTipRole
    initializers = [controls.initializer_combo.itemText(i)
                    for i in range(controls.initializer_combo.count())]
    assert "Xavier/Glorot" in initializers
    controls.loss_combo.set_code("cross_entropy")
    assert controls.config().loss == "cross_entropy"
    assert np.isfinite(controls.config().learning_rate)


def test_a_fixed_width_value_axis_grows_for_scientific_labels(qtbot) -> None:
    import pyqtgraph as pg
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = widget.addPlot(axisItems={"left": ReadableAxis("left")})
    plot.setLabel("left", "∂C/∂W²₁,₃")
    axis = plot.getAxis("left")
    axis.setWidth(52)  # as the parameter history lines up its two plots
    plot.plot([0, 1, 2, 3], [-1.5e-13, 2.0e-13, 0.5e-13, 1.0e-13])
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    for _ in range(3):
        QApplication.processEvents()
        tick_texts(axis)
    texts = _assert_no_collisions(axis, least=3)
    assert all(re.fullmatch(r"−?\d(\.\d)?e−1[34]|0", text) for text in texts), texts
    assert axis.width() > 52


@pytest.mark.parametrize(("count", "length"),
                         [(64, 110), (64, 400), (784, 150), (4, 40), (10, 300)])
def test_heatmap_index_labels_fit_their_axis(qtbot, count: int, length: int) -> None:
    """64 inputs in a narrow Gradients dock read "9 17253341 4957" before: now as many
    1-based labels as fit, each with room for the widest."""
    from gui.views.heatmaps import IndexAxis

    axis = IndexAxis("bottom", count)
    [(step, values)] = axis.tickValues(0, count, length)
    labels = axis.tickStrings(values, 1.0, step)
    assert labels[0] == "1" and all(value == int(value) + 0.5 for value in values)
    assert len(labels) * axis._label_extent() <= max(length, axis._label_extent())
    assert len(labels) >= min(count, 2) or length < 2 * axis._label_extent()


def test_the_verdict_columns_show_whole_at_the_docks_default_width(qtbot) -> None:
    """At 1024, 1366 and 2x the estimate column hid behind a scrollbar ("erro…"): the first
    four columns (layer, worst, |diff.|, estimate) fit a 285 px dock with a 64-input layer."""
    from engine.data.datasets import make_dataset
    from engine.explain.gradcheck import check_gradients
    from engine.training.config import HiddenLayer, TrainingConfig, build_trainer

    config = TrainingConfig(dataset="digits", hidden=(HiddenLayer(32, "tanh"),),
                            output_activation="softmax", loss="cross_entropy", batch_size=8)
    trainer = build_trainer(config, make_dataset("digits"))
    batch = trainer.pending_batch()
    result = check_gradients(trainer.network, batch.inputs, batch.targets, trainer.loss,
                             trainer.reduction)
    panel = GradientCheckPanel()
    qtbot.addWidget(panel)
    panel.resize(285, 400)
    panel.show()
    qtbot.waitExposed(panel)
    panel.finish(result)
    header = panel.table.horizontalHeader()
    shown = sum(header.sectionSize(column) for column in range(4))
    assert shown <= panel.table.viewport().width(), (shown, panel.table.viewport().width())
