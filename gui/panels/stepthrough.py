"""Step through one training step: the next mini-batch update, one phase per click.

`install_step_through(window)` adds the "Step through" action (Train menu and toolbar) and
the "Step through" dock. Starting pauses training; every phase (engine/explain/stepthrough.py)
shows its numbers in tables while the canvas and the heatmaps highlight where they live.
"Apply step" makes exactly one ordinary Step and checks that the parameters it produced
are bit for bit the new values the walk showed. Cancel changes nothing. Resuming training,
or any change to the network or its data, ends the walk (stale).

Why this is long: the step-through dock, its tables and its canvas highlights follow one walk
through the phases of engine/explain/stepthrough.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine.core.notation import (
    bias_name,
    plain_at,
    shown_index,
    superscript,
    weight_name,
)
from engine.explain.stepthrough import Phase, phases, resulting_params
from engine.training.snapshot import Snapshot
from gui.base.array_table import ArrayModel, ArrayView
from gui.base.colors import CORRECT_TEXT, WRONG_TEXT

if TYPE_CHECKING:
    from gui.panels.window_api import WindowApi

Array = NDArray[np.float64]

APPLY_TIMEOUT_MS = 10_000
DOCK_HEIGHT = 330  # room for the title, explanation and a few table rows
ERROR_STYLE = f"color: {WRONG_TEXT}; font-weight: bold;"
OK_STYLE = f"color: {CORRECT_TEXT}; font-weight: bold;"
UPDATE_COLUMNS = ("now", "− update", "= after the step")
IDLE_TEXT = ("Step through pauses training and walks the next mini-batch update one phase at "
             "a time: forward, cost, backward, update.")

def _caption(name: str, m: int) -> str:
    """What a phase's table holds, in MATH.md notation."""
    s, p = superscript(m), superscript(m - 1)
    captions = {
        "a⁰": "a⁰: the inputs", "z": f"z{s} = W{s}a{p} + b{s}", "a": f"a{s}",
        "t": "t: the targets", "C_s": "Cₛ: cost per sample", "C": "C: the batch's cost",
        "delta": f"δ{s} = ∂Cₛ/∂z{s}", "dC/dW": f"∂C/∂W{s}", "dC/db": f"∂C/∂b{s}",
        "update": f"W{s} and b{s}: now − update = after the step",
    }
    return captions.get(name, name)


def _table_labels(phase: Phase, name: str, values: Array, snapshot: Snapshot
                  ) -> tuple[list[str], list[str], bool]:
    """Row and column labels, and whether rows are samples: samples (as training-set rows
    #r) by neurons (z²₁ ...), or neurons i by inputs j for weights."""
    if values.ndim == 0:
        return ["batch"], ["C"], False
    per_sample = phase.kind in ("forward", "cost", "backward")
    rows = ([f"#{shown_index(row)}" for row in snapshot.batch_rows] if per_sample
            else [f"i={shown_index(i)}" for i in range(values.shape[0])])
    if values.ndim == 1:
        column = "Cₛ" if per_sample else name.split()[-1].replace("dC/d", "∂C/∂")
        return rows, [column], per_sample
    if not per_sample:
        return rows, [f"j={shown_index(j)}" for j in range(values.shape[1])], False
    if name == "t":
        return rows, [plain_at("t", "", j) for j in range(values.shape[1])], True
    layer = 0 if name == "a⁰" else len(snapshot.layers) if phase.kind == "cost" else phase.layer
    symbol = {"a⁰": "a", "delta": "δ"}.get(name, name)
    columns = [plain_at(symbol, layer, j) for j in range(values.shape[1])]
    return rows, columns, True


def _update_model(phase: Phase) -> ArrayModel:
    """The update as one row per parameter (W^m row by row, then b^m): now, − update, and
    = after the step, so each row reads as the subtraction it is."""
    tables = phase.tables
    rows_of_weights, inputs = tables["old W"].shape
    labels = [weight_name(phase.layer, i, j) for i in range(rows_of_weights) for j in range(inputs)]
    labels += [bias_name(phase.layer, i) for i in range(rows_of_weights)]
    columns = [np.concatenate([tables[f"{which} W"].ravel(), tables[f"{which} b"]])
               for which in ("old", "update", "new")]
    return ArrayModel(np.column_stack(columns), labels, UPDATE_COLUMNS)


