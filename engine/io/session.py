"""Sessions: the whole training state as one JSON file (`.deltascope`), to continue later.

A session holds every setting, the dataset (a built-in generator's name, size, noise and
seed, checked by a SHA-256 of the regenerated data; a CSV's data itself), the train/test
split as row indices, the network's parameters, the optimizer's settings and state (momentum
velocity, Adam's moments, step count), the trainer's counters (step, epoch, position within
the epoch, the epoch's row order and accumulators), the batch-order generator's state and the
per-epoch history. Restoring it and training on gives bit-identical parameters to never
having stopped.

Floats are written by `json` as their shortest round-trip `repr`, so every number comes back
exactly; arrays are lists; NaN in the history (no test set) is written as null. Reading
never unpickles; every field is checked and a problem raises SessionFileError naming the
field, e.g. "run.deltascope: optimizer.arrays.first_moment has 12 numbers, expected 17".

Why this is long: writing and reading every part of a session (config, data, split, network,
optimizer, trainer progress, random state, history), each field checked with its own message, is
one file format and changes together; the field reader is engine/io/session_fields.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.core.errors import ConfigError, DeltascopeError
from engine.core.features import canonical_features
from engine.core.network import Network
from engine.core.optimizers import Optimizer, OptimizerState, make_optimizer
from engine.core.seeding import seed_streams
from engine.core.standardization import read_standardization
from engine.data.dataset import TASKS, Dataset, DataSplit
from engine.data.datasets import DATASET_NAMES, make_dataset
from engine.data.image_shape import check_image_shape
from engine.data.tasks import for_output
from engine.io.atomic import write_atomically
from engine.io.session_fields import Fields, SessionFileError
from engine.training.config import (
    INTEGER_LIMITS,
    MAX_BATCH_SIZE,
    MAX_COUNT,
    MAX_HIDDEN_LAYERS,
    MAX_LAYER_SIZE,
    HiddenLayer,
    TrainingConfig,
    make_network,
)
from engine.training.epoch_history import History
from engine.training.trainer import Trainer, TrainerProgress
from engine.training.trainer_learnability import trainer_problems

Array = NDArray[np.float64]

SESSION_FORMAT = "deltascope-session"
SESSION_VERSION = 1
SESSION_EXTENSION = ".deltascope"

_HISTORY_FIELDS = ("epochs", "steps", "train_cost", "test_cost", "train_metric", "test_metric")
_OPTIMIZER_ARRAYS: dict[str, tuple[str, ...]] = {
    "sgd": (), "momentum": ("velocity",), "adam": ("first_moment", "second_moment"),
}
_TOP_LEVEL = ("format", "version", "config", "dataset", "split", "network", "optimizer",
              "trainer", "rng", "history", "pinned_runs")


@dataclass(frozen=True)
class LoadedSession:
    """What a session file holds: the settings, the full dataset, a Trainer ready to continue,
    the pinned runs as plain data (gui/panels/pinned_run.py `runs_from_list` reads them), and
    whether the dataset came from a built-in generator."""

    config: TrainingConfig
    dataset: Dataset
    trainer: Trainer
    pinned_runs: list[Any]
    generated: bool  # the dataset is a built-in generator's (else data kept in the file)


# -- writing --------------------------------------------------------------------------------


def session_dict(config: TrainingConfig, dataset: Dataset, trainer: Trainer) -> dict[str, Any]:
    """The session as JSON-ready values. `dataset` is the full dataset `trainer.data` was
    split from; read the trainer only where it is not training (between steps, in the
    trainer process)."""
    progress = trainer.export_progress()
    optimizer = trainer.optimizer
    encoded = for_output(dataset, trainer.network.activations[-1])  # as the trainer split it
    network: dict[str, Any] = {"sizes": list(trainer.network.sizes),
                               "activations": list(trainer.network.activations),
                               "params": trainer.network.params.tolist()}
    if trainer.network.standardization is not None:
        network["standardization"] = trainer.network.standardization.to_dict()
    return {
        "format": SESSION_FORMAT,
        "version": SESSION_VERSION,
        "config": config.to_dict(),
        "dataset": _dataset_dict(config, dataset),
        "split": {"train_rows": _rows_in(encoded, trainer.data.train, "train"),
                  "test_rows": _rows_in(encoded, trainer.data.test, "test")},
        "network": network,
        "optimizer": {"name": optimizer.name, "settings": dict(optimizer.settings()),
                      "steps": optimizer.state.steps,
                      "arrays": {name: np.asarray(values, dtype=np.float64).tolist()
                                 for name, values in optimizer.state.arrays.items()}},
        "trainer": {
            "loss": trainer.loss.name, "reduction": trainer.reduction,
            "learning_rate": trainer.learning_rate, "batch_size": trainer.batch_size,
            "shuffle": bool(trainer.shuffle), "regularization": trainer.regularization,
            "regularization_rate": trainer.regularization_rate,
            "step": progress.step_count, "epoch": progress.epoch,
            "position": progress.position,
            "order": None if progress.order is None else progress.order.tolist(),
            "epoch_cost_sum": progress.epoch_cost_sum,
            "epoch_metric_sum": progress.epoch_metric_sum,
        },
        "rng": {"shuffle": progress.shuffle_rng_state},
        "history": _history_dict(progress.history),
    }


def encode_session(data: Mapping[str, Any]) -> bytes:
    """The UTF-8 JSON text of a session dict (standard JSON: no NaN or Infinity)."""
    try:
        text = json.dumps(data, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except ValueError as error:
        raise SessionFileError(f"the session cannot be written: {error}") from None
    return text.encode("utf-8")


def write_session(path: str | os.PathLike[str], data: Mapping[str, Any]) -> None:
    """Write a session dict to `path` atomically (the old file stays until the new is whole)."""
    write_atomically(path, encode_session(data))


def save_session(path: str | os.PathLike[str], config: TrainingConfig, dataset: Dataset,
                 trainer: Trainer, pinned_runs: list[Any] | None = None) -> None:
    """Write the session of `trainer` (see session_dict), with pinned runs as plain data."""
    data = session_dict(config, dataset, trainer)
    if pinned_runs:
        data["pinned_runs"] = list(pinned_runs)
    write_session(path, data)


def _regenerated(config: TrainingConfig) -> Dataset | None:
    """The built-in dataset the config names, made as the window makes it; None if none."""
    if config.dataset not in DATASET_NAMES:
        return None
    return make_dataset(config.dataset, config.samples, config.noise,
                        seed_streams(config.seed).data)


def _dataset_dict(config: TrainingConfig, dataset: Dataset) -> dict[str, Any]:
    """A built-in dataset by recipe when regenerating it gives exactly `dataset`, else the data."""
    try:
        regenerated = _regenerated(config)
    except DeltascopeError:
        regenerated = None
    if regenerated is not None and _same_data(regenerated, dataset):
        return {"source": "builtin", "name": config.dataset, "samples": config.samples,
                "noise": config.noise, "seed": config.seed, "sha256": _digest(dataset)}
    data = {"source": "data", "name": dataset.name, "task": dataset.task,
            "feature_names": list(dataset.feature_names),
            "target_names": list(dataset.target_names),
            "class_names": list(dataset.class_names),
            "inputs": dataset.inputs.tolist(), "targets": dataset.targets.tolist()}
    if dataset.image_shape is not None:  # written only when there is one: older files load
        data["image_shape"] = list(dataset.image_shape)
    return data


def _same_data(first: Dataset, second: Dataset) -> bool:
    return (first.task == second.task and first.feature_names == second.feature_names
            and first.target_names == second.target_names
            and first.class_names == second.class_names
            and first.image_shape == second.image_shape
            and np.array_equal(first.inputs, second.inputs)
            and np.array_equal(first.targets, second.targets))


def _digest(dataset: Dataset) -> str:
    """SHA-256 of the data's bytes (float64, C order): inputs, then targets."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(dataset.inputs, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(dataset.targets, dtype=np.float64).tobytes())
    return digest.hexdigest()


