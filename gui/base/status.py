"""The status line (epoch, step, costs, speed) and the message banner above the canvas."""

from __future__ import annotations

import math
import time

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from engine.training.snapshot import Snapshot

RATE_INTERVAL = 0.5  # seconds between updates of the steps/s figure while playing


def _number(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.4g}"


def _costs(snapshot: Snapshot) -> list[str]:
    """Train and test cost and the train metric at the snapshot's weights, the numbers the
    Metrics dock and the Cost plot's "now" marker show (so a hand edit shows at once);
    the last epoch's record when the snapshot has no evaluation."""
    evaluation = snapshot.evaluation
    if evaluation is not None:
        train, test = evaluation.train.cost, evaluation.test.cost
        metric = (evaluation.train.accuracy if snapshot.metric_name == "accuracy"
                  else evaluation.train.rmse)
    else:
        history = snapshot.history
        train = float(history.train_cost[-1]) if len(history.train_cost) else math.nan
        test = float(history.test_cost[-1]) if len(history.test_cost) else math.nan
        metric = float(history.train_metric[-1]) if len(history.train_metric) else math.nan
    parts = [f"train cost {_number(train)}", f"test cost {_number(test)}"]
    if math.isfinite(metric):
        parts.append(f"train accuracy {metric:.1%}" if snapshot.metric_name == "accuracy"
                     else f"train RMSE {_number(metric)}")
    return parts


class StatusLine(QLabel):
    """`epoch 12 · step 340 · train cost 0.0123 · test cost – · train accuracy 100% ·
    12,345 steps/s`: costs and accuracy at the shown weights."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("statusLine")
        self._snapshot: Snapshot | None = None
        self._rate = 0.0
        self._rate_shown_at = -math.inf
        self._playing = False

    def set_snapshot(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._render()

    def set_rate(self, steps_per_second: float) -> None:
        """Take a new rate; it shows with the next frame, or after RATE_INTERVAL at most."""
        self._rate = steps_per_second
        if time.monotonic() - self._rate_shown_at >= RATE_INTERVAL:
            self._render()

    def set_playing(self, playing: bool) -> None:
        self._playing = playing
        self._render()

    def _render(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            self.setText("")
            return
        parts = [f"epoch {snapshot.epoch}", f"step {snapshot.step}", *_costs(snapshot)]
        parts.append(f"{self._rate:,.0f} steps/s" if self._playing else "paused")
        self._rate_shown_at = time.monotonic()
        text = "  ·  ".join(parts)
        if text != self.text():
            self.setText(text)


class MessageBanner(QWidget):
    """A dismissable line above the canvas for divergence and errors (objectName messageBanner)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("messageBanner")
        self.label = QLabel(wordWrap=True)
        self.label.setObjectName("messageText")
        close = QToolButton(text="✕", toolTip="Dismiss", autoRaise=True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.setAutoFillBackground(True)
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text()

    def show_message(self, text: str, error: bool = False) -> None:
        colour = "#fde8e8" if error else "#e8f1fd"
        border = "#d33" if error else "#3a7bd5"
        self.setStyleSheet(
            f"#messageBanner {{ background: {colour}; border-bottom: 2px solid {border}; }}"
            "#messageBanner QLabel { color: #212529; }")  # dark on the pale fill, any theme
        self.label.setText(text)
        self.show()
