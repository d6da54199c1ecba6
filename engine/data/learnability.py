"""Settings that cannot learn, refused before training with the fix in the message.

The one place these rules live: `python main.py train` (exit 2 with the message), the
window (a banner; Play and Step stay refused until the settings are fixed) and opening a
session file all ask `problems` (or its parts), so they cannot drift apart.

Each function returns the problems it finds as one-line messages that say what is wrong,
why it cannot learn, and what to choose instead; an empty list means it can learn.
"""

from __future__ import annotations

import math

import numpy as np

from engine.core.errors import ConfigError
from engine.data.dataset import Dataset

# Playground's noise slider shows 0..50 %; our number is that fraction, 0..0.5.
NOISE_RANGE = (0.0, 0.5)
# The values each bounded output activation can give (targets outside can never be reached).
OUTPUT_RANGES: dict[str, tuple[float, float]] = {
    "sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, math.inf),
}


class CannotLearnError(ConfigError):
    """Settings that would train without learning; the message says how to fix them."""


def noise_problems(noise: float | None) -> list[str]:
    """Noise must be a fraction in [0, 0.5] (Playground's percentage / 100)."""
    if noise is None:
        return []
    low, high = NOISE_RANGE
    if not math.isfinite(noise) or not low <= noise <= high:
        hint = ""
        if math.isfinite(noise) and 1 <= noise <= 100 * high:  # 0.6 is no percentage
            hint = (f"; TensorFlow Playground's {noise:g}% is noise {noise / 100:g} here")
        return [f"noise {noise:g} is outside {low:g}..{high:g}: noise is a fraction of the data's "
                f"scale, not a percentage{hint}"]
    return []


def rate_problems(learning_rate: float, regularization_rate: float = 0.0) -> list[str]:
    """A learning rate > 0 and finite; a regularization rate >= 0 and finite (0 = off)."""
    found = []
    if not (math.isfinite(learning_rate) and learning_rate > 0.0):
        why = ("nothing changes" if learning_rate == 0.0 else "steps go uphill"
               if learning_rate < 0.0 else "every step is undefined")
        found.append(f"learning rate {learning_rate:g}: {why}; use a finite number > 0 "
                     "(e.g. 0.03)")
    if not (math.isfinite(regularization_rate) and regularization_rate >= 0.0):
        found.append(f"regularization rate {regularization_rate:g}: use a finite number >= 0 "
                     "(0 turns it off; e.g. 0.001)")
    return found


def samples_problems(samples: float | None) -> list[str]:
    """A generated dataset needs at least one sample."""
    if samples is None:
        return []
    if not math.isfinite(samples) or samples < 1 or samples != int(samples):
        return [f"samples must be at least 1, got {samples:g}: use a whole number >= 1 "
                "(e.g. 500)"]
    return []


def loss_for_output(output_activation: str, loss: str) -> str:
    """`loss`, or the loss that goes with `output_activation` when `loss` cannot (softmax:
    cross_entropy, sigmoid: bce, any other output: mse). Used when an output is chosen."""
    paired = {"softmax": "cross_entropy", "sigmoid": "bce"}.get(output_activation, "mse")
    if loss in ("bce", "cross_entropy") or output_activation == "softmax":
        return paired
    return loss


def output_problems(output_activation: str, loss: str, outputs: int,
                    dataset: Dataset) -> list[str]:
    """The output layer, its loss and the targets they are to learn (`dataset` encoded for the
    output, engine/data/tasks.py for_output)."""
    found = []
    classes = dataset.class_count if dataset.task == "classification" else 0
    if output_activation == "softmax" and outputs == 1:
        found.append(
            "softmax over one output is always 1, so the cost cannot change and nothing is "
            "learned: " + ("use one sigmoid output with bce, or two softmax outputs with "
                           "cross_entropy" if classes == 2 else
                           "use a linear output with mse for regression, or a sigmoid output "
                           "with bce for two classes"))
    if loss == "cross_entropy" and output_activation != "softmax":
        found.append(
            f"cross_entropy after a {output_activation} output learns only from each sample's "
            "true class and never pushes the other outputs down: use a softmax output with "
            "cross_entropy, or a sigmoid output with bce")
    if loss == "bce" and output_activation != "sigmoid":
        found.append(
            f"bce needs each output to be a probability from a sigmoid, not {output_activation}: "
            "use a sigmoid output with bce (or softmax with cross_entropy for one-hot classes, "
            "a linear output with mse for regression)")
    expected = dataset.targets.shape[1]
    if outputs != expected:
        found.append(_size_problem(outputs, expected, classes, output_activation))
    elif len(dataset):
        found += _range_problems(output_activation, loss, dataset)
    return found


def _size_problem(outputs: int, expected: int, classes: int, output_activation: str) -> str:
    if classes == 2:
        need = ("2 classes need 1 sigmoid output (bce) or 2 softmax outputs (cross_entropy)")
    elif classes:
        need = f"{classes} classes need {classes} outputs (softmax with cross_entropy)"
    else:
        need = f"{expected} target column{'s' * (expected != 1)} need{'s' * (expected == 1)} " \
               f"{expected} output{'s' * (expected != 1)}"
    return (f"the output layer has {outputs} neuron{'s' * (outputs != 1)} but {need}: give the "
            f"output layer {expected} neuron{'s' * (expected != 1)} for a {output_activation} "
            "output")


def _range_problems(output_activation: str, loss: str, dataset: Dataset) -> list[str]:
    low_target, high_target = float(np.min(dataset.targets)), float(np.max(dataset.targets))
    found = []
    if loss == "bce" and (low_target < 0.0 or high_target > 1.0):
        found.append(f"bce needs targets in [0, 1], but they run from {low_target:g} to "
                     f"{high_target:g}: use mse with a linear output for numbers like these")
    if output_activation in OUTPUT_RANGES:
        low, high = OUTPUT_RANGES[output_activation]
        if low_target < low or high_target > high:
            reach = f"[{low:g}, {high:g}]" if math.isfinite(high) else f"[{low:g}, ∞)"
            found.append(
                f"a {output_activation} output only gives values in {reach}, but the targets "
                f"run from {low_target:g} to {high_target:g}, so it can never reach them: use "
                "a linear output (or scale the targets into that range)")
    return found


def problems(*, output_activation: str, loss: str, outputs: int, dataset: Dataset,
             learning_rate: float, regularization_rate: float = 0.0) -> list[str]:
    """Every reason these settings cannot learn this data (empty: they can)."""
    return (output_problems(output_activation, loss, outputs, dataset)
            + rate_problems(learning_rate, regularization_rate))


def refuse(found: list[str]) -> None:
    """CannotLearnError with the first problem (and how many more), if there are any."""
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise CannotLearnError(f"cannot learn: {found[0]}{more}")