def _rows_in(dataset: Dataset, part: Dataset, label: str) -> list[int]:
    """The row of `dataset` each row of `part` is, in `part`'s order (equal rows are
    interchangeable: any of them gives the same bytes)."""
    free: dict[bytes, list[int]] = {}
    for index in range(len(dataset) - 1, -1, -1):
        free.setdefault(_row_key(dataset, index), []).append(index)
    rows = []
    for index in range(len(part)):
        candidates = free.get(_row_key(part, index))
        if not candidates:
            raise SessionFileError(
                f"split.{label}_rows: row {index} of the {label} set is not in the dataset")
        rows.append(candidates.pop())
    return rows


def _row_key(dataset: Dataset, index: int) -> bytes:
    return dataset.inputs[index].tobytes() + b"|" + dataset.targets[index].tobytes()


def _history_dict(history: History) -> dict[str, list[Any]]:
    """Epoch and step numbers as integers, costs and metrics with NaN (no test set) as null."""
    data: dict[str, list[Any]] = {"epochs": [int(value) for value in history.epochs],
                                  "steps": [int(value) for value in history.steps]}
    for name in _HISTORY_FIELDS[2:]:
        data[name] = [_nullable(value) for value in getattr(history, name)]
    return data


def _nullable(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


# -- reading --------------------------------------------------------------------------------


def load_session(path: str | os.PathLike[str]) -> LoadedSession:
    """Read and check a session file; raises SessionFileError "<file>: <field> ..." on any
    problem. Nothing is unpickled and nothing outside the returned objects changes."""
    name = Path(path).name
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise SessionFileError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise SessionFileError(f"{name}: is a directory, not a session file") from None
    except OSError as error:
        raise SessionFileError(f"{name}: cannot be read ({error.strerror or error})") from None
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=float)
    except UnicodeDecodeError as error:
        raise SessionFileError(f"{name}: not a session file (not UTF-8: {error.reason})") from None
    except json.JSONDecodeError as error:
        raise SessionFileError(f"{name}: not a session file (not valid JSON: {error.msg} at "
                               f"line {error.lineno}, column {error.colno})") from None
    except RecursionError:
        raise SessionFileError(f"{name}: not a session file (lists or objects nested too "
                               "deeply)") from None
    try:
        config, dataset, trainer = restore(data)
        pinned = data.get("pinned_runs", [])
    except SessionFileError as error:
        raise SessionFileError(f"{name}: {error}") from None
    found = trainer_problems(trainer)
    if found:
        raise SessionFileError(f"{name}: this session cannot learn: {found[0]}")
    generated = data["dataset"]["source"] == "builtin"
    return LoadedSession(config, dataset, trainer, pinned, generated)


