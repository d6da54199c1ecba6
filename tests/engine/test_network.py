"""The network's structure (flat parameter layout, from_arrays, bad configs), the activation
and loss formulas of MATH.md on hand-computed examples, and numerical stability for |z| up
to 1e4 (pytest turns every warning into an error, so "no warnings" is checked throughout).
"""

from __future__ import annotations

import dataclasses
import inspect
import math

import numpy as np
import pytest
from numpy.typing import NDArray

from engine.core.activations import (
    ACTIVATIONS,
    HIDDEN_ACTIVATIONS,
    LEAKY_SLOPE,
    get_activation,
    log_softmax,
    sigmoid,
    softmax,
)
from engine.core.errors import ConfigError
from engine.core.losses import LOSSES, Loss, reduction_scale
from engine.core.network import ForwardPass, Gradients, Network, ParameterRef, parameter_count

Array = NDArray[np.float64]


def loss(name: str, output: str) -> Loss:
    return Loss(name, get_activation(output))


# -- activations ---------------------------------------------------------------------------


def test_sigmoid_has_the_minus_sign_in_the_exponent() -> None:
    """MATH.md mistake 1: sigma(z) = 1 / (1 + e^(-z)), so sigma(2) ~ 0.88, not 0.12."""
    z = np.array([-3.0, -1.0, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(sigmoid(z), 1.0 / (1.0 + np.exp(-z)), rtol=1e-15)
    assert sigmoid(np.array([2.0]))[0] == pytest.approx(0.8807970779778823, rel=1e-15)
    assert sigmoid(np.array([0.0]))[0] == 0.5


def test_sigmoid_saturates_without_warnings() -> None:
    values = sigmoid(np.array([-1e4, -800.0, 800.0, 1e4]))
    assert values[0] == 0.0 and values[1] == 0.0
    assert values[2] == 1.0 and values[3] == 1.0
    assert sigmoid(np.array([-40.0]))[0] == pytest.approx(math.exp(-40.0), rel=1e-12)


def test_sigmoid_derivative_is_a_times_one_minus_a_evaluated_at_the_output() -> None:
    """MATH.md mistake 3: sigma'(z) = a(1 - a), not sigma(a)(1 - sigma(a)) nor z(1 - z)."""
    activation = get_activation("sigmoid")
    z = np.array([[-2.0, -0.3, 0.0, 1.5, 4.0]])
    a = activation.function(z)
    derivative = activation.derivative(z, a)
    np.testing.assert_allclose(derivative, a * (1.0 - a), rtol=1e-15)
    np.testing.assert_allclose(derivative, np.exp(-z) / (1.0 + np.exp(-z)) ** 2, rtol=1e-12)
    assert derivative[0, 2] == 0.25
    assert not np.allclose(derivative, sigmoid(a) * (1.0 - sigmoid(a)))
    assert not np.allclose(derivative, z * (1.0 - z))


HAND_ACTIVATIONS = {
    # name: (z, a, sigma'(z)) on z = [-2, -0.5, 0.5, 3]
    "tanh": (np.tanh([-2.0, -0.5, 0.5, 3.0]), 1.0 - np.tanh([-2.0, -0.5, 0.5, 3.0]) ** 2),
    "relu": ([0.0, 0.0, 0.5, 3.0], [0.0, 0.0, 1.0, 1.0]),
    "leaky_relu": ([-0.02, -0.005, 0.5, 3.0], [0.01, 0.01, 1.0, 1.0]),
    "linear": ([-2.0, -0.5, 0.5, 3.0], [1.0, 1.0, 1.0, 1.0]),
}


@pytest.mark.parametrize("name", list(HAND_ACTIVATIONS))
def test_activation_table_of_math_md(name: str) -> None:
    activation = get_activation(name)
    z = np.array([[-2.0, -0.5, 0.5, 3.0]])
    expected_a, expected_derivative = HAND_ACTIVATIONS[name]
    a = activation.function(z)
    np.testing.assert_allclose(a[0], expected_a, rtol=1e-15)
    np.testing.assert_allclose(activation.derivative(z, a)[0], expected_derivative, rtol=1e-15)
    assert activation.elementwise
    assert z[0, 0] == -2.0  # the input is not modified in place


def test_leaky_slope_is_one_hundredth() -> None:
    assert LEAKY_SLOPE == 0.01


@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_activation_derivative_matches_central_differences(name: str) -> None:
    activation = get_activation(name)
    z = np.array([[-2.3, -0.7, -0.1, 0.2, 0.9, 2.6]])  # away from the relu kink
    h = 1e-6
    numeric = (activation.function(z + h) - activation.function(z - h)) / (2 * h)
    analytic = activation.derivative(z, activation.function(z))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-8, atol=1e-10)


def test_softmax_rows_and_its_full_jacobian() -> None:
    z = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]])
    a = softmax(z)
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(a, expected, rtol=1e-14)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(log_softmax(z), np.log(expected), rtol=1e-13)
    activation = get_activation("softmax")
    assert not activation.elementwise
    grad_a = np.array([[0.3, -1.2, 2.0], [1.0, 0.5, -0.25]])
    for s in range(2):  # J = diag(a) - a a^T (symmetric), dC/dz = J^T dC/da
        jacobian = np.diag(a[s]) - np.outer(a[s], a[s])
        np.testing.assert_allclose(
            activation.backward(z, a, grad_a)[s], jacobian.T @ grad_a[s], rtol=1e-12
        )


