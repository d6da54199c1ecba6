"""Every loader, fed broken files: random truncations and byte changes of valid files, and
random JSON values in every field. Whatever comes in, the only thing that may come out is the
project's own error (a DeltascopeError naming the file and field), quickly and without a
large allocation."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core.errors import DeltascopeError
from engine.core.seeding import seed_streams
from engine.data.csv_data import load_csv
from engine.data.datasets import make_dataset
from engine.io.session import load_session, session_dict
from engine.io.weights_io import load_weights, save_weights
from engine.training.config import TrainingConfig, build_trainer

MAX_PEAK_BYTES = 64 * 2**20
FUZZ = settings(max_examples=200, deadline=2000,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**80, max_value=2**80)
    | st.floats() | st.text(max_size=6),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.text(max_size=4), children, max_size=3),
    max_leaves=8)


def _valid_session() -> dict[str, Any]:
    config = TrainingConfig(dataset="circle", samples=30, batch_size=5)
    dataset = make_dataset("circle", 30, None, seed_streams(0).data)
    trainer = build_trainer(config, dataset)
    for _ in range(4):
        trainer.step()
    return session_dict(config, dataset, trainer)


SESSION = _valid_session()
SESSION_BYTES = json.dumps(SESSION).encode()


def _field_paths(value: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document (dict keys and list positions, the first 3 of a list)."""
    paths = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _field_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for position, item in enumerate(value[:3]):
            paths += _field_paths(item, (*prefix, position))
    return paths


SESSION_PATHS = _field_paths(SESSION)


def _replaced(document: Any, path: tuple[Any, ...], value: object) -> Any:
    copy = json.loads(json.dumps(document))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def _only_our_errors(load, path: Path) -> None:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        load(path)
    except DeltascopeError:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MAX_PEAK_BYTES, f"{peak / 2**20:.0f} MB allocated for a small broken file"


def _mutated(data: bytes, cut: int, position: int, byte: int) -> bytes:
    data = data[: max(1, cut % (len(data) + 1))]
    position %= len(data)
    return data[:position] + bytes([byte]) + data[position + 1:]


@FUZZ
@given(st.sampled_from(SESSION_PATHS), JSON_VALUES)
def test_session_any_value_in_any_field(tmp_path: Path, path: tuple[Any, ...],
                                        value: object) -> None:
    file = tmp_path / "fuzzed.deltascope"
    file.write_text(json.dumps(_replaced(SESSION, path, value)))
    _only_our_errors(load_session, file)


@FUZZ
@given(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(0, 255))
def test_session_truncated_and_changed_bytes(tmp_path: Path, cut: int, position: int,
                                             byte: int) -> None:
    file = tmp_path / "fuzzed.deltascope"
    file.write_bytes(_mutated(SESSION_BYTES, cut, position, byte))
    _only_our_errors(load_session, file)


@pytest.fixture(scope="module")
def weights_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("weights")
    network = build_trainer(TrainingConfig(), make_dataset("xor")).network
    files = {}
    for suffix in ("json", "npz"):
        path = folder / f"w.{suffix}"
        save_weights(path, network, "bce")
        files[suffix] = path.read_bytes()
    return files


@FUZZ
@given(suffix=st.sampled_from(["json", "npz"]), cut=st.integers(0, 10**6),
       position=st.integers(0, 10**6), byte=st.integers(0, 255))
def test_weights_truncated_and_changed_bytes(tmp_path: Path, weights_files: dict[str, bytes],
                                             suffix: str, cut: int, position: int,
                                             byte: int) -> None:
    file = tmp_path / f"fuzzed.{suffix}"
    file.write_bytes(_mutated(weights_files[suffix], cut, position, byte))
    _only_our_errors(load_weights, file)


@FUZZ
@given(data=st.data())
def test_weights_json_any_value_in_any_field(tmp_path: Path, weights_files: dict[str, bytes],
                                             data: st.DataObject) -> None:
    document = json.loads(weights_files["json"])
    path = data.draw(st.sampled_from(_field_paths(document)))
    file = tmp_path / "fuzzed.json"
    file.write_text(json.dumps(_replaced(document, path, data.draw(JSON_VALUES))))
    _only_our_errors(load_weights, file)


CSV_TEXT = "x1,x2,label\n0.5,1.5,a\n-1,2,b\n3,0.25,a\n1,1,b\n"


@FUZZ
@given(st.integers(0, 10**4), st.integers(0, 10**4), st.integers(0, 255))
def test_csv_truncated_and_changed_bytes(tmp_path: Path, cut: int, position: int,
                                         byte: int) -> None:
    file = tmp_path / "fuzzed.csv"
    file.write_bytes(_mutated(CSV_TEXT.encode(), cut, position, byte))
    _only_our_errors(load_csv, file)


@FUZZ
@given(st.lists(st.lists(st.text(max_size=5) | st.floats().map(repr), min_size=1, max_size=4),
                max_size=6))
def test_csv_any_cells(tmp_path: Path, rows: list[list[str]]) -> None:
    file = tmp_path / "fuzzed.csv"
    file.write_text("\n".join(",".join(row) for row in rows), encoding="utf-8")
    _only_our_errors(load_csv, file)
