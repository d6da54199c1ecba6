"""The inspector dock: one weight's or bias's gradient, factor by factor, with the numbers of
the shown snapshot (engine/explain/explain.py does the math, engine/explain/hand_check.py judges
typed values, gui/panels/inspector_text.py writes the text; this module lays it out and wires it
up).

Click a factor to see where it lives in the canvas; type a hand-computed value under "Check
my numbers" to learn which factor differs and which known mistake would give it. The value
field under the header sets the parameter by hand (Enter applies; gui/panels/hand_edits.py carries
it out through the worker, undoably).

Why this is long: one dock whose factor rows, hand-check field and links to the canvas share the
shown parameter and snapshot; the math is engine/explain and the text
gui/panels/inspector_text.py.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QShowEvent, QValidator
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.core.errors import DeltascopeError
from engine.core.network import ParameterRef
from engine.core.notation import html_to_plain
from engine.explain.explain import (
    DELTA,
    GRADIENT,
    LOSS_SLOPE,
    SAMPLE_GRADIENT,
    SIGMA_PRIME,
    UPSTREAM,
    Breakdown,
    explain,
)
from engine.explain.hand_check import Diagnosis, diagnose
from engine.training.snapshot import Snapshot
from gui.base.colors import CORRECT_TEXT, MUTED_TEXT, WRONG_TEXT
from gui.panels.inspector_text import (
    colored,
    combination_html,
    factor_html,
    formula_html,
    full_precision,
    header_html,
    muted,
    parse_value,
    product_html,
    sample_cells,
    sample_headers,
    term_html,
    values_html,
)
from gui.views.canvas import HIGHLIGHT

if TYPE_CHECKING:
    from gui.panels.window_api import WindowApi

MAX_TERMS = 12  # terms of a hidden layer's sum listed one by one
MAX_ROWS = 100  # samples listed in the per-sample table
CHECK_FACTORS = (GRADIENT, SAMPLE_GRADIENT, UPSTREAM, SIGMA_PRIME, LOSS_SLOPE, DELTA)
ROW_STYLE = ("QFrame#%s { border: 1px solid %s; border-radius: 4px; background: %s; }")


class FactorRow(QFrame):
    """One clickable line of the breakdown (a factor, or one term of a sum)."""

    clicked = Signal(str)

    def __init__(self, key: str) -> None:
        super().__init__(objectName=f"factor_{key}")
        self.key = key
        self.label = QLabel(textFormat=Qt.TextFormat.RichText, wordWrap=True)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.addWidget(self.label)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click to show where this number lives in the network")
        self.set_active(False)

    def set_active(self, active: bool) -> None:
        border, background = (HIGHLIGHT.name(), "#f3e8f8") if active else ("#dee2e6", "#ffffff")
        self.setStyleSheet(ROW_STYLE % (self.objectName(), border, background))
        self.active = active

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.key)
        super().mousePressEvent(event)


class FiniteNumberValidator(QValidator):
    """Acceptable: a finite number (a real minus sign allowed); anything else is Intermediate,
    so typing is never blocked and Enter can explain what is wrong."""

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        try:
            parse_value(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos


class ValueField(QLineEdit):
    """A line edit that reports Enter with whatever text it holds (`submitted`), even text its
    validator does not accept, so the panel can say why it was not applied."""

    submitted = Signal(str)

    def __init__(self) -> None:
        super().__init__(objectName="valueEdit")
        self.setValidator(FiniteNumberValidator(self))
        self.textChanged.connect(self._restyle)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submitted.emit(self.text())
            event.accept()
            return
        super().keyPressEvent(event)

    def _restyle(self, text: str) -> None:
        state = self.validator().validate(text, 0)[0]
        self.setStyleSheet("" if state == QValidator.State.Acceptable else f"color: {WRONG_TEXT}")


class InspectorPanel(QWidget):
    """Value, gradient, update and the chain rule of the selected parameter (objectName
    "inspector"). Emits `highlight_requested(neurons, edges)` for the canvas, and
    `value_edited(ref, value)` when a finite value is typed into the value field and Enter
    pressed (the panel changes nothing itself)."""

    highlight_requested = Signal(object, object)
    value_edited = Signal(object, float)

    def __init__(self, regularization: Callable[[], tuple[str, float]] | None = None) -> None:
        super().__init__(objectName="inspector")
        self._regularization = regularization or (lambda: ("none", 0.0))
        self.snapshot: Snapshot | None = None
        self.ref: ParameterRef | None = None
        self.breakdown: Breakdown | None = None
        self.diagnosis: Diagnosis | None = None
        self.sample: int | None = None  # None: the sample that contributes most
        self._active: str | None = None
        self._stale = False
        self._build()
        self._render()

    # -- building --------------------------------------------------------------------------

    def _build(self) -> None:
        self.placeholder = QLabel("Click a weight (edge) or a neuron (its bias) in the network, "
                                  "or a cell of a gradient heatmap, to see where its gradient "
                                  "comes from.", wordWrap=True, objectName="inspectorPlaceholder")
        self.header = self._rich_label("inspectorHeader")
        self.values = self._rich_label("inspectorValues")
        self.value_edit = ValueField()
        self.value_edit.setToolTip("Type a new value and press Enter to set it by hand "
                                   "(pauses training; Edit > Undo takes it back)")
        self.value_edit.submitted.connect(self.edit_value)
        self.value_message = self._rich_label("inspectorValueMessage")
        self.formula = self._rich_label("inspectorFormula")
        self.factor_rows = {name: FactorRow(name) for name in
                            (UPSTREAM, SIGMA_PRIME, LOSS_SLOPE, DELTA, SAMPLE_GRADIENT)}
        self.terms_box = QVBoxLayout()
        self.terms_box.setContentsMargins(18, 0, 0, 0)
        self.term_rows: list[FactorRow] = []
        self.terms_note = self._rich_label("inspectorTermsNote")
        self.product = self._rich_label("inspectorProduct")
        self.samples_table = QTableWidget(0, 5, objectName="inspectorSamples")
        self.samples_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.samples_table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.samples_table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        header = self.samples_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.samples_table.verticalHeader().setDefaultSectionSize(
            self.fontMetrics().height() + 8)
        self.samples_table.setToolTip("Click a sample to show its chain above")
        self.samples_note = QLabel("One row per sample of the batch (its row in the training "
                                   "set on the left). Click one to show its chain above.",
                                   wordWrap=True, objectName="inspectorSamplesNote")
        self.samples_note.setStyleSheet(f"color: {MUTED_TEXT}")
        self.samples_table.cellClicked.connect(lambda row, _column: self.set_sample(row))
        self.samples_table.verticalHeader().sectionClicked.connect(self.set_sample)
        self.combination = self._rich_label("inspectorCombination")
        self.check_factor = QComboBox(objectName="checkFactor")
        self.check_value = QLineEdit(objectName="checkValue", placeholderText="your value")
        self.check_value.returnPressed.connect(self._on_check)
        self.check_button = QPushButton("Check", objectName="checkButton")
        self.check_button.clicked.connect(self._on_check)
        self.check_result = self._rich_label("checkResult")
        for row in self.factor_rows.values():
            row.clicked.connect(self.select_factor)
        self._lay_out()

    def _rich_label(self, name: str) -> QLabel:
        label = QLabel(objectName=name, textFormat=Qt.TextFormat.RichText, wordWrap=True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _lay_out(self) -> None:
        self.content = QWidget()
        column = QVBoxLayout(self.content)
        column.addWidget(self.header)
        edit_row = QHBoxLayout()
        edit_row.addWidget(QLabel("Set value:"))
        edit_row.addWidget(self.value_edit, 1)
        edit_row.addWidget(QLabel(muted("Enter applies"), textFormat=Qt.TextFormat.RichText))
        column.addLayout(edit_row)
        column.addWidget(self.value_message)
        column.addWidget(self.values)
        chain = QGroupBox("Chain rule")
        chain_column = QVBoxLayout(chain)
        chain_column.addWidget(self.formula)
        for name, row in self.factor_rows.items():
            chain_column.addWidget(row)
            if name == LOSS_SLOPE:
                chain_column.addLayout(self.terms_box)
                chain_column.addWidget(self.terms_note)
        chain_column.addWidget(self.product)
        column.addWidget(chain)
        batch = QGroupBox("Over the batch")
        batch_column = QVBoxLayout(batch)
        batch_column.addWidget(self.samples_note)
        batch_column.addWidget(self.samples_table)
        batch_column.addWidget(self.combination)
        column.addWidget(batch)
        check = QGroupBox("Check my numbers")
        check_column = QVBoxLayout(check)
        entry = QHBoxLayout()
        entry.addWidget(self.check_factor, 1)
        entry.addWidget(self.check_value, 1)
        entry.addWidget(self.check_button)
        check_column.addLayout(entry)
        check_column.addWidget(self.check_result)
        column.addWidget(check)
        column.addStretch(1)
        scroll = QScrollArea(widgetResizable=True, objectName="inspectorScroll")
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(self.placeholder)
        outer.addWidget(scroll, 1)
        self.scroll = scroll

    # -- inputs ------------------------------------------------------------------------------

    def set_snapshot(self, snapshot: Snapshot) -> None:
        """Follow the shown snapshot (drawn when visible, otherwise when next shown)."""
        self.snapshot = snapshot
        self._refresh()

    def set_parameter(self, ref: ParameterRef | None) -> None:
        """Inspect `ref` (None: nothing selected)."""
        if ref != self.ref:
            self.sample = None
            self.diagnosis = None
            self.check_result.clear()
            self.value_message.clear()
            self.value_edit.setModified(False)
            self._set_active(None)
        self.ref = ref
        self._refresh()

    def set_sample(self, position: int) -> None:
        """Show the chain of this sample of the batch (its position in the batch)."""
        self.sample = position
        self._refresh()

    def select_factor(self, key: str) -> None:
        """Highlight where a factor (or a term "term_k") lives; clicking it again clears."""
        self._set_active(None if key == self._active else key)

    def edit_value(self, text: str) -> None:
        """Ask to set the inspected parameter to the typed value (as Enter in the value field
        does): `value_edited` for a finite number, otherwise a message and nothing else."""
        ref = self.ref
        if ref is None:
            return
        if self.value_edit.text() != text:
            self.value_edit.setText(text)
        symbol = html_to_plain(self.breakdown.symbol) if self.breakdown else ref.symbol
        try:
            value = parse_value(text)
        except ValueError as error:
            self.value_message.setText(colored(f"{html.escape(str(error))}; {symbol} is "
                                               "unchanged.", WRONG_TEXT))
            self.value_edit.setModified(True)  # keep the text to fix while it has focus
            return
        self.value_message.clear()
        self.value_edit.setModified(False)
        self.value_edited.emit(ref, value)

    def check(self, factor: str, text: str) -> Diagnosis | None:
        """Diagnose a typed value for a factor; the verdict is shown under the entry."""
        self.check_factor.setCurrentIndex(max(self.check_factor.findData(factor), 0))
        self.check_value.setText(text)
        self._on_check()
        return self.diagnosis

    # -- outputs -----------------------------------------------------------------------------

    def _refresh(self) -> None:
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self.breakdown = None
        if self.snapshot is not None and self.ref is not None:
            self.breakdown = self._explain(self.snapshot, self.ref)
        self._render()

    def _explain(self, snapshot: Snapshot, ref: ParameterRef) -> Breakdown | None:
        """The breakdown at the chosen sample; with none chosen yet, the sample that
        contributes most to the gradient (a first look at a zero input explains little)."""
        kind, rate = self._regularization()
        try:
            breakdown = explain(snapshot, ref, self.sample or 0, kind, rate)
        except DeltascopeError:
            return None
        if self.sample is None:
            contributions = [abs(row.product) for row in breakdown.rows]
            self.sample = contributions.index(max(contributions))
            if self.sample:
                breakdown = explain(snapshot, ref, self.sample, kind, rate)
        return breakdown

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._stale:
            self._refresh()

    def _render(self) -> None:
        breakdown = self.breakdown
        self.placeholder.setVisible(breakdown is None)
        self.scroll.setVisible(breakdown is not None)
        if breakdown is None:
            return
        self.header.setText(header_html(breakdown, self.snapshot))
        self.values.setText(values_html(breakdown))
        field = self.value_edit
        if not (field.hasFocus() and field.isModified()):  # never overwrite typing
            field.setText(full_precision(breakdown.value))
            field.setCursorPosition(0)  # the number's start shows, not its last digits
            field.setModified(False)
        self.formula.setText(formula_html(breakdown))
        for name, row in self.factor_rows.items():
            factor = breakdown.factors.get(name)
            row.setVisible(factor is not None)
            if factor is not None:
                row.label.setText(factor_html(factor))
        self._render_terms(breakdown)
        self.product.setText(product_html(breakdown))
        self._render_samples(breakdown)
        self.combination.setText(combination_html(breakdown))
        self._render_check_choices(breakdown)
        if self.diagnosis is not None:
            self._on_check()

    def _render_terms(self, breakdown: Breakdown) -> None:
        terms = breakdown.terms[:MAX_TERMS]
        while len(self.term_rows) < len(terms):
            row = FactorRow(f"term_{len(self.term_rows)}")
            row.clicked.connect(self.select_factor)
            self.terms_box.addWidget(row)
            self.term_rows.append(row)
        for position, row in enumerate(self.term_rows):
            row.setVisible(position < len(terms))
            if position < len(terms):
                row.label.setText(term_html(breakdown, terms[position]))
        hidden = len(breakdown.terms) - len(terms)
        self.terms_note.setVisible(hidden > 0)
        self.terms_note.setText(muted(f"&hellip; and {hidden} more terms"))

    def _render_samples(self, breakdown: Breakdown) -> None:
        """One row per sample (labelled with its training-set row), capped at MAX_ROWS."""
        table = self.samples_table
        table.setHorizontalHeaderLabels(sample_headers(breakdown))
        rows = breakdown.rows[:MAX_ROWS]
        table.setRowCount(len(rows))
        table.setVerticalHeaderLabels([str(row.row) for row in rows])
        for position, row in enumerate(rows):
            for column, text in enumerate(sample_cells(row)):
                item = table.item(position, column)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                    table.setItem(position, column, item)
                item.setText(text)
        table.selectRow(breakdown.sample)
        table.resizeColumnsToContents()
        height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
        height += sum(table.rowHeight(r) for r in range(min(len(rows), 8)))
        height += table.horizontalScrollBar().sizeHint().height()  # room for it, if needed
        table.setFixedHeight(height)

    def _render_check_choices(self, breakdown: Breakdown) -> None:
        choices = []
        for name in CHECK_FACTORS:
            if name in breakdown.factors:
                label = html_to_plain(breakdown.factors[name].symbol)
                if name == SAMPLE_GRADIENT:
                    label += f" (sample {breakdown.rows[breakdown.sample].row})"
                choices.append((label, name))
        combo = self.check_factor
        current = combo.currentData()
        shown = [(combo.itemText(k), combo.itemData(k)) for k in range(combo.count())]
        if shown != choices:
            combo.blockSignals(True)
            combo.clear()
            for label, name in choices:
                combo.addItem(label, name)
            combo.blockSignals(False)
        combo.setCurrentIndex(max(combo.findData(current), 0))

    def _on_check(self) -> None:
        if self.breakdown is None:
            return
        text = self.check_value.text()
        if not text.strip():
            self.diagnosis = None
            self.check_result.clear()
            return
        try:
            self.diagnosis = diagnose(self.breakdown, self.check_factor.currentData(), text)
        except DeltascopeError as error:
            self.diagnosis = None
            self.check_result.setText(colored(html.escape(str(error)), WRONG_TEXT))
            return
        color = CORRECT_TEXT if self.diagnosis.correct else WRONG_TEXT
        self.check_result.setText(colored(self.diagnosis.message, color))

    def _set_active(self, key: str | None) -> None:
        had_highlight = self._active is not None
        self._active = key
        for row in [*self.factor_rows.values(), *self.term_rows]:
            row.set_active(row.key == key)
        location = self._location(key)
        if location is not None:
            self.highlight_requested.emit(*location)
        elif had_highlight:
            self.highlight_requested.emit([], [])

    def _location(self, key: str | None) -> tuple[list, list] | None:
        breakdown = self.breakdown
        if key is None or breakdown is None:
            return None
        if key.startswith("term_"):
            index = int(key.removeprefix("term_"))
            if index >= len(breakdown.terms):
                return None
            term = breakdown.terms[index]
            return list(term.neurons), list(term.edges)
        factor = breakdown.factors.get(key)
        return None if factor is None else (list(factor.neurons), list(factor.edges))


# -- the window --------------------------------------------------------------------------


def install_inspector(window: WindowApi) -> InspectorPanel:
    """Add the Inspector dock (right, tabbed with the data view) and wire it to the window:
    it follows the shown snapshot and the selection, raises itself when a parameter is
    selected, and highlights factors in the canvas."""
    panel = InspectorPanel(lambda: _regularization(window))
    dock = window.add_dock("Inspector", "inspectorDock", panel,
                           Qt.DockWidgetArea.RightDockWidgetArea)
    window.tabifyDockWidget(window.data_dock, dock)
    window.data_dock.raise_()
    window.snapshot_shown.connect(panel.set_snapshot)
    panel.highlight_requested.connect(window.canvas.set_highlights)

    def on_selection(ref: ParameterRef | None) -> None:
        panel.set_parameter(ref)
        if ref is not None:
            dock.show()
            dock.raise_()

    window.selection_changed.connect(on_selection)
    if window.snapshot is not None:
        panel.set_snapshot(window.snapshot)
    return panel


def _regularization(window: WindowApi) -> tuple[str, float]:
    config = window.controls.config()
    return config.regularization, config.regularization_rate
