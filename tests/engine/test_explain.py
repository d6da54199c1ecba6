"""The inspector's chain-rule breakdown multiplies to the engine's gradient, and "Check my
numbers" names each mistake of shared/MATH.md from a value computed the wrong way."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from engine.core.activations import HIDDEN_ACTIVATIONS, sigmoid
from engine.core.errors import ConfigError
from engine.core.initializers import initialize
from engine.core.network import Network, ParameterRef, parameter_index
from engine.data.dataset import Dataset, DataSplit
from engine.explain.explain import (
    DELTA,
    GRADIENT,
    LOSS_SLOPE,
    SAMPLE_GRADIENT,
    SIGMA_PRIME,
    UPSTREAM,
    explain,
)
from engine.explain.hand_check import TypedValueError, diagnose, parse_typed
from engine.training.snapshot import Snapshot, take_snapshot
from engine.training.trainer import Trainer

Array = NDArray[np.float64]

# Every loss with every output activation whose outputs lie in its domain (as in
# test_gradients): squared errors take any output; bce and cross_entropy need (0, 1).
PAIRINGS: tuple[tuple[str, str], ...] = (
    *((loss, output) for loss in ("sse", "half_sse", "mse")
      for output in ("linear", "tanh", "sigmoid", "softmax", "relu", "leaky_relu")),
    ("bce", "sigmoid"), ("bce", "softmax"), ("cross_entropy", "softmax"),
    ("cross_entropy", "sigmoid"),
)
SIZES = (3, 4, 3, 2)
# Per layer a weight and a bias (both kinds, every layer, hidden and output).
REFS = (
    ParameterRef(1, "weight", 1, 0), ParameterRef(1, "bias", 2),
    ParameterRef(2, "weight", 2, 1), ParameterRef(2, "bias", 0),
    ParameterRef(3, "weight", 0, 2), ParameterRef(3, "weight", 1, 0), ParameterRef(3, "bias", 1),
)
EXACT = 1e-12


def make_snapshot(sizes: tuple[int, ...] = SIZES, hidden: str = "tanh", output: str = "sigmoid",
                  loss: str = "bce", reduction: str = "mean", batch_size: int = 0,
                  rows: int = 5, steps: int = 0, seed: int = 0, **settings: object) -> Snapshot:
    """A snapshot of a small network on random inputs with one-hot targets."""
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(rows, sizes[0]))
    targets = np.eye(sizes[-1])[rng.integers(0, sizes[-1], rows)]
    names = tuple(f"x{i}" for i in range(sizes[0]))
    classes = tuple(f"c{i}" for i in range(sizes[-1]))
    data = Dataset(inputs, targets, "classification", names, classes, classes)
    network = Network(sizes, [hidden] * (len(sizes) - 2) + [output])
    initialize(network, "xavier", rng)
    network.params += rng.normal(scale=0.2, size=network.params.shape)  # nonzero biases
    options: dict[str, object] = {"optimizer": "sgd", "learning_rate": 0.1}
    options.update(settings)
    trainer = Trainer(network, DataSplit(data, data.subset(np.arange(0))), loss=loss,
                      reduction=reduction, batch_size=batch_size, **options)  # type: ignore[arg-type]
    for _ in range(steps):
        trainer.step()
    return take_snapshot(trainer)


def flat_index(snapshot: Snapshot, ref: ParameterRef) -> int:
    return parameter_index(snapshot.sizes, ref)


# -- the breakdown equals the engine -------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("batch_size", [1, 5])
@pytest.mark.parametrize(("loss", "output"), PAIRINGS, ids=[f"{o}-{name}" for name, o in PAIRINGS])
@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_factors_multiply_to_the_engine_gradient(hidden: str, loss: str, output: str,
                                                 batch_size: int, reduction: str) -> None:
    snapshot = make_snapshot(hidden=hidden, output=output, loss=loss, reduction=reduction,
                             batch_size=batch_size)
    batch = snapshot.batch_inputs.shape[0]
    assert batch == batch_size
    for ref in REFS:
        breakdown = explain(snapshot, ref)
        engine = float(snapshot.gradient[flat_index(snapshot, ref)])
        per_sample = [math.prod(factor.values[s] for factor in breakdown.chain)
                      for s in range(batch)]
        for row, product in zip(breakdown.rows, per_sample, strict=True):
            assert row.product == pytest.approx(product, rel=EXACT, abs=EXACT)
        assert abs(snapshot.scale * sum(per_sample) - engine) <= EXACT, ref.label
        assert abs(breakdown.difference) <= EXACT and breakdown.engine_gradient == engine
        assert breakdown.total_gradient == breakdown.data_gradient  # no regularization
        if batch == 1:
            product = math.prod(factor.value for factor in breakdown.chain)
            assert abs(product * snapshot.scale - engine) <= EXACT
        assert breakdown.scale == (1 / batch if reduction == "mean" else 1.0)


def test_every_sample_can_be_the_shown_one() -> None:
    snapshot = make_snapshot(batch_size=0, rows=4)
    ref = ParameterRef(2, "weight", 1, 3)
    for sample in range(4):
        breakdown = explain(snapshot, ref, sample=sample)
        chain = math.prod(factor.value for factor in breakdown.chain)
        assert chain == pytest.approx(breakdown.rows[sample].product, rel=EXACT)
        assert breakdown.factors[SAMPLE_GRADIENT].value == breakdown.rows[sample].product
        assert breakdown.rows[sample].row == snapshot.batch_rows[sample]


def test_hidden_chain_is_the_sum_over_the_next_layer() -> None:
    snapshot = make_snapshot(sizes=(3, 4, 3, 2), hidden="sigmoid", output="linear",
                             loss="half_sse", rows=3)
    breakdown = explain(snapshot, ParameterRef(2, "weight", 1, 3), sample=2)
    following = snapshot.layers[2]
    assert [term.index for term in breakdown.terms] == [0, 1]
    for term in breakdown.terms:
        assert term.weight == following.weights[term.index, 1]
        assert term.delta == following.deltas[2, term.index]
        assert term.edges == (ParameterRef(3, "weight", term.index, 1),)
        assert term.neurons == ((3, term.index),)
    slope = breakdown.factors[LOSS_SLOPE]
    assert slope.value == pytest.approx(sum(term.product for term in breakdown.terms), rel=EXACT)
    assert set(slope.neurons) == {(3, 0), (3, 1)}
    a = snapshot.layers[1].activations[2, 1]
    assert breakdown.factors[SIGMA_PRIME].value == pytest.approx(a * (1 - a), rel=EXACT)
    assert breakdown.factors[UPSTREAM].value == snapshot.layers[0].activations[2, 3]
    assert breakdown.factors[UPSTREAM].neurons == ((1, 3),)
    assert breakdown.factors[DELTA].value == pytest.approx(snapshot.layers[1].deltas[2, 1],
                                                           rel=EXACT)
    assert [factor.name for factor in breakdown.chain] == [UPSTREAM, SIGMA_PRIME, LOSS_SLOPE]


def test_output_chain_uses_the_loss_derivative() -> None:
    snapshot = make_snapshot(sizes=(3, 2), output="tanh", loss="sse", rows=2)
    breakdown = explain(snapshot, ParameterRef(1, "bias", 1), sample=1)
    a, t = snapshot.layers[0].activations[1, 1], snapshot.batch_targets[1, 1]
    assert breakdown.factors[LOSS_SLOPE].value == pytest.approx(2 * (a - t), rel=EXACT)
    assert breakdown.factors[SIGMA_PRIME].value == pytest.approx(1 - a * a, rel=EXACT)
    assert breakdown.factors[UPSTREAM].value == 1.0  # a bias: dz/db = 1
    assert breakdown.is_output and breakdown.terms == ()


@pytest.mark.parametrize(("loss", "output"), [("bce", "sigmoid"), ("cross_entropy", "softmax")])
def test_combined_outputs_show_delta_as_a_minus_t(loss: str, output: str) -> None:
    sizes = (3, 4, 1) if output == "sigmoid" else (3, 4, 3)
    snapshot = make_snapshot(sizes=sizes, output=output, loss=loss, rows=3)
    breakdown = explain(snapshot, ParameterRef(2, "weight", 0, 2), sample=1)
    a, t = snapshot.layers[1].activations[1, 0], snapshot.batch_targets[1, 0]
    assert [factor.name for factor in breakdown.chain] == [UPSTREAM, DELTA]
    assert SIGMA_PRIME not in breakdown.factors and LOSS_SLOPE not in breakdown.factors
    assert breakdown.factors[DELTA].value == pytest.approx(a - t, rel=EXACT)
    assert "a &minus; t" in breakdown.combined_note
    assert all(row.sigma_prime is None and row.dC_da is None for row in breakdown.rows)


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_regularization_is_an_extra_term_on_weights_only(kind: str) -> None:
    rate = 0.05
    snapshot = make_snapshot(regularization=kind, regularization_rate=rate, rows=4)
    weight = ParameterRef(1, "weight", 2, 1)
    breakdown = explain(snapshot, weight, regularization=kind, regularization_rate=rate)
    w = snapshot.params[flat_index(snapshot, weight)]
    expected_term = rate * (w if kind == "l2" else np.sign(w))
    assert breakdown.regularization_term == pytest.approx(expected_term, rel=EXACT)
    assert breakdown.total_gradient == breakdown.data_gradient + breakdown.regularization_term
    # plain SGD: the update the trainer will apply is learning rate x (data + penalty) gradient
    assert breakdown.update == pytest.approx(0.1 * breakdown.total_gradient, rel=1e-12)
    assert breakdown.factors[GRADIENT].value == breakdown.total_gradient
    bias = explain(snapshot, ParameterRef(1, "bias", 2), regularization=kind,
                   regularization_rate=rate)
    assert bias.regularization_term == 0.0
    assert bias.update == pytest.approx(0.1 * bias.data_gradient, rel=1e-12)


def test_value_update_and_the_last_step() -> None:
    ref = ParameterRef(2, "bias", 0)
    fresh = explain(make_snapshot(), ref)
    assert fresh.previous_value is None
    snapshot = make_snapshot(steps=3)
    breakdown = explain(snapshot, ref)
    index = flat_index(snapshot, ref)
    assert breakdown.value == snapshot.params[index]
    assert breakdown.update == snapshot.update[index]
    assert snapshot.previous_params is not None
    assert breakdown.previous_value == snapshot.previous_params[index]
    assert breakdown.learning_rate == 0.1


def test_a_parameter_outside_the_network_is_refused() -> None:
    with pytest.raises(ConfigError):
        explain(make_snapshot(), ParameterRef(1, "weight", 9, 0))


# -- check my numbers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sigmoid_net() -> Snapshot:
    """Sigmoid hidden layers, a linear output with sse, a mean over a batch of 4."""
    return make_snapshot(sizes=(2, 3, 3, 1), hidden="sigmoid", output="linear", loss="sse",
                         rows=4, steps=2)


def test_the_right_value_is_confirmed_even_rounded(sigmoid_net: Snapshot) -> None:
    breakdown = explain(sigmoid_net, ParameterRef(1, "weight", 1, 0))
    gradient = breakdown.total_gradient
    exact = diagnose(breakdown, GRADIENT, gradient)
    assert exact.correct and exact.mistake is None and "Right" in exact.message
    rounded = diagnose(breakdown, GRADIENT, f"{gradient:.3g}")
    assert rounded.correct
    assert not diagnose(breakdown, GRADIENT, f"{gradient * 1.3:.3g}").correct
    # a short number is judged by its last digit, not waved through
    assert diagnose(breakdown, GRADIENT, f"{gradient:.1g}").correct
    assert not diagnose(breakdown, GRADIENT, f"{gradient * 10:.1g}").correct


def test_sigma_prime_at_the_output_is_recognised(sigmoid_net: Snapshot) -> None:
    breakdown = explain(sigmoid_net, ParameterRef(1, "weight", 1, 0), sample=2)
    a = sigmoid_net.layers[0].activations[2, 1]
    wrong = sigmoid(np.array(a)) * (1 - sigmoid(np.array(a)))  # sigma' applied to the output
    diagnosis = diagnose(breakdown, SIGMA_PRIME, float(wrong))
    assert not diagnosis.correct
    assert diagnosis.mistake is not None and diagnosis.mistake.key == "sigma_prime_at_output"
    assert "output a" in diagnosis.message


def test_sigma_prime_at_the_output_is_found_in_the_gradient(sigmoid_net: Snapshot) -> None:
    """The whole batch gradient computed with sigmoid(a)(1 - sigmoid(a)): the wrong factor
    is named from the gradient alone."""
    breakdown = explain(sigmoid_net, ParameterRef(2, "weight", 0, 2))
    layer, following = sigmoid_net.layers[1], sigmoid_net.layers[2]
    a_out = sigmoid(layer.activations[:, 0])
    wrong_delta = (following.deltas @ following.weights[:, 0]) * a_out * (1 - a_out)
    typed = sigmoid_net.scale * float(np.sum(wrong_delta * sigmoid_net.layers[0].activations[:, 2]))
    diagnosis = diagnose(breakdown, GRADIENT, typed)
    assert diagnosis.mistake is not None and diagnosis.mistake.key == "sigma_prime_at_output"
    assert diagnosis.mistake.factor == SIGMA_PRIME


def test_the_shortcut_formula_on_z_is_recognised(sigmoid_net: Snapshot) -> None:
    breakdown = explain(sigmoid_net, ParameterRef(2, "bias", 1), sample=0)
    z = sigmoid_net.layers[1].pre_activations[0, 1]
    diagnosis = diagnose(breakdown, SIGMA_PRIME, z * (1 - z))
    assert diagnosis.mistake is not None and diagnosis.mistake.key == "shortcut_at_input"


def test_a_missing_factor_2_is_recognised(sigmoid_net: Snapshot) -> None:
    breakdown = explain(sigmoid_net, ParameterRef(3, "weight", 0, 1), sample=1)
    a, t = sigmoid_net.layers[2].activations[1, 0], sigmoid_net.batch_targets[1, 0]
    diagnosis = diagnose(breakdown, LOSS_SLOPE, a - t)  # sse's derivative without the 2
    assert diagnosis.mistake is not None and diagnosis.mistake.key == "missing_factor_2"
    assert diagnose(breakdown, LOSS_SLOPE, 2 * (a - t)).correct


def test_an_extra_factor_2_with_half_sse_is_recognised() -> None:
    snapshot = make_snapshot(sizes=(2, 3, 1), output="linear", loss="half_sse", rows=3)
    breakdown = explain(snapshot, ParameterRef(2, "bias", 0), sample=0)
    a, t = snapshot.layers[1].activations[0, 0], snapshot.batch_targets[0, 0]
    diagnosis = diagnose(breakdown, LOSS_SLOPE, 2 * (a - t))  # the 1/2 ignored
    assert diagnosis.mistake is not None and diagnosis.mistake.key == "extra_factor_2"


def test_a_sign_error_is_recognised(sigmoid_net: Snapshot) -> None:
    breakdown = explain(sigmoid_net, ParameterRef(3, "bias", 0), sample=3)
    a, t = sigmoid_net.layers[2].activations[3, 0], sigmoid_net.batch_targets[3, 0]
    diagnosis = diagnose(breakdown, LOSS_SLOPE, 2 * (t - a))  # (t - a) for (a - t)
    assert diagnosis.mistake is not None and diagnosis.mistake.key == "sign_error"
    gradient = diagnose(breakdown, GRADIENT, -breakdown.total_gradient)
    assert gradient.mistake is not None and gradient.mistake.key == "sign_error"


def test_a_missing_mean_is_recognised(sigmoid_net: Snapshot) -> None:
    assert sigmoid_net.reduction == "mean" and sigmoid_net.batch_inputs.shape[0] == 4
    breakdown = explain(sigmoid_net, ParameterRef(1, "weight", 2, 1))
    deltas, inputs = sigmoid_net.layers[0].deltas, sigmoid_net.batch_inputs
    summed = float(np.sum(deltas[:, 2] * inputs[:, 1]))  # no 1/B
    diagnosis = diagnose(breakdown, GRADIENT, summed)
    assert diagnosis.mistake is not None and diagnosis.mistake.key == "missing_mean"
    assert "divided by 4" in diagnosis.message


def test_a_bias_gradient_over_the_wrong_axis_is_recognised(sigmoid_net: Snapshot) -> None:
    deltas, scale = sigmoid_net.layers[1].deltas, sigmoid_net.scale
    breakdown = explain(sigmoid_net, ParameterRef(2, "bias", 1))
    over_neurons = scale * np.sum(deltas, axis=1)[1]  # axis=1 adds neurons, not samples
    diagnosis = diagnose(breakdown, GRADIENT, float(over_neurons))
    assert diagnosis.mistake is not None and diagnosis.mistake.key == "bias_summed_over_neurons"
    one_scalar = diagnose(breakdown, GRADIENT, float(scale * np.sum(deltas)))
    assert one_scalar.mistake is not None and one_scalar.mistake.key == "bias_one_scalar"
    right = scale * np.sum(deltas, axis=0)[1]
    assert diagnose(breakdown, GRADIENT, float(right)).correct


def test_forgetting_sigma_prime_is_recognised(sigmoid_net: Snapshot) -> None:
    breakdown = explain(sigmoid_net, ParameterRef(1, "bias", 0), sample=1)
    following = sigmoid_net.layers[1]
    slope = float(following.deltas[1] @ following.weights[:, 0])
    diagnosis = diagnose(breakdown, DELTA, slope)  # delta = dC/da, without sigma'
    assert diagnosis.mistake is not None and diagnosis.mistake.key == "forgot_sigma_prime"


def test_a_left_out_l2_term_is_recognised() -> None:
    snapshot = make_snapshot(regularization="l2", regularization_rate=0.1, rows=4)
    breakdown = explain(snapshot, ParameterRef(1, "weight", 0, 0), regularization="l2",
                        regularization_rate=0.1)
    diagnosis = diagnose(breakdown, GRADIENT, breakdown.data_gradient)
    assert diagnosis.mistake is not None and diagnosis.mistake.key == "missing_regularization"


def test_a_combined_delta_given_as_dC_da_is_recognised() -> None:
    snapshot = make_snapshot(sizes=(2, 3, 1), rows=3)  # sigmoid + bce
    breakdown = explain(snapshot, ParameterRef(2, "bias", 0), sample=2)
    a, t = snapshot.layers[1].activations[2, 0], snapshot.batch_targets[2, 0]
    diagnosis = diagnose(breakdown, DELTA, (a - t) / (a * (1 - a)))
    assert diagnosis.mistake is not None and diagnosis.mistake.key == "gave_dC_da"
    assert diagnose(breakdown, DELTA, a - t).correct


def test_an_unknown_difference_is_measured(sigmoid_net: Snapshot) -> None:
    breakdown = explain(sigmoid_net, ParameterRef(2, "weight", 1, 1))
    typed = breakdown.total_gradient * 1.37 + 0.01
    diagnosis = diagnose(breakdown, GRADIENT, typed)
    assert not diagnosis.correct and diagnosis.mistake is None
    assert diagnosis.difference == pytest.approx(typed - breakdown.total_gradient)
    assert "Differs" in diagnosis.message and "off by" in diagnosis.message


def test_typed_text_is_parsed_with_its_precision() -> None:
    assert parse_typed("0.0733") == (0.0733, pytest.approx(1e-4))
    assert parse_typed(" \u22121.5e-3 ") == (-0.0015, pytest.approx(1e-4))
    assert parse_typed("12") == (12.0, 1.0)
    for bad in ("", "abc", "nan", "inf"):
        with pytest.raises(TypedValueError):
            parse_typed(bad)
    with pytest.raises(TypedValueError):
        diagnose(explain(make_snapshot(), ParameterRef(3, "bias", 0)), SIGMA_PRIME, 1.0)