def test_softmax_and_log_softmax_are_stable_for_huge_inputs() -> None:
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4 + 1.0, -1e4]])
    a = softmax(z)
    assert np.all(np.isfinite(a))
    np.testing.assert_allclose(a[0], [1.0, 0.0, 0.0])
    e = math.e
    np.testing.assert_allclose(a[1], [1 / (2 + e), e / (2 + e), 1 / (2 + e)], rtol=1e-12)
    log_a = log_softmax(z)
    assert np.all(np.isfinite(log_a))
    assert log_a[0, 1] == pytest.approx(-2e4, rel=1e-12)


def test_unknown_activation_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="softplus"):
        get_activation("softplus")
    assert set(HIDDEN_ACTIVATIONS) | {"softmax"} == set(ACTIVATIONS)


# -- losses: MATH.md's table on hand-computed examples ------------------------------------

A = np.array([[0.2, 0.7, 0.5], [0.9, 0.4, 0.1]])
T = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.0]])
Z = np.log(A / (1.0 - A))  # logits with sigmoid(Z) = A


def test_sse_has_no_half() -> None:
    # sample 0: 0.04 + 0.09 + 0 = 0.13; sample 1: 0.01 + 0.16 + 0.01 = 0.18
    sse = loss("sse", "linear")
    np.testing.assert_allclose(sse.per_sample(A, A, T), [0.13, 0.18], rtol=1e-14)
    np.testing.assert_allclose(sse.grad_a(A, T), 2.0 * (A - T), rtol=1e-15)
    np.testing.assert_allclose(sse.grad_a(A, T)[0], [0.4, -0.6, 0.0], rtol=1e-14)


def test_half_sse_has_the_half() -> None:
    half = loss("half_sse", "linear")
    np.testing.assert_allclose(half.per_sample(A, A, T), [0.065, 0.09], rtol=1e-14)
    # d/da 1/2 (t - a)^2 = a - t, not t - a (MATH.md mistake 2)
    np.testing.assert_allclose(half.grad_a(A, T)[0], [0.2, -0.3, 0.0], rtol=1e-14)


def test_mse_divides_by_the_number_of_outputs() -> None:
    mse = loss("mse", "linear")
    np.testing.assert_allclose(mse.per_sample(A, A, T), [0.13 / 3, 0.18 / 3], rtol=1e-14)
    np.testing.assert_allclose(mse.grad_a(A, T)[0], [0.4 / 3, -0.6 / 3, 0.0], rtol=1e-14)


def test_bce_per_sample_and_derivative() -> None:
    targets = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    expected = -np.sum(targets * np.log(A) + (1 - targets) * np.log(1 - A), axis=1)
    # sample 0 by hand: -(log 0.8 + log 0.7 + log 0.5)
    assert expected[0] == pytest.approx(-(math.log(0.8) + math.log(0.7) + math.log(0.5)))
    for output, z in (("sigmoid", Z), ("softmax", None)):
        bce = loss("bce", output)
        if z is None:  # bce after softmax: a is softmax(z); pick z whose softmax we know
            z = np.log(np.array([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1]]))
            a = softmax(z)
            want = -np.sum(targets * np.log(a) + (1 - targets) * np.log(1 - a), axis=1)
            np.testing.assert_allclose(bce.per_sample(z, a, targets), want, rtol=1e-12)
        else:
            np.testing.assert_allclose(bce.per_sample(z, A, targets), expected, rtol=1e-12)
        np.testing.assert_allclose(
            bce.grad_a(A, targets), (A - targets) / (A * (1 - A)), rtol=1e-12
        )
    assert loss("bce", "sigmoid").grad_a(A, targets)[0, 0] == pytest.approx(0.2 / 0.16)


