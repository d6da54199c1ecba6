"""Compare runs: pin the cost curves, overlay them in the cost plot, rename, hide, delete."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDockWidget,
    QLineEdit,
    QStyle,
    QStyleOptionViewItem,
    QTableView,
)

from engine.training.config import HiddenLayer, TrainingConfig
from engine.training.snapshot import HistoryArrays
from gui.app.main_window import MainWindow
from gui.base.dialogs import Button
from gui.panels.pinned_run import (
    MAX_RUNS,
    PinnedRun,
    RunFormatError,
    config_from_dict,
    runs_from_list,
    runs_to_list,
)
from gui.panels.runs import RunsController, RunsModel
from gui.views.cost_plot import OVERLAY_COLORS, TEST_COLOR, TRAIN_COLOR, CostPlot, OverlayCurves
from tests.gui.helpers import dock_panel, find_action

# Full batch: one step is one epoch.
CIRCLE = TrainingConfig(dataset="circle", samples=80, test_ratio=0.25, learning_rate=0.03,
                        optimizer="adam")


def _controller(window: MainWindow) -> RunsController:
    controller = window.findChild(RunsController)
    assert controller is not None
    return controller


def _pin(window: MainWindow) -> None:
    find_action(window, "actionPinRun").trigger()


def _train(window: MainWindow, qtbot, steps: int) -> HistoryArrays:  # type: ignore[no-untyped-def]
    start = window.snapshot.step
    window.step(steps)
    qtbot.waitUntil(lambda: window.snapshot.step == start + steps, timeout=5000)
    return window.snapshot.history


def _reset_with_learning_rate(window: MainWindow, qtbot, rate: float) -> None:  # type: ignore[no-untyped-def]
    window.controls.learning_rate_spin.setValue(rate)
    window.reset()
    qtbot.waitUntil(lambda: window.snapshot.step == 0, timeout=5000)


def _legend_names(cost_plot: CostPlot) -> list[str]:
    return [label.text for _, label in cost_plot._legend.items]


def _two_pinned_runs(window: MainWindow, qtbot) -> tuple[HistoryArrays, HistoryArrays]:  # type: ignore[no-untyped-def]
    first = _train(window, qtbot, 12)
    _pin(window)
    _reset_with_learning_rate(window, qtbot, 0.1)
    second = _train(window, qtbot, 7)
    _pin(window)
    return first, second


def test_pinned_runs_are_overlaid_with_exactly_their_histories(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CIRCLE)
    first, second = _two_pinned_runs(window, qtbot)
    controller = _controller(window)
    runs = controller.model.runs()
    assert [run.name for run in runs] == ["run 1: Adam lr 0.03 4 tanh", "run 2: Adam lr 0.1 4 tanh"]
    assert [run.config.learning_rate for run in runs] == [0.03, 0.1]
    cost_plot = window.cost_plot
    assert len(cost_plot.overlay_curves) == 2
    for history, (train_item, test_item) in zip((first, second), cost_plot.overlay_curves,
                                                strict=True):
        for item, values in ((train_item, history.train_cost), (test_item, history.test_cost)):
            x, y = item.getOriginalDataset()
            np.testing.assert_array_equal(x, history.epochs)
            np.testing.assert_array_equal(y, values)
            assert item.isVisible()
            assert item.zValue() < cost_plot.train_curve.zValue()  # under the live curves
            assert item.opts["pen"].style() != Qt.PenStyle.SolidLine
    assert _legend_names(cost_plot) == ["train", "test", *(run.name for run in runs)]
    colors = [item.opts["pen"].color().name() for item, _ in cost_plot.overlay_curves]
    assert colors == [OVERLAY_COLORS[0], OVERLAY_COLORS[1]]
    # The table: settings and final metrics of each run.
    model = controller.model
    assert model.rowCount() == 2
    row = model.data(model.index(0, RunsModel.TRAIN_COST))
    assert row == f"{first.train_cost[-1]:.4g}"
    assert model.data(model.index(0, RunsModel.TEST_COST)) == f"{first.test_cost[-1]:.4g}"
    assert model.data(model.index(1, RunsModel.EPOCHS)) == "7"
    metric = model.data(model.index(1, RunsModel.METRIC))
    assert metric == (f"accuracy {100 * second.train_metric[-1]:.1f}% / "
                      f"{100 * second.test_metric[-1]:.1f}%")
    settings = model.data(model.index(1, RunsModel.SETTINGS))
    assert "Circle" in settings and "Adam lr 0.1" in settings and "seed 0" in settings
    dock = window.findChild(QDockWidget, "runsDock")
    assert dock is not None and dock.isVisible() and dock_panel(dock.widget()) is controller.panel
    # Training on does not touch the overlays: set_snapshot never rebuilds them.
    items = [id(item) for pair in cost_plot.overlay_curves for item in pair]
    _train(window, qtbot, 2)
    assert [id(item) for pair in cost_plot.overlay_curves for item in pair] == items


def test_rename_in_the_table_changes_the_legend(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CIRCLE)
    _two_pinned_runs(window, qtbot)
    table = _controller(window).panel.table
    index = table.model().index(1, RunsModel.NAME)
    table.setCurrentIndex(index)
    table.edit(index)
    editor = table.findChild(QLineEdit)
    assert editor is not None and editor.isVisible()
    editor.selectAll()
    qtbot.keyClicks(editor, "fast <lr>")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _controller(window).model.run(1).name == "fast <lr>")
    names = _legend_names(window.cost_plot)
    assert names[-1] == "fast &lt;lr&gt;"  # the legend takes HTML: shown as typed
    assert window.cost_plot.overlays()[1].name == "fast <lr>"
    assert not _controller(window).model.rename(1, "   ")  # blank names are refused


def test_hide_removes_the_curve_from_view(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CIRCLE)
    _two_pinned_runs(window, qtbot)
    table = _controller(window).panel.table
    model = _controller(window).model
    index = model.index(0, RunsModel.SHOW)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=_check_indicator_center(table, index))
    qtbot.waitUntil(lambda: not model.run(0).visible)
    train_item, test_item = window.cost_plot.overlay_curves[0]
    assert not train_item.isVisible() and not test_item.isVisible()
    assert window.cost_plot.overlay_curves[1][0].isVisible()
    assert "run 1" not in " ".join(_legend_names(window.cost_plot))
    assert "run 1" not in window.cost_plot.hover_at(3.0)
    assert "run 2" in window.cost_plot.hover_at(3.0)
    # Space in the table toggles the checkbox (and does not start training).
    table.setCurrentIndex(index)
    qtbot.keyClick(table, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: model.run(0).visible)
    assert window.cost_plot.overlay_curves[0][0].isVisible()
    assert not window.playing and not window.play_action.isChecked()
    assert model.set_visible(0, False) and not model.set_visible(0, False)
    # Clicking a run's legend entry hides it everywhere, the table's checkbox included.
    legend = window.cost_plot._legend
    sample = next(sample for sample, label in legend.items if label.text.startswith("run 2"))
    graphics = window.cost_plot.graphics
    point = graphics.mapFromScene(sample.sceneBoundingRect().center())
    qtbot.mouseClick(graphics.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: not model.run(1).visible)
    assert not any(item.isVisible() for item in window.cost_plot.overlay_curves[1])


def _check_indicator_center(table: QTableView, index: QModelIndex) -> QPoint:
    """Where a person clicks to toggle the checkbox of `index`, in viewport coordinates."""
    option = QStyleOptionViewItem()
    table.initViewItemOption(option)
    option.rect = table.visualRect(index)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasDecoration
    rect = table.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator,
                                        option, table)
    assert option.rect.contains(rect.center())
    return rect.center()


def test_delete_and_delete_all(make_window, qtbot, answers) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CIRCLE)
    _two_pinned_runs(window, qtbot)
    panel = _controller(window).panel
    assert not panel.delete_button.isEnabled()
    panel.table.selectRow(0)
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert [run.name for run in panel.model.runs()] == ["run 2: Adam lr 0.1 4 tanh"]
    assert [overlay.name for overlay in window.cost_plot.overlays()] == [
        "run 2: Adam lr 0.1 4 tanh"]
    assert len(window.cost_plot.overlay_curves) == 1
    answers.append(Button.Cancel)
    qtbot.mouseClick(panel.delete_all_button, Qt.MouseButton.LeftButton)
    assert len(panel.model.runs()) == 1
    answers.append(Button.Yes)
    qtbot.mouseClick(panel.delete_all_button, Qt.MouseButton.LeftButton)
    assert panel.model.runs() == [] and window.cost_plot.overlay_curves == []
    assert _legend_names(window.cost_plot) == ["train", "test"]
    assert not answers


def test_twenty_is_the_limit_and_nothing_is_lost(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CIRCLE)
    _train(window, qtbot, 3)
    for _ in range(MAX_RUNS):
        _pin(window)
    model = _controller(window).model
    before = [run.name for run in model.runs()]
    assert len(before) == MAX_RUNS == 20
    assert len({run.color_index for run in model.runs()}) == 20
    assert "that is the limit" in window.statusBar().currentMessage()
    _pin(window)
    assert [run.name for run in model.runs()] == before
    assert len(window.cost_plot.overlay_curves) == 20
    assert "At most 20 runs" in window.statusBar().currentMessage()
    action = find_action(window, "actionPinRun")
    assert "At most 20 runs" in action.toolTip()
    assert "20 of 20 runs pinned: full" == _controller(window).panel.count_label.text()
    model.remove_rows([4])
    _pin(window)
    assert len(model.runs()) == 20
    assert model.runs()[-1].color_index == 4  # the freed colour
    assert model.runs()[-1].name.startswith("run 21:")


def test_nothing_to_pin_before_an_epoch(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CIRCLE)
    _pin(window)
    assert _controller(window).model.runs() == []
    assert "Nothing to pin" in window.statusBar().currentMessage()


def test_hover_and_log_y_include_pinned_runs(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CIRCLE)
    first, second = _two_pinned_runs(window, qtbot)
    cost_plot = window.cost_plot
    text = cost_plot.hover_at(5.0)
    assert text.startswith("epoch 5")
    assert f"{first.train_cost[4]:.4g} / {first.test_cost[4]:.4g}" in text
    assert f"{second.train_cost[4]:.4g} / {second.test_cost[4]:.4g}" in text
    text = cost_plot.hover_at(10.0)  # beyond run 2's seven epochs
    assert f"{first.train_cost[9]:.4g}" in text
    assert "run 2: Adam lr 0.1 4 tanh  — / —" in text
    cost_plot.set_log_y(True)
    for item in (item for pair in cost_plot.overlay_curves for item in pair):
        assert item.opts["logMode"] == [False, True]
        x, y = item.getData()
        assert np.all(y[np.isfinite(y)] < 1.5)  # drawn at log10 of the cost
    cost_plot.set_log_y(False)
    assert cost_plot.overlay_curves[0][0].opts["logMode"] == [False, False]


# -- the cost plot alone --------------------------------------------------------------------


def test_overlays_accept_plain_tuples_and_widen_the_view(qtbot) -> None:  # type: ignore[no-untyped-def]
    cost_plot = CostPlot()
    qtbot.addWidget(cost_plot)
    epochs = np.arange(1.0, 101.0)
    cost_plot.set_overlays([("long run", epochs, 5.0 / epochs, np.full(100, np.nan),
                             QColor(OVERLAY_COLORS[3]), True)])
    (overlay,) = cost_plot.overlays()
    assert isinstance(overlay, OverlayCurves) and overlay.name == "long run"
    train_item, test_item = cost_plot.overlay_curves[0]
    assert train_item.isVisible() and not test_item.isVisible()  # no test set
    text = cost_plot.hover_at(40.2)  # no live history yet: the overlay's epochs
    assert text == f"epoch 40\nlong run  {5.0 / 40:.4g}"
    cost_plot.set_overlays([])
    assert cost_plot.overlay_curves == [] and cost_plot.hover_at(40.0) == ""
    assert train_item.scene() is None  # removed from the plot


def test_a_crowded_legend_and_hover_count_the_runs_that_do_not_fit(qtbot) -> None:  # type: ignore[no-untyped-def]
    cost_plot = CostPlot()
    qtbot.addWidget(cost_plot)
    cost_plot.resize(400, 260)
    cost_plot.show()
    qtbot.waitExposed(cost_plot)
    epochs = np.arange(1.0, 11.0)
    cost_plot.set_overlays([(f"r{i}", epochs, np.full(10, i + 1.0), np.full(10, np.nan),
                             QColor(color), True) for i, color in enumerate(OVERLAY_COLORS)])
    names = _legend_names(cost_plot)
    assert 2 <= len(names) < 12 and names[-1] == f"+{21 - len(names)} more runs"
    assert names[:-1] == [f"r{i}" for i in range(len(names) - 1)]
    text = cost_plot.hover_at(4.0).splitlines()
    assert text[0] == "epoch 4" and text[1] == "r0  1" and text[-1].endswith("more runs")
    assert len(text) < 21
    cost_plot.resize(1200, 900)  # room for every run
    qtbot.waitUntil(lambda: len(_legend_names(cost_plot)) == 20)
    assert _legend_names(cost_plot)[-1] == "r19"
    assert len(cost_plot.hover_at(4.0).splitlines()) == 21


def _lab(color: QColor) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour."""
    rgb = np.array(color.getRgbF()[:3])
    linear = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    matrix = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                       [0.0193, 0.1192, 0.9505]])
    xyz = matrix @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_overlay_palette_is_twenty_distinct_colours_apart_from_live_ones() -> None:
    labs = [_lab(QColor(name)) for name in OVERLAY_COLORS]
    assert len(labs) == MAX_RUNS == 20
    pairwise = [np.linalg.norm(a - b) for i, a in enumerate(labs) for b in labs[i + 1:]]
    assert min(pairwise) > 25  # CIE76 delta E: clearly different hues or lightness
    live = [_lab(TRAIN_COLOR), _lab(TEST_COLOR)]
    assert min(np.linalg.norm(a - b) for a in labs for b in live) > 30
    assert all(40 <= lab[0] <= 72 for lab in labs)  # readable on light and dark backgrounds


