"""Backpropagation against central finite differences, the batch invariants of MATH.md, and
proof that the gradient check catches every mistake MATH.md lists.

Pass criterion for one parameter (used throughout): relative error
|g_a - g_n| / max(1e-12, |g_a| + |g_n|) < 1e-6 (MATH.md's definition, PASS_THRESHOLD), or an
absolute difference |g_a - g_n| < 1e-9. Why the absolute escape: a central difference with
eps = 1e-5 carries rounding error ~1e-16 |C| / eps ~ 1e-11 and truncation error
~eps^2 |C'''| / 6 ~ 1e-11, so for a parameter whose true gradient is itself tiny (a
near-cancelling path, a saturated sigmoid, a leaky_relu 0.01 branch) a *correct* gradient
can show a relative error above 1e-6 while agreeing to 1e-11 absolutely. Every mistake
below moves some gradient by orders of magnitude more than 1e-9 (the mistake detectors
show a relative error > 1e-3), so the escape hides nothing real.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import engine.core.activations as activations_module
from engine.core.activations import HIDDEN_ACTIVATIONS, sigmoid
from engine.core.losses import Loss
from engine.core.network import Gradients, Network, parameter_count, parameter_views
from engine.explain.gradcheck import (
    PASS_THRESHOLD,
    GradientCheckCancelled,
    GradientCheckResult,
    check_gradients,
    numeric_gradient,
    relative_error,
)

Array = NDArray[np.float64]

RELATIVE_TOLERANCE = 1e-6
ABSOLUTE_TOLERANCE = 1e-9
MISTAKE_THRESHOLD = 1e-3
# A relu/leaky_relu unit within this distance of its kink could flip sides under a +-1e-5
# parameter nudge (|dz| <= eps * |a_prev| ~ a few 1e-5); keep every such z well clear.
KINK_MARGIN = 1e-3
KINKED = frozenset({"relu", "leaky_relu"})

SQUARED_LOSSES = ("sse", "half_sse", "mse")
# Every loss with every output activation whose outputs lie in that loss's domain:
# squared errors take any output; bce needs outputs in (0, 1) (sigmoid: the combined a - t
# form; softmax: the chain rule through the full Jacobian); cross_entropy needs a > 0
# (softmax: combined; sigmoid: per-output -t log a).
PAIRINGS: tuple[tuple[str, str], ...] = (
    *(
        (loss, output)
        for loss in SQUARED_LOSSES
        for output in ("linear", "tanh", "sigmoid", "softmax", "relu", "leaky_relu")
    ),
    ("bce", "sigmoid"),
    ("bce", "softmax"),
    ("cross_entropy", "softmax"),
    ("cross_entropy", "sigmoid"),
)
COMBINED = [("bce", "sigmoid"), ("cross_entropy", "softmax")]
ARCHITECTURES: dict[str, tuple[int, ...]] = {"3-4-3-2": (3, 4, 3, 2), "3-5-3": (3, 5, 3)}


# -- helpers -------------------------------------------------------------------------------


def case_seed(*parts: object) -> int:
    """A stable seed per test case (Python's hash() is salted per process)."""
    return zlib.crc32(repr(parts).encode())


def make_targets(
    loss: str, output: str, rng: np.random.Generator, batch: int, outputs: int
) -> Array:
    """Targets valid for the loss: 0/1 for bce, one-hot for cross_entropy (and softmax)."""
    if loss == "bce":
        return rng.integers(0, 2, size=(batch, outputs)).astype(np.float64)
    if loss == "cross_entropy" or output == "softmax":
        return np.eye(outputs)[rng.integers(0, outputs, size=batch)]
    if output == "sigmoid":
        return rng.uniform(0.05, 0.95, size=(batch, outputs))
    if output == "tanh":
        return rng.uniform(-0.9, 0.9, size=(batch, outputs))
    return rng.normal(size=(batch, outputs))


def kinks_are_clear(network: Network, inputs: Array) -> bool:
    """True when no relu/leaky_relu pre-activation is within KINK_MARGIN of 0."""
    forward = network.forward(inputs)
    return all(
        np.abs(z).min() > KINK_MARGIN
        for z, name in zip(forward.pre_activations, network.activations, strict=True)
        if name in KINKED
    )


def random_case(
    sizes: tuple[int, ...], hidden: str, output: str, loss: str, batch: int, seed: int
) -> tuple[Network, Array, Array, Loss]:
    """A random network (nonzero biases), inputs and valid targets, with relu kinks avoided
    and not every path dead (a relu output that is off for the whole batch has an all-zero
    gradient, which any check would pass)."""
    activations = [hidden] * (len(sizes) - 2) + [output]
    for attempt in range(200):
        rng = np.random.default_rng([seed, attempt])
        network = Network(sizes, activations)
        network.params[:] = rng.normal(0.0, 0.8, size=network.params.size)
        inputs = rng.normal(size=(batch, sizes[0]))
        targets = make_targets(loss, output, rng, batch, sizes[-1])
        if not kinks_are_clear(network, inputs):
            continue
        _, gradients = network.gradients(inputs, targets, network.loss(loss))
        if np.abs(gradients.flat).max() > 1e-3:
            return network, inputs, targets, network.loss(loss)
    pytest.fail(f"no kink-free, live draw for {sizes} {activations}")  # pragma: no cover


def mismatches(result: GradientCheckResult) -> list[str]:
    """Parameters failing the module's criterion, labelled for the failure message."""
    difference = np.abs(result.analytic - result.numeric)
    bad = ~((result.relative_errors < RELATIVE_TOLERANCE) | (difference < ABSOLUTE_TOLERANCE))
    return [
        f"index {i}: analytic {result.analytic[i]:.12g} numeric {result.numeric[i]:.12g} "
        f"rel {result.relative_errors[i]:.3g}"
        for i in np.flatnonzero(bad)
    ]


def single_sample_gradients(
    network: Network, inputs: Array, targets: Array, loss: Loss
) -> list[Gradients]:
    return [
        network.gradients(inputs[s : s + 1], targets[s : s + 1], loss, "sum")[1]
        for s in range(len(inputs))
    ]


# -- 1. every activation x loss x output x reduction x batch size vs finite differences ------


@pytest.mark.parametrize("architecture", list(ARCHITECTURES))
@pytest.mark.parametrize("batch", [1, 5])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("loss_name", "output"), PAIRINGS)
@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_backprop_matches_central_differences(
    hidden: str, loss_name: str, output: str, reduction: str, batch: int, architecture: str
) -> None:
    sizes = ARCHITECTURES[architecture]
    seed = case_seed(hidden, loss_name, output, reduction, batch, architecture)
    network, inputs, targets, loss = random_case(sizes, hidden, output, loss_name, batch, seed)
    if {hidden, output} & KINKED:
        assert kinks_are_clear(network, inputs)
    params_before = network.params.copy()

    result = check_gradients(network, inputs, targets, loss, reduction)

    assert np.all(np.isfinite(result.analytic)) and np.all(np.isfinite(result.numeric))
    assert not mismatches(result), "\n".join(mismatches(result))
    # the check restores every parameter exactly
    assert np.array_equal(network.params, params_before)
    # and the gradients are not trivially zero (the check would then prove nothing)
    assert np.abs(result.analytic).max() > 1e-3


