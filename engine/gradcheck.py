"""Finite-difference gradient check: central differences for every parameter, with an error
model so that a check never cries wolf.

relative error = |g_a - g_n| / max(1e-12, |g_a| + |g_n|), per parameter, as in MATH.md. That
alone fails a correct engine once training has made some gradients tiny: at 1e-13 the central
difference is round-off (the cost's own rounding divided by 2h), and the relative error of
two noise-sized numbers is anything. So each parameter's difference g_n is also taken with
step 2h, and how far the two differ estimates g_n's own error (truncation, O(h^2), and
round-off, O(eps |C| / h), both show in it), floored at the round-off of the costs. Backprop
has round-off of its own, which matters just there: an output delta a - y of a sigmoid at
1 - 1e-13 keeps only three digits. `analytic_rounding` bounds it by running the backward pass
on magnitudes (eps |a| + eps |y| at the output, |W| and |sigma'| on the way back). A
parameter agrees when its relative error is below PASS_THRESHOLD or |g_a - g_n| is within
TOLERANCE_FACTOR times the sum of both estimates. A real bug (a factor 2, a sign, a missing
1/B) moves g_a by about |g|, far beyond the estimate wherever the gradient is resolved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.activations import get_activation
from engine.errors import DeltascopeError
from engine.losses import Loss, reduction_scale
from engine.network import Network, ParameterRef, parameter_count, parameter_views

Array = NDArray[np.float64]

PASS_THRESHOLD = 1e-6
TOLERANCE_FACTOR = 4.0
_ROUNDING = 64 * np.finfo(np.float64).eps  # a cost's rounding, relative, with room


class GradientCheckCancelled(DeltascopeError):
    """The person cancelled a running gradient check."""


def relative_error(analytic: Array, numeric: Array) -> Array:
    """|g_a - g_n| / max(1e-12, |g_a| + |g_n|), elementwise."""
    return np.abs(analytic - numeric) / np.maximum(1e-12, np.abs(analytic) + np.abs(numeric))


@dataclass(frozen=True)
class LayerCheck:
    """The worst agreement within one layer (1-based, as in MATH.md): the parameter whose
    difference is largest against what it may be (its `score`; above 1 is a disagreement)."""

    layer: int
    max_relative_error: float
    worst: ParameterRef
    worst_analytic: float
    worst_numeric: float
    worst_estimate: float = 0.0  # that parameter's estimated finite-difference error
    score: float = 0.0

    @property
    def worst_difference(self) -> float:
        return abs(self.worst_analytic - self.worst_numeric)

    @property
    def passed(self) -> bool:
        return self.score <= 1.0


@dataclass(frozen=True)
class GradientCheckResult:
    """analytic, numeric, relative_errors, estimates (each parameter's estimated
    finite-difference error) and scores (difference against what it may be; > 1 disagrees),
    all flat like Network.params; per-layer and overall worst."""

    analytic: Array
    numeric: Array
    relative_errors: Array
    layers: list[LayerCheck]
    worst: ParameterRef
    max_relative_error: float
    estimates: Array | None = None
    scores: Array | None = None

    @property
    def passed(self) -> bool:
        return all(layer.passed for layer in self.layers)


def agreement_scores(analytic: Array, numeric: Array, estimates: Array) -> Array:
    """How far each difference is beyond what it may be: the smaller of relative error /
    PASS_THRESHOLD and |g_a - g_n| / (TOLERANCE_FACTOR * estimate); at most 1 agrees."""
    difference = np.abs(analytic - numeric)
    by_relative = relative_error(analytic, numeric) / PASS_THRESHOLD
    allowed = TOLERANCE_FACTOR * estimates
    with np.errstate(divide="ignore", invalid="ignore"):
        by_estimate = np.where(difference == 0.0, 0.0, difference / allowed)
    return np.minimum(by_relative, np.nan_to_num(by_estimate, nan=np.inf, posinf=np.inf))


def analytic_rounding(network: Network, inputs: Array, targets: Array, loss: Loss,
                      reduction: str = "mean") -> Array:
    """A bound on the round-off in backprop's gradient, flat like the parameters: the backward
    pass of MATH.md on magnitudes, starting from the output delta's rounding
    eps (|a^L| + |y| + |delta^L|), each layer adding the rounding of its own sums."""
    eps = float(np.finfo(np.float64).eps)
    forward = network.forward(inputs)
    z_out, a_out = forward.pre_activations[-1], forward.outputs
    delta = np.abs(loss.output_delta(z_out, a_out, targets))
    error = eps * (np.abs(a_out) + np.abs(targets) + delta)
    scale = reduction_scale(reduction, inputs.shape[0])
    bound = np.zeros_like(network.params)
    weight_bounds, bias_bounds = parameter_views(bound, network.sizes)
    samples = inputs.shape[0]
    for m in range(network.depth, 0, -1):
        weights = np.abs(network.weights[m - 1])
        previous = np.abs(forward.activations[m - 1])
        total = error + samples * eps * delta  # the sums over samples round too
        weight_bounds[m - 1][...] = scale * (total.T @ previous)
        bias_bounds[m - 1][...] = scale * total.sum(axis=0)
        if m > 1:
            slope = np.abs(get_activation(network.activations[m - 2]).derivative(
                forward.pre_activations[m - 2], forward.activations[m - 1]))
            width = weights.shape[0]
            error = ((error + width * eps * delta) @ weights) * slope
            delta = (delta @ weights) * slope
    return bound


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
    return _differences(network, inputs, targets, loss, reduction, epsilon, progress)[0]


def _differences(
    network: Network, inputs: Array, targets: Array, loss: Loss, reduction: str,
    epsilon: float, progress: Callable[[int, int], bool] | None, with_estimates: bool = False,
) -> tuple[Array, Array]:
    """Central differences at `epsilon` and, with_estimates, each one's estimated error:
    |g(eps) - g(2 eps)| (truncation and round-off both show in it), at least the round-off
    of the costs used, _ROUNDING (|C+| + |C-|) / (2 eps)."""
    params = network.params
    numeric = np.empty_like(params)
    estimates = np.zeros_like(params)
    total = params.size

    def central(index: int, original: float, step: float) -> tuple[float, float]:
        params[index] = original + step
        cost_plus = network.cost(inputs, targets, loss, reduction)
        params[index] = original - step
        cost_minus = network.cost(inputs, targets, loss, reduction)
        params[index] = original
        return (cost_plus - cost_minus) / (2.0 * step), abs(cost_plus) + abs(cost_minus)

    for index in range(total):
        if progress is not None and index % 64 == 0 and not progress(index, total):
            raise GradientCheckCancelled("gradient check cancelled")
        original = params[index]
        numeric[index], cost_size = central(index, original, epsilon)
        if with_estimates:
            wider, _ = central(index, original, 2.0 * epsilon)
            rounding = _ROUNDING * cost_size / (2.0 * epsilon)
            estimates[index] = max(abs(numeric[index] - wider), rounding)
    if progress is not None:
        progress(total, total)
    return numeric, estimates


def check_gradients(
    network: Network,
    inputs: Array,
    targets: Array,
    loss: Loss,
    reduction: str = "mean",
    epsilon: float = 1e-5,
    progress: Callable[[int, int], bool] | None = None,
    analytic: Array | None = None,
) -> GradientCheckResult:
    """Backprop's gradient (or `analytic`, a gradient to test, flat like the parameters)
    against central differences with their error estimates, per layer and overall."""
    if analytic is None:
        analytic = network.gradients(inputs, targets, loss, reduction)[1].flat
    numeric, estimates = _differences(network, inputs, targets, loss, reduction, epsilon,
                                      progress, with_estimates=True)
    estimates = estimates + analytic_rounding(network, inputs, targets, loss, reduction)
    errors = relative_error(analytic, numeric)
    scores = agreement_scores(analytic, numeric, estimates)
    layers: list[LayerCheck] = []
    offset = 0
    for m in range(network.depth):
        count = parameter_count(network.sizes[m : m + 2])
        worst = offset + int(np.argmax(scores[offset : offset + count]))
        layers.append(LayerCheck(
            m + 1, float(np.max(errors[offset : offset + count])), network.parameter_at(worst),
            float(analytic[worst]), float(numeric[worst]), float(estimates[worst]),
            float(scores[worst])))
        offset += count
    worst_index = int(np.argmax(scores))
    return GradientCheckResult(
        analytic, numeric, errors, layers, network.parameter_at(worst_index),
        float(np.max(errors)), estimates, scores,
    )