def _canvas_hint(phase: Phase, snapshot: Snapshot) -> str:
    """Which sample's values the canvas draws, for the phases with one row per sample."""
    if phase.kind not in ("forward", "cost", "backward"):
        return ""
    row = snapshot.probe.row
    where = (" (its row is tinted)" if np.any(snapshot.batch_rows == row)
             else "; it is not in this batch")
    return f" The canvas draws sample #{shown_index(row)}, the toolbar's Sample{where}."


class StepThroughPanel(QWidget):
    """The dock's contents: phase k of n, its title and explanation, its tables, the result
    message, and Back / Next / Apply step / Cancel (objectName stepThrough)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("stepThrough")
        self.counter_label = QLabel(objectName="stepThroughCounter")
        self.title_label = QLabel(objectName="stepThroughTitle", wordWrap=True)
        self.title_label.setStyleSheet("font-weight: bold;")
        self.explanation_label = QLabel(objectName="stepThroughExplanation", wordWrap=True)
        self.message_label = QLabel(objectName="stepThroughMessage", wordWrap=True)
        for label in (self.title_label, self.explanation_label, self.message_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.start_button = QPushButton("Step through", objectName="stepThroughStart")
        self.back_button = QPushButton("◀ Back", objectName="stepThroughBack")
        self.next_button = QPushButton("Next ▶", objectName="stepThroughNext")
        self.apply_button = QPushButton("Apply step", objectName="stepThroughApply")
        self.cancel_button = QPushButton("Cancel", objectName="stepThroughCancel")
        buttons = QHBoxLayout()
        buttons.addWidget(self.counter_label, 1)
        for button in (self.start_button, self.back_button, self.next_button, self.apply_button,
                       self.cancel_button):
            buttons.addWidget(button)
        self.tables_widget = QWidget(objectName="stepThroughTables")
        self.tables_layout = QGridLayout(self.tables_widget)
        self.tables_layout.setContentsMargins(0, 0, 0, 0)
        self.tables_area = QScrollArea(widgetResizable=True, objectName="stepThroughScroll")
        self.tables_area.setWidget(self.tables_widget)
        self.tables_area.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.title_label)
        layout.addWidget(self.explanation_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.tables_area, 1)
        self.tables: dict[str, ArrayView] = {}
        self.show_idle(IDLE_TEXT)

    def show_idle(self, message: str, style: str = "") -> None:
        """No walk: offer to start one; `message` says why (or how the last walk ended)."""
        self.counter_label.setText("No walk in progress")
        self.title_label.clear()
        self.explanation_label.clear()
        self._clear_tables()
        self.set_message(message, style)
        self.start_button.setVisible(True)
        for button in (self.back_button, self.next_button, self.apply_button,
                       self.cancel_button):
            button.setEnabled(False)

    def show_phase(self, phase: Phase, index: int, count: int, snapshot: Snapshot) -> None:
        """Phase `index` (0-based) of `count`, its tables laid out in lines."""
        self.start_button.setVisible(False)
        self.counter_label.setText(f"Phase {index + 1} of {count} · step {snapshot.step + 1}")
        self.title_label.setText(phase.title)
        self.explanation_label.setText(phase.explanation + _canvas_hint(phase, snapshot))
        self.set_message("")
        self.back_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < count - 1)
        self.apply_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        self.apply_button.setDefault(index == count - 1)
        self.next_button.setDefault(index < count - 1)
        self._show_tables(phase, snapshot)

    def set_message(self, text: str, style: str = "") -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet(style)
        self.message_label.setVisible(bool(text))

    def _clear_tables(self) -> None:
        while self.tables_layout.count():
            item = self.tables_layout.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()  # at once: deleteLater waits for the event loop
                widget.deleteLater()
        self.tables = {}

    def _show_tables(self, phase: Phase, snapshot: Snapshot) -> None:
        self._clear_tables()
        if phase.kind == "update":
            self._add_table("update", _caption("update", phase.layer), _update_model(phase), 0)
        else:
            in_batch = np.flatnonzero(snapshot.batch_rows == snapshot.probe.row).tolist()
            for column, (name, values) in enumerate(phase.tables.items()):
                rows, columns, per_sample = _table_labels(phase, name, values, snapshot)
                model = ArrayModel(values, rows, columns, in_batch if per_sample else ())
                self._add_table(name, _caption(name, phase.layer or len(snapshot.layers)),
                                model, column)
        self.tables_layout.setColumnStretch(self.tables_layout.columnCount(), 1)
        self.tables_layout.setRowStretch(self.tables_layout.rowCount(), 1)
        self._link_scrolling(list(self.tables.values()))

    def _add_table(self, name: str, caption: str, model: ArrayModel, column: int) -> None:
        view = ArrayView(model)
        view.setObjectName(f"stepThroughTable:{name}")
        self.tables_layout.addWidget(QLabel(caption), 0, column)
        self.tables_layout.addWidget(view, 1, column,
                                     Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.tables[name] = view

    @staticmethod
    def _link_scrolling(views: list[ArrayView]) -> None:
        """Tables with the same rows (samples, or neurons) scroll together."""
        for view in views:
            for other in views:
                if other is not view and other.model().rowCount() == view.model().rowCount():
                    view.verticalScrollBar().valueChanged.connect(
                        other.verticalScrollBar().setValue)


class StepThrough(QObject):
    """The walk: the paused Snapshot, its phases, the current one; drives the panel, the
    canvas and heatmap highlights, and the final Step. `finished(str)` says how it ended:
    "applied", "mismatch", "cancelled" or "stale"."""

    finished = Signal(str)

    def __init__(self, window: WindowApi, panel: StepThroughPanel, dock: QDockWidget) -> None:
        super().__init__(window)
        self.window = window
        self.panel = panel
        self.dock = dock
        self.action: QAction | None = None  # actionStepThrough
        self.key_actions: dict[QPushButton, QAction] = {}  # Next, Back, Cancel keys
        self.snapshot: Snapshot | None = None
        self.phases: list[Phase] = []
        self.index = 0
        self._applying = False
        # The state the idle message speaks of (how the last walk ended): another one shown
        # (a step, a hand edit, Reset, new data) puts the plain idle text back.
        self._message_state: Snapshot | None = None

    @property
    def active(self) -> bool:
        return self.snapshot is not None

    @property
    def phase(self) -> Phase | None:
        return self.phases[self.index] if self.active else None

    def start(self) -> None:
        """Pause, take the paused snapshot and show its first phase."""
        self.dock.show()
        self.dock.raise_()
        if self.active:
            return
        self.window.resizeDocks([self.dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)
        snapshot = self.window.sync()
        if snapshot is None:
            self.panel.show_idle("No snapshot to walk through yet.", ERROR_STYLE)
            return
        self.snapshot = snapshot
        self.phases = phases(snapshot)
        self.go_to(0)

    def go_to(self, index: int) -> None:
        if not self.active:
            return
        self.index = min(max(index, 0), len(self.phases) - 1)
        phase = self.phases[self.index]
        assert self.snapshot is not None
        self.panel.show_phase(phase, self.index, len(self.phases), self.snapshot)
        self._sync_keys()
        self.window.canvas.set_highlights(phase.neurons, phase.edges)
        shows_gradients = phase.kind in ("gradients", "update")
        self.window.heatmaps.set_highlighted_layer(phase.layer if shows_gradients else None)

    def next(self) -> None:
        self.go_to(self.index + 1)

    def back(self) -> None:
        self.go_to(self.index - 1)

    def cancel(self) -> None:
        """End the walk; nothing changes."""
        if self.active:
            self._end("Cancelled: nothing was changed.", "", "cancelled", self.snapshot)

    def apply(self) -> None:
        """One ordinary Step through the worker, then compare its parameters with the walk's
        new values, bit for bit."""
        if not self.active or self._applying:
            return
        if self.window.refuse_training():
            self._end("Not applied: these settings cannot learn (the banner says why).",
                      ERROR_STYLE, "cancelled", self.snapshot)
            return
        snapshot = self.snapshot
        assert snapshot is not None
        expected = resulting_params(snapshot)
        self._applying = True
        try:
            new = self._step_and_wait(snapshot.step + 1)
        finally:
            self._applying = False
        if new is None:
            self._end(f"Step {snapshot.step + 1} did not come back (diverged or timed out); "
                      f"check the banner.", ERROR_STYLE, "mismatch", self.window.snapshot)
        elif new.params.tobytes() == expected.tobytes():
            self._end(f"Applied step {new.step}: all {expected.size} new parameters equal the "
                      f"walk's new values bit for bit, exactly as a normal Step.",
                      OK_STYLE, "applied", new)
        else:
            difference = float(np.max(np.abs(new.params - expected)))
            text = (f"MISMATCH: step {new.step} made parameters that differ from the walk's "
                    f"new values (largest difference {difference:.3g}).")
            self.window.banner.show_message(text, error=True)
            self._end(text, ERROR_STYLE, "mismatch", new)

    def _step_and_wait(self, step: int) -> Snapshot | None:
        """Ask the worker for one Step; wait for the snapshot of step `step`, or None."""
        loop = QEventLoop()
        arrived: list[Snapshot] = []

        def on_shown(snapshot: Snapshot) -> None:
            if snapshot.step == step:
                arrived.append(snapshot)
                loop.quit()

        self.window.snapshot_shown.connect(on_shown)
        self.window.worker.diverged.connect(loop.quit)
        QTimer.singleShot(APPLY_TIMEOUT_MS, loop, loop.quit)
        self.window.worker.step(1)
        loop.exec()
        self.window.snapshot_shown.disconnect(on_shown)
        self.window.worker.diverged.disconnect(loop.quit)
        return arrived[0] if arrived else None

    def on_snapshot_shown(self, snapshot: Snapshot) -> None:
        """A snapshot of another state (trained, reset, new data, other settings) ends the
        walk; the same state sent again (the canvas's sample changed) does not."""
        if self.active and not self._applying and not self._same_state(snapshot):
            self._end("The walk ended: the network, its data or the settings changed, so its "
                      "numbers were stale. Nothing was applied.", ERROR_STYLE, "stale",
                      snapshot)
        elif (not self.active and self._message_state is not None
              and not self._same_state(snapshot, self._message_state)):
            self._message_state = None
            self.panel.show_idle(IDLE_TEXT)

    def on_play_toggled(self, playing: bool) -> None:
        if playing and self.active:
            self._end("The walk ended: training resumed. Nothing was applied.", ERROR_STYLE,
                      "stale", None)

    def _same_state(self, other: Snapshot, mine: Snapshot | None = None) -> bool:
        mine = self.snapshot if mine is None else mine
        assert mine is not None
        if other is mine:
            return True
        return (other.step == mine.step and other.sizes == mine.sizes
                and other.activation_names == mine.activation_names
                and all(np.array_equal(getattr(other, name), getattr(mine, name))
                        for name in ("params", "update", "batch_rows", "batch_inputs",
                                     "batch_targets")))

    def _end(self, message: str, style: str, how: str, state: Snapshot | None) -> None:
        """End the walk with `message`, which stays while `state` is shown (None: until
        the next snapshot)."""
        self.snapshot, self.phases, self.index = None, [], 0
        self._message_state = state if state is not None else self.window.snapshot
        self.window.canvas.clear_highlights()
        self.window.heatmaps.set_highlighted_layer(None)
        self.panel.show_idle(message, style)
        self._sync_keys()
        self.finished.emit(how)

    def _sync_keys(self) -> None:
        """A key works exactly when its button does (so N, B and Esc do nothing idle)."""
        for button, action in self.key_actions.items():
            action.setEnabled(button.isEnabled())


def _make_actions(window: WindowApi, walk: StepThrough) -> QAction:
    """The menu/toolbar action, and window-wide keys for Next (N), Back (B), Cancel (Esc)."""
    action = window.make_action("actionStepThrough", "Step through",
                                "Pause and walk the next mini-batch update phase by phase",
                                "Ctrl+T")
    action.triggered.connect(walk.start)
    window.train_menu.insertAction(window.reset_action, action)
    window.toolbar.insertAction(window.reset_action, action)
    panel = walk.panel
    for name, text, key, button, slot in (
        ("actionStepThroughNext", "Next phase", "N", panel.next_button, walk.next),
        ("actionStepThroughBack", "Previous phase", "B", panel.back_button, walk.back),
        ("actionStepThroughCancel", "Cancel the walk", "Esc", panel.cancel_button, walk.cancel),
    ):
        key_action = window.make_action(name, text, f"{text} ({key})", key)
        key_action.setEnabled(False)
        key_action.triggered.connect(slot)
        window.addAction(key_action)
        button.clicked.connect(slot)
        button.setToolTip(f"{text} ({key})")
        walk.key_actions[button] = key_action
    panel.apply_button.clicked.connect(walk.apply)
    panel.apply_button.setToolTip("Make exactly this update (one ordinary Step)")
    panel.start_button.clicked.connect(action.trigger)
    return action


def install_step_through(window: WindowApi) -> StepThrough:
    """Add the Step through action, its dock (bottom, beside the cost plot) and keys."""
    panel = StepThroughPanel()
    dock = window.add_dock("Step through", "stepThroughDock", panel,
                           Qt.DockWidgetArea.BottomDockWidgetArea, scrolls=True)
    window.tabifyDockWidget(window.cost_dock, dock)
    window.cost_dock.raise_()
    dock.hide()
    walk = StepThrough(window, panel, dock)
    walk.action = _make_actions(window, walk)
    window.snapshot_shown.connect(walk.on_snapshot_shown)
    window.play_action.toggled.connect(walk.on_play_toggled)
    return walk