def restore(data: object) -> tuple[TrainingConfig, Dataset, Trainer]:
    """The settings, full dataset and a Trainer ready to continue, from session_dict's values.
    Raises SessionFileError naming the field at the first problem."""
    session = Fields(data, "")
    _check_header(session)
    session.reject_unknown(_TOP_LEVEL)
    if "pinned_runs" in session.data and not isinstance(session.data["pinned_runs"], list):
        raise SessionFileError("pinned_runs: must be a list")
    config = _read_config(session.section("config"))
    dataset = _read_dataset(session.section("dataset"))
    encoded = for_output(dataset, config.output_activation)  # as build_trainer splits it
    split = _read_split(session.section("split"), encoded)
    network = _read_network(session.section("network"), config, encoded)
    trainer = _read_trainer(session, network, split)
    return config, dataset, trainer


def _check_header(session: Fields) -> None:
    if session.data.get("format") != SESSION_FORMAT:
        raise SessionFileError(f"format: not a Deltascope session (expected format "
                               f"{SESSION_FORMAT!r}, got {session.data.get('format')!r})")
    version = session.integer("version")
    if version != SESSION_VERSION:
        raise SessionFileError(f"version: unknown session version {version} (this Deltascope "
                               f"reads version {SESSION_VERSION})")


def _read_config(fields: Fields) -> TrainingConfig:
    """Every TrainingConfig field, each checked against the type of its default."""
    names = [field.name for field in dataclasses.fields(TrainingConfig)]
    fields.reject_unknown(names)
    defaults = TrainingConfig()
    values: dict[str, Any] = {}
    for name in names:
        default = getattr(defaults, name)
        if name == "hidden":
            values[name] = _read_hidden(fields)
        elif name == "features":
            values[name] = _read_features(fields)
        elif name == "standardize":  # absent in older files and raw-input runs: off
            values[name] = fields.boolean(name) if name in fields.data else False
        elif name in ("samples", "noise") and fields.require(name) is None:
            values[name] = None
        elif name == "samples" or isinstance(default, int) and not isinstance(default, bool):
            values[name] = fields.integer(name, *INTEGER_LIMITS.get(name, (0, MAX_COUNT)))
        elif name == "noise" or isinstance(default, float):
            values[name] = fields.number(name)
        elif isinstance(default, bool):
            values[name] = fields.boolean(name)
        else:
            values[name] = fields.text(name)
    return TrainingConfig(**values)


