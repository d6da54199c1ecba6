"""Sessions: save, load and train on gives bit-identical parameters to never having stopped;
every corrupted field is refused with an error naming it."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.core.seeding import seed_streams
from engine.data.dataset import Dataset
from engine.data.datasets import make_dataset
from engine.io.session import (
    SESSION_VERSION,
    SessionFileError,
    load_session,
    restore,
    save_session,
    session_dict,
)
from engine.training.config import HiddenLayer, TrainingConfig, build_trainer
from engine.training.trainer import Trainer

MOONS = TrainingConfig(dataset="moons", samples=60, noise=0.1, test_ratio=0.25,
                       hidden=(HiddenLayer(5, "tanh"), HiddenLayer(3, "relu")),
                       learning_rate=0.05)


def builtin(config: TrainingConfig) -> Dataset:
    """The dataset as the window makes it for a built-in generator."""
    return make_dataset(config.dataset, config.samples, config.noise,
                        seed_streams(config.seed).data)


def csv_like() -> Dataset:
    """Data that no generator makes (as from a CSV file), with a repeated row."""
    rng = np.random.default_rng(5)
    inputs = rng.normal(size=(30, 3))
    inputs[7] = inputs[3]
    targets = np.column_stack([inputs @ [0.5, -1.0, 2.0], np.cos(inputs[:, 0])])
    return Dataset(inputs, targets, "regression", ("a", "b", "c"), ("y", "z"), (), "table")


def train(trainer: Trainer, steps: int) -> Trainer:
    for _ in range(steps):
        trainer.step()
    return trainer


def assert_same_state(first: Trainer, second: Trainer) -> None:
    assert np.array_equal(first.network.params, second.network.params)
    assert first.step_count == second.step_count and first.epoch == second.epoch
    assert first.optimizer.state.steps == second.optimizer.state.steps
    for name, values in first.optimizer.state.arrays.items():
        assert np.array_equal(values, second.optimizer.state.arrays[name])
    for name in ("epochs", "steps", "train_cost", "test_cost", "train_metric", "test_metric"):
        assert np.array_equal(getattr(first.history, name), getattr(second.history, name),
                              equal_nan=True)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("batch_size", [0, 7])
def test_continuing_a_saved_session_is_bit_identical(
    tmp_path: Path, optimizer: str, batch_size: int
) -> None:
    config = MOONS.with_changes(optimizer=optimizer, batch_size=batch_size)
    dataset = builtin(config)
    never_stopped = train(build_trainer(config, dataset), 23)  # 45 rows / 7: mid-epoch
    path = tmp_path / "run.deltascope"
    save_session(path, config, dataset, never_stopped)
    loaded = load_session(path)
    assert loaded.config == config
    assert np.array_equal(loaded.dataset.inputs, dataset.inputs)
    assert_same_state(never_stopped, loaded.trainer)
    train(never_stopped, 31)
    train(loaded.trainer, 31)
    assert_same_state(never_stopped, loaded.trainer)


def test_csv_data_is_stored_itself_and_continues_bit_identically(tmp_path: Path) -> None:
    config = TrainingConfig(dataset="table", test_ratio=0.2, output_activation="linear",
                            loss="mse", reduction="sum", optimizer="momentum", batch_size=4,
                            regularization="l2", regularization_rate=0.01, learning_rate=0.01)
    dataset = csv_like()
    never_stopped = train(build_trainer(config, dataset), 9)
    data = session_dict(config, dataset, never_stopped)
    assert data["dataset"]["source"] == "data"
    assert data["dataset"]["inputs"] == dataset.inputs.tolist()
    path = tmp_path / "table.deltascope"
    save_session(path, config, dataset, never_stopped)
    loaded = load_session(path)
    assert np.array_equal(loaded.dataset.inputs, dataset.inputs)
    assert np.array_equal(loaded.dataset.targets, dataset.targets)
    assert (loaded.dataset.feature_names, loaded.dataset.name) == (("a", "b", "c"), "table")
    train(never_stopped, 20)
    train(loaded.trainer, 20)
    assert_same_state(never_stopped, loaded.trainer)


def test_a_builtin_dataset_is_stored_by_recipe_and_the_file_is_exact_standard_json(
    tmp_path: Path,
) -> None:
    config = TrainingConfig(dataset="xor", optimizer="adam")  # no test set: NaN test costs
    dataset = builtin(config)
    trainer = train(build_trainer(config, dataset), 5)
    path = tmp_path / "xor.deltascope"
    save_session(path, config, dataset, trainer)
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)
    assert data["dataset"]["source"] == "builtin" and "inputs" not in data["dataset"]
    assert np.array_equal(np.array(data["network"]["params"]), trainer.network.params)
    assert data["history"]["test_cost"] == [None] * 5
    assert all(math.isnan(cost) for cost in load_session(path).trainer.history.test_cost)


def test_a_fresh_trainer_round_trips_before_its_first_step() -> None:
    config = MOONS.with_changes(batch_size=10, optimizer="adam")
    dataset = builtin(config)
    fresh = build_trainer(config, dataset)
    restored = restore(json.loads(json.dumps(session_dict(config, dataset, fresh))))[2]
    train(fresh, 12)
    train(restored, 12)
    assert_same_state(fresh, restored)


def test_a_thinned_history_saves_loads_and_continues_bit_identically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("engine.training.epoch_history.EPOCH_CAPACITY", 8)
    config = MOONS.with_changes(optimizer="momentum", batch_size=7)  # 7 steps an epoch
    dataset = builtin(config)
    never_stopped = train(build_trainer(config, dataset), 7 * 40 + 3)
    assert never_stopped.history.epochs == [1, 9, 17, 25, 33, 40]  # stride 8, the newest
    path = tmp_path / "long.deltascope"
    save_session(path, config, dataset, never_stopped)
    loaded = load_session(path).trainer
    assert_same_state(never_stopped, loaded)
    for _ in range(7 * 60):  # the loaded history, at stride 1, catches up by its next thinning
        never_stopped.step()
        loaded.step()
        assert np.array_equal(never_stopped.network.params, loaded.network.params)
        assert len(loaded.history) <= 8 and loaded.history.epochs[-1] == loaded.epoch
    assert_same_state(never_stopped, loaded)


def test_an_older_full_history_loads_thinned_to_the_capacity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = MOONS.with_changes(batch_size=7)
    dataset = builtin(config)
    never_stopped = train(build_trainer(config, dataset), 7 * 30 + 2)
    path = tmp_path / "old.deltascope"
    save_session(path, config, dataset, never_stopped)  # one entry per epoch, as before
    assert json.loads(path.read_text(encoding="utf-8"))["history"]["epochs"] == list(
        range(1, 31))
    monkeypatch.setattr("engine.training.epoch_history.EPOCH_CAPACITY", 8)
    loaded = load_session(path).trainer
    assert loaded.history.epochs == [1, 9, 17, 25, 30]
    assert loaded.history.train_cost == [never_stopped.history.train_cost[epoch - 1]
                                         for epoch in loaded.history.epochs]
    train(never_stopped, 50)
    train(loaded, 50)
    assert np.array_equal(never_stopped.network.params, loaded.network.params)


def test_pinned_runs_are_carried_as_plain_data(tmp_path: Path) -> None:
    config = TrainingConfig(dataset="xor")
    dataset = builtin(config)
    runs = [{"name": "first", "anything": [1, 2]}]
    save_session(tmp_path / "s.deltascope", config, dataset, build_trainer(config, dataset),
                 pinned_runs=runs)
    assert load_session(tmp_path / "s.deltascope").pinned_runs == runs


# -- corrupt and hand-edited files -----------------------------------------------------------

Data = dict[str, Any]


def _set(path: str, value: object) -> Callable[[Data], None]:
    """A change setting the field at a dotted path (list positions as numbers)."""

    def change(data: Data) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


def _delete(section: str, key: str) -> Callable[[Data], None]:
    return lambda data: data[section].pop(key)


def _shorten_moment(data: Data) -> None:
    data["optimizer"]["arrays"]["first_moment"] = data["optimizer"]["arrays"][
        "first_moment"][:12]


def _delete_last_epoch(data: Data) -> None:
    for values in data["history"].values():
        values.pop()


def _empty_history(data: Data) -> None:
    for values in data["history"].values():
        values.clear()


CORRUPTIONS: list[tuple[str, Callable[[Data], None], str]] = [
    ("missing key", _delete("optimizer", "steps"), "optimizer.steps: missing"),
    ("missing section", lambda data: data.pop("rng"), "rng: missing"),
    ("wrong type", _set("trainer.learning_rate", "fast"),
     "trainer.learning_rate must be a number, got text 'fast'"),
    ("wrong length", _shorten_moment,
     "optimizer.arrays.first_moment has 12 numbers, expected 37"),
    ("NaN in params", _set("network.params.3", math.nan), "network.params[3] must be finite"),
    ("unknown version", _set("version", SESSION_VERSION + 1), "version: unknown session version"),
    ("not a session", _set("format", "something"), "format: not a Deltascope session"),
    ("bad layer size", _set("config.hidden.0.size", 0),
     "config.hidden[0].size must be in [1, 512]"),
    ("huge layer size", _set("config.hidden.0.size", 10**9),
     "config.hidden[0].size must be in [1, 512], got 1000000000"),
    ("huge step", _set("trainer.step", 10**30), "trainer.step must be in [0, 9007199254740992]"),
    ("huge seed", _set("config.seed", 2**70), "config.seed must be in [0, 2147483647]"),
    ("huge sample count", _set("config.samples", 10**9), "config.samples must be in [1, 100000]"),
    ("huge batch", _set("trainer.batch_size", 10**12), "trainer.batch_size must be in [0, 100000]"),
    ("huge optimizer steps", _set("optimizer.steps", 10**30), "optimizer.steps must be in"),
    ("edited data", _set("dataset.sha256", "0" * 64), "dataset.sha256"),
    ("unknown dataset", _set("dataset.name", "donut"), "dataset.name is 'donut'"),
    ("row out of range", _set("split.train_rows.0", 999), "split.train_rows[0]"),
    ("row twice", lambda data: _set("split.test_rows.0", data["split"]["train_rows"][0])(data),
     "split.test_rows: a row is used twice"),
    ("bad order", lambda data: _set("trainer.order.0", data["trainer"]["order"][1])(data),
     "trainer.order must hold each of the 45"),
    ("position past the end", _set("trainer.position", 46), "trainer.position must be in"),
    ("other generator", _set("rng.shuffle.bit_generator", "MT19937"),
     "rng.shuffle.bit_generator is 'MT19937'"),
    ("history mismatch", lambda data: data["history"]["train_cost"].pop(),
     "history.train_cost has 2 numbers, expected 3"),
    ("history epochs decreasing", _set("history.epochs.0", 3),
     "history.epochs must increase, but [1] is 2 after 3"),
    ("history steps repeated", _set("history.steps.1", 7),
     "history.steps must increase, but [1] is 7 after 7"),
    ("history ends early", _delete_last_epoch, "history.epochs ends at epoch 2, but trainer.epoch "
     "is 3"),
    ("history past the epoch", _set("history.epochs.2", 4),
     "history.epochs ends at epoch 4, but trainer.epoch is 3"),
    ("history emptied", _empty_history, "history.epochs is empty, but trainer.epoch is 3"),
    ("history past the step", _set("history.steps.2", 24),
     "history.steps ends at step 24, after trainer.step 23"),
    ("architecture mismatch", _set("network.sizes.1", 6), "network.sizes is [2, 6, 3, 1]"),
    ("unknown field", _set("trainer.dropout", 0.5), "trainer.dropout: unknown field"),
    ("unknown loss", _set("trainer.loss", "hinge"), "trainer: unknown loss 'hinge'"),
    ("bad optimizer setting", _set("optimizer.settings.beta1", 2.0),
     "optimizer.settings: Adam beta1 must be in [0, 1)"),
    ("bool as number", _set("trainer.batch_size", True),
     "trainer.batch_size must be a whole number, got true"),
    ("negative step", _set("trainer.step", -1), "trainer.step must be in [0, 9007199254740992]"),
    ("not an object", lambda data: data.__setitem__("network", [1, 2]),
     "network must be a JSON object, got a list of 2"),
]


@pytest.fixture(scope="module")
def saved_adam() -> Data:
    """A mid-epoch Adam session with shuffling, 3 epochs done, as parsed JSON."""
    config = MOONS.with_changes(optimizer="adam", batch_size=7)
    dataset = builtin(config)
    return json.loads(json.dumps(session_dict(config, dataset,
                                              train(build_trainer(config, dataset), 23))))


@pytest.mark.parametrize(("label", "change", "message"), CORRUPTIONS,
                         ids=[label for label, _, _ in CORRUPTIONS])
def test_a_corrupt_field_is_refused_naming_it(
    tmp_path: Path, saved_adam: Data, label: str, change: Callable[[Data], None], message: str
) -> None:
    data = json.loads(json.dumps(saved_adam))
    change(data)
    path = tmp_path / "edited.deltascope"
    path.write_text(json.dumps(data), encoding="utf-8")  # NaN written as JSON's NaN token
    with pytest.raises(SessionFileError) as raised:
        load_session(path)
    assert str(raised.value).startswith("edited.deltascope: ")
    assert message in str(raised.value)


@pytest.mark.parametrize(("content", "message"), [
    (b"{\"format\": ", "not a session file (not valid JSON"),
    (b"\xff\xfe", "not a session file (not UTF-8"),
    (b"[1, 2]", "the file must be a JSON object"),
])
def test_a_file_that_is_not_a_session_is_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "junk.deltascope"
    path.write_bytes(content)
    with pytest.raises(SessionFileError, match="^junk.deltascope: ") as raised:
        load_session(path)
    assert message in str(raised.value)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SessionFileError, match="gone.deltascope: no such file"):
        load_session(tmp_path / "gone.deltascope")


def test_saving_over_a_session_that_cannot_be_written_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = TrainingConfig(dataset="xor")
    dataset = builtin(config)
    path = tmp_path / "keep.deltascope"
    save_session(path, config, dataset, build_trainer(config, dataset))
    before = path.read_bytes()

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        save_session(path, config, dataset, train(build_trainer(config, dataset), 3))
    assert path.read_bytes() == before
    assert [entry.name for entry in tmp_path.iterdir()] == ["keep.deltascope"]
