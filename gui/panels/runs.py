"""Compare runs: "Pin run" keeps the current cost curves under a name, for comparison.

Pinned runs (at most MAX_RUNS) are overlaid in the cost plot and listed in the Runs dock
with the settings that made them and their final metrics; they can be hidden, renamed and
deleted there. A PinnedRun (gui/panels/pinned_run.py) is plain data a session file can hold.

Why this is long: the Runs dock's table model, its view and the controller that pins runs and
overlays them in the cost plot are one feature.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.base import dialogs
from gui.panels.pinned_run import (
    MAX_RUNS,
    PinnedRun,
    default_run_name,
    settings_details,
    settings_summary,
)
from gui.views.cost_plot import OVERLAY_COLORS, overlay_color

if TYPE_CHECKING:
    from gui.panels.window_api import WindowApi

AnyIndex = QModelIndex | QPersistentModelIndex

LIMIT_MESSAGE = (f"At most {MAX_RUNS} runs can be pinned: delete one in the Runs table "
                 "to pin another")
PIN_TIP = "Keep the current cost curves as a named run, to compare with later runs"
_WIDE_TABLE = 520  # pixels the Runs dock gets beside the cost plot when a run is pinned


def _metric_text(run: PinnedRun) -> str:
    """`accuracy 97.5% / 95.0%` (train / test) or `rmse 0.123`."""
    def number(value: float) -> str:
        if not math.isfinite(value):
            return "—"
        return f"{100 * value:.1f}%" if run.metric_name == "accuracy" else f"{value:.4g}"

    text = f"{run.metric_name} {number(run.final('train_metric'))}"
    if run.has_test_set:
        text += f" / {number(run.final('test_metric'))}"
    return text


def _cost_text(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{value:.4g}"


# -- the table -----------------------------------------------------------------------------


class RunsModel(QAbstractTableModel):
    """The pinned runs as table rows. `changed` follows every change of the runs."""

    SHOW, NAME, EPOCHS, TRAIN_COST, TEST_COST, METRIC, SETTINGS = range(7)
    HEADERS = ("Show", "Name", "Epochs", "Train cost", "Test cost", "Final metric", "Settings")
    TIPS = ("Show this run in the cost plot", "Double-click to rename", "Completed epochs",
            "Final training cost", "Final test cost", "Final metric: train / test",
            "The settings the run was trained with (hover for all of them)")

    _NUMBER_COLUMNS = (EPOCHS, TRAIN_COST, TEST_COST, METRIC)

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._runs: list[PinnedRun] = []
        self.pinned_count = 0  # runs pinned so far, for default names

    # -- access

    def runs(self) -> list[PinnedRun]:
        return list(self._runs)

    def run(self, row: int) -> PinnedRun:
        return self._runs[row]

    def is_full(self) -> bool:
        return len(self._runs) >= MAX_RUNS

    def next_color_index(self) -> int:
        """The first palette colour no pinned run uses."""
        used = {run.color_index for run in self._runs}
        return next(i for i in range(len(OVERLAY_COLORS)) if i not in used)

    # -- changes

    def add(self, run: PinnedRun) -> None:
        if self.is_full():
            raise ValueError(LIMIT_MESSAGE)
        row = len(self._runs)
        self.beginInsertRows(QModelIndex(), row, row)
        self._runs.append(run)
        self.endInsertRows()
        self.pinned_count += 1
        self.changed.emit()

    def remove_rows(self, rows: Sequence[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._runs[row]
            self.endRemoveRows()
        if rows:
            self.changed.emit()

    def set_runs(self, runs: Sequence[PinnedRun]) -> None:
        """Replace every run (e.g. from a session); raises ValueError beyond MAX_RUNS."""
        if len(runs) > MAX_RUNS:
            raise ValueError(LIMIT_MESSAGE)
        self.beginResetModel()
        self._runs = list(runs)
        self.endResetModel()
        self.pinned_count = len(self._runs)
        self.changed.emit()

    def rename(self, row: int, name: str) -> bool:
        """Give a run a new (non-blank) name; False, changing nothing, for a blank one."""
        return self.setData(self.index(row, self.NAME), name)

    def set_visible(self, row: int, visible: bool) -> bool:
        state = Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked
        return self.setData(self.index(row, self.SHOW), state, Qt.ItemDataRole.CheckStateRole)

    # -- Qt model interface

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._runs)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.TIPS[section]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.SHOW:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        elif index.column() == self.NAME:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run = self._runs[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(run, column)
        if column == self.SHOW and role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if run.visible else Qt.CheckState.Unchecked
        if column == self.SHOW and role == Qt.ItemDataRole.DecorationRole:
            return overlay_color(run.color_index)
        if role == Qt.ItemDataRole.ToolTipRole:
            return settings_details(run.config) if column == self.SETTINGS else run.name
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self._NUMBER_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: AnyIndex, value: Any,  # noqa: N802
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        row, column = index.row(), index.column()
        run = self._runs[row]
        if column == self.NAME and role == Qt.ItemDataRole.EditRole:
            name = str(value).strip()
            if not name or name == run.name:
                return False
            self._runs[row] = run.with_changes(name=name)
        elif column == self.SHOW and role == Qt.ItemDataRole.CheckStateRole:
            visible = Qt.CheckState(value) == Qt.CheckState.Checked
            if visible == run.visible:
                return False
            self._runs[row] = run.with_changes(visible=visible)
        else:
            return False
        self.dataChanged.emit(index, index, [role])
        self.changed.emit()
        return True

    def _text(self, run: PinnedRun, column: int) -> str | None:
        texts = {
            self.NAME: lambda: run.name,
            self.SETTINGS: lambda: settings_summary(run.config),
            self.EPOCHS: lambda: str(int(run.final("epochs"))) if len(run.epochs) else "0",
            self.TRAIN_COST: lambda: _cost_text(run.final("train_cost")),
            self.TEST_COST: lambda: _cost_text(run.final("test_cost")),
            self.METRIC: lambda: _metric_text(run),
        }
        text = texts.get(column)
        return text() if text is not None else None


class RunsPanel(QWidget):
    """The Runs dock's content: the table of pinned runs and Delete / Delete all."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runsPanel")
        self.model = RunsModel()
        self.table = QTableView(objectName="runsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.SelectedClicked)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(
            self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((RunsModel.SHOW, 56), (RunsModel.NAME, 180),
                              (RunsModel.EPOCHS, 56), (RunsModel.TRAIN_COST, 76),
                              (RunsModel.TEST_COST, 76), (RunsModel.METRIC, 140)):
            self.table.setColumnWidth(column, width)

        self.count_label = QLabel(objectName="runsCount")
        # Ignored: the label's text must not set the dock's minimum width.
        self.count_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.delete_button = QPushButton("Delete", objectName="runsDelete",
                                         toolTip="Delete the selected runs (Del)")
        self.delete_all_button = QPushButton("Delete all", objectName="runsDeleteAll",
                                             toolTip="Delete every pinned run")
        self.delete_button.clicked.connect(self.delete_selected)
        self.delete_all_button.clicked.connect(self.delete_all)
        delete_key = QShortcut(QKeySequence.StandardKey.Delete, self.table)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.activated.connect(self.delete_selected)
        self.table.installEventFilter(self)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(4, 0, 4, 0)
        buttons.addWidget(self.count_label, 1)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.delete_all_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)

        self.model.changed.connect(self._update_widgets)
        self.table.selectionModel().selectionChanged.connect(self._update_widgets)
        self._update_widgets()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        """Space in the table toggles the current run's checkbox, not the window's Play."""
        if (watched is self.table and event.type() == QEvent.Type.ShortcutOverride
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Space
                and event.modifiers() == Qt.KeyboardModifier.NoModifier):
            event.accept()
            return True
        return super().eventFilter(watched, event)

    def selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.table.selectionModel().selectedRows()})

    def delete_selected(self) -> None:
        """Delete the runs whose rows are selected."""
        self.model.remove_rows(self.selected_rows())

    def delete_all(self) -> None:
        """Delete every run, once the person agrees."""
        count = len(self.model.runs())
        if count == 0:
            return
        button = dialogs.Button
        answer = dialogs.ask(self, "Delete all runs?",
                             f"Delete all {count} pinned runs? This cannot be undone.",
                             button.Yes | button.Cancel, button.Cancel)
        if answer == button.Yes:
            self.model.set_runs([])

    def _update_widgets(self) -> None:
        count = len(self.model.runs())
        if count == 0:
            self.count_label.setText("No pinned runs yet (Train ▸ Pin run)")
        else:
            full = count >= MAX_RUNS
            self.count_label.setText(f"{count} of {MAX_RUNS} runs pinned{': full' if full else ''}")
        self.count_label.setToolTip(LIMIT_MESSAGE if count >= MAX_RUNS else "")
        self.delete_button.setEnabled(bool(self.selected_rows()))
        self.delete_all_button.setEnabled(count > 0)