def test_cross_entropy_per_sample() -> None:
    z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    targets = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    ce = loss("cross_entropy", "softmax")
    a = softmax(z)
    expected = [-math.log(a[0, 1]), -math.log(a[1, 0])]
    np.testing.assert_allclose(ce.per_sample(z, a, targets), expected, rtol=1e-13)
    # with sigmoid outputs: -sum_j t_j log a_j
    ce_sigmoid = loss("cross_entropy", "sigmoid")
    np.testing.assert_allclose(
        ce_sigmoid.per_sample(Z, A, targets[:, :3]),
        -np.sum(targets * np.log(A), axis=1), rtol=1e-12,
    )
    np.testing.assert_allclose(ce_sigmoid.grad_a(A, targets), -targets / A, rtol=1e-15)


def test_combined_deltas_are_a_minus_t() -> None:
    targets = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    bce = loss("bce", "sigmoid")
    assert bce.combined
    np.testing.assert_array_equal(bce.output_delta(Z, A, targets), A - targets)
    ce = loss("cross_entropy", "softmax")
    assert ce.combined
    z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    a = softmax(z)
    np.testing.assert_array_equal(ce.output_delta(z, a, targets), a - targets)
    # the same through the chain rule
    np.testing.assert_allclose(
        A - targets, bce.grad_a(A, targets) * A * (1 - A), rtol=1e-12, atol=1e-15
    )
    assert not loss("bce", "softmax").combined
    assert not loss("cross_entropy", "sigmoid").combined
    assert not loss("half_sse", "sigmoid").combined


def test_non_combined_output_deltas_follow_the_chain_rule() -> None:
    targets = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    # squared error through a sigmoid: dC/da * a(1 - a)
    half = loss("half_sse", "sigmoid")
    np.testing.assert_allclose(half.output_delta(Z, A, targets), (A - targets) * A * (1 - A))
    # cross entropy through sigmoids: -t (1 - a)
    ce = loss("cross_entropy", "sigmoid")
    np.testing.assert_allclose(ce.output_delta(Z, A, targets), -targets * (1 - A), rtol=1e-12)
    # bce through softmax: the full Jacobian applied to dC/da
    z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    a = softmax(z)
    bce = loss("bce", "softmax")
    grad_a = (a - targets) / (a * (1 - a))
    expected = np.stack([(np.diag(r) - np.outer(r, r)) @ g for r, g in zip(a, grad_a, strict=True)])
    np.testing.assert_allclose(bce.output_delta(z, a, targets), expected, rtol=1e-12)


def test_reduction_scale_and_unknown_names() -> None:
    assert reduction_scale("mean", 8) == 1 / 8
    assert reduction_scale("sum", 8) == 1.0
    with pytest.raises(ConfigError):
        reduction_scale("median", 8)
    with pytest.raises(ConfigError):
        loss("hinge", "linear")
    assert LOSSES == ("sse", "half_sse", "mse", "bce", "cross_entropy")


def test_network_cost_uses_the_reduction() -> None:
    network = Network.from_arrays([np.eye(3)], [np.zeros(3)], ["linear"])
    half = network.loss("half_sse")
    # outputs = inputs = A; per-sample costs 0.065 and 0.09
    assert network.cost(A, T, half, "sum") == pytest.approx(0.155, rel=1e-14)
    assert network.cost(A, T, half, "mean") == pytest.approx(0.0775, rel=1e-14)
    _, gradients = network.gradients(A, T, half, "mean")
    assert gradients.cost == pytest.approx(0.0775, rel=1e-14)
    np.testing.assert_allclose(gradients.per_sample_costs, [0.065, 0.09], rtol=1e-14)


# -- 4. stability for |z| up to 1e4 ------------------------------------------------------

STABLE_PAIRS = [
    ("bce", "sigmoid"), ("bce", "softmax"), ("cross_entropy", "softmax"),
    ("cross_entropy", "sigmoid"), ("sse", "sigmoid"), ("half_sse", "softmax"),
    ("mse", "sigmoid"), ("mse", "tanh"),
]


