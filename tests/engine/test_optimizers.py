"""Optimizer update formulas against hand-computed references, and the two-phase
propose/commit contract (a proposal changes nothing until it is committed)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from numpy.typing import NDArray

from engine.core.errors import ConfigError
from engine.core.optimizers import OPTIMIZERS, Adam, Momentum, Optimizer, make_optimizer

Array = NDArray[np.float64]

# Three gradients, entries of magnitude >= 0.1 (so Adam's epsilon placement is below 1e-5
# relative, see test_adam_matches_algorithm_1_with_bias_correction).
GRADIENTS = [
    np.array([0.5, -1.0, 0.25, 2.0]),
    np.array([-0.3, -0.8, 0.4, 1.5]),
    np.array([0.2, 0.6, -0.5, 1.0]),
]
RATES = [0.1, 0.1, 0.05]  # the learning rate changes before the third step


def run(optimizer: Optimizer, rates: list[float] = RATES) -> list[Array]:
    updates = []
    for gradient, rate in zip(GRADIENTS, rates, strict=True):
        update, state = optimizer.propose(gradient, rate)
        optimizer.commit(state)
        updates.append(update)
    return updates


def test_sgd_update_is_rate_times_gradient() -> None:
    optimizer = make_optimizer("sgd")
    for update, gradient, rate in zip(run(optimizer), GRADIENTS, RATES, strict=True):
        np.testing.assert_array_equal(update, rate * gradient)
    assert optimizer.state.steps == 3
    assert optimizer.settings() == {}


def test_momentum_velocity_is_beta_v_plus_g() -> None:
    """v_1 = g_1; v_2 = 0.9 v_1 + g_2; v_3 = 0.9 v_2 + g_3; update = rate * v."""
    optimizer = make_optimizer("momentum", beta=0.9)
    g1, g2, g3 = GRADIENTS
    v1 = g1
    v2 = 0.9 * v1 + g2
    v3 = 0.9 * v2 + g3
    # by hand for the first entry: 0.5; -0.3 + 0.45 = 0.15; 0.2 + 0.135 = 0.335
    assert v3[0] == pytest.approx(0.335)
    expected = [0.1 * v1, 0.1 * v2, 0.05 * v3]
    for update, want in zip(run(optimizer), expected, strict=True):
        np.testing.assert_allclose(update, want, rtol=1e-15)
    np.testing.assert_allclose(optimizer.state.arrays["velocity"], v3, rtol=1e-15)
    assert optimizer.settings() == {"beta": 0.9}


def adam_reference(
    gradients: list[Array], rates: list[float], beta1: float, beta2: float, epsilon: float
) -> list[Array]:
    """Kingma & Ba, Algorithm 1, written out literally."""
    m = np.zeros_like(gradients[0])
    v = np.zeros_like(gradients[0])
    updates = []
    for t, (g, rate) in enumerate(zip(gradients, rates, strict=True), start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        updates.append(rate * m_hat / (np.sqrt(v_hat) + epsilon))
    return updates


def test_adam_matches_algorithm_1_with_bias_correction() -> None:
    """The engine folds the bias correction into the step size (the paper's 'efficient'
    form, end of its section 2), which adds epsilon to sqrt(v) rather than sqrt(v_hat): the
    two differ by ~eps / sqrt(v) <= 1e-8 / (0.1 sqrt(0.001)) ~ 3e-6 relative here, while
    forgetting a bias correction is off by factors (the first update would be
    rate * 0.1 / sqrt(0.001) ~ 3.2 rate instead of rate)."""
    optimizer = make_optimizer("adam")
    assert optimizer.settings() == {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    updates = run(optimizer)
    expected = adam_reference(GRADIENTS, RATES, 0.9, 0.999, 1e-8)
    for update, want in zip(updates, expected, strict=True):
        np.testing.assert_allclose(update, want, rtol=1e-5)
    # the first bias-corrected step is rate * g / |g| = rate * sign(g)
    np.testing.assert_allclose(updates[0], 0.1 * np.sign(GRADIENTS[0]), rtol=1e-5)
    # moments by hand after one step: m = 0.1 g, v = 0.001 g^2
    fresh = Adam()
    _, state = fresh.propose(GRADIENTS[0], 0.1)
    np.testing.assert_allclose(state.arrays["first_moment"], 0.1 * GRADIENTS[0], rtol=1e-15)
    np.testing.assert_allclose(state.arrays["second_moment"], 0.001 * GRADIENTS[0] ** 2,
                               rtol=1e-12)
    assert state.steps == 1


def test_adam_with_other_settings() -> None:
    optimizer = make_optimizer("adam", beta1=0.5, beta2=0.9, epsilon=1e-3)
    updates = run(optimizer)
    # epsilon 1e-3 vs |g| >= 0.1: compare to Algorithm 1 with the effective epsilon
    m = np.zeros(4)
    v = np.zeros(4)
    for t, (g, rate, update) in enumerate(zip(GRADIENTS, RATES, updates, strict=True), 1):
        m = 0.5 * m + 0.5 * g
        v = 0.9 * v + 0.1 * g * g
        step = rate * np.sqrt(1 - 0.9**t) / (1 - 0.5**t)
        np.testing.assert_allclose(update, step * m / (np.sqrt(v) + 1e-3), rtol=1e-14)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_propose_changes_nothing_until_commit(name: str) -> None:
    optimizer = make_optimizer(name)
    run(optimizer)
    before = copy.deepcopy(optimizer.state)
    gradient = np.array([1.0, 2.0, -3.0, 0.5])
    first, state = optimizer.propose(gradient, 0.1)
    second, _ = optimizer.propose(gradient, 0.1)
    np.testing.assert_array_equal(first, second)  # proposing twice gives the same update
    assert optimizer.state.steps == before.steps
    assert optimizer.state.arrays.keys() == before.arrays.keys()
    for key, value in before.arrays.items():
        np.testing.assert_array_equal(optimizer.state.arrays[key], value)
    assert state.steps == before.steps + 1
    optimizer.commit(state)
    assert optimizer.state.steps == before.steps + 1
    optimizer.reset()
    assert optimizer.state.steps == 0 and optimizer.state.arrays == {}


def test_learning_rate_change_keeps_the_velocity() -> None:
    optimizer = Momentum(0.5)
    g1, g2 = GRADIENTS[:2]
    update, state = optimizer.propose(g1, 1.0)
    optimizer.commit(state)
    update, state = optimizer.propose(g2, 0.01)
    np.testing.assert_allclose(update, 0.01 * (0.5 * g1 + g2), rtol=1e-15)


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("rmsprop", {}),
        ("momentum", {"beta": 1.0}),
        ("momentum", {"beta": -0.1}),
        ("momentum", {"rho": 0.5}),
        ("adam", {"beta1": 1.0}),
        ("adam", {"beta2": 1.5}),
        ("adam", {"epsilon": 0.0}),
        ("sgd", {"beta": 0.9}),
    ],
)
def test_bad_optimizer_settings_raise_config_error(name: str, settings: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        make_optimizer(name, **settings)


def test_make_optimizer_builds_each_kind() -> None:
    assert type(make_optimizer("sgd")) is Optimizer
    assert isinstance(make_optimizer("momentum", beta=0.8), Momentum)
    assert make_optimizer("momentum", beta=0.8).beta == 0.8
    assert isinstance(make_optimizer("adam"), Adam)
    assert [make_optimizer(name).name for name in OPTIMIZERS] == list(OPTIMIZERS)