# -- wiring into the window ----------------------------------------------------------------


class RunsController(QObject):
    """Pins the window's latest history and keeps the cost plot's overlays in step.

    A child of the window: `window.findChild(RunsController)` finds it.
    """

    def __init__(self, window: WindowApi, panel: RunsPanel) -> None:
        super().__init__(window)
        self.setObjectName("runsController")
        self._window = window
        self.panel = panel
        self.model = panel.model
        self.dock = window.add_dock("Runs", "runsDock", panel,
                                    Qt.DockWidgetArea.BottomDockWidgetArea, scrolls=True)
        self._place_dock()
        self.action = window.make_action("actionPinRun", "Pin run", PIN_TIP, "Ctrl+P")
        self.action.triggered.connect(self.pin)
        window.train_menu.addAction(self.action)
        window.toolbar.addAction(self.action)
        self.model.changed.connect(self._on_runs_changed)
        window.cost_plot.overlay_visibility_toggled.connect(self._on_legend_toggled)

    def _place_dock(self) -> None:
        """Beside the cost plot: in a tab with the Parameter history dock when there is one
        (that one stays in front until a run is pinned), else split off the cost dock."""
        window = self._window
        neighbour = window.findChild(QDockWidget, "parameterHistoryDock")
        if neighbour is not None and window.dockWidgetArea(neighbour) == window.dockWidgetArea(
                window.cost_dock):
            window.tabifyDockWidget(neighbour, self.dock)
            neighbour.raise_()
        else:
            window.splitDockWidget(window.cost_dock, self.dock, Qt.Orientation.Horizontal)

    def _bring_forward(self) -> None:
        """Show the Runs dock, wide enough for its table next to the cost plot."""
        self.dock.show()
        self.dock.raise_()
        if self.dock.isFloating():
            return
        total = self.dock.width() + self._window.cost_dock.width()
        wanted = min(_WIDE_TABLE, total // 2)
        if self.dock.width() < wanted and self._window.cost_dock.isVisible():
            self._window.resizeDocks([self._window.cost_dock, self.dock],
                                     [total - wanted, wanted], Qt.Orientation.Horizontal)

    def pin(self) -> PinnedRun | None:
        """Pin the latest history under a default name; None (saying why) if it cannot."""
        status = self._window.statusBar()
        if self.model.is_full():
            status.showMessage(LIMIT_MESSAGE, 10_000)
            return None
        snapshot = self._window.snapshot
        if snapshot is None or len(snapshot.history.epochs) == 0:
            status.showMessage("Nothing to pin yet: train at least one full epoch", 10_000)
            return None
        config = self._window.controls.config()
        name = default_run_name(self.model.pinned_count + 1, config)
        run = PinnedRun.from_snapshot(name, config, snapshot, self.model.next_color_index())
        self.model.add(run)
        self._bring_forward()
        count = len(self.model.runs())
        limit = ": that is the limit, delete one to pin another" if self.model.is_full() else ""
        status.showMessage(f"Pinned “{name}” ({count} of {MAX_RUNS}){limit}", 10_000)
        return run

    def _on_legend_toggled(self, row: int, visible: bool) -> None:
        """A run hidden by a click on its legend entry is unchecked in the table too."""
        if row < len(self.model.runs()):
            self.model.set_visible(row, visible)

    def _on_runs_changed(self) -> None:
        self._window.cost_plot.set_overlays([run.overlay() for run in self.model.runs()])
        # Kept enabled when full, so that pressing it says why nothing is pinned.
        tip = LIMIT_MESSAGE if self.model.is_full() else PIN_TIP
        self.action.setStatusTip(tip)
        self.action.setToolTip(tip)


def install_runs(window: WindowApi) -> RunsController:
    """Add Train ▸ Pin run (Ctrl+P, also on the toolbar) and the Runs dock beside the cost
    plot; pinned runs are overlaid in the cost plot."""
    return RunsController(window, RunsPanel())
