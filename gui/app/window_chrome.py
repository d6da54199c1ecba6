"""What the window is built of around its views: the actions, the File/Train/View menus, the
training toolbar (sample box, speed control), the docks, and the layout kept between runs.

WindowChromeMixin only builds; MainWindow wires the actions to what they do
(gui/app/main_window.py `_connect_actions`). `make_action`, `remember_checked` and `add_dock`
are the hooks every feature panel installs itself through (gui/panels/window_api.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QWidget

from gui.app.window_geometry import VerticalScrollArea, place_window
from gui.base.index_spin import IndexSpinBox
from gui.base.scrolling import ScrollingPanel
from gui.base.speed_control import DEFAULT_SPEED, SpeedControl
from gui.panels.gradcheck_panel import GradientCheckPanel

if TYPE_CHECKING:
    from gui.app.window_api import AppWindowApi

    _Base = AppWindowApi
else:
    _Base = object

SPEED_KEY = "trainingSpeed"


class WindowChromeMixin(_Base):
    """Actions, menus, toolbar and docks of MainWindow (built once, in this order)."""

    gradient_check: GradientCheckPanel

    def make_action(self, name: str, text: str, tip: str,
                    shortcut: QKeySequence | str | None = None,
                    checkable: bool = False) -> QAction:
        """A QAction with objectName, status tip and optional shortcut."""
        action = QAction(text, self, statusTip=tip, toolTip=tip, checkable=checkable)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        return action

    def remember_checked(self, action: QAction, key: str, default: bool) -> None:
        """Restore a checkable action's state from the settings (`default` the first time)
        and save it whenever it is toggled, so the choice outlives the run."""
        saved = self.settings.value(key, default)
        action.setChecked(saved in (True, "true"))  # an INI file gives a string back
        action.toggled.connect(lambda on: self.settings.setValue(key, on))

    def _create_actions(self) -> None:
        make = self.make_action
        self.play_action = make("actionPlayPause", "Play", "Start or pause training", "Space",
                                checkable=True)
        self.step_action = make("actionStep", "Step", "Train one mini-batch", "Right")
        self.step_epoch_action = make("actionStepEpoch", "Step epoch",
                                      "Train to the end of the current epoch", "Shift+Right")
        self.reset_action = make("actionReset", "Reset",
                                 "Re-initialize the weights from the seed", "Ctrl+R")
        self.gradient_colors_action = make(
            "actionColorByGradient", "Color by ∂C/∂w", "Color edges by gradient instead of weight",
            "G", checkable=True)
        self.gradient_check_action = make(
            "actionGradientCheck", "Gradient check",
            "Compare every gradient with central finite differences (pauses)", "Ctrl+G")
        self.open_dataset_action = make("actionOpenDataset", "Open Dataset…", "Load a CSV file",
                                        QKeySequence.StandardKey.Open)
        self.import_action = make("actionImportWeights", "Import Weights…",
                                  "Load weights from JSON or NPZ (as Export Weights writes them)",
                                  "Ctrl+I")
        self.export_action = make("actionExportWeights", "Export Weights…",
                                  "Save the weights as JSON, NPZ or an ONNX model (by the file's "
                                  "extension)", "Ctrl+E")
        self.copy_code_action = make(
            "actionCopyNumpyCode", "Copy as NumPy Code",
            "Copy a self-contained NumPy forward pass with the trained numbers", "Ctrl+Shift+C")
        self.export_plots_action = make("actionExportPlots", "Export Plots…",
                                        "Save the plots as shown, under the network canvas, as "
                                        "PNG or SVG", "Ctrl+Shift+E")
        self.restart_action = make(
            "actionRestartTraining", "Restart Training",
            "After the training process ended: start a new one from the last snapshot's weights")
        self.restart_action.setEnabled(False)
        self.quit_action = make("actionQuit", "Quit", "Close Deltascope",
                                QKeySequence.StandardKey.Quit)

    def _create_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for action in (self.open_dataset_action, self.import_action, self.export_action,
                       self.copy_code_action, self.export_plots_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.train_menu = self.menuBar().addMenu("&Train")
        for action in (self.play_action, self.step_action, self.step_epoch_action,
                       self.reset_action, self.gradient_check_action, self.restart_action):
            self.train_menu.addAction(action)
        self.view_menu = self.menuBar().addMenu("&View")
        self.view_menu.addAction(self.gradient_colors_action)
        self.view_menu.addSeparator()

    def _create_toolbars(self) -> None:
        toolbar = self.toolbar = self.addToolBar("Training")
        toolbar.setObjectName("trainingToolbar")
        for action in (self.play_action, self.step_action, self.step_epoch_action,
                       self.reset_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.gradient_check_action)
        toolbar.addAction(self.gradient_colors_action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Sample "))
        self.sample_spin = IndexSpinBox(objectName="sampleSpin", minimum=0, maximum=0,
                                    toolTip="Training sample whose activations the canvas shows",
                                    keyboardTracking=False)
        toolbar.addWidget(self.sample_spin)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Speed "))
        self.speed_control = SpeedControl()
        self.speed_control.set_speed(speed_setting(self.settings.value(SPEED_KEY, DEFAULT_SPEED)))
        toolbar.addWidget(self.speed_control)

    def show_sample(self, row: int) -> None:
        """Make training sample `row` the canvas's sample (as the toolbar's Sample box)."""
        self.sample_spin.setValue(row)

    def set_speed(self, steps_per_second: float | None) -> None:
        """Train at most this many steps a second while playing (None: as fast as possible);
        the toolbar's speed control shows it, and it is remembered."""
        self.speed_control.set_speed(steps_per_second)

    def _remember_speed(self, speed: float | None) -> None:
        self.settings.setValue(SPEED_KEY, "max" if speed is None else speed)

    def add_dock(self, title: str, name: str, widget: QWidget,
                 area: Qt.DockWidgetArea, scrolls: bool = False) -> QDockWidget:
        """Put `widget` in a dock (movable, closable, listed under View); `scrolls`: in a
        scroll area, so a panel larger than its room never widens the window."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(ScrollingPanel(widget) if scrolls else widget)
        self.addDockWidget(area, dock)
        self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def _create_docks(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.controls_dock = self.add_dock("Controls", "controlsDock",
                                           VerticalScrollArea(self.controls), left)
        self.data_dock = self.add_dock("Data", "dataDock", self.data_view, right)
        self.heatmaps_dock = self.add_dock("Gradients", "gradientsDock", self.heatmaps, right)
        self.cost_dock = self.add_dock("Cost", "costDock", self.cost_plot, bottom)
        self.check_dock = self.add_dock("Gradient check", "gradientCheckDock", self.gradient_check,
                                     left)
        self.tabifyDockWidget(self.controls_dock, self.check_dock)
        self.controls_dock.raise_()
        # Side docks run the full height; the cost plot sits under the canvas only.
        self.setCorner(Qt.Corner.BottomLeftCorner, left)
        self.setCorner(Qt.Corner.BottomRightCorner, right)

    def _apply_default_layout(self) -> None:
        """Dock sizes for a first run (no saved layout); needs the window's real size, so a
        small screen gives the canvas its share too."""
        width, height = self.width(), self.height()
        self.resizeDocks([self.controls_dock, self.data_dock], [270, min(400, width * 3 // 10)],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.data_dock, self.heatmaps_dock], [330, 400], Qt.Orientation.Vertical)
        self.resizeDocks([self.cost_dock], [min(250, height // 3)], Qt.Orientation.Vertical)

    def _read_settings(self) -> None:
        place_window(self, self.settings.value("geometry"))
        state = self.settings.value("windowState")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        else:
            QTimer.singleShot(0, self._apply_default_layout)

    def _write_settings(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState())
        self.settings.sync()


def speed_setting(saved: object) -> float | None:
    """A speed read back from the settings ("max", a number, or a number as text)."""
    if saved in (None, "max"):
        return None
    try:
        speed = float(saved)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_SPEED
    return speed if speed > 0 and speed == speed else DEFAULT_SPEED
