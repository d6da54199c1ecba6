"""What the panels need from the main window: WindowApi, a Protocol that MainWindow fulfils.

A panel's `install_…(window)` puts its dock, actions and menu entries into the window and
follows its signals. It is typed against this interface, not against MainWindow, so panels
never import gui/app (the window imports them) and the import graph has no cycle
(tests/test_architecture.py). A panel that needs more of the window adds it here, on purpose.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from PySide6.QtCore import QObject, Qt, SignalInstance
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QMenuBar, QStatusBar, QToolBar, QWidget

from engine.core.network import ParameterRef
from engine.training.snapshot import Snapshot
from gui.base.status import MessageBanner
from gui.panels.controls import ControlsPanel
from gui.trainer_link import TrainerLink
from gui.views.canvas import NetworkCanvas
from gui.views.cost_plot import CostPlot
from gui.views.data_view import DataView
from gui.views.heatmaps import GradientHeatmaps

QObjectT = TypeVar("QObjectT", bound=QObject)


class WindowApi(Protocol):
    """The window as features see it: its views, docks, menus, the trainer link, the shown
    snapshot and the few commands features may give it."""

    # signals
    snapshot_shown: SignalInstance  # every Snapshot the views show (Snapshot)
    selection_changed: SignalInstance  # the selected parameter (ParameterRef | None)
    training_saved: SignalInstance  # the shown weights were written to a chosen file

    # the views and the control panel
    canvas: NetworkCanvas
    cost_plot: CostPlot
    heatmaps: GradientHeatmaps
    data_view: DataView
    banner: MessageBanner
    controls: ControlsPanel

    # docks, menus, toolbar and the actions features attach to
    data_dock: QDockWidget
    cost_dock: QDockWidget
    train_menu: QMenu
    view_menu: QMenu
    toolbar: QToolBar
    play_action: QAction
    reset_action: QAction

    # state
    snapshot: Snapshot | None  # the shown one
    playing: bool

    @property
    def worker(self) -> TrainerLink: ...

    def make_action(self, name: str, text: str, tip: str,
                    shortcut: QKeySequence | str | None = None,
                    checkable: bool = False) -> QAction: ...
    def remember_checked(self, action: QAction, key: str, default: bool) -> None: ...
    def add_dock(self, title: str, name: str, widget: QWidget,
                 area: Qt.DockWidgetArea, scrolls: bool = False) -> QDockWidget: ...
    def select_parameter(self, ref: ParameterRef | None) -> None: ...
    def show_snapshot(self, snapshot: Snapshot) -> None: ...
    def sync(self) -> Snapshot | None: ...
    def refuse_training(self) -> bool: ...

    # what features use of QMainWindow
    def menuBar(self) -> QMenuBar: ...  # noqa: N802 (Qt's names)
    def statusBar(self) -> QStatusBar: ...  # noqa: N802
    def addAction(self, action: QAction) -> None: ...  # noqa: N802
    def findChild(self, type: type[QObjectT], name: str = ...) -> QObjectT: ...  # noqa: N802
    def findChildren(self, type: type[QObjectT], name: str = ...) -> list[QObjectT]: ...  # noqa: N802
    def tabifyDockWidget(self, first: QDockWidget, second: QDockWidget) -> None: ...  # noqa: N802
    def splitDockWidget(self, after: QDockWidget, dock: QDockWidget,  # noqa: N802
                        orientation: Qt.Orientation) -> None: ...
    def resizeDocks(self, docks: list[QDockWidget], sizes: list[int],  # noqa: N802
                    orientation: Qt.Orientation) -> None: ...
    def dockWidgetArea(self, dock: QDockWidget) -> Qt.DockWidgetArea: ...  # noqa: N802
