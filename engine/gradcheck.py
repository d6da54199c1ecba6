"""Finite-difference gradient check: central differences for every parameter.

relative error = |g_a - g_n| / max(1e-12, |g_a| + |g_n|), per parameter, as in MATH.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.errors import DeltascopeError
from engine.losses import Loss
from engine.network import Network, ParameterRef, parameter_count

Array = NDArray[np.float64]

PASS_THRESHOLD = 1e-6


class GradientCheckCancelled(DeltascopeError):
    """The person cancelled a running gradient check."""


def relative_error(analytic: Array, numeric: Array) -> Array:
    """|g_a - g_n| / max(1e-12, |g_a| + |g_n|), elementwise."""
    return np.abs(analytic - numeric) / np.maximum(1e-12, np.abs(analytic) + np.abs(numeric))


@dataclass(frozen=True)
class LayerCheck:
    """The worst agreement within one layer (1-based, as in MATH.md)."""

    layer: int
    max_relative_error: float
    worst: ParameterRef
    worst_analytic: float
    worst_numeric: float

    @property
    def passed(self) -> bool:
        return self.max_relative_error < PASS_THRESHOLD


@dataclass(frozen=True)
class GradientCheckResult:
    analytic: Array
    numeric: Array
    relative_errors: Array
    layers: list[LayerCheck]
    worst: ParameterRef
    max_relative_error: float

    @property
    def passed(self) -> bool:
        return self.max_relative_error < PASS_THRESHOLD


def numeric_gradient(
    network: Network,
    inputs: Array,
    targets: Array,
    loss: Loss,
    reduction: str = "mean",
    epsilon: float = 1e-5,
    progress: Callable[[int, int], bool] | None = None,
) -> Array:
    """(C(p + eps) - C(p - eps)) / (2 eps) for every parameter p; the network is restored exactly.

    `progress(done, total)` is called every so often; returning False cancels.
    """
    params = network.params
    numeric = np.empty_like(params)
    total = params.size
    for index in range(total):
        if progress is not None and index % 64 == 0 and not progress(index, total):
            raise GradientCheckCancelled("gradient check cancelled")
        original = params[index]
        params[index] = original + epsilon
        cost_plus = network.cost(inputs, targets, loss, reduction)
        params[index] = original - epsilon
        cost_minus = network.cost(inputs, targets, loss, reduction)
        params[index] = original
        numeric[index] = (cost_plus - cost_minus) / (2.0 * epsilon)
    if progress is not None:
        progress(total, total)
    return numeric


def check_gradients(
    network: Network,
    inputs: Array,
    targets: Array,
    loss: Loss,
    reduction: str = "mean",
    epsilon: float = 1e-5,
    progress: Callable[[int, int], bool] | None = None,
) -> GradientCheckResult:
    """Backprop's gradient against central differences, per layer and overall."""
    _, gradients = network.gradients(inputs, targets, loss, reduction)
    analytic = gradients.flat
    numeric = numeric_gradient(network, inputs, targets, loss, reduction, epsilon, progress)
    errors = relative_error(analytic, numeric)
    layers: list[LayerCheck] = []
    offset = 0
    for m in range(network.depth):
        count = parameter_count(network.sizes[m : m + 2])
        layer_errors = errors[offset : offset + count]
        worst = offset + int(np.argmax(layer_errors))
        layers.append(
            LayerCheck(
                m + 1, float(errors[worst]), network.parameter_at(worst),
                float(analytic[worst]), float(numeric[worst]),
            )
        )
        offset += count
    worst_index = int(np.argmax(errors))
    return GradientCheckResult(
        analytic, numeric, errors, layers, network.parameter_at(worst_index),
        float(errors[worst_index]),
    )
