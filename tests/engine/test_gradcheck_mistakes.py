"""The gradient check catches real bugs: a backward pass written out as MATH.md gives it,
then broken the classic ways (a forgotten sigma', sigma' taken at a or with the shortcut on
z, W not transposed, the sign of dC/da, a factor 2, a missing 1/B, the bias gradient not
summed over the batch or one scalar for every bias), each flagged at initialisation, after
training, and on XOR trained until its gradients are 1e-13."""

from __future__ import annotations

import numpy as np
import pytest

from engine.core.activations import get_activation
from engine.data.datasets import make_dataset
from engine.explain.gradcheck import check_gradients
from engine.training.config import HiddenLayer, TrainingConfig, build_trainer
from engine.training.trainer import Trainer

Array = np.ndarray

MISTAKES = ("missing_derivative", "derivative_of_output", "shortcut_on_input",
            "not_transposed", "sign", "factor_two", "missing_mean", "bias_one_sample",
            "one_bias_scalar")


def backprop(trainer: Trainer, inputs: Array, targets: Array, mistake: str | None = None) -> Array:
    """dC/dparams flat like Network.params, by MATH.md's backward pass, with `mistake`."""
    network, loss, reduction = trainer.network, trainer.loss, trainer.reduction
    forward = network.forward(inputs)
    z, a = forward.pre_activations, forward.activations
    delta = loss.output_delta(z[-1], a[-1], targets)
    if mistake == "sign":
        delta = -delta  # (t - a) instead of (a - t)
    if mistake == "factor_two":
        delta = 2.0 * delta  # the 1/2 dropped from the cost, kept in the gradient
    batch = inputs.shape[0]
    scale = 1.0 / batch if reduction == "mean" and mistake != "missing_mean" else 1.0
    weight_grads: list[Array] = []
    bias_grads: list[Array] = []
    for m in range(network.depth, 0, -1):
        weight_grads.insert(0, scale * delta.T @ a[m - 1])
        if mistake == "bias_one_sample":
            bias = delta[0]  # one sample's delta, not the batch's sum or mean
        elif mistake == "one_bias_scalar":
            bias = np.full(delta.shape[1], scale * delta.sum())  # summed over neurons too
        else:
            bias = scale * delta.sum(axis=0)
        bias_grads.insert(0, bias)
        if m == 1:
            break
        weights = network.weights[m - 1]
        square = weights.shape[0] == weights.shape[1]
        upstream = delta @ (weights.T if mistake == "not_transposed" and square else weights)
        activation = get_activation(network.activations[m - 2])
        zm, am = z[m - 2], a[m - 1]
        if mistake == "missing_derivative":
            slope = np.ones_like(zm)
        elif mistake == "derivative_of_output":  # sigma'(a) instead of sigma'(z)
            slope = activation.derivative(am, activation.function(am))
        elif mistake == "shortcut_on_input":  # a (1 - a) or 1 - a^2 written with z for a
            slope = activation.derivative(zm, zm)
        else:
            slope = activation.derivative(zm, am)
        delta = upstream * slope
    return np.concatenate([np.concatenate([w.ravel(), b]) for w, b in
                           zip(weight_grads, bias_grads, strict=True)])


def _trainer(dataset: str, samples: int | None, hidden: str, batch_size: int,
             **changes: object) -> Trainer:
    # hidden layers of 3 and 3: W^2 is square, so a forgotten transpose still runs
    config = TrainingConfig(dataset=dataset, samples=samples, batch_size=batch_size,
                            hidden=(HiddenLayer(3, hidden), HiddenLayer(3, hidden)), **changes)
    return build_trainer(config, make_dataset(dataset, samples))


def _flagged(trainer: Trainer, mistake: str) -> bool:
    batch = trainer.pending_batch()
    wrong = backprop(trainer, batch.inputs, batch.targets, mistake)
    right = trainer.network.gradients(batch.inputs, batch.targets, trainer.loss,
                                      trainer.reduction)[1].flat
    assert not np.allclose(wrong, right, rtol=1e-3, atol=0.0), "this mistake changes nothing here"
    result = check_gradients(trainer.network, batch.inputs, batch.targets, trainer.loss,
                             trainer.reduction, analytic=wrong)
    return not result.passed


@pytest.fixture(scope="module")
def tiny_xor() -> Trainer:
    """XOR on 2-3-3-1 (tanh) trained until its cost is below 1e-12: gradients near 1e-13."""
    trainer = _trainer("xor", None, "tanh", 0, learning_rate=0.3)
    while trainer.last_batch is None or trainer.last_batch.gradients.cost >= 1e-12:
        trainer.step()
    return trainer


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh"])
def test_the_written_out_backprop_is_the_engines(hidden: str, tiny_xor: Trainer) -> None:
    for trainer in (_trainer("circle", 40, hidden, 8), tiny_xor):
        batch = trainer.pending_batch()
        engine = trainer.network.gradients(batch.inputs, batch.targets, trainer.loss,
                                           trainer.reduction)[1].flat
        mine = backprop(trainer, batch.inputs, batch.targets)
        assert np.allclose(mine, engine, rtol=1e-12, atol=1e-14 * np.abs(engine).max())
        assert check_gradients(trainer.network, batch.inputs, batch.targets, trainer.loss,
                               trainer.reduction, analytic=mine).passed


@pytest.mark.parametrize("mistake", MISTAKES)
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh"])
def test_each_mistake_is_flagged_at_init_and_after_training(hidden: str, mistake: str) -> None:
    trainer = _trainer("circle", 40, hidden, 8)
    assert _flagged(trainer, mistake)
    for _ in range(2000):
        trainer.step()
    assert _flagged(trainer, mistake)


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_mistake_is_flagged_where_gradients_are_1e_13(tiny_xor: Trainer,
                                                           mistake: str) -> None:
    assert np.abs(tiny_xor.pending_batch().gradients.flat).max() < 1e-10
    assert _flagged(tiny_xor, mistake)


def test_one_tiny_gradient_off_by_a_tenth_is_flagged(tiny_xor: Trainer) -> None:
    """Only the smallest nonzero gradient is wrong, by 10%: still flagged."""
    batch = tiny_xor.pending_batch()
    wrong = backprop(tiny_xor, batch.inputs, batch.targets)
    smallest = int(np.argmin(np.where(wrong == 0.0, np.inf, np.abs(wrong))))
    wrong[smallest] *= 1.1
    result = check_gradients(tiny_xor.network, batch.inputs, batch.targets, tiny_xor.loss,
                             tiny_xor.reduction, analytic=wrong)
    assert not result.passed and result.worst == tiny_xor.network.parameter_at(smallest)

