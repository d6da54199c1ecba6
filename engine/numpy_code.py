""""Copy as NumPy code": a self-contained Python snippet that rebuilds a network's forward pass.

The snippet imports numpy only, holds every weight and bias as a full-precision float literal
(Python's repr round-trips float64 bit-exactly), and defines `forward(x)` computing exactly
what Network.predict computes, with the same formulas (e.g. the overflow-free sigmoid).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from engine.activations import LEAKY_SLOPE
from engine.errors import ConfigError
from engine.network import Network

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


def numpy_code(network: Network) -> str:
    """Python source that defines `forward(x)` for this network with its current numbers.

    x has shape (batch, N^0) or (N^0,) for one sample; forward returns (batch, N^L) or (N^L,).
    ConfigError if a parameter is NaN or Inf (no literal would reproduce it).
    """
    if not np.all(np.isfinite(network.params)):
        raise ConfigError("cannot write NumPy code for weights that are NaN or Inf")
    unknown = sorted(set(network.activations) - set(_DEFINITIONS))
    if unknown:
        raise ConfigError(f"activation {unknown[0]!r} has no NumPy code")
    sizes = "-".join(map(str, network.sizes))
    parts = [
        f'"""Deltascope network {sizes} ({", ".join(network.activations)}): forward(x) '
        f"rebuilds its forward pass.\n\n"
        f"x: shape (batch, {network.sizes[0]}), one sample per row, or ({network.sizes[0]},) "
        f"for one sample.\n"
        f"Row i of W<m> holds the weights into neuron i of layer m; z = a W^T + b.\n"
        '"""\n\nimport numpy as np',
        *(_layer_constants(network, m) for m in range(1, network.depth + 1)),
        *(_DEFINITIONS[name] for name in dict.fromkeys(network.activations)),
        _forward_source(network),
    ]
    return "\n\n\n".join(parts) + "\n"


def _layer_constants(network: Network, m: int) -> str:
    weights, biases = network.weights[m - 1], network.biases[m - 1]
    rows = ",\n".join(f"    {_literal_list(row)}" for row in weights)
    return (f"# Layer {m}: {weights.shape[1]} -> {weights.shape[0]}, "
            f"{network.activations[m - 1]}\n"
            f"W{m} = np.array([\n{rows},\n])\n"
            f"b{m} = np.array({_literal_list(biases)})")


def _literal_list(values: Iterable[float]) -> str:
    return "[" + ", ".join(repr(float(value)) for value in values) + "]"


def _forward_source(network: Network) -> str:
    lines = [
        "def forward(x):",
        f'    """The network\'s output a^{network.depth} for inputs x."""',
        "    a = np.asarray(x, dtype=np.float64)",
    ]
    lines += [f"    a = {activation}(a @ W{m}.T + b{m})"
              for m, activation in enumerate(network.activations, start=1)]
    lines.append("    return a")
    return "\n".join(lines)
