"""Compare runs: "Pin run" keeps the current cost curves under a name, for comparison.

Pinned runs (at most MAX_RUNS) are overlaid in the cost plot and listed in the Runs dock
with the settings that made them and their final metrics; they can be hidden, renamed and
deleted there. A PinnedRun is plain data: `to_dict()` gives JSON-ready values and
`from_dict()` checks them, so a session file can hold the runs.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
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

from engine.config import HiddenLayer, TrainingConfig
from engine.errors import DeltascopeError
from engine.snapshot import Snapshot
from gui import dialogs
from gui.cost_plot import OVERLAY_COLORS, OverlayCurves, overlay_color

if TYPE_CHECKING:
    from gui.main_window import MainWindow

Array = NDArray[np.float64]
AnyIndex = QModelIndex | QPersistentModelIndex

MAX_RUNS = len(OVERLAY_COLORS)  # 20: one distinct colour each
LIMIT_MESSAGE = (f"At most {MAX_RUNS} runs can be pinned: delete one in the Runs table "
                 "to pin another")
PIN_TIP = "Keep the current cost curves as a named run, to compare with later runs"
RUN_FORMAT = 1
_WIDE_TABLE = 520  # pixels the Runs dock gets beside the cost plot when a run is pinned
_CURVES = ("epochs", "train_cost", "test_cost", "train_metric", "test_metric")


class RunFormatError(DeltascopeError, ValueError):
    """A pinned run's plain-data form (from a session file) that cannot be read."""


# -- the plain data ------------------------------------------------------------------------