def saturated_network(hidden: str, output: str, rng: np.random.Generator) -> Network:
    """Weights so large that |z| reaches ~1e4 in the output layer (and saturates the hidden)."""
    network = Network((3, 4, 3), [hidden, output])
    network.params[:] = rng.normal(size=network.params.size)
    network.weights[0][...] *= 1e3
    network.weights[1][...] *= 3e3
    return network


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh"])
@pytest.mark.parametrize(("loss_name", "output"), STABLE_PAIRS)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_huge_pre_activations_give_finite_costs_and_gradients(
    hidden: str, loss_name: str, output: str, reduction: str
) -> None:
    rng = np.random.default_rng(4)
    network = saturated_network(hidden, output, rng)
    inputs = rng.normal(size=(16, 3))
    targets = np.eye(3)[rng.integers(0, 3, size=16)]
    if loss_name == "bce":
        targets = rng.integers(0, 2, size=(16, 3)).astype(np.float64)
    forward, gradients = network.gradients(inputs, targets, network.loss(loss_name), reduction)
    z_max = max(np.abs(z).max() for z in forward.pre_activations)
    assert 1e3 < z_max <= 2e4
    assert math.isfinite(gradients.cost)
    assert np.all(np.isfinite(gradients.per_sample_costs))
    assert np.all(np.isfinite(gradients.flat))
    for delta in gradients.deltas:
        assert np.all(np.isfinite(delta))


@pytest.mark.parametrize(
    ("loss_name", "output", "z", "targets", "expected_cost", "expected_delta"),
    [
        # -log sigmoid(-1e4) = 1e4 (log-sigmoid, not log of a clamped 0), delta = a - t
        ("bce", "sigmoid", [[-1e4]], [[1.0]], 1e4, [[-1.0]]),
        ("bce", "sigmoid", [[1e4]], [[0.0]], 1e4, [[1.0]]),
        ("bce", "sigmoid", [[1e4]], [[1.0]], 0.0, [[0.0]]),
        ("cross_entropy", "softmax", [[1e4, -1e4]], [[0.0, 1.0]], 2e4, [[1.0, -1.0]]),
        ("cross_entropy", "softmax", [[1e4, -1e4]], [[1.0, 0.0]], 0.0, [[0.0, 0.0]]),
        ("cross_entropy", "sigmoid", [[-1e4, 1e4]], [[1.0, 0.0]], 1e4, [[-1.0, 0.0]]),
        ("cross_entropy", "sigmoid", [[1e4, -1e4]], [[1.0, 0.0]], 0.0, [[0.0, 0.0]]),
        # bce after softmax: -log a_0 - log(1 - a_1) with a = (~0, ~1): 2e4 + 2e4
        ("bce", "softmax", [[-1e4, 1e4]], [[1.0, 0.0]], 4e4, [[-2.0, 2.0]]),
        ("bce", "softmax", [[-1e4, 1e4]], [[0.0, 1.0]], 0.0, [[0.0, 0.0]]),
    ],
)
def test_saturated_costs_and_deltas_are_exact(
    loss_name: str, output: str, z: list[list[float]], targets: list[list[float]],
    expected_cost: float, expected_delta: list[list[float]],
) -> None:
    z_array, t_array = np.array(z), np.array(targets)
    the_loss = loss(loss_name, output)
    a = the_loss.output_activation.function(z_array)
    assert the_loss.per_sample(z_array, a, t_array)[0] == pytest.approx(expected_cost, abs=1e-9)
    np.testing.assert_allclose(
        the_loss.output_delta(z_array, a, t_array), expected_delta, atol=1e-12
    )


def test_grad_a_at_saturation_has_no_zero_over_zero() -> None:
    """a = t = 0 has a finite derivative (bce: 1 / (1 - 0) = 1; cross entropy: 0)."""
    a = np.array([[0.0, 1.0]])
    targets = np.array([[0.0, 1.0]])
    np.testing.assert_array_equal(loss("bce", "sigmoid").grad_a(a, targets), [[1.0, -1.0]])
    np.testing.assert_array_equal(
        loss("cross_entropy", "sigmoid").grad_a(a, targets), [[0.0, -1.0]]
    )


