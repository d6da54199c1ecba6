"""The gradient check's error model: it never reports a correct engine as wrong, at any
point of training, and still flags the classic mistakes of shared/MATH.md."""

from __future__ import annotations

import numpy as np
import pytest

from engine.core.activations import HIDDEN_ACTIVATIONS
from engine.core.network import Network, ParameterRef, parameter_views
from engine.data.datasets import make_dataset
from engine.explain.gradcheck import check_gradients
from engine.training.config import HiddenLayer, TrainingConfig, build_trainer
from engine.training.trainer import Trainer
from tests.engine.test_gradients import PAIRINGS, case_seed, random_case


def _check(trainer: Trainer, analytic: np.ndarray | None = None):  # type: ignore[no-untyped-def]
    batch = trainer.pending_batch()
    return check_gradients(trainer.network, batch.inputs, batch.targets, trainer.loss,
                           trainer.reduction, analytic=analytic)


@pytest.fixture(scope="module")
def trained_xor() -> Trainer:
    """XOR trained until its cost is below 1e-12: gradients near 1e-13 to 1e-15, where the
    old check reported a disagreement (relative error 1e-5). Adam at 1.0 gets there in 49k
    steps (1 s; at the window's 0.03, 0.5 million)."""
    trainer = build_trainer(TrainingConfig(learning_rate=1.0), make_dataset("xor"))
    while True:
        trainer.step()
        if trainer.last_batch.gradients.cost < 1e-12:
            return trainer


def test_xor_trained_to_a_cost_below_1e_12_agrees(trained_xor: Trainer) -> None:
    result = _check(trained_xor)
    assert np.max(np.abs(result.analytic)) < 1e-11  # the regime that cried wolf
    assert result.max_relative_error > 1e-6  # the old rule alone would have failed it
    assert result.passed, [(layer.worst.symbol, layer.score) for layer in result.layers]


def test_spiral_after_20k_steps_agrees() -> None:
    config = TrainingConfig(dataset="spiral", samples=200, batch_size=10,
                            hidden=(HiddenLayer(8), HiddenLayer(8)))
    trainer = build_trainer(config, make_dataset("spiral", 200))
    for _ in range(20_000):
        trainer.step()
    assert _check(trainer).passed


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("loss_name", "output"), PAIRINGS)
@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_every_activation_loss_and_reduction_agrees_at_init_and_after_training(
        hidden: str, loss_name: str, output: str, reduction: str) -> None:
    seed = case_seed("error model", hidden, loss_name, output, reduction)
    network, inputs, targets, loss = random_case((3, 4, 2), hidden, output, loss_name, 6, seed)
    for _ in range(2):
        result = check_gradients(network, inputs, targets, loss, reduction)
        assert result.passed, [(layer.worst.symbol, layer.score) for layer in result.layers]
        for _ in range(300):  # plain gradient descent, far into training
            _, gradients = network.gradients(inputs, targets, loss, reduction)
            network.params -= 0.5 * gradients.flat / max(1.0, np.abs(gradients.flat).max())


def _missing_mean(network: Network, analytic: np.ndarray, batch: int) -> np.ndarray:
    return analytic * batch


def _bias_summed_over_neurons(network: Network, analytic: np.ndarray, batch: int) -> np.ndarray:
    wrong = analytic.copy()
    _, biases = parameter_views(wrong, network.sizes)
    for bias in biases:
        bias[...] = bias.sum()
    return wrong


def _factor_two(network: Network, analytic: np.ndarray, batch: int) -> np.ndarray:
    return 2.0 * analytic


def _sign(network: Network, analytic: np.ndarray, batch: int) -> np.ndarray:
    return -analytic


def _one_weight_off(network: Network, analytic: np.ndarray, batch: int) -> np.ndarray:
    wrong = analytic.copy()
    smallest = int(np.argmin(np.abs(wrong) + (wrong == 0) * 1e300))  # the tiniest gradient
    wrong[smallest] *= 1.5
    return wrong


MISTAKES = [_missing_mean, _bias_summed_over_neurons, _factor_two, _sign, _one_weight_off]


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda mistake: mistake.__name__[1:])
def test_classic_mistakes_are_flagged_at_init(mistake) -> None:  # type: ignore[no-untyped-def]
    config = TrainingConfig(dataset="circle", samples=40, batch_size=8,
                            hidden=(HiddenLayer(3), HiddenLayer(2)))
    trainer = build_trainer(config, make_dataset("circle", 40))
    right = _check(trainer).analytic
    assert not _check(trainer, mistake(trainer.network, right, 8)).passed


@pytest.mark.parametrize("mistake", [_factor_two, _sign, _one_weight_off],
                         ids=["factor two", "sign", "one tiny gradient off by half"])
def test_mistakes_on_tiny_gradients_are_flagged(trained_xor: Trainer, mistake) -> None:  # type: ignore[no-untyped-def]
    right = _check(trained_xor).analytic
    result = _check(trained_xor, mistake(trained_xor.network, right, 4))
    assert not result.passed


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu"])
@pytest.mark.parametrize("distance", [3e-5, 1.5e-5, 3e-6, 1e-7, 0.0, -1e-7, -3e-6, -1.5e-5])
def test_a_relu_input_next_to_its_kink_agrees(hidden: str, distance: float) -> None:
    """One sample's input to a ReLU neuron sits `distance` from 0, within the steps of the
    finite differences: their two sides see different slopes. The check differences that
    parameter on the side without the kink instead of crying wolf, and still catches a
    factor 2 there."""
    rng = np.random.default_rng(1)
    network = Network((2, 5, 1), (hidden, "sigmoid"))
    network.params[:] = rng.normal(0.0, 0.8, network.params.size)
    inputs = rng.normal(size=(6, 2))
    targets = (rng.random((6, 1)) > 0.5).astype(float)
    loss = network.loss("bce")
    z = inputs @ network.weights[0].T + network.biases[0]
    network.biases[0][2] -= z[0, 2] - distance
    result = check_gradients(network, inputs, targets, loss)
    assert result.passed, [(layer.worst.symbol, layer.score) for layer in result.layers]
    if abs(distance) < 2e-5:
        assert result.one_sided > 0 and result.layers[0].one_sided > 0
    bias = network.flat_index(ParameterRef(1, "bias", 2))
    wrong = result.analytic.copy()
    wrong[bias] *= 2.0
    assert not check_gradients(network, inputs, targets, loss, analytic=wrong).passed