def _read_features(fields: Fields) -> tuple[str, ...]:
    """The input features (absent in sessions of raw-input runs and older files: none)."""
    if "features" not in fields.data:
        return ()
    names = fields.texts("features")
    try:
        return canonical_features(names) if names else ()
    except ConfigError as error:
        raise SessionFileError(f"{fields.name('features')}: {error}") from None


def _read_hidden(fields: Fields) -> tuple[HiddenLayer, ...]:
    layers = fields.list_of("hidden")
    if len(layers) > MAX_HIDDEN_LAYERS:
        raise SessionFileError(f"{fields.name('hidden')} has {len(layers)} layers; at most "
                               f"{MAX_HIDDEN_LAYERS} are allowed")
    hidden = []
    for number, layer in enumerate(layers):
        layer_fields = Fields(layer, fields.name(f"hidden[{number}]"))
        layer_fields.reject_unknown(("size", "activation"))
        hidden.append(HiddenLayer(layer_fields.integer("size", 1, MAX_LAYER_SIZE),
                                  layer_fields.text("activation")))
    return tuple(hidden)


def _read_dataset(fields: Fields) -> Dataset:
    source = fields.text("source", choices=("builtin", "data"))
    if source == "builtin":
        return _read_builtin(fields)
    fields.reject_unknown(("source", "name", "task", "feature_names", "target_names",
                           "class_names", "inputs", "targets", "image_shape"))
    feature_names = tuple(fields.texts("feature_names"))
    target_names = tuple(fields.texts("target_names"))
    inputs = fields.matrix("inputs", len(feature_names))
    targets = fields.matrix("targets", len(target_names))
    if len(targets) != len(inputs):
        raise SessionFileError(f"{fields.name('targets')} has {len(targets)} rows, expected "
                               f"{len(inputs)} (one per row of inputs)")
    if len(inputs) == 0:
        raise SessionFileError(f"{fields.name('inputs')}: no rows")
    image_shape = _read_image_shape(fields, len(feature_names))
    return fields.build(lambda: Dataset(
        inputs, targets, fields.text("task", choices=TASKS), feature_names, target_names,
        tuple(fields.texts("class_names")), fields.text("name"), image_shape))


def _read_image_shape(fields: Fields, inputs: int) -> tuple[int, int] | None:
    """The optional dataset.image_shape [rows, columns] (absent: none)."""
    if "image_shape" not in fields.data:
        return None
    try:
        return check_image_shape(fields.list_of("image_shape"), inputs)
    except ConfigError as error:
        raise SessionFileError(f"{fields.name('image_shape')}: {error}") from None


