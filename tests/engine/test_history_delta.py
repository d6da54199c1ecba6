"""The per-epoch history sent in parts comes back whole, through thinning and replacement."""

from __future__ import annotations

import numpy as np

from engine.data.datasets import make_dataset
from engine.training.config import TrainingConfig, build_trainer
from engine.training.history_delta import HistoryReceiver, HistorySender
from engine.training.snapshot import take_snapshot


def test_parts_rebuild_every_history_exactly_and_send_little() -> None:
    trainer = build_trainer(TrainingConfig(), make_dataset("xor"))
    trainer.history.capacity = 16  # thins often; once thinned, the newest is replaced
    sender, receiver = HistorySender(), HistoryReceiver()
    sent_entries = 0
    for _ in range(120):
        for _ in range(3):
            trainer.step()
        snapshot = take_snapshot(trainer, views=False)
        part, start = sender.cut(snapshot)
        sent_entries += len(part.history.epochs)
        whole = receiver.join(part, start).history
        for name in ("epochs", "steps", "train_cost", "test_cost", "train_metric",
                     "test_metric"):
            expected = getattr(snapshot.history, name)
            assert getattr(whole, name).tobytes() == expected.tobytes(), name
        assert not whole.epochs.flags.writeable
    assert len(snapshot.history.epochs) <= 16
    assert sent_entries < 120 * 16 / 2  # far less than the whole history every time


def test_a_new_history_starts_over() -> None:
    sender, receiver = HistorySender(), HistoryReceiver()
    for seed in (0, 1):
        trainer = build_trainer(TrainingConfig(seed=seed), make_dataset("xor"))
        for _ in range(5):
            trainer.step()
        snapshot = take_snapshot(trainer, views=False)
        whole = receiver.join(*sender.cut(snapshot)).history
        assert np.array_equal(whole.train_cost, snapshot.history.train_cost)
