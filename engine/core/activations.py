"""Activation functions, each with its derivative beside it (micrograd / playground style).

Arrays hold one sample per row: z and a have shape (batch, neurons).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.core.errors import ConfigError

Array = NDArray[np.float64]

LEAKY_SLOPE = 0.01


def read_only_scalar(value: float) -> Array:
    """A read-only 0-d float64 array holding `value`, for constants of the hot path.

    With float64 arrays it gives the same results as the Python float, but NumPy applies
    it about 0.1 us faster per operation (no conversion of a Python scalar on each call).
    """
    scalar = np.array(value, dtype=np.float64)
    scalar.flags.writeable = False
    return scalar


_ZERO = read_only_scalar(0.0)
_ONE = read_only_scalar(1.0)
_exp = np.exp
_logaddexp = np.logaddexp


def sigmoid(z: Array) -> Array:
    """1 / (1 + e^(-z)), computed as exp(-softplus(-z)): no overflow for any finite z."""
    return _exp(-_logaddexp(_ZERO, -z))


def _sigmoid_derivative(z: Array, a: Array) -> Array:
    return a * (_ONE - a)


def _tanh_derivative(z: Array, a: Array) -> Array:
    return _ONE - a * a


def softmax(z: Array) -> Array:
    """Row-wise e^(z_i) / sum_k e^(z_k), shifted by the row max so nothing overflows."""
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def log_softmax(z: Array) -> Array:
    """Row-wise log softmax(z), stable for |z| up to the float range."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class Activation:
    """One activation: `function` gives a = sigma(z); `derivative` gives sigma'(z) from (z, a).

    `formula` and `derivative_formula` are the plain-text forms the inspector prints.
    For softmax the Jacobian is not diagonal: `elementwise` is False and `derivative`
    returns only its diagonal a_i (1 - a_i); `backward` always applies the full Jacobian.
    """

    name: str
    function: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array]
    formula: str
    derivative_formula: str
    elementwise: bool = True

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        """dC/dz from dC/da, per sample (rows)."""
        if self.elementwise:
            return grad_a * self.derivative(z, a)
        # softmax: J = diag(a) - a a^T, so J^T g = a * (g - <g, a>)
        return a * (grad_a - np.sum(grad_a * a, axis=1, keepdims=True))


def _relu_derivative(z: Array, a: Array) -> Array:
    return (z > 0).astype(np.float64)


def _leaky_derivative(z: Array, a: Array) -> Array:
    return np.where(z > 0, 1.0, LEAKY_SLOPE)


ACTIVATIONS: dict[str, Activation] = {
    activation.name: activation
    for activation in (
        Activation("sigmoid", sigmoid, _sigmoid_derivative, "1 / (1 + e^(-z))", "a (1 - a)"),
        Activation("tanh", np.tanh, _tanh_derivative, "tanh z", "1 - a^2"),
        Activation("relu", lambda z: np.maximum(z, 0.0), _relu_derivative,
                   "max(0, z)", "1 if z > 0 else 0"),
        Activation("leaky_relu", lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
                   _leaky_derivative, "z if z > 0 else 0.01 z", "1 if z > 0 else 0.01"),
        Activation("linear", lambda z: z.copy(), lambda z, a: np.ones_like(z), "z", "1"),
        Activation("softmax", softmax, lambda z, a: a * (1.0 - a),
                   "e^(z_i) / sum_k e^(z_k)", "diag(a) - a a^T", elementwise=False),
    )
}

HIDDEN_ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "leaky_relu", "sigmoid", "linear")
OUTPUT_ACTIVATIONS: tuple[str, ...] = ("sigmoid", "softmax", "linear", "tanh", "relu", "leaky_relu")


def get_activation(name: str) -> Activation:
    """The activation called `name`; ConfigError listing the known names otherwise."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        known = ", ".join(ACTIVATIONS)
        raise ConfigError(f"unknown activation {name!r} (known: {known})") from None
