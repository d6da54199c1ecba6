"""Exceptions for mistakes a person can make (a file, a typed value), each saying what and where."""

from __future__ import annotations


class DeltascopeError(Exception):
    """Base of every error Deltascope reports to a person (a dialog, or one CLI line)."""


class ConfigError(DeltascopeError, ValueError):
    """A setting that cannot work: an unknown activation, a zero-width layer, a negative rate."""


class DatasetError(DeltascopeError):
    """A dataset that cannot be used; the message names the file, line and column when known."""


class WeightsFileError(DeltascopeError):
    """A weights file that cannot be loaded; the message names the layer and field."""


class DivergenceError(DeltascopeError):
    """Training produced NaN or Inf: the step was rolled back to the last finite weights."""

    def __init__(self, step: int, reason: str) -> None:
        super().__init__(
            f"training diverged at step {step}: {reason}; the step was rolled back "
            "(weights are the last finite values). Try a smaller learning rate."
        )
        self.step = step
        self.reason = reason
