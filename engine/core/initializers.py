"""Weight initialization schemes, each with its biases' starting value."""

from __future__ import annotations

import numpy as np

from engine.core.errors import ConfigError
from engine.core.network import Network

INITIALIZERS: tuple[str, ...] = ("xavier", "he", "uniform")

# Where each scheme starts the biases: TensorFlow Playground starts them at 0.1.
SCHEME_BIASES: dict[str, float] = {"xavier": 0.0, "he": 0.0, "uniform": 0.1}


def initialize(
    network: Network, scheme: str, rng: np.random.Generator, bias_value: float | None = None
) -> None:
    """Fill the network's weights and biases in place.

    xavier:  Glorot uniform, U(-l, l) with l = sqrt(6 / (fan_in + fan_out)); biases 0.
    he:      normal with standard deviation sqrt(2 / fan_in) (for ReLU layers); biases 0.
    uniform: U(-0.5, 0.5) weights and biases 0.1, as TensorFlow Playground does.
    `bias_value` overrides the scheme's bias.
    """
    if scheme not in INITIALIZERS:
        raise ConfigError(f"unknown initializer {scheme!r} (known: {', '.join(INITIALIZERS)})")
    bias = SCHEME_BIASES[scheme] if bias_value is None else bias_value
    if not np.isfinite(bias):
        raise ConfigError(f"the bias value must be a finite number, got {bias}")
    for weights, biases in zip(network.weights, network.biases, strict=True):
        fan_out, fan_in = weights.shape
        if scheme == "xavier":
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            weights[...] = rng.uniform(-limit, limit, size=weights.shape)
        elif scheme == "he":
            weights[...] = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=weights.shape)
        else:
            weights[...] = rng.uniform(-0.5, 0.5, size=weights.shape)
        biases[...] = bias