def test_check_gradients_reports_layers_and_worst_parameter() -> None:
    network, inputs, targets, loss = random_case((3, 4, 3, 2), "tanh", "sigmoid", "bce", 5, 7)
    result = check_gradients(network, inputs, targets, loss)
    assert result.passed and result.max_relative_error < PASS_THRESHOLD == 1e-6
    assert [layer.layer for layer in result.layers] == [1, 2, 3]
    offset = 0
    for layer, (n_in, n_out) in zip(result.layers, [(3, 4), (4, 3), (3, 2)], strict=True):
        count = n_out * (n_in + 1)
        errors = result.relative_errors[offset : offset + count]
        assert layer.max_relative_error == errors.max()
        assert layer.worst.layer == layer.layer
        worst_index = network.flat_index(layer.worst)
        assert offset <= worst_index < offset + count
        assert layer.worst_analytic == result.analytic[worst_index]
        assert layer.worst_numeric == result.numeric[worst_index]
        offset += count
    assert result.max_relative_error == result.relative_errors.max()
    assert network.flat_index(result.worst) == int(np.argmax(result.relative_errors))
    expected = relative_error(result.analytic, result.numeric)
    assert np.array_equal(result.relative_errors, expected)


def test_relative_error_is_the_math_md_formula() -> None:
    analytic = np.array([1.0, 1.0, 0.0, 1e-13, 2.0, -3.0])
    numeric = np.array([1.0, -1.0, 0.0, 0.0, 1.0, -2.5])
    # |ga - gn| / max(1e-12, |ga| + |gn|)
    expected = np.array([0.0, 1.0, 0.0, 1e-13 / 1e-12, 1.0 / 3.0, 0.5 / 5.5])
    np.testing.assert_allclose(relative_error(analytic, numeric), expected, rtol=1e-12)