def _read_builtin(fields: Fields) -> Dataset:
    fields.reject_unknown(("source", "name", "samples", "noise", "seed", "sha256"))
    name = fields.text("name", choices=DATASET_NAMES)
    samples = None if fields.require("samples") is None else fields.integer("samples", minimum=1)
    noise = None if fields.require("noise") is None else fields.number("noise")
    seed = fields.integer("seed", minimum=0)
    digest = fields.text("sha256")
    dataset = fields.build(lambda: make_dataset(name, samples, noise, seed_streams(seed).data))
    if _digest(dataset) != digest:
        raise SessionFileError(
            f"{fields.name('sha256')}: the regenerated {name!r} data differs from the saved "
            "data (another Deltascope version made it, or the file was edited)")
    return dataset


def _read_split(fields: Fields, dataset: Dataset) -> DataSplit:
    fields.reject_unknown(("train_rows", "test_rows"))
    train = fields.integers("train_rows", 0, len(dataset))
    test = fields.integers("test_rows", 0, len(dataset))
    if len(train) == 0:
        raise SessionFileError(f"{fields.name('train_rows')}: no training rows")
    if len(np.unique(np.concatenate([train, test]))) != len(train) + len(test):
        raise SessionFileError(f"{fields.name('test_rows')}: a row is used twice in the split")
    return DataSplit(dataset.subset(train), dataset.subset(test))


def _read_network(fields: Fields, config: TrainingConfig, dataset: Dataset) -> Network:
    fields.reject_unknown(("sizes", "activations", "params", "standardization"))
    standardization = None
    if "standardization" in fields.data:
        try:
            standardization = read_standardization(fields.data["standardization"],
                                                   dataset.inputs.shape[1],
                                                   fields.name("standardization"))
        except ConfigError as error:
            raise SessionFileError(str(error)) from None
    if (standardization is not None) != config.standardize:
        raise SessionFileError(
            f"{fields.name('standardization')}: "
            + ("present, but config.standardize is false" if standardization is not None
               else "missing, but config.standardize is true"))
    expected = fields.build(
        lambda: make_network(config, dataset.inputs.shape[1], dataset.targets.shape[1],
                             standardization))
    sizes = fields.integers("sizes", 1, None)
    if tuple(sizes.tolist()) != expected.sizes:
        raise SessionFileError(f"{fields.name('sizes')} is {sizes.tolist()}, but the settings "
                               f"and data give {list(expected.sizes)}")
    activations = tuple(fields.texts("activations"))
    if activations != expected.activations:
        raise SessionFileError(f"{fields.name('activations')} is {list(activations)}, but the "
                               f"settings give {list(expected.activations)}")
    params = fields.numbers("params", expected.params.size)
    return fields.build(lambda: expected.with_params(params))


def _read_trainer(session: Fields, network: Network, split: DataSplit) -> Trainer:
    settings = session.section("trainer")
    settings.reject_unknown(("loss", "reduction", "learning_rate", "batch_size", "shuffle",
                             "regularization", "regularization_rate", "step", "epoch",
                             "position", "order", "epoch_cost_sum", "epoch_metric_sum"))
    optimizer = _read_optimizer(session.section("optimizer"), network.params.size)
    trainer = settings.build(lambda: Trainer(
        network, split, loss=settings.text("loss"), reduction=settings.text("reduction"),
        optimizer=optimizer, learning_rate=settings.number("learning_rate"),
        batch_size=settings.integer("batch_size", 0, MAX_BATCH_SIZE),
        shuffle=settings.boolean("shuffle"), regularization=settings.text("regularization"),
        regularization_rate=settings.number("regularization_rate"),
        shuffle_rng=np.random.Generator(np.random.PCG64()),
    ))
    progress = TrainerProgress(
        step_count=settings.integer("step", minimum=0),
        epoch=settings.integer("epoch", minimum=0),
        position=settings.integer("position", minimum=0, maximum=len(split.train)),
        order=_read_order(settings, len(split.train)),
        epoch_cost_sum=settings.number("epoch_cost_sum"),
        epoch_metric_sum=settings.number("epoch_metric_sum"),
        shuffle_rng_state=_read_rng(session.section("rng")),
        history=_read_history(session.section("history")),
    )
    _check_history_end(progress)
    try:
        trainer.restore_progress(progress)
    except (TypeError, ValueError, KeyError) as error:
        raise SessionFileError(f"rng.shuffle: not a usable generator state ({error})") from None
    return trainer


