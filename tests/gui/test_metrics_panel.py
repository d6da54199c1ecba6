"""The Metrics dock: confusion matrices of the shown snapshot, or RMSE and R^2."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QDockWidget

from engine.training.config import HiddenLayer, TrainingConfig
from gui.panels.metrics_panel import MetricsPanel, number, percent
from tests.gui.helpers import dock_panel

SPIRAL3 = TrainingConfig(dataset="spiral3", samples=150, test_ratio=0.2,
                         hidden=(HiddenLayer(8, "tanh"),), output_activation="softmax",
                         loss="cross_entropy", learning_rate=0.05)
REGRESSION = TrainingConfig(dataset="reg-plane", samples=80, test_ratio=0.25,
                            output_activation="linear", loss="mse")


def _dock(window) -> QDockWidget:
    dock = window.findChild(QDockWidget, "metricsDock")
    assert dock is not None
    return dock


def _shown_panel(window, qtbot) -> MetricsPanel:
    """Bring the Metrics tab to the front and wait until it shows the window's snapshot."""
    dock = _dock(window)
    dock.raise_()
    panel = dock_panel(dock.widget())
    assert isinstance(panel, MetricsPanel)
    qtbot.waitUntil(lambda: panel.shown_evaluation is window.snapshot.evaluation, timeout=5000)
    return panel


def test_dock_is_tabified_with_data_and_listed_under_view(make_window) -> None:
    window = make_window(SPIRAL3)
    dock = _dock(window)
    assert dock.windowTitle() == "Metrics"
    assert dock in window.tabifiedDockWidgets(window.data_dock)
    assert dock.toggleViewAction() in window.view_menu.actions()


def test_confusion_matrices_show_the_paused_snapshot(make_window, qtbot) -> None:
    window = make_window(SPIRAL3)
    window.step(40)
    snapshot = window.sync()
    panel = _shown_panel(window, qtbot)
    evaluation = snapshot.evaluation
    assert evaluation.class_names == ("0", "1", "2")
    train_counts, test_counts = panel.train_table.counts(), panel.test_table.counts()
    np.testing.assert_array_equal(train_counts, evaluation.train.confusion)
    np.testing.assert_array_equal(test_counts, evaluation.test.confusion)
    assert train_counts.shape == (3, 3)
    assert (train_counts.sum(), test_counts.sum()) == (120, 30)
    table = panel.train_table.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["0", "1", "2", "recall"]
    accuracy = np.trace(train_counts) / 120
    assert percent(accuracy) in panel.train_table.caption.text()
    recall = train_counts[1, 1] / train_counts[1].sum()
    assert table.item(1, 3).text() == percent(recall)
    # the panel follows further training
    window.step(60)
    later = window.sync()
    assert later.step == snapshot.step + 60
    qtbot.waitUntil(lambda: panel.shown_evaluation is later.evaluation, timeout=5000)
    np.testing.assert_array_equal(panel.train_table.counts(), later.evaluation.train.confusion)
    window.show_snapshot(snapshot)  # an earlier moment, as the timeline shows one
    assert panel.shown_evaluation is snapshot.evaluation
    np.testing.assert_array_equal(panel.test_table.counts(), evaluation.test.confusion)


def test_hidden_panel_skips_work_until_shown(make_window, qtbot) -> None:
    window = make_window(SPIRAL3)
    panel = _shown_panel(window, qtbot)
    window.data_dock.raise_()
    qtbot.waitUntil(lambda: not panel.on_screen(), timeout=5000)
    drawn = panel.shown_evaluation
    snapshot = window.step(5)
    assert snapshot.evaluation is not drawn
    assert panel.shown_evaluation is drawn  # behind the Data tab: nothing redrawn
    assert _shown_panel(window, qtbot).shown_evaluation is snapshot.evaluation


def test_regression_shows_rmse_and_r_squared(make_window, qtbot) -> None:
    window = make_window(REGRESSION)
    window.step(30)
    snapshot = window.sync()
    panel = _shown_panel(window, qtbot)
    table = panel.regression_table
    assert table.isVisible() and not panel.train_table.isVisible()
    rows = [table.verticalHeaderItem(r).text() for r in range(table.rowCount())]
    assert rows == ["RMSE", "R²"]
    train, test = snapshot.evaluation.train, snapshot.evaluation.test
    assert (train.size, test.size) == (60, 20)
    assert table.item(0, 0).text() == number(train.rmse)
    assert table.item(1, 0).text() == number(train.r_squared)
    assert table.item(1, 1).text() == number(test.r_squared)
    assert table.item(1, 0).text() != "—"