# -- plain data ------------------------------------------------------------------------------


def _run(**changes: Any) -> PinnedRun:
    config = TrainingConfig(dataset="spiral", samples=300, noise=0.1,
                            hidden=(HiddenLayer(8, "relu"), HiddenLayer(3, "tanh")),
                            output_activation="softmax", loss="cross_entropy", optimizer="sgd",
                            learning_rate=0.25, batch_size=16, regularization="l2",
                            regularization_rate=0.001, initializer="he", seed=7)
    values: dict[str, Any] = dict(
        name="baseline", config=config, metric_name="accuracy",
        epochs=np.array([1.0, 2.0, 3.0]), train_cost=np.array([0.9, 0.5, 0.25]),
        test_cost=np.array([math.nan, math.nan, math.nan]),
        train_metric=np.array([0.5, 0.75, 0.875]),
        test_metric=np.array([math.nan, math.nan, math.nan]),
        step=57, visible=False, color_index=6)
    values.update(changes)
    return PinnedRun(**values)


def _assert_same_run(a: PinnedRun, b: PinnedRun) -> None:
    assert (a.name, a.config, a.metric_name, a.step, a.visible, a.color_index) == (
        b.name, b.config, b.metric_name, b.step, b.visible, b.color_index)
    for curve in ("epochs", "train_cost", "test_cost", "train_metric", "test_metric"):
        np.testing.assert_array_equal(getattr(a, curve), getattr(b, curve))  # NaN == NaN here