def test_numeric_gradient_restores_parameters_and_reports_progress() -> None:
    network, inputs, targets, loss = random_case((2, 3, 1), "tanh", "sigmoid", "bce", 4, 3)
    before = network.params.copy()
    calls: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> bool:
        calls.append((done, total))
        return True

    numeric = numeric_gradient(network, inputs, targets, loss, "mean", 1e-5, progress)
    assert numeric.shape == network.params.shape
    assert np.array_equal(network.params, before)
    assert calls[-1] == (network.params.size, network.params.size)


def test_gradient_check_can_be_cancelled_and_leaves_parameters_alone() -> None:
    network, inputs, targets, loss = random_case((3, 30, 2), "tanh", "softmax",
                                                 "cross_entropy", 3, 5)
    before = network.params.copy()
    calls: list[int] = []

    def progress(done: int, total: int) -> bool:
        calls.append(done)
        return done < 64  # cancel on the second report

    with pytest.raises(GradientCheckCancelled):
        check_gradients(network, inputs, targets, loss, progress=progress)
    assert calls == [0, 64]
    assert np.array_equal(network.params, before)


# -- 2. invariants -------------------------------------------------------------------------

architectures = st.lists(st.integers(1, 6), min_size=2, max_size=5).map(tuple)


@settings(max_examples=60, deadline=None, database=None)
@given(
    sizes=architectures,
    batch=st.integers(1, 8),
    reduction=st.sampled_from(["mean", "sum"]),
    hidden=st.sampled_from(HIDDEN_ACTIVATIONS),
    pairing=st.sampled_from(PAIRINGS),
    seed=st.integers(0, 2**32 - 1),
)
def test_batch_gradients_are_scaled_sums_over_samples(
    sizes: tuple[int, ...], batch: int, reduction: str, hidden: str,
    pairing: tuple[str, str], seed: int,
) -> None:
    """dC/db^m = scale * 1^T Delta^m (one entry per neuron), dC/dW^m = scale * Delta^T A^(m-1)."""
    loss_name, output = pairing
    rng = np.random.default_rng(seed)
    network = Network(sizes, [hidden] * (len(sizes) - 2) + [output])
    network.params[:] = rng.normal(0.0, 0.8, size=network.params.size)
    inputs = rng.normal(size=(batch, sizes[0]))
    targets = make_targets(loss_name, output, rng, batch, sizes[-1])
    forward, gradients = network.gradients(inputs, targets, network.loss(loss_name), reduction)

    scale = 1.0 / batch if reduction == "mean" else 1.0
    assert gradients.scale == scale
    assert gradients.flat.shape == (parameter_count(sizes),)
    weight_views, bias_views = parameter_views(gradients.flat, sizes)
    for m in range(network.depth):
        n_in, n_out = sizes[m], sizes[m + 1]
        delta = gradients.deltas[m]
        assert delta.shape == (batch, n_out)
        assert forward.pre_activations[m].shape == (batch, n_out)
        assert forward.activations[m + 1].shape == (batch, n_out)
        # per neuron, over the sample axis: a vector of N^m entries, not one shared scalar
        assert gradients.biases[m].shape == (n_out,)
        np.testing.assert_allclose(
            gradients.biases[m], scale * delta.sum(axis=0), rtol=1e-12, atol=1e-300
        )
        assert gradients.weights[m].shape == (n_out, n_in)
        np.testing.assert_allclose(
            gradients.weights[m], scale * delta.T @ forward.activations[m],
            rtol=1e-10, atol=1e-14,
        )
        # the views agree with the flat vector's layout
        assert np.array_equal(weight_views[m], gradients.weights[m])
        assert np.array_equal(bias_views[m], gradients.biases[m])


