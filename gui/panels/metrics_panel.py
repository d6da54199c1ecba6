"""The Metrics dock: train and test confusion matrices, or RMSE and R^2 for regression.

It reads `Snapshot.evaluation` (computed in the worker at the snapshot's parameters), so it
follows whatever snapshot the window shows, a history one included. Off screen (another tab
in front, or closed), it only remembers the latest snapshot and draws it when it comes back.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QTabBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.training.evaluation import DataEvaluation, SetMetrics
from engine.training.snapshot import Snapshot
from gui.base.colors import MUTED_TEXT, NEGATIVE, POSITIVE

if TYPE_CHECKING:
    from gui.panels.window_api import WindowApi

RECALL_HEADER = "recall"
CELL_WIDTH = 46  # pixels: counts up to 5 digits, and a near-square grid
MANY_CLASSES = 6  # past this, cells are as narrow as their counts and one set shows at a time
_STRONG_ALPHA = 150  # above this fill, a cell's text turns white


def percent(value: float) -> str:
    """`95.2%`, or an em dash for nan."""
    return "—" if math.isnan(value) else f"{100.0 * value:.1f}%"


def number(value: float) -> str:
    """Four significant digits, or an em dash for nan."""
    return "—" if math.isnan(value) else f"{value:.4g}"


def cell_color(count: int, largest: int, correct: bool) -> QColor:
    """Blue for right answers, orange for wrong ones, the stronger the more samples."""
    red, green, blue = POSITIVE if correct else NEGATIVE
    alpha = 0 if largest <= 0 else round(30 + 200 * count / largest) if count else 0
    return QColor(red, green, blue, alpha)


def _make_read_only(table: QTableWidget) -> None:
    """No editing, selection or focus; all rows shown, the table as large as its contents."""
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)


def _read_only_table(name: str) -> QTableWidget:
    table = QTableWidget(objectName=name)
    _make_read_only(table)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    # Fixed sections, sized once per set of classes: with ResizeToContents every new count
    # would measure the whole table again (about 0.1 ms per changed cell).
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
    table.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
    return table


class ConfusionTable(QWidget):
    """One set's confusion matrix: a caption with the accuracy, then counts (rows = true
    class, columns = predicted class) and a last column with each true class's recall."""

    def __init__(self, set_name: str) -> None:
        super().__init__()
        self.set_name = set_name
        self.caption = QLabel(objectName=f"{set_name.lower()}ConfusionCaption")
        self.table = _read_only_table(f"{set_name.lower()}ConfusionTable")
        self._digits = 0
        self.table.setToolTip("Rows: true class; columns: predicted class; recall: the "
                              "fraction of each true class predicted right")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.table)

    def set_metrics(self, metrics: SetMetrics, class_names: tuple[str, ...]) -> None:
        """Show `metrics` (a classification set) with these class names."""
        counts = metrics.confusion
        if counts is None or metrics.size == 0:
            self._set_caption(f"<b>{self.set_name}</b>: no samples")
            self.table.setVisible(False)
            return
        self._set_caption(f"<b>{self.set_name}</b> ({metrics.size} samples): accuracy "
                          f"<b>{percent(metrics.accuracy)}</b>")
        self.table.setVisible(True)
        names = class_names or tuple(str(k) for k in range(len(counts)))
        self._set_headers(names, len(str(int(counts.sum(axis=1).max()))))
        largest = int(counts.max())
        for true, row in enumerate(counts):
            for predicted, count in enumerate(row):
                self._set_cell(true, predicted, str(int(count)),
                               cell_color(int(count), largest, true == predicted))
        for true, recall in enumerate(metrics.recalls):
            self._set_cell(true, len(names), percent(float(recall)), None)

    def _set_caption(self, text: str) -> None:
        if self.caption.text() != text:
            self.caption.setText(text)

    def counts(self) -> np.ndarray:
        """The counts shown, as integers (true x predicted), read back from the table."""
        classes = self.table.rowCount()
        return np.array([[int(self.table.item(row, column).text()) for column in range(classes)]
                         for row in range(classes)], dtype=np.int64)

    def _set_headers(self, names: tuple[str, ...], digits: int = 5) -> None:
        """Headers and cells for these classes; `digits`: of the largest count possible (the
        largest class), which sets the cell width when there are many classes."""
        columns = [*names, RECALL_HEADER]
        if self.table.rowCount() == len(names) and self._header_texts() == columns \
                and self._digits == digits:
            return
        self._digits = digits
        self.table.clear()
        self.table.setRowCount(len(names))
        self.table.setColumnCount(len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        self.table.setVerticalHeaderLabels(list(names))
        metrics = self.table.fontMetrics()
        widest_cell = metrics.horizontalAdvance("100.0%") + 12
        # Many classes (digits: 10 x 10): cells as narrow as 4-digit counts, so the matrix
        # fits the dock's default width.
        narrowest = CELL_WIDTH if len(names) <= MANY_CLASSES \
            else metrics.horizontalAdvance("0" * digits) + 8
        for column, label in enumerate(columns):
            self.table.setColumnWidth(
                column, max(narrowest, widest_cell if label == RECALL_HEADER else 0,
                            metrics.horizontalAdvance(label) + 8))
        self.table.horizontalHeaderItem(len(names)).setToolTip(
            "Correct / samples of the true class")
        for row in range(len(names)):
            for column in range(len(columns)):
                item = QTableWidgetItem()
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, column, item)
        self.table.horizontalHeader().setToolTip("Predicted class")
        self.table.verticalHeader().setToolTip("True class")

    def _header_texts(self) -> list[str]:
        return [self.table.horizontalHeaderItem(column).text()
                for column in range(self.table.columnCount())]

    def _set_cell(self, row: int, column: int, text: str, fill: QColor | None) -> None:
        """Change only what differs: every change makes the table lay itself out again."""
        item = self.table.item(row, column)
        if item.text() != text:
            item.setText(text)
        if fill is None or item.background().color() == fill:
            return
        item.setBackground(fill)
        strong = fill.alpha() > _STRONG_ALPHA
        item.setForeground(QColor("white") if strong else self.palette().text().color())


