"""Plots keep a usable width in narrow docks, colour-bar labels stay inside their axes, and
Export Plots draws what the screen shows (reviewer's defects at 1024×768)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QApplication

from engine.core.network import ParameterRef
from engine.training.config import TrainingConfig
from gui.base.plot_style import ReadableAxis
from gui.panels.parameter_history import ParameterHistoryPanel
from tests.gui.helpers import tick_texts


def _settle(*axes: pg.AxisItem) -> None:
    for _ in range(4):  # value axes widen to their labels once, then the layout settles
        QApplication.processEvents()
        for axis in axes:
            tick_texts(axis)
    QApplication.processEvents()


def test_long_value_labels_never_eat_a_narrow_plot(qtbot) -> None:
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = widget.addPlot(axisItems={"left": ReadableAxis("left")})
    plot.setLabel("left", "∂C/∂W¹₁,₂")
    axis = plot.getAxis("left")
    axis.setWidth(52)
    plot.plot([0, 1, 2, 3], [-0.0190895156123, -0.0190895156125, -0.0190895156121, 0.0])
    plot.setYRange(-0.019089515613, -0.019089515612, padding=0)  # ticks need 12 digits
    widget.resize(170, 300)
    widget.show()
    qtbot.waitExposed(widget)
    _settle(axis)
    assert plot.getViewBox().width() >= 0.4 * widget.width()


def test_parameter_history_keeps_its_width_with_one_step_kept(make_window, qtbot) -> None:
    window = make_window(TrainingConfig(dataset="xor"))
    window.resize(1024, 768)
    step_dock = window.findChild(pg.QtWidgets.QDockWidget, "stepThroughDock")
    assert step_dock is not None
    step_dock.show()
    window.step(1)
    window.select_parameter(ParameterRef(1, "weight", 0, 1))
    history = window.findChild(ParameterHistoryPanel, "parameterHistory")
    assert history is not None
    qtbot.waitUntil(lambda: len(history.curve_data()[0]) >= 1, timeout=5000)
    value_axis, gradient_axis = (history.value_plot.getAxis("left"),
                                 history.gradient_plot.getAxis("left"))
    _settle(value_axis, gradient_axis)
    for axis in (value_axis, gradient_axis):
        texts = [text for _, text in tick_texts(axis)]
        assert texts, "no value labels"
        assert all(len(text) <= 8 for text in texts), texts  # not "−0.01908951561"
    for plot in (history.value_plot, history.gradient_plot):
        assert plot.getViewBox().width() >= 0.4 * history.graphics.width()
    assert history.graphics.width() >= 150


def test_gradient_norm_plot_keeps_its_width_with_the_legend_over_it(make_window, qtbot) -> None:
    window = make_window(TrainingConfig(dataset="digits"))
    window.resize(1024, 768)
    window.step(30)
    heatmaps = window.heatmaps
    qtbot.waitUntil(heatmaps.norm_graphics.isVisible, timeout=5000)
    _settle(heatmaps.norm_plot.getAxis("left"), heatmaps.norm_plot.getAxis("bottom"))
    view_box = heatmaps.norm_plot.getViewBox()
    graphics_width = heatmaps.norm_graphics.width()
    assert graphics_width < 400  # the dock's default width, not a wide test window
    assert view_box.width() >= 0.65 * graphics_width, (view_box.width(), graphics_width)
    legend = heatmaps.norm_plot.legend
    assert legend is not None and len(legend.items) == 2
    box = view_box.sceneBoundingRect()
    assert box.contains(legend.sceneBoundingRect()), (box, legend.sceneBoundingRect())


def _label_rects_in_view(axis: pg.AxisItem, view: pg.GraphicsView) -> list[tuple[QRectF, str]]:
    """The axis's tick labels in the view's viewport coordinates."""
    return [(view.mapFromScene(axis.mapRectToScene(rect)).boundingRect().toRectF(), text)
            for rect, text in tick_texts(axis)]


def test_heatmap_colour_bar_labels_show_whole_at_the_default_dock_width(make_window) -> None:
    from engine.training.config import HiddenLayer
    hidden = tuple(HiddenLayer(4, "tanh") for _ in range(5))
    window = make_window(TrainingConfig(dataset="circle", hidden=hidden))
    window.resize(1280, 720)
    step_dock = window.findChild(pg.QtWidgets.QDockWidget, "stepThroughDock")
    assert step_dock is not None
    step_dock.show()  # as the reviewer had it: the Gradients dock at its narrowest
    gradients_dock = window.findChild(pg.QtWidgets.QDockWidget, "gradientsDock")
    window.resizeDocks([gradients_dock], [230], Qt.Orientation.Horizontal)  # as under Xvfb
    rows = window.heatmaps._rows
    _settle(*(row.color_bar.axis for row in rows))
    for row in rows:
        view = row.graphics
        viewport = QRectF(view.viewport().rect())
        drawn = _label_rects_in_view(row.color_bar.axis, view)
        texts = [text for _, text in drawn]
        assert len(texts) == 3 and "0" in texts, texts  # both ends, never just "0"
        for rect, text in drawn:
            assert viewport.contains(rect), (text, rect, viewport, view.width())


def test_data_view_colour_bar_labels_show_whole(make_window, qtbot) -> None:
    window = make_window(TrainingConfig(dataset="circle"))
    window.resize(1024, 768)
    data_dock = window.findChild(pg.QtWidgets.QDockWidget, "dataDock")
    assert data_dock is not None
    data_dock.show()
    data_dock.raise_()
    window.step(2)
    view = window.data_view.plot_widget
    qtbot.waitUntil(lambda: window.data_view.color_bar.isVisible() and view.isVisible(),
                    timeout=5000)
    axis = window.data_view.color_bar.axis
    _settle(axis)
    viewport = QRectF(view.viewport().rect())
    drawn = _label_rects_in_view(axis, view)
    texts = [text for _, text in drawn]
    assert "0" in texts and "1.0" in texts, texts
    for rect, text in drawn:
        assert viewport.contains(rect), (text, rect, viewport)
