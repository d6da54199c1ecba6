"""Per-sample losses from shared/MATH.md, their derivatives, and the batch reduction.

Arrays hold one sample per row. `output_delta` returns dC_s/dz^L per sample s, using the
combined forms a - t for sigmoid + bce and softmax + cross_entropy (no division by
a (1 - a), which overflows), and the chain rule through the activation otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from engine.core.activations import Activation, log_softmax, read_only_scalar, sigmoid
from engine.core.errors import ConfigError

Array = NDArray[np.float64]

LOSSES: tuple[str, ...] = ("sse", "half_sse", "mse", "bce", "cross_entropy")
REDUCTIONS: tuple[str, ...] = ("mean", "sum")

# Clamp for log(a) when a loss is paired with an activation that has no stable log path.
_LOG_FLOOR = 1e-300

# (loss, output activation) pairs whose delta^L is a - t.
_COMBINED = frozenset({("bce", "sigmoid"), ("cross_entropy", "softmax")})

# Hot-path shortcuts: the ufunc methods themselves, without NumPy's Python-level wrappers,
# and constants as 0-d arrays (see read_only_scalar).
_add_reduce = np.add.reduce
_logaddexp = np.logaddexp
_ZERO = read_only_scalar(0.0)
_ONE = read_only_scalar(1.0)


@dataclass(frozen=True)
class Loss:
    """A loss function paired with the output activation it is applied after."""

    name: str
    output_activation: Activation
    _combined: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.name not in LOSSES:
            raise ConfigError(f"unknown loss {self.name!r} (known: {', '.join(LOSSES)})")
        # Decided once: output_delta runs on every training step.
        pair = (self.name, self.output_activation.name)
        object.__setattr__(self, "_combined", pair in _COMBINED)

    @property
    def combined(self) -> bool:
        """True when delta^L = a - t directly (sigmoid + bce, softmax + cross_entropy)."""
        return self._combined

    def per_sample(self, z: Array, a: Array, targets: Array) -> Array:
        """C_s for each sample: shape (batch,)."""
        name = self.name
        if name == "bce" and self.output_activation.name == "sigmoid":
            # log a = -softplus(-z), log(1 - a) = -softplus(z); add.reduce is np.sum without
            # its dispatch layer (the same summation, so the same bits)
            return _add_reduce(
                targets * _logaddexp(_ZERO, -z) + (_ONE - targets) * _logaddexp(_ZERO, z), 1
            )
        if name == "cross_entropy" and self.output_activation.name == "softmax":
            return -_add_reduce(targets * log_softmax(z), 1)
        if name in ("sse", "half_sse", "mse"):
            error = a - targets
            if name == "sse":
                return np.sum(error * error, axis=1)
            if name == "half_sse":
                return 0.5 * np.sum(error * error, axis=1)
            return np.mean(error * error, axis=1)
        if name == "bce":
            if self.output_activation.name == "softmax" and z.shape[1] > 1:
                log_a, log_not_a = _softmax_logs(z)
            else:
                log_a = np.log(np.maximum(a, _LOG_FLOOR))
                log_not_a = np.log(np.maximum(1.0 - a, _LOG_FLOOR))
            return -np.sum(targets * log_a + (1.0 - targets) * log_not_a, axis=1)
        # cross_entropy after anything but softmax
        if self.output_activation.name == "sigmoid":
            return np.sum(targets * np.logaddexp(0.0, -z), axis=1)  # -log a = softplus(-z)
        return -np.sum(targets * np.log(np.maximum(a, _LOG_FLOOR)), axis=1)

    def grad_a(self, a: Array, targets: Array) -> Array:
        """dC_s/da^L per sample: the loss derivative at each output (table in MATH.md)."""
        if self.name == "sse":
            return 2.0 * (a - targets)
        if self.name == "half_sse":
            return a - targets
        if self.name == "mse":
            return 2.0 * (a - targets) / a.shape[1]
        # Each term only where its target weight is nonzero: a = t = 0 (or 1) is a finite
        # derivative, not 0/0.
        with np.errstate(divide="ignore"):
            positive = np.divide(targets, a, out=np.zeros_like(a), where=targets != 0.0)
            if self.name == "cross_entropy":
                return -positive
            negative = np.divide(1.0 - targets, 1.0 - a, out=np.zeros_like(a), where=targets != 1.0)
        return negative - positive  # (a - t) / (a (1 - a)) = -t / a + (1 - t) / (1 - a)

    def output_delta(self, z: Array, a: Array, targets: Array) -> Array:
        """delta^L = dC_s/dz^L per sample."""
        if self._combined:
            return a - targets
        pair = (self.name, self.output_activation.name)
        if self.output_activation.name == "softmax" and z.shape[1] == 1:
            return np.zeros_like(z)  # a one-output softmax is the constant 1: no gradient
        if pair == ("cross_entropy", "sigmoid"):
            return -targets * sigmoid(-z)  # d/dz (-t log sigmoid(z)) = -t (1 - a), no t / a
        if pair == ("bce", "softmax") and z.shape[1] > 1:
            return _softmax_bce_delta(z, targets)
        return self.output_activation.backward(z, a, self.grad_a(a, targets))


def _softmax_logs(z: Array) -> tuple[Array, Array]:
    """log a_j and log(1 - a_j) for a = softmax(z) (rows, at least 2 columns), with no overflow.

    1 - a_j = sum_{k != j} a_k, so log(1 - a_j) = logsumexp_{k != j} z_k - logsumexp_k z_k.
    """
    # others[s, j, k] = z_k for k != j, -inf (a zero term) for k == j
    others = np.where(np.eye(z.shape[1], dtype=bool), -np.inf, z[:, None, :])
    peak = others.max(axis=2, keepdims=True)
    log_sum_others = peak[..., 0] + np.log(np.exp(others - peak).sum(axis=2))
    log_a = log_softmax(z)
    return log_a, log_sum_others - (z - log_a)


def _softmax_bce_delta(z: Array, targets: Array) -> Array:
    """dC/dz for bce after softmax, from the chain rule through the softmax Jacobian:

    dC/dz_i = a_i - t_i + a_i sum_{j != i} t_j - sum_{j != i} (1 - t_j) a_i a_j / (1 - a_j),
    each a_i a_j / (1 - a_j) (i != j, at most 1) taken from logs so nothing is 0/0 or inf/inf.
    """
    log_a, log_not_a = _softmax_logs(z)
    a = np.exp(log_a)
    exponent = log_a[:, :, None] + (log_a - log_not_a)[:, None, :]  # [s, i, j]
    exponent = np.where(np.eye(z.shape[1], dtype=bool), -np.inf, exponent)
    cross = np.exp(exponent) * (1.0 - targets)[:, None, :]
    other_targets = targets.sum(axis=1, keepdims=True) - targets
    return a - targets + a * other_targets - cross.sum(axis=2)


def reduction_scale(reduction: str, batch_size: int) -> float:
    """Factor turning a sum over the batch into the reported cost: 1/B for mean, 1 for sum."""
    if reduction == "mean":
        return 1.0 / batch_size
    if reduction == "sum":
        return 1.0
    raise ConfigError(f"unknown reduction {reduction!r} (known: mean, sum)")
