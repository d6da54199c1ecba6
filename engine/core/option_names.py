"""Readable names of the options the window offers (losses, activations, datasets, ...), for
the code names that sessions, weight files and the `train` command use (`half_sse`,
`reg-gauss`). The window shows the readable name and gives the code name in a tooltip."""

from __future__ import annotations

import re

OPTION_NAMES: dict[str, dict[str, str]] = {
    "dataset": {
        "xor": "XOR (4 points)", "xor-quadrants": "XOR quadrants", "circle": "Circle",
        "gauss": "Two Gaussians", "spiral": "Spiral", "moons": "Moons",
        "spiral3": "Spiral, 3 classes", "reg-plane": "Plane (regression)",
        "reg-gauss": "Gaussian (regression)",
    },
    "activation": {
        "tanh": "tanh", "relu": "ReLU", "leaky_relu": "Leaky ReLU", "sigmoid": "Sigmoid",
        "linear": "Linear (identity)", "softmax": "Softmax",
    },
    "loss": {
        "sse": "Squared error", "half_sse": "Half squared error", "mse": "Mean squared error",
        "bce": "Binary cross-entropy", "cross_entropy": "Cross-entropy",
    },
    "reduction": {"mean": "Mean over the batch", "sum": "Sum over the batch"},
    "initializer": {"xavier": "Xavier/Glorot", "he": "He (Kaiming)", "uniform": "Uniform"},
    "optimizer": {"sgd": "SGD", "momentum": "Momentum", "adam": "Adam"},
    "regularization": {"none": "None", "l1": "L1 (lasso)", "l2": "L2 (weight decay)"},
    "task": {"classification": "Classification", "regression": "Regression"},
}

# The `train` command's flag for each kind of option.
CLI_FLAGS: dict[str, str] = {
    "dataset": "--dataset", "activation": "--activation", "output_activation":
    "--output-activation", "loss": "--loss", "reduction": "--reduction",
    "initializer": "--init", "optimizer": "--optimizer", "regularization": "--regularization",
    "task": "--task",
}


def option_label(kind: str, code: str) -> str:
    """The readable name of option `code` of `kind` (the code itself if it has none)."""
    names = OPTION_NAMES["activation" if kind == "output_activation" else kind]
    return names.get(code, code)


def option_tip(kind: str, code: str) -> str:
    """Where the code name is used: 'code name half_sse (train --loss half_sse)'."""
    return f"code name {code} (train {CLI_FLAGS[kind]} {code})"


def with_readable_losses(text: str) -> str:
    """`text` (a message written for the CLI, with code names) for the window: each loss code
    name followed by the readable name the Loss box shows, e.g. "cross_entropy" becomes
    "cross_entropy (Cross-entropy)"."""
    names = OPTION_NAMES["loss"]
    pattern = re.compile(r"(?<![\w-])(" + "|".join(sorted(names, key=len, reverse=True))
                         + r")(?![\w-])")
    return pattern.sub(lambda match: f"{match.group(1)} ({names[match.group(1)]})", text)
