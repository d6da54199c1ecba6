""""Copy as NumPy code": a self-contained Python snippet that rebuilds a network's forward pass.

The snippet imports numpy only, holds every weight and bias as a full-precision float literal
(Python's repr round-trips float64 bit-exactly), and defines `forward(x)` computing exactly
what Network.predict computes, with the same formulas (e.g. the overflow-free sigmoid).
A network with input features gets a `features(x)` function too, which forward applies first;
a standardized network gets MEAN and STD, and forward computes (x - MEAN) / STD before all.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from engine.core.activations import LEAKY_SLOPE
from engine.core.errors import ConfigError
from engine.core.network import Network
from engine.core.notation import array_index_note

# Each activation's definition in the snippet (only those the network uses are included);
# `x` and `z` may be one sample (1-D) or a batch (2-D, one sample per row).
_DEFINITIONS: dict[str, str] = {
    "sigmoid": '''def sigmoid(z):
    """1 / (1 + e^(-z)) without overflow."""
    return np.exp(-np.logaddexp(0.0, -z))''',
    "tanh": '''def tanh(z):
    return np.tanh(z)''',
    "relu": '''def relu(z):
    return np.maximum(z, 0.0)''',
    "leaky_relu": f'''def leaky_relu(z):
    return np.where(z > 0, z, {LEAKY_SLOPE!r} * z)''',
    "linear": '''def linear(z):
    return z''',
    "softmax": '''def softmax(z):
    """e^(z_i) / sum_k e^(z_k) over the last axis, shifted by the max so nothing overflows."""
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)''',
}


# Each input feature's expression in the snippet, in terms of the raw columns x1 and x2
# (the same arithmetic as engine/core/features.py, so the numbers agree bit for bit).
_FEATURE_EXPRESSIONS: dict[str, str] = {
    "x1": "x1", "x2": "x2", "x1^2": "x1 * x1", "x2^2": "x2 * x2", "x1*x2": "x1 * x2",
    "sin(x1)": "np.sin(x1)", "sin(x2)": "np.sin(x2)",
}


def numpy_code(network: Network) -> str:
    """Python source that defines `forward(x)` for this network with its current numbers.

    x has shape (batch, W) or (W,) for one sample, W = network.input_width (the raw inputs);
    forward returns (batch, N^L) or (N^L,).
    ConfigError if a parameter is NaN or Inf (no literal would reproduce it).
    """
    if not np.all(np.isfinite(network.params)):
        raise ConfigError("cannot write NumPy code for weights that are NaN or Inf")
    unknown = sorted(set(network.activations) - set(_DEFINITIONS))
    if unknown:
        raise ConfigError(f"activation {unknown[0]!r} has no NumPy code")
    sizes = "-".join(map(str, network.sizes))
    width = network.input_width
    uses = (f"Input features a0 = ({', '.join(network.features)}) of the raw x = (x1, x2).\n"
            if network.features else "")
    if network.standardization is not None:
        uses = ("x is raw: forward standardizes it first, (x - MEAN) / STD, with the training "
                "split's\nmean and standard deviation.\n" + uses)
    parts = [
        f'"""Deltascope network {sizes} ({", ".join(network.activations)}): forward(x) '
        f"rebuilds its forward pass.\n\n"
        f"x: shape (batch, {width}), one sample per row, or ({width},) for one sample.\n"
        f"{uses}"
        f"Row i of W<m> holds the weights into neuron i of layer m; z = a W^T + b.\n"
        f"{array_index_note()}\n"
        '"""\n\nimport numpy as np',
        *([_standardization_constants(network)] if network.standardization is not None
          else []),
        *(_layer_constants(network, m) for m in range(1, network.depth + 1)),
        *([_features_source(network.features)] if network.features else []),
        *(_DEFINITIONS[name] for name in dict.fromkeys(network.activations)),
        _forward_source(network),
    ]
    return "\n\n\n".join(parts) + "\n"


def _standardization_constants(network: Network) -> str:
    standardization = network.standardization
    assert standardization is not None
    return ("# Input standardization (from the training split; a constant column's STD is 1)\n"
            f"MEAN = np.array({_literal_list(standardization.mean)})\n"
            f"STD = np.array({_literal_list(standardization.std)})")


def _layer_constants(network: Network, m: int) -> str:
    weights, biases = network.weights[m - 1], network.biases[m - 1]
    rows = ",\n".join(f"    {_literal_list(row)}" for row in weights)
    return (f"# Layer {m}: {weights.shape[1]} -> {weights.shape[0]}, "
            f"{network.activations[m - 1]}\n"
            f"W{m} = np.array([\n{rows},\n])\n"
            f"b{m} = np.array({_literal_list(biases)})")


def _literal_list(values: Iterable[float]) -> str:
    return "[" + ", ".join(repr(float(value)) for value in values) + "]"


def _features_source(features: tuple[str, ...]) -> str:
    columns = ", ".join(_FEATURE_EXPRESSIONS[feature] for feature in features)
    return "\n".join([
        "def features(x):",
        f'    """a0: the input features ({", ".join(features)}) of raw inputs x (last axis: '
        'x1, x2)."""',
        "    x1, x2 = x[..., 0], x[..., 1]",
        f"    return np.stack([{columns}], axis=-1)",
    ])


def _forward_source(network: Network) -> str:
    lines = [
        "def forward(x):",
        f'    """The network\'s output a^{network.depth} for inputs x."""',
        "    a = np.asarray(x, dtype=np.float64)",
    ]
    if network.standardization is not None:
        lines.append("    a = (a - MEAN) / STD")
    if network.features:
        lines.append("    a = features(a)")
    lines += [f"    a = {activation}(a @ W{m}.T + b{m})"
              for m, activation in enumerate(network.activations, start=1)]
    lines.append("    return a")
    return "\n".join(lines)
