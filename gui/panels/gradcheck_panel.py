"""The gradient check dock: progress, per-layer agreement table, and the worst parameter."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.core.network import ParameterRef
from engine.explain.gradcheck import PASS_THRESHOLD, GradientCheckResult
from engine.training.snapshot import Snapshot

STALE_TEXT = ("The shown weights or batch are not those of the last check (a step, a hand "
              "edit, Reset, new data or a session came since): its result no longer applies. "
              "Run the check again.")
PASS_COLOR = QColor(214, 240, 214)
FAIL_COLOR = QColor(248, 215, 215)
CELL_TEXT = QColor(33, 37, 41)
# The verdict's numbers first, under short headers (the dock is narrow: at its default width
# these four show whole): the worst parameter, its |difference| and the estimate it is
# judged against. The header tooltips say the rest.
COLUMNS = ("layer", "worst", "|diff.|", "estimate", "backprop", "finite diff.",
           "max rel. error")
COLUMN_TIPS = (
    "", "Worst parameter: the one whose difference is largest against its error estimate",
    "|difference|: |backprop - finite difference| for that parameter",
    "Error estimate: how wrong the two numbers may be by themselves: the finite difference "
    "at two step sizes and backprop's round-off. Agreement: the difference is within 4 "
    "estimates, or the relative error is below 1e-6.",
    "∂C/∂w from backpropagation", "∂C/∂w from central differences (step 1e-5)",
    "The largest relative error |g_a - g_n| / (|g_a| + |g_n|) in the layer")


class GradientCheckPanel(QWidget):
    """Shows a running check's progress and a finished check's table (objectName gradientCheck).

    Rows are layers; green when every difference is within what round-off and truncation
    can explain (engine/explain/gradcheck.py's error model), red otherwise. Clicking a row's worst
    parameter (or the overall worst in the summary's button) emits `parameter_selected`.
    """

    run_requested = Signal()
    cancel_requested = Signal()
    parameter_selected = Signal(object)  # ParameterRef

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("gradientCheck")
        self.result: GradientCheckResult | None = None
        self.stale = False  # the result is of weights or a batch other than those shown
        self._shown: Snapshot | None = None
        self.run_button = QPushButton("Run check", objectName="checkRun",
                                      toolTip="Central differences for every parameter")
        self.cancel_button = QPushButton("Cancel", objectName="checkCancel", enabled=False)
        self.progress = QProgressBar(objectName="checkProgress", minimum=0, maximum=1, value=0)
        self.summary = QLabel("Pause, then run the check: every parameter's gradient is "
                              "compared with central finite differences on the current batch.",
                              wordWrap=True, objectName="checkSummary")
        self.table = QTableWidget(0, len(COLUMNS), objectName="checkTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        for column, tip in enumerate(COLUMN_TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.table.verticalHeader().hide()
        # Columns as wide as their text (a narrow dock scrolls sideways, nothing is cut)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.worst_button = QPushButton("Select worst parameter", objectName="checkWorst",
                                        enabled=False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.worst_button)
        self.run_button.clicked.connect(self.run_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.table.cellClicked.connect(self._on_cell_clicked)
        self.worst_button.clicked.connect(self._on_worst_clicked)

    def start(self) -> None:
        """A check began: show progress, offer Cancel."""
        self.result = None
        self.table.setRowCount(0)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.summary.setText("Checking…")
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.worst_button.setEnabled(False)

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def finish(self, result: GradientCheckResult | None) -> None:
        """Show a finished check, or that it was cancelled (None)."""
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.result = result
        self.stale = False
        if result is None:
            self.summary.setText("Gradient check cancelled.")
            return
        self._render(result)
        if self._shown is not None:
            self.show_state(self._shown)

    def show_state(self, snapshot: Snapshot) -> None:
        """The window shows `snapshot`: a result of other weights or another batch (after a
        hand edit, a step, Reset, new data or a session) is cleared, saying why; shown
        again if its state comes back (the timeline's latest step, say)."""
        self._shown = snapshot
        result = self.result
        if result is None:
            return
        same = (result.params is not None and result.params.shape == snapshot.params.shape
                and np.array_equal(result.params, snapshot.params)
                and np.array_equal(result.analytic, snapshot.gradient))
        if same and self.stale:
            self.stale = False
            self.progress.setValue(self.progress.maximum())
            self._render(result)
        elif not same and not self.stale:
            self.stale = True
            self.progress.setValue(0)  # no "100%" beside a result that no longer applies
            self.table.setRowCount(0)
            self.worst_button.setEnabled(False)
            self.summary.setText(STALE_TEXT)

    def _render(self, result: GradientCheckResult) -> None:
        self.table.setRowCount(len(result.layers))
        for row, layer in enumerate(result.layers):
            cells = (str(layer.layer), layer.worst.symbol, f"{layer.worst_difference:.2e}",
                     f"{layer.worst_estimate:.2e}", f"{layer.worst_analytic:.10g}",
                     f"{layer.worst_numeric:.10g}", f"{layer.max_relative_error:.2e}")
            colour = QBrush(PASS_COLOR if layer.passed else FAIL_COLOR)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setBackground(colour)
                item.setForeground(QBrush(CELL_TEXT))  # dark on the pale fill, in any theme
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, column, item)
        worst = max(result.layers, key=lambda layer: layer.score)
        if result.passed:
            verdict = ("agree: every difference is within what round-off and truncation "
                       f"explain, or below {PASS_THRESHOLD:.0e} relative")
        else:
            verdict = (f"DISAGREE: at {worst.worst.symbol} the difference "
                       f"{worst.worst_difference:.2e} is {worst.score:.3g}x what round-off and "
                       "truncation can explain")
        kinks = ""
        if result.one_sided or result.unchecked:
            kinks = (f" {result.one_sided + result.unchecked} parameters move a ReLU input "
                     "across 0 within the step: differenced on the side without the kink"
                     + (f" ({result.unchecked} with a kink on both sides, not checked)"
                        if result.unchecked else "") + ".")
        self.summary.setText(
            f"Backprop and finite differences {verdict} ({result.analytic.size} parameters; "
            f"max relative error {result.max_relative_error:.2e}).{kinks}")
        self.worst_button.setEnabled(True)

    def _on_cell_clicked(self, row: int, column: int) -> None:
        if self.result is not None and not self.stale and 0 <= row < len(self.result.layers):
            self.parameter_selected.emit(self.result.layers[row].worst)

    def _on_worst_clicked(self) -> None:
        if self.result is not None and not self.stale:
            ref: ParameterRef = self.result.worst
            self.parameter_selected.emit(ref)