@settings(max_examples=40, deadline=None, database=None)
@given(
    sizes=architectures,
    batch=st.integers(1, 6),
    hidden=st.sampled_from(HIDDEN_ACTIVATIONS),
    seed=st.integers(0, 2**32 - 1),
)
def test_hidden_deltas_follow_the_backward_recurrence(
    sizes: tuple[int, ...], batch: int, hidden: str, seed: int
) -> None:
    """delta^m = (delta^(m+1) W^(m+1)) * sigma'^m(z^m), samples as rows (MATH.md)."""
    rng = np.random.default_rng(seed)
    network = Network(sizes, [hidden] * (len(sizes) - 2) + ["linear"])
    network.params[:] = rng.normal(0.0, 0.8, size=network.params.size)
    inputs = rng.normal(size=(batch, sizes[0]))
    targets = rng.normal(size=(batch, sizes[-1]))
    forward, gradients = network.gradients(inputs, targets, network.loss("half_sse"), "mean")
    # linear output + half_sse: delta^L = a - t per sample, unreduced by the batch mean
    np.testing.assert_allclose(gradients.deltas[-1], forward.outputs - targets, rtol=1e-12)
    activation = activations_module.get_activation(hidden)
    for m in range(network.depth - 1):
        z, a = forward.pre_activations[m], forward.activations[m + 1]
        expected = (gradients.deltas[m + 1] @ network.weights[m + 1]) * activation.derivative(z, a)
        np.testing.assert_allclose(gradients.deltas[m], expected, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize(("loss_name", "output"), PAIRINGS)
def test_mean_reduction_is_sum_reduction_over_batch_size(loss_name: str, output: str) -> None:
    batch = 6
    network, inputs, targets, loss = random_case(
        (3, 4, 3), "tanh", output, loss_name, batch, case_seed("mean-sum", loss_name, output)
    )
    _, mean = network.gradients(inputs, targets, loss, "mean")
    _, total = network.gradients(inputs, targets, loss, "sum")
    np.testing.assert_allclose(mean.flat, total.flat / batch, rtol=1e-12, atol=1e-300)
    assert mean.cost == pytest.approx(total.cost / batch, rel=1e-12)
    np.testing.assert_array_equal(mean.per_sample_costs, total.per_sample_costs)
    for m in range(network.depth):  # deltas are per sample: the reduction doesn't touch them
        np.testing.assert_array_equal(mean.deltas[m], total.deltas[m])


@pytest.mark.parametrize(("loss_name", "output"), PAIRINGS)
@pytest.mark.parametrize("hidden", ["sigmoid", "relu"])
def test_batch_gradient_is_mean_of_one_sample_gradients(
    hidden: str, loss_name: str, output: str
) -> None:
    batch = 5
    network, inputs, targets, loss = random_case(
        (3, 4, 3, 2), hidden, output, loss_name, batch,
        case_seed("per-sample", hidden, loss_name, output),
    )
    _, mean = network.gradients(inputs, targets, loss, "mean")
    _, total = network.gradients(inputs, targets, loss, "sum")
    singles = single_sample_gradients(network, inputs, targets, loss)
    stacked = np.stack([g.flat for g in singles])
    np.testing.assert_allclose(mean.flat, stacked.mean(axis=0), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(total.flat, stacked.sum(axis=0), rtol=1e-10, atol=1e-15)
    per_sample = np.array([g.cost for g in singles])
    np.testing.assert_allclose(mean.per_sample_costs, per_sample, rtol=1e-12)
    assert mean.cost == pytest.approx(per_sample.mean(), rel=1e-12)
    assert total.cost == pytest.approx(per_sample.sum(), rel=1e-12)
    for m in range(network.depth):  # the batch's delta rows are each sample's own delta
        rows = np.vstack([g.deltas[m] for g in singles])
        np.testing.assert_allclose(mean.deltas[m], rows, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("loss_name", "output"), PAIRINGS)
def test_reported_cost_agrees_with_gradient_along_a_random_direction(
    loss_name: str, output: str, reduction: str
) -> None:
    """(C(p + h d) - C(p - h d)) / 2h == grad . d: the gradient is the gradient of the cost
    that is reported (Gradients.cost and Network.cost), with the same reduction."""
    seed = case_seed("direction", loss_name, output, reduction)
    network, inputs, targets, loss = random_case((3, 4, 3, 2), "tanh", output, loss_name, 5, seed)
    direction = np.random.default_rng(seed).normal(size=network.params.size)
    direction /= np.linalg.norm(direction)
    _, gradients = network.gradients(inputs, targets, loss, reduction)
    assert gradients.cost == network.cost(inputs, targets, loss, reduction)
    origin = network.params.copy()
    step = 1e-5
    network.params[:] = origin + step * direction
    cost_plus = network.cost(inputs, targets, loss, reduction)
    network.params[:] = origin - step * direction
    cost_minus = network.cost(inputs, targets, loss, reduction)
    network.params[:] = origin
    directional = (cost_plus - cost_minus) / (2 * step)
    assert directional == pytest.approx(float(gradients.flat @ direction), rel=1e-6, abs=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("loss_name", "output"), COMBINED)
def test_combined_output_delta_is_a_minus_t(loss_name: str, output: str, reduction: str) -> None:
    network, inputs, targets, loss = random_case(
        (3, 4, 3), "tanh", output, loss_name, 5, case_seed("combined", loss_name, output)
    )
    assert loss.combined
    forward, gradients = network.gradients(inputs, targets, loss, reduction)
    np.testing.assert_array_equal(gradients.deltas[-1], forward.outputs - targets)
    # and equals the chain rule dC/da * sigma'(z) (or J^T dC/da for softmax) it short-cuts
    chain = loss.output_activation.backward(
        forward.pre_activations[-1], forward.outputs, loss.grad_a(forward.outputs, targets)
    )
    np.testing.assert_allclose(gradients.deltas[-1], chain, rtol=1e-9, atol=1e-12)


# -- 3. the gradient check catches each mistake MATH.md lists --------------------------------


def checked(
    sizes: tuple[int, ...], activations: list[str], loss: Loss | str,
    *, batch: int = 5, seed: int = 11, reduction: str = "mean",
    targets_for: tuple[str, str] | None = None,
) -> GradientCheckResult:
    """Build the network *now* (after any monkeypatching) and check its gradients."""
    rng = np.random.default_rng(seed)
    network = Network(sizes, activations)
    network.params[:] = rng.normal(0.0, 0.8, size=network.params.size)
    inputs = rng.normal(size=(batch, sizes[0]))
    loss_object = network.loss(loss) if isinstance(loss, str) else loss
    if not isinstance(loss, str):  # the loss must follow the (possibly patched) output layer
        loss_object = dataclasses.replace(loss, output_activation=network.activation_functions[-1])
    name, output = targets_for or (loss_object.name, activations[-1])
    targets = make_targets(name, output, rng, batch, sizes[-1])
    return check_gradients(network, inputs, targets, loss_object, reduction)


def patch_activation(monkeypatch: pytest.MonkeyPatch, name: str, **changes: object) -> None:
    wrong = dataclasses.replace(activations_module.ACTIVATIONS[name], **changes)
    monkeypatch.setitem(activations_module.ACTIVATIONS, name, wrong)


def assert_caught(result: GradientCheckResult) -> None:
    assert not result.passed
    assert result.max_relative_error > MISTAKE_THRESHOLD


def assert_clean(result: GradientCheckResult) -> None:
    assert not mismatches(result), "\n".join(mismatches(result))


SIGMOID_NET = ((3, 4, 3, 2), ["sigmoid", "sigmoid", "linear"])


def test_control_the_correct_engine_passes_the_mistake_setups() -> None:
    sizes, acts = SIGMOID_NET
    assert_clean(checked(sizes, acts, "half_sse"))
    assert_clean(checked((3, 4, 2), ["sigmoid", "sigmoid"], "half_sse"))
    assert_clean(checked((3, 4, 3), ["tanh", "softmax"], "half_sse"))


def test_catches_sigmoid_with_the_wrong_sign_in_the_exponent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Mistake 1: 1 / (1 + e^z) with the derivative a (1 - a) of the real sigmoid."""
    patch_activation(monkeypatch, "sigmoid", function=lambda z: 1.0 / (1.0 + np.exp(z)))
    sizes, acts = SIGMOID_NET
    assert_caught(checked(sizes, acts, "half_sse"))
    assert_caught(checked((3, 4, 2), ["tanh", "sigmoid"], "sse"))


class FlippedSquaredError(Loss):
    """Mistake 2: d/da 1/2 (t - a)^2 written as (t - a)."""

    def grad_a(self, a: Array, targets: Array) -> Array:
        return targets - a


def test_catches_the_wrong_sign_of_the_squared_error_derivative() -> None:
    tanh = activations_module.get_activation("tanh")
    assert_caught(checked((3, 4, 2), ["sigmoid", "tanh"], FlippedSquaredError("half_sse", tanh)))
    linear = activations_module.get_activation("linear")
    assert_caught(checked((3, 4, 2), ["relu", "linear"], FlippedSquaredError("half_sse", linear)))


@pytest.mark.parametrize(
    "wrong_derivative",
    [
        pytest.param(lambda z, a: sigmoid(a) * (1.0 - sigmoid(a)), id="sigmoid'(a)"),
        pytest.param(lambda z, a: z * (1.0 - z), id="z(1-z)"),
    ],
)
@pytest.mark.parametrize("where", ["hidden", "output"])
def test_catches_the_sigmoid_derivative_evaluated_at_the_wrong_place(
    monkeypatch: pytest.MonkeyPatch, wrong_derivative: Callable[[Array, Array], Array], where: str
) -> None:
    """Mistake 3: sigma' applied to the output a, or the a(1 - a) shortcut applied to z."""
    patch_activation(monkeypatch, "sigmoid", derivative=wrong_derivative)
    if where == "hidden":
        assert_caught(checked(*SIGMOID_NET, "half_sse"))
    else:  # not combined with bce, so the output derivative is used
        assert_caught(checked((3, 4, 2), ["tanh", "sigmoid"], "mse"))


def test_catches_tanh_derivative_written_with_z(monkeypatch: pytest.MonkeyPatch) -> None:
    patch_activation(monkeypatch, "tanh", derivative=lambda z, a: 1.0 - z * z)
    assert_caught(checked((3, 4, 2), ["tanh", "linear"], "half_sse"))


def test_catches_a_forgotten_hidden_derivative(monkeypatch: pytest.MonkeyPatch) -> None:
    patch_activation(monkeypatch, "tanh", derivative=lambda z, a: np.ones_like(z))
    assert_caught(checked((3, 4, 2), ["tanh", "linear"], "half_sse"))


def test_catches_softmax_treated_as_elementwise(monkeypatch: pytest.MonkeyPatch) -> None:
    """softmax' is a full Jacobian; its diagonal a(1 - a) alone is wrong for squared error."""
    patch_activation(monkeypatch, "softmax", elementwise=True)
    assert_caught(checked((3, 4, 3), ["tanh", "softmax"], "half_sse"))


def patch_backward(
    monkeypatch: pytest.MonkeyPatch, corrupt: Callable[[Network, Gradients, list[Array]], None]
) -> None:
    """Wrap Network.backward; `corrupt` edits the bias gradients (views of a copied flat)."""
    original = Network.backward

    def wrong_backward(self: Network, forward, targets, loss, reduction="mean"):  # noqa: ANN001
        gradients = original(self, forward, targets, loss, reduction)
        flat = gradients.flat.copy()
        _, biases = parameter_views(flat, self.sizes)
        corrupt(self, gradients, biases)
        return dataclasses.replace(gradients, flat=flat)

    monkeypatch.setattr(Network, "backward", wrong_backward)


def test_catches_bias_gradient_summed_over_neurons(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mistake 4: one scalar (every neuron's deltas added up) given to every bias."""

    def corrupt(network: Network, gradients: Gradients, biases: list[Array]) -> None:
        for m, bias in enumerate(biases):
            bias[...] = gradients.scale * gradients.deltas[m].sum()

    patch_backward(monkeypatch, corrupt)
    assert_caught(checked((3, 4, 3), ["tanh", "linear"], "half_sse"))
    assert_caught(checked((3, 4, 3), ["tanh", "linear"], "half_sse", batch=1))


def test_catches_bias_gradient_summed_over_neurons_per_sample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Mistake 4 (variant): np.sum(delta, axis=1), one number per *sample*, used as if it
    were per neuron (here batch == neurons so the shapes even line up)."""

    def corrupt(network: Network, gradients: Gradients, biases: list[Array]) -> None:
        for m, bias in enumerate(biases):
            bias[...] = gradients.scale * gradients.deltas[m].sum(axis=1)

    patch_backward(monkeypatch, corrupt)
    assert_caught(checked((3, 4, 4), ["tanh", "linear"], "half_sse", batch=4))


def test_catches_bias_gradient_from_one_sample_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def corrupt(network: Network, gradients: Gradients, biases: list[Array]) -> None:
        for m, bias in enumerate(biases):
            bias[...] = gradients.deltas[m][0]

    patch_backward(monkeypatch, corrupt)
    assert_caught(checked((3, 4, 3), ["tanh", "linear"], "half_sse"))


def test_catches_a_mean_cost_with_a_summed_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Network.backward

    def summed(self: Network, forward, targets, loss, reduction="mean"):  # noqa: ANN001
        gradients = original(self, forward, targets, loss, reduction)
        return dataclasses.replace(gradients, flat=gradients.flat / gradients.scale)

    monkeypatch.setattr(Network, "backward", summed)
    assert_caught(checked((3, 4, 3), ["tanh", "linear"], "half_sse", batch=5))


@dataclasses.dataclass(frozen=True)
class GradientOf(Loss):
    """A loss whose cost is `name`'s but whose dC/da is `gradient_of`'s."""

    gradient_of: str = "half_sse"

    def grad_a(self, a: Array, targets: Array) -> Array:
        return Loss(self.gradient_of, self.output_activation).grad_a(a, targets)


@pytest.mark.parametrize(
    ("cost", "gradient"),
    [
        ("sse", "half_sse"),  # the tutorial's cost without 1/2, with a - t as its derivative
        ("half_sse", "sse"),  # a 1/2 added to the cost, the derivative still 2 (a - t)
        ("mse", "sse"),  # mse's 1/N^L dropped from the derivative
    ],
)
def test_catches_a_dropped_or_added_factor(cost: str, gradient: str) -> None:
    """Mistake 5: a 1/2 (or 1/N^L) changed in the cost but not in the gradient."""
    linear = activations_module.get_activation("linear")
    wrong = GradientOf(cost, linear, gradient)
    assert_caught(checked((3, 4, 3), ["tanh", "linear"], wrong))
    # and the untouched loss passes on the same network
    assert_clean(checked((3, 4, 3), ["tanh", "linear"], cost))


class FlippedCombinedDelta(Loss):
    def output_delta(self, z: Array, a: Array, targets: Array) -> Array:
        return targets - a


@pytest.mark.parametrize(("loss_name", "output"), COMBINED)
def test_catches_the_combined_delta_with_the_wrong_sign(loss_name: str, output: str) -> None:
    wrong = FlippedCombinedDelta(loss_name, activations_module.get_activation(output))
    assert_caught(checked((3, 4, 3), ["tanh", output], wrong))


def test_catches_bce_divided_by_a_one_minus_a_twice() -> None:
    """Sigmoid + bce's combined delta is a - t; dividing by a(1 - a) as well is wrong."""

    class DoubleDivided(Loss):
        def output_delta(self, z: Array, a: Array, targets: Array) -> Array:
            return (a - targets) / (a * (1.0 - a))

    wrong = DoubleDivided("bce", activations_module.get_activation("sigmoid"))
    assert_caught(checked((3, 4, 2), ["tanh", "sigmoid"], wrong))
