"""The learnability rules (engine/data/learnability.py) applied to a built Trainer: its
network's output and loss on all its data, and its rates."""

from __future__ import annotations

import numpy as np

from engine.data.dataset import Dataset
from engine.data.learnability import output_problems, rate_problems
from engine.training.trainer import Trainer


def trainer_output_problems(trainer: Trainer) -> list[str]:
    """`output_problems` of a built Trainer: its network's output and loss on all its data."""
    data = trainer.data
    both = data.train if not len(data.test) else Dataset(
        np.concatenate([data.train.inputs, data.test.inputs]),
        np.concatenate([data.train.targets, data.test.targets]), data.train.task,
        data.train.feature_names, data.train.target_names, data.train.class_names,
        data.train.name)
    return output_problems(trainer.network.activations[-1], trainer.loss.name,
                           trainer.network.sizes[-1], both)


def trainer_problems(trainer: Trainer) -> list[str]:
    """`problems` for a built Trainer (its network's output, loss, data and rates)."""
    rate = trainer.regularization_rate if trainer.regularization != "none" else 0.0
    return trainer_output_problems(trainer) + rate_problems(trainer.learning_rate, rate)