def test_to_dict_from_dict_round_trip_through_json() -> None:
    run = _run()
    text = json.dumps(run.to_dict(), allow_nan=False)  # strict JSON: NaN written as null
    back = PinnedRun.from_dict(json.loads(text))
    _assert_same_run(run, back)
    assert back.config.hidden == (HiddenLayer(8, "relu"), HiddenLayer(3, "tanh"))
    assert not back.epochs.flags.writeable
    listed = runs_from_list(json.loads(json.dumps(runs_to_list([run, _run(name="b")]))))
    assert [r.name for r in listed] == ["baseline", "b"]
    _assert_same_run(listed[0], run)


def test_a_pinned_window_run_round_trips(make_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(CIRCLE)
    _two_pinned_runs(window, qtbot)
    runs = _controller(window).model.runs()
    back = runs_from_list(json.loads(json.dumps(runs_to_list(runs), allow_nan=False)))
    for original, restored in zip(runs, back, strict=True):
        _assert_same_run(original, restored)
    _controller(window).model.set_runs(back)
    assert [o.name for o in window.cost_plot.overlays()] == [r.name for r in runs]


def _broken(change: dict[str, Any], drop: str | None = None) -> dict[str, Any]:
    data = _run().to_dict()
    data.update(change)
    if drop is not None:
        del data[drop]
    return data


@pytest.mark.parametrize(("data", "message"), [
    ("not a run", "must be a mapping, got str"),
    (_broken({}, drop="epochs"), "pinned run 'baseline': missing 'epochs'"),
    (_broken({"name": 3}), "'name' must be text, got 3"),
    (_broken({"train_cost": [1.0, 2.0]}), r"curves differ in length \(epochs 3, train_cost 2"),
    (_broken({"epochs": [1, 3, 2]}), "epochs must be finite and increasing"),
    (_broken({"test_cost": [1, "x", 2]}), r"test_cost\[1\] must be a number or null"),
    (_broken({"metric_name": "f1"}), "metric_name must be 'accuracy' or 'rmse'"),
    (_broken({"visible": "yes"}), "'visible' must be true or false"),
    (_broken({"color_index": 20}), r"color_index must be in \[0, 20\)"),
    (_broken({"colour": 1}), "unknown key\\(s\\) colour"),
    (_broken({"format": 2}), "unknown format 2"),
    (_broken({}, drop="config"), "pinned run 'baseline': missing 'config'"),
    (_broken({"config": [1]}), "'config' must be a mapping"),
    (_broken({"config": {"learning_rate": "fast"}}), "config: 'learning_rate' must be a number"),
    (_broken({"config": {"seed": True}}), "'seed' must be a whole number, got True"),
    (_broken({"config": {"hidden": [{"size": 4}]}}), "hidden layer 1: missing 'activation'"),
    (_broken({"config": {"momentum": 0.9}}), "config: unknown key\\(s\\) momentum"),
])
def test_a_malformed_dict_says_what_is_wrong(data: Any, message: str) -> None:
    with pytest.raises(RunFormatError, match=message):
        PinnedRun.from_dict(data)


def test_input_features_survive_the_settings_round_trip() -> None:
    config = CIRCLE.with_changes(features=("x1^2", "x2^2"))
    assert config_from_dict(config.to_dict()) == config
    with pytest.raises(RunFormatError, match="unknown input feature 'x3'"):
        config_from_dict({"features": ["x3"]})
    with pytest.raises(RunFormatError, match="features must be a list"):
        config_from_dict({"features": "x1"})


def test_config_defaults_fill_missing_settings_and_limits_hold() -> None:
    assert config_from_dict({"learning_rate": 2}) == TrainingConfig(learning_rate=2.0)
    with pytest.raises(RunFormatError, match="at most 20 pinned runs, got 21"):
        runs_from_list([_run().to_dict()] * 21)
    with pytest.raises(RunFormatError, match="must be a list"):
        runs_from_list({"runs": []})
    model = RunsModel()
    with pytest.raises(ValueError, match="At most 20 runs"):
        model.set_runs([_run()] * 21)
    assert model.rowCount(model.index(0, 0)) == 0 and model.rowCount(QModelIndex()) == 0


def test_a_run_without_test_data_can_be_pinned_and_drawn(make_window) -> None:
    """Pinning a run trained without a test set and training on draws without warnings."""
    window = make_window(TrainingConfig())  # XOR: no test set, so its test curve is all NaN
    window.step(30)
    _pin(window)
    window.step(1)
    window.grab()
    controller = window.findChild(RunsController)
    assert controller is not None and controller.dock.isVisible()
    assert len(window.cost_plot.overlays()) == 1
