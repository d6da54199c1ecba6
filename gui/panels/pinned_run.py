"""A pinned run as plain data: its name, the settings that made it and its cost curves.

`PinnedRun.to_dict()` gives JSON-ready values and `from_dict()` checks them, so a session
file can hold the runs; `settings_summary` and friends describe a run's settings in words.
gui/panels/runs.py shows the runs (the Runs dock, the cost plot's overlays).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.core.errors import ConfigError, DeltascopeError
from engine.core.features import canonical_features
from engine.core.option_names import option_label
from engine.training.config import HiddenLayer, TrainingConfig
from engine.training.snapshot import Snapshot, frozen_copy
from gui.views.cost_plot import OVERLAY_COLORS, OverlayCurves, overlay_color

Array = NDArray[np.float64]

MAX_RUNS = len(OVERLAY_COLORS)  # 20: one distinct colour each
RUN_FORMAT = 1
_CURVES = ("epochs", "train_cost", "test_cost", "train_metric", "test_metric")


class RunFormatError(DeltascopeError, ValueError):
    """A pinned run's plain-data form (from a session file) that cannot be read."""


@dataclass(frozen=True, eq=False)
class PinnedRun:
    """One pinned run: its name, the settings that made it and its per-epoch history.

    The curves are read-only float arrays of equal length, one entry per kept epoch
    (epochs increasing); test_cost and test_metric are NaN without a test set.
    metric_name is "accuracy" (a fraction) or "rmse". color_index picks its overlay colour.
    """

    name: str
    config: TrainingConfig
    metric_name: str
    epochs: Array
    train_cost: Array
    test_cost: Array
    train_metric: Array
    test_metric: Array
    step: int = 0
    visible: bool = True
    color_index: int = 0

    @classmethod
    def from_snapshot(cls, name: str, config: TrainingConfig, snapshot: Snapshot,
                      color_index: int = 0) -> PinnedRun:
        """The run whose latest state `snapshot` shows, trained with `config`."""
        history = snapshot.history
        return cls(
            name=name, config=config, metric_name=snapshot.metric_name,
            epochs=frozen_copy(history.epochs), train_cost=frozen_copy(history.train_cost),
            test_cost=frozen_copy(history.test_cost),
            train_metric=frozen_copy(history.train_metric),
            test_metric=frozen_copy(history.test_metric), step=snapshot.step,
            color_index=color_index,
        )

    def with_changes(self, **changes: Any) -> PinnedRun:
        return dataclasses.replace(self, **changes)

    @property
    def has_test_set(self) -> bool:
        return bool(np.isfinite(self.test_cost).any())

    def final(self, curve: str) -> float:
        """The last record of one curve ("train_cost", "test_metric", ...), NaN if none."""
        values: Array = getattr(self, curve)
        return float(values[-1]) if len(values) else math.nan

    def overlay(self) -> OverlayCurves:
        """What the cost plot draws for this run."""
        return OverlayCurves(self.name, self.epochs, self.train_cost, self.test_cost,
                             overlay_color(self.color_index), self.visible)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (NaN written as None)."""
        data: dict[str, Any] = {
            "format": RUN_FORMAT, "name": self.name, "config": self.config.to_dict(),
            "metric_name": self.metric_name, "step": self.step, "visible": self.visible,
            "color_index": self.color_index,
        }
        for curve in _CURVES:
            data[curve] = [float(v) if math.isfinite(v) else None for v in getattr(self, curve)]
        return data

    @classmethod
    def from_dict(cls, data: object) -> PinnedRun:
        """The run that `to_dict` gave; raises RunFormatError saying what is wrong."""
        if not isinstance(data, Mapping):
            raise RunFormatError(f"a pinned run must be a mapping, got {type(data).__name__}")
        name = _field(data, "name", str, "the run")
        where = f"pinned run {name!r}"
        if data.get("format", RUN_FORMAT) != RUN_FORMAT:
            raise RunFormatError(f"{where}: unknown format {data.get('format')!r}")
        _reject_unknown(data, {"format", "name", "config", "metric_name", "step", "visible",
                               "color_index", *_CURVES}, where)
        metric_name = _field(data, "metric_name", str, where)
        if metric_name not in ("accuracy", "rmse"):
            raise RunFormatError(f"{where}: metric_name must be 'accuracy' or 'rmse', "
                                 f"got {metric_name!r}")
        curves = {curve: _curve(data, curve, where) for curve in _CURVES}
        lengths = {len(values) for values in curves.values()}
        if len(lengths) != 1:
            sizes = ", ".join(f"{curve} {len(values)}" for curve, values in curves.items())
            raise RunFormatError(f"{where}: the curves differ in length ({sizes})")
        epochs = curves["epochs"]
        if not (np.isfinite(epochs).all() and np.all(np.diff(epochs) > 0)):
            raise RunFormatError(f"{where}: epochs must be finite and increasing")
        color_index = _field(data, "color_index", int, where, default=0)
        if not 0 <= color_index < len(OVERLAY_COLORS):
            raise RunFormatError(f"{where}: color_index must be in [0, {len(OVERLAY_COLORS)}), "
                                 f"got {color_index}")
        return cls(
            name=name, config=config_from_dict(_field(data, "config", Mapping, where), where),
            metric_name=metric_name, step=_field(data, "step", int, where, default=0),
            visible=_field(data, "visible", bool, where, default=True),
            color_index=color_index, **{curve: frozen_copy(v) for curve, v in curves.items()},
        )


def runs_to_list(runs: Sequence[PinnedRun]) -> list[dict[str, Any]]:
    """Plain data for a session file."""
    return [run.to_dict() for run in runs]


def runs_from_list(data: object) -> list[PinnedRun]:
    """The runs `runs_to_list` gave; raises RunFormatError (also for more than MAX_RUNS)."""
    if not isinstance(data, list):
        raise RunFormatError(f"pinned runs must be a list, got {type(data).__name__}")
    if len(data) > MAX_RUNS:
        raise RunFormatError(f"at most {MAX_RUNS} pinned runs, got {len(data)}")
    return [PinnedRun.from_dict(item) for item in data]


def config_from_dict(data: object, where: str = "settings") -> TrainingConfig:
    """The TrainingConfig `TrainingConfig.to_dict` gave; missing settings take their defaults."""
    if not isinstance(data, Mapping):
        raise RunFormatError(f"{where}: config must be a mapping, got {type(data).__name__}")
    defaults = TrainingConfig()
    where = f"{where}, config"
    _reject_unknown(data, {field.name for field in dataclasses.fields(TrainingConfig)}, where)
    values: dict[str, Any] = {}
    for name, value in data.items():
        default = getattr(defaults, name)
        if name == "hidden":
            values[name] = _hidden_layers(value, where)
        elif name == "features":
            values[name] = _features(value, where)
        elif name in ("samples", "noise") and value is None:
            values[name] = None
        elif name == "samples":
            values[name] = _field(data, name, int, where)
        elif name == "noise" or isinstance(default, float):
            values[name] = _field(data, name, float, where)
        else:
            values[name] = _field(data, name, type(default), where)
    return defaults.with_changes(**values)


def _features(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise RunFormatError(f"{where}: features must be a list of feature names")
    try:
        return canonical_features(value) if value else ()
    except ConfigError as error:
        raise RunFormatError(f"{where}: features: {error}") from None


def _hidden_layers(value: object, where: str) -> tuple[HiddenLayer, ...]:
    if not isinstance(value, list | tuple):
        raise RunFormatError(f"{where}: hidden must be a list of layers")
    layers = []
    for number, layer in enumerate(value, start=1):
        if not isinstance(layer, Mapping):
            raise RunFormatError(f"{where}: hidden layer {number} must be a mapping")
        _reject_unknown(layer, {"size", "activation"}, f"{where}, hidden layer {number}")
        layers.append(HiddenLayer(_field(layer, "size", int, f"{where}, hidden layer {number}"),
                                  _field(layer, "activation", str,
                                         f"{where}, hidden layer {number}")))
    return tuple(layers)


_MISSING = object()


def _field(data: Mapping[str, Any], key: str, kind: type, where: str,
           default: Any = _MISSING) -> Any:
    """data[key] checked to be a `kind` (an int passes as a float; a bool never as a number)."""
    if key not in data:
        if default is _MISSING:
            raise RunFormatError(f"{where}: missing {key!r}")
        return default
    value = data[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    is_number = kind in (int, float)
    if not isinstance(value, kind) or (is_number and isinstance(value, bool)):
        raise RunFormatError(f"{where}: {key!r} must be {_KIND_NAMES.get(kind, kind.__name__)}, "
                             f"got {value!r}")
    if kind is float and not math.isfinite(value):
        raise RunFormatError(f"{where}: {key!r} must be finite, got {value!r}")
    return value


_KIND_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
               Mapping: "a mapping"}


def _curve(data: Mapping[str, Any], key: str, where: str) -> Array:
    """A list of numbers (None for a missing value) as a float array with NaN."""
    values = data.get(key, _MISSING)
    if values is _MISSING:
        raise RunFormatError(f"{where}: missing {key!r}")
    if not isinstance(values, list | tuple):
        raise RunFormatError(f"{where}: {key!r} must be a list of numbers")
    numbers = []
    for position, value in enumerate(values):
        if value is None:
            numbers.append(math.nan)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            numbers.append(float(value))
        else:
            raise RunFormatError(f"{where}: {key}[{position}] must be a number or null, "
                                 f"got {value!r}")
    return np.array(numbers, dtype=np.float64)


def _reject_unknown(data: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        raise RunFormatError(f"{where}: unknown key(s) {', '.join(unknown)}")


# -- names and summaries -------------------------------------------------------------------


def architecture_text(config: TrainingConfig) -> str:
    """`4 tanh`, `8 ReLU, 8 ReLU`, or `no hidden layer` (readable activation names)."""
    if not config.hidden:
        return "no hidden layer"
    return ", ".join(f"{layer.size} {option_label('activation', layer.activation)}"
                     for layer in config.hidden)


def default_run_name(number: int, config: TrainingConfig) -> str:
    """`run 1: Adam lr 0.03 4 tanh`."""
    return (f"run {number}: {option_label('optimizer', config.optimizer)} "
            f"lr {config.learning_rate:g} "
            f"{architecture_text(config)}")


def settings_summary(config: TrainingConfig) -> str:
    """One line: data, network, optimizer, batch, regularization, initializer, seed."""
    batch = "full batch" if config.batch_size == 0 else f"batch {config.batch_size}"
    regularization = ("no reg." if config.regularization == "none"
                      else f"{config.regularization.upper()} {config.regularization_rate:g}")
    return " · ".join([
        option_label("dataset", config.dataset),
        f"{architecture_text(config)} → {option_label('activation', config.output_activation)}",
        f"{option_label('optimizer', config.optimizer)} lr {config.learning_rate:g}", batch,
        regularization, option_label("initializer", config.initializer), f"seed {config.seed}",
    ])


_OPTION_KINDS = {"dataset": "dataset", "output_activation": "activation", "loss": "loss",
                 "reduction": "reduction", "optimizer": "optimizer",
                 "regularization": "regularization", "initializer": "initializer"}


def settings_details(config: TrainingConfig) -> str:
    """Every setting, one per line (the settings cell's tooltip)."""
    lines = []
    for name, value in config.to_dict().items():
        if name == "hidden":
            value = architecture_text(config)
        shown = "default" if value is None else value
        if name in _OPTION_KINDS and isinstance(value, str):
            shown = f"{option_label(_OPTION_KINDS[name], value)} (code name {value})"
        lines.append(f"{name.replace('_', ' ')}: {shown}")
    return "\n".join(lines)
