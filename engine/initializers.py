"""Weight initialization schemes; biases are set to a constant (0 by default)."""

from __future__ import annotations

import numpy as np

from engine.errors import ConfigError
from engine.network import Network

INITIALIZERS: tuple[str, ...] = ("xavier", "he", "uniform")


def initialize(
    network: Network, scheme: str, rng: np.random.Generator, bias_value: float = 0.0
) -> None:
    """Fill the network's weights in place.

    xavier:  Glorot uniform, U(-l, l) with l = sqrt(6 / (fan_in + fan_out)).
    he:      normal with standard deviation sqrt(2 / fan_in) (for ReLU layers).
    uniform: U(-0.5, 0.5), as TensorFlow Playground does.
    """
    if scheme not in INITIALIZERS:
        raise ConfigError(f"unknown initializer {scheme!r} (known: {', '.join(INITIALIZERS)})")
    if not np.isfinite(bias_value):
        raise ConfigError(f"the bias value must be a finite number, got {bias_value}")
    for weights, biases in zip(network.weights, network.biases, strict=True):
        fan_out, fan_in = weights.shape
        if scheme == "xavier":
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            weights[...] = rng.uniform(-limit, limit, size=weights.shape)
        elif scheme == "he":
            weights[...] = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=weights.shape)
        else:
            weights[...] = rng.uniform(-0.5, 0.5, size=weights.shape)
        biases[...] = bias_value