# -- 8. network structure ------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [(3, 4, 3, 2), (1, 1), (2, 5, 1), (4, 2, 6, 3, 2)])
def test_flat_index_and_parameter_at_round_trip_every_parameter(sizes: tuple[int, ...]) -> None:
    network = Network(sizes, ["tanh"] * (len(sizes) - 2) + ["linear"])
    count = parameter_count(sizes)
    assert count == sum(o * (i + 1) for i, o in zip(sizes[:-1], sizes[1:], strict=True))
    assert network.params.shape == (count,)
    network.params[:] = np.arange(count, dtype=np.float64)
    seen = set()
    for index in range(count):
        ref = network.parameter_at(index)
        assert network.flat_index(ref) == index
        seen.add((ref.layer, ref.kind, ref.row, ref.column))
        m = ref.layer - 1
        if ref.kind == "weight":
            assert network.weights[m][ref.row, ref.column] == index
            assert ref.label == f"W^{ref.layer}[{ref.row},{ref.column}]"
        else:
            assert ref.kind == "bias" and ref.column == 0
            assert network.biases[m][ref.row] == index
            assert ref.label == f"b^{ref.layer}[{ref.row}]"
    assert len(seen) == count
    # layer by layer, weights (row-major, row i = into neuron i) then biases
    offset = 0
    for m, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        assert network.weights[m].shape == (n_out, n_in)
        assert network.biases[m].shape == (n_out,)
        assert network.weights[m][0, 0] == offset
        assert network.biases[m][0] == offset + n_out * n_in
        offset += n_out * (n_in + 1)


def test_weights_and_biases_are_views_of_params() -> None:
    network = Network((2, 3, 1), ["tanh", "sigmoid"])
    network.params += 1.5
    assert np.all(network.weights[0] == 1.5) and np.all(network.biases[1] == 1.5)
    network.weights[1][0, 2] = -7.0
    assert network.params[network.flat_index(ParameterRef(2, "weight", 0, 2))] == -7.0
    mask = network.weight_mask()
    for m in range(network.depth):
        assert np.all(mask[network.flat_index(ParameterRef(m + 1, "bias", 0))] == 0.0)
    assert mask.sum() == 2 * 3 + 3 * 1


@pytest.mark.parametrize(
    "ref",
    [
        ParameterRef(0, "weight", 0, 0), ParameterRef(3, "weight", 0, 0),
        ParameterRef(1, "weight", 3, 0), ParameterRef(1, "weight", 0, 2),
        ParameterRef(2, "bias", 1), ParameterRef(1, "gain", 0), ParameterRef(1, "bias", -1),
    ],
)
def test_flat_index_rejects_parameters_that_do_not_exist(ref: ParameterRef) -> None:
    network = Network((2, 3, 1), ["tanh", "sigmoid"])
    with pytest.raises(ConfigError):
        network.flat_index(ref)


def test_parameter_at_rejects_an_index_past_the_end() -> None:
    network = Network((2, 3, 1), ["tanh", "sigmoid"])
    with pytest.raises(ConfigError):
        network.parameter_at(parameter_count((2, 3, 1)))


def test_parameter_at_rejects_a_negative_index() -> None:
    network = Network((2, 3, 1), ["tanh", "sigmoid"])
    for index in (-1, -network.params.size):
        with pytest.raises(ConfigError, match="out of range"):
            network.parameter_at(index)
    assert network.parameter_at(0) == ParameterRef(1, "weight", 0, 0)


def test_from_arrays_copies_and_computes_z_equals_w_a_plus_b() -> None:
    w1 = np.array([[1.0, -2.0], [0.5, 0.25], [0.0, 3.0]])
    b1 = np.array([0.1, -0.2, 0.3])
    w2 = np.array([[2.0, -1.0, 0.5]])
    b2 = np.array([-0.4])
    network = Network.from_arrays([w1, w2], [b1, b2], ["tanh", "linear"])
    assert network.sizes == (2, 3, 1)
    assert network.activations == ("tanh", "linear")
    x = np.array([[0.3, -0.7], [1.0, 2.0]])
    forward = network.forward(x)
    z1 = x @ w1.T + b1  # row i of W^1 holds the weights into neuron i
    np.testing.assert_allclose(forward.pre_activations[0], z1, rtol=1e-15)
    np.testing.assert_allclose(forward.activations[1], np.tanh(z1), rtol=1e-15)
    np.testing.assert_allclose(forward.outputs, np.tanh(z1) @ w2.T + b2, rtol=1e-14)
    np.testing.assert_array_equal(forward.activations[0], x)
    np.testing.assert_array_equal(network.predict(x), forward.outputs)
    # copies: editing the sources later changes nothing
    w1[0, 0], b2[0] = 99.0, 99.0
    assert network.weights[0][0, 0] == 1.0 and network.biases[1][0] == -0.4
    # and the copy of a network is independent of it
    twin = network.copy()
    twin.params[0] = -5.0
    assert network.params[0] == 1.0