def _frozen(values: Sequence[float] | Array) -> Array:
    array = np.array(values, dtype=np.float64, copy=True)
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class PinnedRun:
    """One pinned run: its name, the settings that made it and its per-epoch history.

    The curves are read-only float arrays of equal length, one entry per completed epoch
    (epochs increasing); test_cost and test_metric are NaN without a test set.
    metric_name is "accuracy" (a fraction) or "rmse". color_index picks its overlay colour.
    """

    name: str
    config: TrainingConfig
    metric_name: str
    epochs: Array
    train_cost: Array
    test_cost: Array
    train_metric: Array
    test_metric: Array
    step: int = 0
    visible: bool = True
    color_index: int = 0

    @classmethod
    def from_snapshot(cls, name: str, config: TrainingConfig, snapshot: Snapshot,
                      color_index: int = 0) -> PinnedRun:
        """The run whose latest state `snapshot` shows, trained with `config`."""
        history = snapshot.history
        return cls(
            name=name, config=config, metric_name=snapshot.metric_name,
            epochs=_frozen(history.epochs), train_cost=_frozen(history.train_cost),
            test_cost=_frozen(history.test_cost), train_metric=_frozen(history.train_metric),
            test_metric=_frozen(history.test_metric), step=snapshot.step,
            color_index=color_index,
        )

    def with_changes(self, **changes: Any) -> PinnedRun:
        return dataclasses.replace(self, **changes)

    @property
    def has_test_set(self) -> bool:
        return bool(np.isfinite(self.test_cost).any())

    def final(self, curve: str) -> float:
        """The last record of one curve ("train_cost", "test_metric", ...), NaN if none."""
        values: Array = getattr(self, curve)
        return float(values[-1]) if len(values) else math.nan

    def overlay(self) -> OverlayCurves:
        """What the cost plot draws for this run."""
        return OverlayCurves(self.name, self.epochs, self.train_cost, self.test_cost,
                             overlay_color(self.color_index), self.visible)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (NaN written as None)."""
        data: dict[str, Any] = {
            "format": RUN_FORMAT, "name": self.name, "config": config_to_dict(self.config),
            "metric_name": self.metric_name, "step": self.step, "visible": self.visible,
            "color_index": self.color_index,
        }
        for curve in _CURVES:
            data[curve] = [float(v) if math.isfinite(v) else None for v in getattr(self, curve)]
        return data

    @classmethod
    def from_dict(cls, data: object) -> PinnedRun:
        """The run that `to_dict` gave; raises RunFormatError saying what is wrong."""
        if not isinstance(data, Mapping):
            raise RunFormatError(f"a pinned run must be a mapping, got {type(data).__name__}")
        name = _field(data, "name", str, "the run")
        where = f"pinned run {name!r}"
        if data.get("format", RUN_FORMAT) != RUN_FORMAT:
            raise RunFormatError(f"{where}: unknown format {data.get('format')!r}")
        _reject_unknown(data, {"format", "name", "config", "metric_name", "step", "visible",
                               "color_index", *_CURVES}, where)
        metric_name = _field(data, "metric_name", str, where)
        if metric_name not in ("accuracy", "rmse"):
            raise RunFormatError(f"{where}: metric_name must be 'accuracy' or 'rmse', "
                                 f"got {metric_name!r}")
        curves = {curve: _curve(data, curve, where) for curve in _CURVES}
        lengths = {len(values) for values in curves.values()}
        if len(lengths) != 1:
            sizes = ", ".join(f"{curve} {len(values)}" for curve, values in curves.items())
            raise RunFormatError(f"{where}: the curves differ in length ({sizes})")
        epochs = curves["epochs"]
        if not (np.isfinite(epochs).all() and np.all(np.diff(epochs) > 0)):
            raise RunFormatError(f"{where}: epochs must be finite and increasing")
        color_index = _field(data, "color_index", int, where, default=0)
        if not 0 <= color_index < len(OVERLAY_COLORS):
            raise RunFormatError(f"{where}: color_index must be in [0, {len(OVERLAY_COLORS)}), "
                                 f"got {color_index}")
        return cls(
            name=name, config=config_from_dict(_field(data, "config", Mapping, where), where),
            metric_name=metric_name, step=_field(data, "step", int, where, default=0),
            visible=_field(data, "visible", bool, where, default=True),
            color_index=color_index, **{curve: _frozen(v) for curve, v in curves.items()},
        )


def runs_to_list(runs: Sequence[PinnedRun]) -> list[dict[str, Any]]:
    """Plain data for a session file."""
    return [run.to_dict() for run in runs]


def runs_from_list(data: object) -> list[PinnedRun]:
    """The runs `runs_to_list` gave; raises RunFormatError (also for more than MAX_RUNS)."""
    if not isinstance(data, list):
        raise RunFormatError(f"pinned runs must be a list, got {type(data).__name__}")
    if len(data) > MAX_RUNS:
        raise RunFormatError(f"at most {MAX_RUNS} pinned runs, got {len(data)}")
    return [PinnedRun.from_dict(item) for item in data]


def config_to_dict(config: TrainingConfig) -> dict[str, Any]:
    """A TrainingConfig as JSON-ready values (hidden layers as a list of mappings)."""
    data = dataclasses.asdict(config)
    data["hidden"] = [dict(layer) for layer in data["hidden"]]
    return data


def config_from_dict(data: object, where: str = "settings") -> TrainingConfig:
    """The TrainingConfig `config_to_dict` gave; missing settings take their defaults."""
    if not isinstance(data, Mapping):
        raise RunFormatError(f"{where}: config must be a mapping, got {type(data).__name__}")
    defaults = TrainingConfig()
    where = f"{where}, config"
    _reject_unknown(data, {field.name for field in dataclasses.fields(TrainingConfig)}, where)
    values: dict[str, Any] = {}
    for name, value in data.items():
        default = getattr(defaults, name)
        if name == "hidden":
            values[name] = _hidden_layers(value, where)
        elif name in ("samples", "noise") and value is None:
            values[name] = None
        elif name == "samples":
            values[name] = _field(data, name, int, where)
        elif name == "noise" or isinstance(default, float):
            values[name] = _field(data, name, float, where)
        else:
            values[name] = _field(data, name, type(default), where)
    return defaults.with_changes(**values)


def _hidden_layers(value: object, where: str) -> tuple[HiddenLayer, ...]:
    if not isinstance(value, list | tuple):
        raise RunFormatError(f"{where}: hidden must be a list of layers")
    layers = []
    for number, layer in enumerate(value, start=1):
        if not isinstance(layer, Mapping):
            raise RunFormatError(f"{where}: hidden layer {number} must be a mapping")
        _reject_unknown(layer, {"size", "activation"}, f"{where}, hidden layer {number}")
        layers.append(HiddenLayer(_field(layer, "size", int, f"{where}, hidden layer {number}"),
                                  _field(layer, "activation", str,
                                         f"{where}, hidden layer {number}")))
    return tuple(layers)


_MISSING = object()


def _field(data: Mapping[str, Any], key: str, kind: type, where: str,
           default: Any = _MISSING) -> Any:
    """data[key] checked to be a `kind` (an int passes as a float; a bool never as a number)."""
    if key not in data:
        if default is _MISSING:
            raise RunFormatError(f"{where}: missing {key!r}")
        return default
    value = data[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    is_number = kind in (int, float)
    if not isinstance(value, kind) or (is_number and isinstance(value, bool)):
        raise RunFormatError(f"{where}: {key!r} must be {_KIND_NAMES.get(kind, kind.__name__)}, "
                             f"got {value!r}")
    if kind is float and not math.isfinite(value):
        raise RunFormatError(f"{where}: {key!r} must be finite, got {value!r}")
    return value


_KIND_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
               Mapping: "a mapping"}


def _curve(data: Mapping[str, Any], key: str, where: str) -> Array:
    """A list of numbers (None for a missing value) as a float array with NaN."""
    values = data.get(key, _MISSING)
    if values is _MISSING:
        raise RunFormatError(f"{where}: missing {key!r}")
    if not isinstance(values, list | tuple):
        raise RunFormatError(f"{where}: {key!r} must be a list of numbers")
    numbers = []
    for position, value in enumerate(values):
        if value is None:
            numbers.append(math.nan)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            numbers.append(float(value))
        else:
            raise RunFormatError(f"{where}: {key}[{position}] must be a number or null, "
                                 f"got {value!r}")
    return np.array(numbers, dtype=np.float64)


def _reject_unknown(data: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        raise RunFormatError(f"{where}: unknown key(s) {', '.join(unknown)}")


# -- names and summaries -------------------------------------------------------------------


def architecture_text(config: TrainingConfig) -> str:
    """`4-tanh`, `8-relu 8-relu`, or `no hidden layer`."""
    if not config.hidden:
        return "no hidden layer"
    return " ".join(f"{layer.size}-{layer.activation}" for layer in config.hidden)


def default_run_name(number: int, config: TrainingConfig) -> str:
    """`run 1: adam lr 0.03 4-tanh`."""
    return (f"run {number}: {config.optimizer} lr {config.learning_rate:g} "
            f"{architecture_text(config)}")


def settings_summary(config: TrainingConfig) -> str:
    """One line: data, network, optimizer, batch, regularization, initializer, seed."""
    batch = "full batch" if config.batch_size == 0 else f"batch {config.batch_size}"
    regularization = ("no reg." if config.regularization == "none"
                      else f"{config.regularization.upper()} {config.regularization_rate:g}")
    return " · ".join([
        config.dataset, f"{architecture_text(config)} → {config.output_activation}",
        f"{config.optimizer} lr {config.learning_rate:g}", batch, regularization,
        config.initializer, f"seed {config.seed}",
    ])


def settings_details(config: TrainingConfig) -> str:
    """Every setting, one per line (the settings cell's tooltip)."""
    lines = []
    for name, value in config_to_dict(config).items():
        if name == "hidden":
            value = architecture_text(config)
        lines.append(f"{name.replace('_', ' ')}: {'default' if value is None else value}")
    return "\n".join(lines)


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

    def __init__(self, window: MainWindow, panel: RunsPanel) -> None:
        super().__init__(window)
        self.setObjectName("runsController")
        self._window = window
        self.panel = panel
        self.model = panel.model
        self.dock = window.add_dock("Runs", "runsDock", panel,
                                    Qt.DockWidgetArea.BottomDockWidgetArea)
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


def install_runs(window: MainWindow) -> RunsController:
    """Add Train ▸ Pin run (Ctrl+P, also on the toolbar) and the Runs dock beside the cost
    plot; pinned runs are overlaid in the cost plot."""
    return RunsController(window, RunsPanel())
