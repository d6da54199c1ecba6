"""The timeline: scrub back through the last N training steps while paused.

A slider spans the steps the worker keeps (engine/training/step_history.py) up to the latest state.
Moving it while paused asks the worker to rebuild that step's Snapshot, which every view then
shows (read-only: a banner says so) and the cost plot marks. Latest, Play, Step, Reset or
anything else that sends a new snapshot returns the views to the latest state; training always
goes on from the latest state, never from the step on view. The memory the history reserves and
N (settable) are shown beside the slider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.training.snapshot import Snapshot
from engine.training.step_history import MIN_CAPACITY, HistoryInfo, epoch_position
from gui.panels.parameter_history import install_parameter_history

if TYPE_CHECKING:
    from gui.panels.window_api import WindowApi


def install_history(window: WindowApi) -> TimelinePanel:
    """The Timeline dock under the cost plot and the Parameter history dock beside it."""
    panel = TimelinePanel(window)
    dock = window.add_dock("Timeline", "timelineDock", panel,
                           Qt.DockWidgetArea.BottomDockWidgetArea)
    window.splitDockWidget(window.cost_dock, dock, Qt.Orientation.Vertical)
    install_parameter_history(window)
    return panel


def format_bytes(count: int) -> str:
    """`38 MB`, `4.4 MB`, `512 kB`: decimal units, two significant digits at least."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            value = count / size
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{count} B"


class ScrubSlider(QSlider):
    """A horizontal slider that keeps its keys: with focus, Left/Right move it one stored
    step instead of triggering the window's Step shortcut (which would train)."""

    _KEYS = frozenset({Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End,
                       Qt.Key.Key_PageUp, Qt.Key.Key_PageDown})

    def __init__(self) -> None:
        super().__init__(Qt.Orientation.Horizontal)

    def event(self, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and Qt.Key(event.key()) in self._KEYS):
            event.accept()
            return True
        return super().event(event)