class RegressionTable(QTableWidget):
    """RMSE and R^2 (rows) for the training and test sets (columns)."""

    ROWS = ("RMSE", "R²")

    def __init__(self) -> None:
        super().__init__(len(self.ROWS), 2, objectName="regressionMetricsTable")
        _make_read_only(self)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setVerticalHeaderLabels(list(self.ROWS))
        self.verticalHeaderItem(1).setToolTip(
            "1 − SS_res / SS_tot per output, averaged; outputs with constant targets are left "
            "out, and it is undefined (—) when all are")
        for row in range(len(self.ROWS)):
            for column in range(2):
                item = QTableWidgetItem("—")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.setItem(row, column, item)

    def set_metrics(self, train: SetMetrics, test: SetMetrics) -> None:
        """Show both sets' RMSE and R^2 (the column headers carry the set sizes)."""
        self.setHorizontalHeaderLabels([f"train ({train.size})", f"test ({test.size})"])
        for column, metrics in enumerate((train, test)):
            self.item(0, column).setText(number(metrics.rmse))
            self.item(1, column).setText(number(metrics.r_squared))


class MetricsPanel(QWidget):
    """Confusion matrices (classification) or RMSE and R^2 (regression), train and test."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("metricsPanel")
        self._latest: DataEvaluation | None = None
        self._drawn: DataEvaluation | None = None
        self.hint = QLabel(objectName="metricsHint", wordWrap=True)
        self.hint.setStyleSheet(f"color: {MUTED_TEXT}")
        self.train_table = ConfusionTable("Train")
        self.test_table = ConfusionTable("Test")
        # With many classes two matrices do not fit one above the other: one at a time.
        self.set_tabs = QTabBar(objectName="metricsSetTabs")
        self.set_tabs.addTab("Train")
        self.set_tabs.addTab("Test")
        self.set_tabs.setVisible(False)
        self.set_tabs.currentChanged.connect(lambda _: self._show_sets())
        classification = QWidget()
        matrices = QVBoxLayout(classification)
        matrices.setContentsMargins(0, 0, 0, 0)
        matrices.addWidget(self.set_tabs)
        matrices.addWidget(self.train_table)
        matrices.addSpacing(6)
        matrices.addWidget(self.test_table)
        matrices.addStretch(1)
        self.regression_table = RegressionTable()
        regression = QWidget()
        regression_layout = QVBoxLayout(regression)
        regression_layout.setContentsMargins(0, 0, 0, 0)
        regression_layout.addWidget(self.regression_table)
        regression_layout.addStretch(1)
        self.pages = QStackedWidget()
        self.pages.addWidget(classification)
        self.pages.addWidget(regression)
        self._classification_page, self._regression_page = classification, regression
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.hint)
        layout.addWidget(self.pages, 1)

    @property
    def shown_evaluation(self) -> DataEvaluation | None:
        """The evaluation the tables show now (None before any was drawn)."""
        return self._drawn

    def set_snapshot(self, snapshot: Snapshot) -> None:
        """Follow `snapshot`: draw it now if the panel is on screen, else when it shows."""
        if snapshot.evaluation is None:  # drawn without new metrics (gui/app/evaluation_pacing.py)
            return
        self._latest = snapshot.evaluation
        if self.on_screen():
            self._draw()

    def on_screen(self) -> bool:
        """Visible and not behind another tab (tabified docks in the back stay 'visible')."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def reveal(self) -> None:
        """The dock came to the front: draw the latest snapshot if it is not shown yet."""
        self._draw()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._draw()

    def _draw(self) -> None:
        evaluation = self._latest
        if evaluation is None or evaluation is self._drawn:
            return
        self._drawn = evaluation
        if evaluation.task == "classification":
            self.pages.setCurrentWidget(self._classification_page)
            self.hint.setText("Rows: true class · columns: predicted · at the shown step")
            self.train_table.set_metrics(evaluation.train, evaluation.class_names)
            self.test_table.set_metrics(evaluation.test, evaluation.class_names)
            self._show_sets()
        else:
            self.pages.setCurrentWidget(self._regression_page)
            self.hint.setText("Regression at the shown step: R² = 1 − SS_res / SS_tot, "
                              "per output, averaged")
            self.regression_table.set_metrics(evaluation.train, evaluation.test)


    def _show_sets(self) -> None:
        """Both matrices, or with many classes the one its tab picks."""
        evaluation = self._drawn
        many = evaluation is not None and len(evaluation.class_names) > MANY_CLASSES
        self.set_tabs.setVisible(many)
        self.train_table.setVisible(not many or self.set_tabs.currentIndex() == 0)
        self.test_table.setVisible(not many or self.set_tabs.currentIndex() == 1)


def install_metrics_panel(window: WindowApi) -> MetricsPanel:
    """Add the Metrics dock, tabified with the Data dock (listed under View); it follows
    every snapshot the window shows."""
    panel = MetricsPanel()
    dock = window.add_dock("Metrics", "metricsDock", panel, Qt.DockWidgetArea.RightDockWidgetArea,
                           scrolls=True)
    window.tabifyDockWidget(window.data_dock, dock)
    window.data_dock.raise_()
    window.snapshot_shown.connect(panel.set_snapshot)
    dock.visibilityChanged.connect(lambda visible: panel.reveal() if visible else None)
    if window.snapshot is not None:
        panel.set_snapshot(window.snapshot)
    return panel
