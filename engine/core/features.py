"""Input features for 2-D data: a fixed transform of (x1, x2) ahead of the first layer.

As in TensorFlow Playground, a network on 2-D data may take any of seven features of the raw
point instead of the point itself: x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2) (shown as
x₁, x₂, x₁², x₂², x₁x₂, sin x₁, sin x₂). The network
then has one input neuron per chosen feature (a^0 holds the features, MATH.md's notation
unchanged) and its first layer's weights read them; gradients stop at a^0, so the transform
has no parameters and needs no derivative.

Feature ids are the stable names written to weight files, sessions and the `--features`
flag. Whatever order they are chosen in, a network uses them in the canonical order of
FEATURES, so the same choice always gives the same input neurons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.core.errors import ConfigError
from engine.core.notation import feature_name

Array = NDArray[np.float64]

RAW_WIDTH = 2  # features are defined for 2-D data only: columns x1, x2


@dataclass(frozen=True)
class Feature:
    """One input feature: its file id, its display name, its formula and how to compute it.

    compute maps the raw columns (x1, x2), each shape (N,), to the feature, shape (N,).
    """

    id: str
    display: str
    formula: str
    compute: Callable[[Array, Array], Array]


_FEATURE_LIST = (
    Feature("x1", feature_name("x1"), "x₁, the first input as it is", lambda x1, x2: x1),
    Feature("x2", feature_name("x2"), "x₂, the second input as it is", lambda x1, x2: x2),
    Feature("x1^2", feature_name("x1^2"), "x₁², the first input squared", lambda x1, x2: x1 * x1),
    Feature("x2^2", feature_name("x2^2"), "x₂², the second input squared", lambda x1, x2: x2 * x2),
    Feature("x1*x2", feature_name("x1*x2"), "x₁·x₂, the product of the two inputs",
            lambda x1, x2: x1 * x2),
    Feature("sin(x1)", feature_name("sin(x1)"), "sin x₁, the sine of the first input (radians)",
            lambda x1, x2: np.sin(x1)),
    Feature("sin(x2)", feature_name("sin(x2)"), "sin x₂, the sine of the second input (radians)",
            lambda x1, x2: np.sin(x2)),
)

FEATURES: dict[str, Feature] = {feature.id: feature for feature in _FEATURE_LIST}
FEATURE_IDS: tuple[str, ...] = tuple(FEATURES)
RAW_FEATURES: tuple[str, ...] = ("x1", "x2")  # the same numbers as no transform at all


def canonical_features(names: Iterable[str]) -> tuple[str, ...]:
    """The chosen feature ids in canonical (FEATURE_IDS) order.

    ConfigError for an unknown or repeated id, or an empty choice (a network needs at least
    one input).
    """
    chosen = [str(name).strip() for name in names]
    if not chosen:
        raise ConfigError("choose at least one input feature "
                          f"(known: {', '.join(FEATURE_IDS)})")
    for name in chosen:
        if name not in FEATURES:
            raise ConfigError(f"unknown input feature {name!r} (known: {', '.join(FEATURE_IDS)})")
    repeated = sorted({name for name in chosen if chosen.count(name) > 1})
    if repeated:
        raise ConfigError(f"input feature {repeated[0]!r} is chosen twice")
    return tuple(name for name in FEATURE_IDS if name in chosen)


def parse_features(text: str) -> tuple[str, ...]:
    """Comma-separated feature ids (as on the command line), canonically ordered."""
    return canonical_features(part for part in text.split(",") if part.strip())


def display_names(features: Iterable[str]) -> tuple[str, ...]:
    """The window's labels (x₁, x₁², ..., engine/core/notation.py's) of these feature ids."""
    return tuple(FEATURES[name].display for name in features)


def check_raw_width(width: int) -> None:
    """ConfigError unless data with `width` input columns can take input features."""
    if width != RAW_WIDTH:
        raise ConfigError(f"input features need data with {RAW_WIDTH} input columns (x1, x2), "
                          f"this data has {width}")


def feature_transform(features: tuple[str, ...]) -> Callable[[Array], Array]:
    """A function mapping raw inputs (N, 2) to the features (N, len(features)), float64.

    `features` must be canonical (see canonical_features); they are checked here once so
    the returned function does no per-call validation beyond the input's shape.
    """
    if canonical_features(features) != tuple(features):
        raise ConfigError(f"input features {list(features)} are not in canonical order "
                          f"({', '.join(FEATURE_IDS)})")
    computations = [FEATURES[name].compute for name in features]
    count = len(computations)

    def transform(raw: Array) -> Array:
        raw = np.asarray(raw, dtype=np.float64)
        if raw.ndim != 2 or raw.shape[1] != RAW_WIDTH:
            raise ConfigError(f"input features need inputs of shape (batch, {RAW_WIDTH}), "
                              f"got {raw.shape}")
        x1, x2 = raw[:, 0], raw[:, 1]
        out = np.empty((raw.shape[0], count))
        for column, compute in enumerate(computations):
            out[:, column] = compute(x1, x2)
        return out

    return transform


def apply_features(features: tuple[str, ...], raw: Array) -> Array:
    """The features (N, k) of raw inputs (N, 2); see feature_transform."""
    return feature_transform(features)(raw)
