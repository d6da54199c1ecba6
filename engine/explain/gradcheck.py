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

from engine.core.activations import get_activation
from engine.core.errors import DeltascopeError
from engine.core.losses import Loss, reduction_scale
from engine.core.network import Network, ParameterRef, parameter_count, parameter_views

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
    one_sided: int = 0  # parameters differenced on one side of a ReLU kink
    unchecked: int = 0  # parameters with a ReLU kink on both sides (not checkable here)

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
    all flat like Network.params, and the params checked; per-layer and overall worst."""

    analytic: Array
    numeric: Array
    relative_errors: Array
    layers: list[LayerCheck]
    worst: ParameterRef
    max_relative_error: float
    estimates: Array | None = None
    scores: Array | None = None
    params: Array | None = None  # the parameters checked (a view shows a result only there)

    @property
    def passed(self) -> bool:
        return all(layer.passed for layer in self.layers)

    @property
    def one_sided(self) -> int:
        return sum(layer.one_sided for layer in self.layers)

    @property
    def unchecked(self) -> int:
        return sum(layer.unchecked for layer in self.layers)


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


KINKED = frozenset({"relu", "leaky_relu"})  # activations whose slope jumps at z = 0


def _differences(
    network: Network, inputs: Array, targets: Array, loss: Loss, reduction: str,
    epsilon: float, progress: Callable[[int, int], bool] | None, with_estimates: bool = False,
) -> tuple[Array, Array, Array]:
    """Central differences at `epsilon` and, with_estimates, each one's estimated error:
    |g(eps) - g(2 eps)| (truncation and round-off both show in it), at least the round-off
    of the costs used, _ROUNDING (|C+| + |C-|) / (2 eps).

    A ReLU's slope jumps at z = 0: when a step of up to 2 eps moves some pre-activation of
    a (leaky) ReLU layer across 0, the central difference mixes both slopes while backprop
    takes the one at p. Such a parameter is differenced on the side where every (leaky) ReLU
    input keeps its sign (from C(p), C(p -+ eps), C(p -+ 2 eps), second order), its error
    estimated against the first-order difference; when both sides cross, it cannot be
    checked there (estimate infinite). The third array marks these parameters: 1 one-sided,
    2 not checkable."""
    params = network.params
    numeric = np.empty_like(params)
    estimates = np.zeros_like(params)
    kinks = np.zeros_like(params)
    total = params.size
    kinked = [m for m, name in enumerate(network.activations) if name in KINKED]
    scale = reduction_scale(reduction, inputs.shape[0])

    def cost_and_signs(index: int, value: float) -> tuple[float, list[Array]]:
        original = params[index]
        params[index] = value
        try:
            if not kinked:
                return network.cost(inputs, targets, loss, reduction), []
            forward = network.forward(inputs)  # network.cost, keeping the ReLU inputs' signs
            per_sample = loss.per_sample(forward.pre_activations[-1], forward.outputs, targets)
            signs = [forward.pre_activations[m] > 0.0 for m in kinked]
            return float(per_sample.sum() * scale), signs
        finally:
            params[index] = original

    base_cost, base_signs = (cost_and_signs(0, params[0]) if with_estimates and kinked
                             else (0.0, []))

    def same(signs: list[Array]) -> bool:
        return all(np.array_equal(a, b) for a, b in zip(signs, base_signs, strict=True))

    for index in range(total):
        if progress is not None and index % 64 == 0 and not progress(index, total):
            raise GradientCheckCancelled("gradient check cancelled")
        original = params[index]
        plus, plus_signs = cost_and_signs(index, original + epsilon)
        minus, minus_signs = cost_and_signs(index, original - epsilon)
        numeric[index] = (plus - minus) / (2.0 * epsilon)
        if not with_estimates:
            continue
        plus2, plus2_signs = cost_and_signs(index, original + 2.0 * epsilon)
        minus2, minus2_signs = cost_and_signs(index, original - 2.0 * epsilon)
        if not kinked or (same(plus_signs) and same(plus2_signs)
                          and same(minus_signs) and same(minus2_signs)):
            wider = (plus2 - minus2) / (4.0 * epsilon)
            rounding = _ROUNDING * (abs(plus) + abs(minus)) / (2.0 * epsilon)
            estimates[index] = max(abs(numeric[index] - wider), rounding)
            continue
        if same(minus_signs) and same(minus2_signs):
            near, far, side = minus, minus2, -1.0
        elif same(plus_signs) and same(plus2_signs):
            near, far, side = plus, plus2, 1.0
        else:
            kinks[index], estimates[index] = 2, np.inf
            continue
        kinks[index] = 1
        # second order, (-3 C(p) + 4 C(p + s eps) - C(p + 2 s eps)) / (2 s eps), its error
        # bounded by its distance from the first-order (C(p + s eps) - C(p)) / (s eps)
        one_sided = side * (4.0 * near - far - 3.0 * base_cost) / (2.0 * epsilon)
        first_order = side * (near - base_cost) / epsilon
        numeric[index] = one_sided
        rounding = _ROUNDING * (abs(near) + abs(far) + abs(base_cost)) / epsilon
        estimates[index] = max(abs(one_sided - first_order), rounding)
    if progress is not None:
        progress(total, total)
    return numeric, estimates, kinks


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
    numeric, estimates, kinks = _differences(network, inputs, targets, loss, reduction, epsilon,
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
            float(scores[worst]), int(np.sum(kinks[offset : offset + count] == 1)),
            int(np.sum(kinks[offset : offset + count] == 2))))
        offset += count
    worst_index = int(np.argmax(scores))
    return GradientCheckResult(
        analytic, numeric, errors, layers, network.parameter_at(worst_index),
        float(np.max(errors)), estimates, scores, network.params.copy(),
    )
