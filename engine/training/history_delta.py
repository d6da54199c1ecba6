"""Sending the per-epoch history of snapshots in parts: only what changed since the last one.

A full-batch run records thousands of epochs a second, up to 100,000 kept
(engine/training/epoch_history.py History): sent whole with every frame, that is megabytes 30
times a second. The history only grows at its end, except when it thins (every other entry goes)
or replaces its newest entry, so the sender keeps the arrays it sent last and sends the entries
from the first one that differs (`HistorySender`; a new trainer should get a new sender); the
receiver keeps what it received and puts the parts back together (`HistoryReceiver`). Both see
every snapshot, in order.
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np

from engine.training.snapshot import HistoryArrays, Snapshot

_NAMES = tuple(field.name for field in fields(HistoryArrays))


class HistorySender:
    """Cuts each snapshot's history to the entries the receiver does not have yet."""

    def __init__(self) -> None:
        self._sent: HistoryArrays | None = None

    def cut(self, snapshot: Snapshot) -> tuple[Snapshot, int]:
        """`snapshot` with only its history's entries from the returned position on."""
        history = snapshot.history
        start = 0
        if self._sent is not None:
            common = min(len(self._sent.epochs), len(history.epochs))
            # An entry is the same when its epoch, step and cost are (another run's history
            # has the same epochs and steps, but not the same costs).
            differs = np.zeros(common, dtype=bool)
            for name in ("epochs", "steps", "train_cost"):
                sent, now = getattr(self._sent, name)[:common], getattr(history, name)[:common]
                differs |= (sent != now) & ~(np.isnan(sent) & np.isnan(now))
            positions = np.flatnonzero(differs)
            start = int(positions[0]) if positions.size else common
        self._sent = history
        tail = HistoryArrays(*(getattr(history, name)[start:] for name in _NAMES))
        return replace(snapshot, history=tail), start


class HistoryReceiver:
    """Puts each snapshot's history back together from the part sent and those before it."""

    def __init__(self) -> None:
        self._received = HistoryArrays(*(np.empty(0) for _ in _NAMES))

    def join(self, snapshot: Snapshot, start: int) -> Snapshot:
        """`snapshot` with its whole history: the entries before `start` kept from the last."""
        joined = []
        for name in _NAMES:
            kept = getattr(self._received, name)[:start]
            values = np.concatenate([kept, getattr(snapshot.history, name)])
            values.flags.writeable = False
            joined.append(values)
        self._received = HistoryArrays(*joined)
        return replace(snapshot, history=self._received)