class TimelinePanel(QWidget):
    """Slider over the stored steps (enabled while paused), Latest, and the history's size.

    `viewing` is the history Snapshot on view, or None while the views show the latest state.
    """

    def __init__(self, window: WindowApi) -> None:
        super().__init__()
        self.setObjectName("timeline")
        self._window = window
        self._info: HistoryInfo | None = None
        self._wanted: int | None = None  # the step asked for while scrubbing
        self._banner_text = ""
        self.viewing: Snapshot | None = None
        self._create_widgets()
        self._connect(window)

    def _create_widgets(self) -> None:
        self.back_button = QToolButton(text="◀", objectName="timelineBack", autoRaise=True,
                                       toolTip="One stored step back")
        self.forward_button = QToolButton(text="▶", objectName="timelineForward",
                                          autoRaise=True, toolTip="One stored step forward")
        self.slider = ScrubSlider()
        self.slider.setObjectName("timelineSlider")
        self.slider.setToolTip("Scrub back through the stored steps (while paused)")
        self.slider.setPageStep(10)
        self.latest_button = QToolButton(text="Latest", objectName="timelineLatest",
                                         toolTip="Show the latest state again")
        self.position_label = QLabel(objectName="timelinePosition")
        self.memory_label = QLabel(objectName="timelineMemory")
        self.capacity_spin = QSpinBox(objectName="timelineCapacity", prefix="max ",
                                      minimum=MIN_CAPACITY, maximum=MIN_CAPACITY,
                                      specialValueText="history off",
                                      keyboardTracking=False, accelerated=True)
        self.capacity_spin.setToolTip("How many of the last steps to keep for scrubbing (N); "
                                      "0 turns recording off")
        # Two rows, so the slider gets the dock's whole width: [◀ slider ▶ Latest] over
        # [position ... memory, N].
        scrubbing = QHBoxLayout()
        for widget in (self.back_button, self.slider, self.forward_button, self.latest_button):
            scrubbing.addWidget(widget, 1 if widget is self.slider else 0)
        status = QHBoxLayout()
        status.addWidget(self.position_label)
        status.addSpacing(8)  # never "(latest)10,000 steps kept" in a narrow dock
        status.addStretch(1)
        status.addWidget(self.memory_label)
        status.addSpacing(8)
        status.addWidget(self.capacity_spin)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 2)
        layout.setSpacing(0)
        layout.addLayout(scrubbing)
        layout.addLayout(status)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._set_enabled(False)

    def _connect(self, window: WindowApi) -> None:
        worker = window.worker
        worker.history_info.connect(self._on_history_info)
        worker.history_snapshot_ready.connect(self._on_history_snapshot)
        worker.playing_changed.connect(self._on_playing_changed)
        window.snapshot_shown.connect(self._on_snapshot_shown)
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.back_button.clicked.connect(lambda: self.slider.setValue(self.slider.value() - 1))
        self.forward_button.clicked.connect(lambda: self.slider.setValue(self.slider.value() + 1))
        self.latest_button.clicked.connect(self.return_to_live)
        self.capacity_spin.valueChanged.connect(window.worker.set_history_capacity)
        # The trainer started before this panel existed: its first report may have gone by.
        worker.request_history_info()

    # -- public API ------------------------------------------------------------------------

    @property
    def live_step(self) -> int:
        """The step of the latest state (the slider's right end)."""
        snapshot = self._window.snapshot
        return 0 if snapshot is None else snapshot.step

    @property
    def info(self) -> HistoryInfo | None:
        """What the worker's history held at its last report."""
        return self._info

    def show_step(self, step: int) -> None:
        """Move the slider to `step`, as a person would (ignored while it is disabled)."""
        if self.slider.isEnabled():
            self.slider.setValue(step)

    def return_to_live(self) -> None:
        """Show the latest state in every view again."""
        self._leave_history()
        if self._window.snapshot is not None:
            self._window.show_snapshot(self._window.snapshot)

    # -- worker and window events ----------------------------------------------------------

    def _on_history_info(self, info: HistoryInfo) -> None:
        self._info = info
        self.memory_label.setText(
            f"{info.kept:,} steps kept, {format_bytes(info.nbytes)}")
        self.memory_label.setToolTip(
            f"The last {info.capacity:,} steps are kept for scrubbing: "
            f"{format_bytes(info.nbytes)} reserved, {format_bytes(info.bytes_per_step)} a step")
        self.capacity_spin.blockSignals(True)
        self.capacity_spin.setMaximum(info.max_capacity)
        self.capacity_spin.setValue(info.capacity)
        self.capacity_spin.blockSignals(False)
        self._sync_slider()

    def _on_history_snapshot(self, snapshot: Snapshot) -> None:
        if self._wanted is None or self._window.playing:
            return  # back to the latest state since this was asked for
        self.viewing = snapshot
        self._window.show_snapshot(snapshot)
        self._window.cost_plot.set_marker(epoch_position(snapshot))
        self._set_slider_value(snapshot.step)
        self._banner_text = (f"Viewing step {snapshot.step:,} of {self.live_step:,} (history), "
                             "press Play or Latest to return")
        self._window.banner.show_message(self._banner_text)

    def _on_snapshot_shown(self, snapshot: Snapshot) -> None:
        if snapshot is self.viewing:
            return
        self._leave_history()
        self._sync_slider()

    def _on_playing_changed(self, playing: bool) -> None:
        if playing:
            self._leave_history()
        self._sync_slider()

    def _on_slider_moved(self, step: int) -> None:
        if step >= self.live_step:
            self.return_to_live()
            return
        self._wanted = step
        self.latest_button.setEnabled(True)
        self.position_label.setText(f"step {step:,}")
        self._window.worker.request_history_snapshot(step)

    # -- internals -------------------------------------------------------------------------

    def _leave_history(self) -> None:
        was_viewing = self.viewing is not None or self._wanted is not None
        self.viewing = None
        self._wanted = None
        self.latest_button.setEnabled(False)
        if not was_viewing:
            return
        self._window.cost_plot.set_marker(None)
        banner = self._window.banner
        if banner.isVisible() and banner.text == self._banner_text:
            banner.hide()
        self._banner_text = ""

    def _sync_slider(self) -> None:
        """Range: the oldest stored step to the latest state; at the latest unless scrubbing."""
        live = self.live_step
        info = self._info
        first = live if info is None or info.first_step is None else min(info.first_step, live)
        self.slider.blockSignals(True)
        self.slider.setRange(first, live)
        if self._wanted is None:
            self.slider.setValue(live)
        self.slider.blockSignals(False)
        self._set_enabled(not self._window.playing and first < live)
        if self._wanted is None:
            self.position_label.setText(f"step {live:,} (latest)")

    def _set_slider_value(self, step: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(step)
        self.slider.blockSignals(False)
        self.position_label.setText(f"step {step:,}")

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.slider, self.back_button, self.forward_button):
            widget.setEnabled(enabled)
        self.latest_button.setEnabled(self._wanted is not None)
