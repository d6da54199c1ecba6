"""Optimizers over the flat parameter vector, in two phases so a bad step can be refused.

`propose(gradient, learning_rate)` returns the update to subtract and the state it would
lead to, without changing anything; `commit(state)` adopts that state. The trainer commits
only when the update is finite, so a diverging step leaves no trace in momentum or moments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from engine.core.errors import ConfigError

Array = NDArray[np.float64]

OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "adam")


@dataclass
class OptimizerState:
    """What an optimizer carries between steps: arrays by name and the step count."""

    arrays: dict[str, Array] = field(default_factory=dict)
    steps: int = 0


class Optimizer:
    """Plain gradient descent: update = learning_rate * gradient."""

    name = "sgd"

    def __init__(self) -> None:
        self.state = OptimizerState()

    def settings(self) -> dict[str, float]:
        """Hyperparameters other than the learning rate (for display and sessions)."""
        return {}

    def propose(self, gradient: Array, learning_rate: float) -> tuple[Array, OptimizerState]:
        return learning_rate * gradient, OptimizerState({}, self.state.steps + 1)

    def commit(self, state: OptimizerState) -> None:
        self.state = state

    def reset(self) -> None:
        self.state = OptimizerState()


class Momentum(Optimizer):
    """SGD with momentum: v <- beta v + g; update = learning_rate * v."""

    name = "momentum"

    def __init__(self, beta: float = 0.9) -> None:
        super().__init__()
        if not 0.0 <= beta < 1.0:
            raise ConfigError(f"momentum must be in [0, 1), got {beta}")
        self.beta = beta

    def settings(self) -> dict[str, float]:
        return {"beta": self.beta}

    def propose(self, gradient: Array, learning_rate: float) -> tuple[Array, OptimizerState]:
        velocity = self.state.arrays.get("velocity")
        velocity = gradient.copy() if velocity is None else self.beta * velocity + gradient
        state = OptimizerState({"velocity": velocity}, self.state.steps + 1)
        return learning_rate * velocity, state


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias-corrected first and second moments."""

    name = "adam"

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8) -> None:
        super().__init__()
        for label, value in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= value < 1.0:
                raise ConfigError(f"Adam {label} must be in [0, 1), got {value}")
        if not epsilon > 0.0:
            raise ConfigError(f"Adam epsilon must be positive, got {epsilon}")
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon

    def settings(self) -> dict[str, float]:
        return {"beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon}

    def propose(self, gradient: Array, learning_rate: float) -> tuple[Array, OptimizerState]:
        steps = self.state.steps + 1
        first = self.state.arrays.get("first_moment")
        second = self.state.arrays.get("second_moment")
        if first is None or second is None:
            first, second = np.zeros_like(gradient), np.zeros_like(gradient)
        # Plain expressions on purpose: for large arrays NumPy already reuses their
        # temporaries in place, and measured faster than spelling it out with out= arguments.
        first = self.beta1 * first + (1.0 - self.beta1) * gradient
        second = self.beta2 * second + (1.0 - self.beta2) * (gradient * gradient)
        step_size = learning_rate * np.sqrt(1.0 - self.beta2**steps) / (1.0 - self.beta1**steps)
        update = step_size * first / (np.sqrt(second) + self.epsilon)
        return update, OptimizerState({"first_moment": first, "second_moment": second}, steps)


def make_optimizer(name: str, **settings: float) -> Optimizer:
    """An optimizer by name: sgd, momentum (beta) or adam (beta1, beta2, epsilon)."""
    classes: dict[str, type[Optimizer]] = {"sgd": Optimizer, "momentum": Momentum, "adam": Adam}
    if name not in classes:
        raise ConfigError(f"unknown optimizer {name!r} (known: {', '.join(OPTIMIZERS)})")
    try:
        return classes[name](**settings)
    except TypeError as error:
        raise ConfigError(f"bad settings for optimizer {name}: {error}") from None