def test_from_arrays_rejects_mismatched_shapes() -> None:
    with pytest.raises(ConfigError, match=r"b\^1 has shape \(1,\)"):
        Network.from_arrays([np.ones((3, 2))], [np.ones(1)], ["linear"])
    with pytest.raises(ConfigError, match=r"W\^2 has shape \(1, 4\)"):
        Network.from_arrays([np.ones((3, 2)), np.ones((1, 4))], [np.ones(3), np.ones(1)],
                            ["tanh", "linear"])


@pytest.mark.parametrize(
    ("weights", "biases", "match"),
    [
        ([np.ones((3, 2)), np.ones((1, 3))], [np.ones(3), np.ones((1, 1))], r"b\^2"),
        ([np.ones((3, 2)), np.ones((1, 3))], [np.ones(3)], "2 bias vectors"),
        ([np.ones(3)], [np.ones(3)], r"W\^1 must be a matrix"),
        ([], [], "at least one layer"),
    ],
)
def test_from_arrays_names_what_does_not_fit(
    weights: list[np.ndarray], biases: list[np.ndarray], match: str
) -> None:
    activations = ["tanh", "linear"][: len(weights)] if len(weights) > 1 else ["linear"]
    with pytest.raises(ConfigError, match=match):
        Network.from_arrays(weights, biases, activations)


@pytest.mark.parametrize(
    ("sizes", "activations", "match"),
    [
        ((2, 3, 1), ["softmax", "sigmoid"], "output layer only"),
        ((2, 3, 3, 2), ["tanh", "softmax", "softmax"], "output layer only"),
        ((2, 0, 1), ["tanh", "sigmoid"], "at least one neuron"),
        ((0, 3, 1), ["tanh", "sigmoid"], "at least one neuron"),
        ((2, 3, 1), ["tanh", "swish"], "unknown activation"),
        ((2, 3, 1), ["tanh"], "activations"),
        ((2,), [], "at least"),
    ],
)
def test_bad_configs_raise_config_error(
    sizes: tuple[int, ...], activations: list[str], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        Network(sizes, activations)


def test_bad_shapes_raise_config_error() -> None:
    with pytest.raises(ConfigError):
        Network((2, 3, 1), ["tanh", "sigmoid"], params=np.zeros(5))
    network = Network((2, 3, 1), ["tanh", "sigmoid"])
    with pytest.raises(ConfigError):
        network.forward(np.zeros((4, 3)))
    with pytest.raises(ConfigError):
        network.forward(np.zeros(2))
    forward = network.forward(np.zeros((4, 2)))
    with pytest.raises(ConfigError):
        network.backward(forward, np.zeros((4, 2)), network.loss("bce"))
    with pytest.raises(ConfigError):
        network.loss("hinge")
    with pytest.raises(ConfigError):
        Network.from_arrays([], [], [])


def test_params_given_to_the_constructor_are_copied() -> None:
    params = np.arange(parameter_count((2, 3, 1)), dtype=np.float64)
    network = Network((2, 3, 1), ["tanh", "sigmoid"], params=params)
    params[0] = 100.0
    assert network.params[0] == 0.0


@pytest.mark.parametrize("cls", [ForwardPass, Gradients])
def test_hand_written_init_takes_exactly_the_fields_and_stays_frozen(cls: type) -> None:
    names = [field.name for field in dataclasses.fields(cls)]
    assert list(inspect.signature(cls.__init__).parameters)[1:] == names
    values = {name: object() for name in names}
    instance = cls(**values)
    assert all(getattr(instance, name) is value for name, value in values.items())
    assert instance == cls(*values.values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(instance, names[0], None)


def test_parameter_symbols_are_written_as_the_inspector_writes_them() -> None:
    from engine.core.network import ParameterRef

    assert ParameterRef(2, "weight", 0, 3).symbol == "W²₁,₄"  # shown 1-based (README: Notation)
    assert ParameterRef(1, "bias", 12).symbol == "b¹₁₃"
    assert ParameterRef(2, "weight", 0, 3).label == "W^2[0,3]"  # ASCII for messages and logs