def _read_order(settings: Fields, train_size: int) -> NDArray[np.intp] | None:
    if settings.require("order") is None:
        return None
    order = settings.integers("order", 0, train_size)
    if len(order) != train_size or len(np.unique(order)) != train_size:
        raise SessionFileError(f"{settings.name('order')} must hold each of the {train_size} "
                               f"training rows once, got {len(order)} numbers")
    return order


def _read_optimizer(fields: Fields, parameter_count: int) -> Optimizer:
    fields.reject_unknown(("name", "settings", "steps", "arrays"))
    name = fields.text("name", choices=tuple(_OPTIMIZER_ARRAYS))
    hyper = fields.section("settings")
    values = {key: hyper.number(key) for key in hyper.data}
    optimizer = hyper.build(lambda: make_optimizer(name, **values))
    arrays_fields = fields.section("arrays")
    known = _OPTIMIZER_ARRAYS[name]
    arrays_fields.reject_unknown(known)
    arrays = {key: arrays_fields.numbers(key, parameter_count)
              for key in known if key in arrays_fields.data}
    if arrays and len(arrays) != len(known):
        missing = next(key for key in known if key not in arrays)
        raise SessionFileError(f"{arrays_fields.name(missing)}: missing")
    optimizer.state = OptimizerState(arrays, fields.integer("steps", minimum=0))
    return optimizer


def _read_rng(fields: Fields) -> dict[str, Any]:
    fields.reject_unknown(("shuffle",))
    state = fields.section("shuffle")
    state.reject_unknown(("bit_generator", "state", "has_uint32", "uinteger"))
    state.text("bit_generator", choices=("PCG64",))
    inner = state.section("state")
    inner.reject_unknown(("state", "inc"))
    inner.integer("state", 0, 2**128 - 1)  # PCG64: 128-bit state and increment
    inner.integer("inc", 0, 2**128 - 1)
    state.integer("has_uint32", minimum=0, maximum=1)
    state.integer("uinteger", 0, 2**32 - 1)
    return dict(state.data)


def _read_history(fields: Fields) -> History:
    fields.reject_unknown(_HISTORY_FIELDS)
    columns: dict[str, list[Any]] = {}
    for name in _HISTORY_FIELDS:
        if name in ("epochs", "steps"):
            columns[name] = fields.integers(name, 1, None).tolist()
        else:
            columns[name] = fields.numbers(name, None, allow_null=True).tolist()
    length = len(columns["epochs"])
    for name, values in columns.items():
        if len(values) != length:
            raise SessionFileError(f"{fields.name(name)} has {len(values)} numbers, expected "
                                   f"{length} (one per recorded epoch)")
    for name in ("epochs", "steps"):
        _check_increasing(columns[name], fields.name(name))
    return History(**columns)  # thinned to the capacity if longer (an older session's)


def _check_increasing(values: list[int], name: str) -> None:
    later = next((index for index in range(1, len(values)) if values[index] <= values[index - 1]),
                 None)
    if later is not None:
        raise SessionFileError(f"{name} must increase, but [{later}] is {values[later]} after "
                               f"{values[later - 1]}")


def _check_history_end(progress: TrainerProgress) -> None:
    """The history's newest entry is the trainer's last completed epoch (none before the
    first), ended no later than the trainer's step. The history may hold fewer entries than
    epochs (engine/training/trainer.py's History thins a long run)."""
    history = progress.history
    last = history.epochs[-1] if len(history) else None
    if last != (progress.epoch or None):
        recorded = "is empty" if last is None else f"ends at epoch {last}"
        raise SessionFileError(f"history.epochs {recorded}, but trainer.epoch is "
                               f"{progress.epoch}")
    if len(history) and history.steps[-1] > progress.step_count:
        raise SessionFileError(f"history.steps ends at step {history.steps[-1]}, after "
                               f"trainer.step {progress.step_count}")
