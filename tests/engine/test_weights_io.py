"""Weight files: bit-exact round trips, the JSON layout, every bad input, atomic writes."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.core.errors import ConfigError, WeightsFileError
from engine.core.network import Network, parameter_count
from engine.io import atomic
from engine.io.atomic import write_atomically
from engine.io.weights_io import load_weights, save_weights

ARCHITECTURES = [
    ([2, 1], ["sigmoid"], "bce"),
    ([2, 4, 1], ["tanh", "sigmoid"], "bce"),
    ([3, 5, 4, 3], ["relu", "leaky_relu", "softmax"], "cross_entropy"),
    ([1, 3, 2], ["linear", "linear"], "mse"),
    ([4, 2, 2, 2, 1], ["sigmoid", "tanh", "relu", "linear"], "half_sse"),
]


def random_finite(count: int, seed: int) -> np.ndarray:
    """Float64 values from random bit patterns (tiny, subnormal, huge, both signs), finite only."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 2**64, size=4 * count, dtype=np.uint64).view(np.float64)
    values = values[np.isfinite(values)][:count]
    special = np.array([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308,
                        1.7976931348623157e308, -1.7976931348623157e308, 0.1, 1 / 3])
    values[: len(special)] = special[: len(values)]
    return values


def make_network(sizes: list[int], activations: list[str], seed: int = 0) -> Network:
    return Network(sizes, activations, random_finite(parameter_count(sizes), seed))


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all(a.view(np.uint64) == b.view(np.uint64)))


# -- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["json", "npz"])
@pytest.mark.parametrize(("sizes", "activations", "loss"), ARCHITECTURES)
def test_round_trip_is_bit_exact(
    tmp_path: Path, extension: str, sizes: list[int], activations: list[str], loss: str
) -> None:
    network = make_network(sizes, activations, seed=len(sizes))
    path = tmp_path / f"weights.{extension}"
    save_weights(path, network, loss)
    loaded = load_weights(path)
    assert loaded.loss == loss
    assert loaded.network.sizes == network.sizes
    assert loaded.network.activations == network.activations
    assert np.array_equal(loaded.network.params, network.params)
    assert same_bits(loaded.network.params, network.params)  # includes the sign of zero


@pytest.mark.parametrize("extension", ["json", "npz"])
def test_many_random_bit_patterns_round_trip(tmp_path: Path, extension: str) -> None:
    sizes = [50, 40]
    network = Network(sizes, ["linear"], random_finite(parameter_count(sizes), seed=7))
    assert np.signbit(network.params[1]) and network.params[1] == 0.0
    path = tmp_path / f"w.{extension}"
    save_weights(path, network, "mse")
    assert same_bits(load_weights(path).network.params, network.params)


def test_uppercase_extension_and_pathlike(tmp_path: Path) -> None:
    network = make_network([2, 3, 1], ["tanh", "sigmoid"])
    save_weights(str(tmp_path / "W.JSON"), network, "bce")
    save_weights(tmp_path / "W.NPZ", network, "bce")
    for name in ("W.JSON", "W.NPZ"):
        assert same_bits(load_weights(tmp_path / name).network.params, network.params)


# -- layout ---------------------------------------------------------------------------------


def test_json_layout(tmp_path: Path) -> None:
    network = make_network([2, 4, 3], ["tanh", "softmax"])
    path = tmp_path / "w.json"
    save_weights(path, network, "cross_entropy")
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert list(document) == ["format", "version", "loss", "layers"]
    assert document["format"] == "deltascope-weights"
    assert document["version"] == 1 and document["loss"] == "cross_entropy"
    assert len(document["layers"]) == 2
    for m, layer in enumerate(document["layers"]):
        assert list(layer) == ["inputs", "outputs", "activation", "weights", "biases"]
        assert layer["inputs"] == network.sizes[m] and layer["outputs"] == network.sizes[m + 1]
        assert layer["activation"] == network.activations[m]
        assert len(layer["weights"]) == layer["outputs"]
        for i, row in enumerate(layer["weights"]):
            assert len(row) == layer["inputs"]
            assert row == network.weights[m][i].tolist()  # row i = weights into neuron i
        assert layer["biases"] == network.biases[m].tolist()
    # Pretty but compact: each weight row on a line of its own.
    first_row = json.dumps(document["layers"][0]["weights"][0])
    assert any(line.strip().rstrip(",") == first_row for line in text.splitlines())
    assert len(text.splitlines()) < 40


def test_npz_layout_has_no_pickle(tmp_path: Path) -> None:
    network = make_network([2, 4, 1], ["tanh", "sigmoid"])
    path = tmp_path / "w.npz"
    save_weights(path, network, "bce")
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["W1", "W2", "b1", "b2", "meta"]
        assert archive["meta"].dtype.kind == "U"
        meta = json.loads(str(archive["meta"]))
        assert archive["W1"].shape == (4, 2) and archive["b2"].shape == (1,)
    assert meta == {"format": "deltascope-weights", "version": 1, "loss": "bce",
                    "activations": ["tanh", "sigmoid"]}


# -- bad JSON files -------------------------------------------------------------------------


def valid_document() -> dict[str, Any]:
    return {
        "format": "deltascope-weights", "version": 1, "loss": "bce",
        "layers": [
            {"inputs": 2, "outputs": 3, "activation": "tanh",
             "weights": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], "biases": [0.0, 0.1, 0.2]},
            {"inputs": 3, "outputs": 1, "activation": "sigmoid",
             "weights": [[1.0, -1.0, 0.5]], "biases": [0.25]},
        ],
    }


def changed(path: list[Any], value: Any) -> dict[str, Any]:
    """A valid document with the field at `path` set to `value` (or deleted for ...)."""
    document = valid_document()
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


BAD_DOCUMENTS = [
    (changed(["format"], "something-else"), ["format", "something-else"]),
    (changed(["format"], ...), ["missing field 'format'"]),
    (changed(["version"], 2), ["version 2", "not supported"]),
    (changed(["version"], True), ["version", "true"]),
    (changed(["version"], ...), ["missing field 'version'"]),
    (changed(["loss"], "hinge"), ["loss", "hinge", "cross_entropy"]),
    (changed(["loss"], 3), ["loss", "must be a string"]),
    (changed(["layers"], []), ["layers is empty"]),
    (changed(["layers"], {"a": 1}), ["layers must be a list"]),
    (changed(["layers"], ...), ["missing field 'layers'"]),
    (changed(["layers", 0], [1, 2]), ["layer 1", "must be an object"]),
    (changed(["layers", 0, "inputs"], 0), ["layer 1", "inputs", "positive whole number"]),
    (changed(["layers", 0, "inputs"], 2.0), ["layer 1", "inputs", "positive whole number"]),
    (changed(["layers", 0, "inputs"], True), ["layer 1", "inputs", "true"]),
    (changed(["layers", 1, "outputs"], -1), ["layer 2", "outputs", "-1"]),
    (changed(["layers", 1, "outputs"], "1"), ["layer 2", "outputs"]),
    (changed(["layers", 0, "inputs"], ...), ["layer 1", "missing field 'inputs'"]),
    (changed(["layers", 1, "weights"], ...), ["layer 2", "missing field 'weights'"]),
    (changed(["layers", 1, "biases"], ...), ["layer 2", "missing field 'biases'"]),
    (changed(["layers", 0, "activation"], ...), ["layer 1", "missing field 'activation'"]),
    (changed(["layers", 0, "activation"], "swish"),
     ["layer 1", "activation", "swish", "tanh", "softmax"]),
    (changed(["layers", 0, "activation"], "softmax"), ["layer 1", "softmax", "output layer"]),
    (changed(["layers", 1, "inputs"], 4), ["layer 2: inputs is 4 but layer 1 has 3 outputs"]),
    (changed(["layers", 0, "weights"], [[0.1, 0.2], [0.3, 0.4]]),
     ["layer 1", "weights has 2 rows", "outputs is 3"]),
    (changed(["layers", 0, "weights", 1], [0.3]),
     ["layer 1", "weights row 2", "1 numbers", "inputs is 2"]),
    (changed(["layers", 0, "weights", 1], 0.3), ["layer 1", "weights row 2", "must be a list"]),
    (changed(["layers", 0, "inputs"], 10**12), ["layer 1", "weights row 1", "inputs is 10000"]),
    (changed(["layers", 0, "weights"], "none"), ["layer 1", "weights must be a list"]),
    (changed(["layers", 0, "biases"], [0.0, 0.1]), ["layer 1", "biases has 2", "outputs is 3"]),
    (changed(["layers", 1, "biases"], 0.25), ["layer 2", "biases must be a list"]),
    (changed(["layers", 0, "weights", 2, 1], "0.6"),
     ["layer 1", "weights row 3, entry 2", '"0.6"', "not a number"]),
    (changed(["layers", 0, "weights", 0, 0], True),
     ["layer 1", "weights row 1, entry 1", "true", "not a number"]),
    (changed(["layers", 0, "weights", 0, 0], None), ["layer 1", "weights row 1", "null"]),
    (changed(["layers", 1, "biases", 0], False), ["layer 2", "biases, entry 1", "false"]),
    (changed(["layers", 1, "biases", 0], [1.0]), ["layer 2", "biases, entry 1", "a list"]),
    (changed(["layers", 1, "biases", 0], float("nan")),
     ["layer 2", "biases, entry 1", "NaN", "not a finite number"]),
    (changed(["layers", 0, "weights", 1, 0], float("inf")),
     ["layer 1", "weights row 2, entry 1", "Infinity"]),
    (changed(["layers", 0, "weights", 1, 0], float("-inf")),
     ["layer 1", "weights row 2, entry 1", "-Infinity"]),
    (changed(["layers", 0, "weights", 1, 0], 10**400), ["layer 1", "weights row 2, entry 1"]),
    ([1, 2, 3], ["top level", "JSON object"]),
]


@pytest.mark.parametrize(("document", "fragments"), BAD_DOCUMENTS)
def test_bad_json_document(tmp_path: Path, document: Any, fragments: list[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))  # NaN / Infinity are written as bare tokens
    check_refused(path, fragments)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ('{"format": "deltascope-weights",\n "version": 1,,\n}', ["not valid JSON",
                                                               "line 2, column 15"]),
        ("", ["not valid JSON", "line 1, column 1"]),
        ('{"format": "deltascope-weights", "version": 1', ["not valid JSON", "line 1"]),
        ("[" * 100_000, ["not valid JSON"]),
        ("1e999", ["top level"]),
    ],
)
def test_bad_json_text(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    check_refused(path, fragments)


def test_huge_number_literal_is_refused(tmp_path: Path) -> None:
    text = json.dumps(valid_document()).replace("0.25", "1e999")
    path = tmp_path / "huge.json"
    path.write_text(text)
    check_refused(path, ["layer 2", "biases, entry 1", "not a finite number"])


def test_not_utf8_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "latin.json"
    path.write_bytes(b'{"loss": "caf\xe9"}')
    check_refused(path, ["not UTF-8"])
    with pytest.raises(WeightsFileError, match="cannot read"):
        load_weights(tmp_path / "missing.json")
    with pytest.raises(WeightsFileError, match="cannot read"):
        load_weights(tmp_path)


def check_refused(path: Path, fragments: list[str]) -> None:
    """Loading fails with every fragment in the message, naming the file, touching nothing."""
    before = sorted(os.listdir(path.parent)), path.read_bytes(), os.stat(path).st_mtime_ns
    with pytest.raises(WeightsFileError) as caught:
        load_weights(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    after = sorted(os.listdir(path.parent)), path.read_bytes(), os.stat(path).st_mtime_ns
    assert before == after


# -- bad NPZ files --------------------------------------------------------------------------


def valid_arrays() -> dict[str, Any]:
    meta = {"format": "deltascope-weights", "version": 1, "loss": "bce",
            "activations": ["tanh", "sigmoid"]}
    return {"meta": np.array(json.dumps(meta)), "W1": np.ones((3, 2)), "b1": np.zeros(3),
            "W2": np.ones((1, 3)), "b2": np.zeros(1)}


def with_meta(**changes: Any) -> dict[str, Any]:
    arrays = valid_arrays()
    meta = json.loads(str(arrays["meta"]))
    for key, value in changes.items():
        if value is ...:
            del meta[key]
        else:
            meta[key] = value
    arrays["meta"] = np.array(json.dumps(meta))
    return arrays


def with_arrays(**changes: Any) -> dict[str, Any]:
    arrays = valid_arrays()
    for key, value in changes.items():
        if value is ...:
            del arrays[key]
        else:
            arrays[key] = value
    return arrays


BAD_ARCHIVES = [
    (with_arrays(meta=...), ["missing array 'meta'"]),
    (with_arrays(meta=np.array([1.0])), ["'meta' must hold one JSON object"]),
    (with_arrays(meta=np.array("not json")), ["'meta' must hold one JSON object"]),
    (with_meta(format="other"), ["format", "other"]),
    (with_meta(version=7), ["version 7"]),
    (with_meta(loss="hinge"), ["loss", "hinge"]),
    (with_meta(loss=...), ["missing field 'loss'"]),
    (with_meta(activations=...), ["missing field 'activations'"]),
    (with_meta(activations="tanh"), ["activations must be a list"]),
    (with_meta(activations=[]), ["activations is empty"]),
    (with_meta(activations=["tanh", "swish"]), ["layer 2", "activation", "swish"]),
    (with_meta(activations=["softmax", "sigmoid"]), ["layer 1", "softmax", "output layer"]),
    (with_meta(activations=["tanh"]), ["unexpected array 'W2'"]),
    (with_meta(activations=["tanh", "tanh", "sigmoid"]), ["layer 3", "missing array 'W3'"]),
    (with_arrays(b2=...), ["layer 2", "missing array 'b2'"]),
    (with_arrays(W1=np.ones((3, 2, 1))), ["layer 1", "'W1'", "matrix"]),
    (with_arrays(W1=np.ones((0, 2))), ["layer 1", "'W1'", "matrix"]),
    (with_arrays(W2=np.ones((1, 4))), ["layer 2: inputs is 4", "layer 1 has 3 outputs"]),
    (with_arrays(b1=np.zeros(2)), ["layer 1", "'b1'", "3 rows"]),
    (with_arrays(b1=np.zeros((3, 1))), ["layer 1", "'b1'", "(3, 1)"]),
    (with_arrays(W1=np.array([[1.0, 2.0], [3.0, np.nan], [0.0, 0.0]])),
     ["layer 1", "'W1' at (2, 2)", "nan", "not a finite number"]),
    (with_arrays(b2=np.array([np.inf])), ["layer 2", "'b2' at (1)", "inf"]),
    (with_arrays(W1=np.ones((3, 2), dtype=bool)), ["layer 1", "'W1'", "bool"]),
    (with_arrays(b1=np.array(["a", "b", "c"])), ["layer 1", "'b1'", "not real numbers"]),
    (with_arrays(W1=np.ones((3, 2), dtype=complex)), ["layer 1", "'W1'", "complex"]),
    (with_arrays(W1=np.array([[1, 2], [3, None], [0, 0]], dtype=object)),
     ["'W1'", "object arrays are not allowed"]),
]


@pytest.mark.parametrize(("arrays", "fragments"), BAD_ARCHIVES)
def test_bad_npz(tmp_path: Path, arrays: dict[str, Any], fragments: list[str]) -> None:
    path = tmp_path / "bad.npz"
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.write_bytes(buffer.getvalue())
    check_refused(path, fragments)


def test_npz_integer_arrays_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "ints.npz"
    np.savez(path, **with_arrays(W1=np.arange(6).reshape(3, 2)))
    network = load_weights(path).network
    assert network.weights[0].tolist() == [[0, 1], [2, 3], [4, 5]]


def test_corrupt_and_truncated_npz(tmp_path: Path) -> None:
    good = tmp_path / "good.npz"
    save_weights(good, make_network([2, 4, 1], ["tanh", "sigmoid"]), "bce")
    content = good.read_bytes()
    for label, data in [("truncated", content[: len(content) // 2]),
                        ("tail cut", content[:-30]),
                        ("garbage", b"this is not a zip archive at all"),
                        ("empty", b"")]:
        path = tmp_path / f"{label}.npz"
        path.write_bytes(data)
        with pytest.raises(WeightsFileError, match="npz|cannot be read"):
            load_weights(path)
    flipped = bytearray(content)
    middle = content.index(b"W1.npy") + 200
    flipped[middle : middle + 16] = b"\xff" * 16
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(flipped))
    with pytest.raises(WeightsFileError):
        load_weights(path)


def test_npy_file_is_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "single.npz"
    with path.open("wb") as handle:
        np.save(handle, np.ones(3))
    check_refused(path, ["not"])


def test_other_extension_is_sniffed(tmp_path: Path) -> None:
    network = make_network([2, 2, 1], ["relu", "sigmoid"])
    save_weights(tmp_path / "w.npz", network, "bce")
    save_weights(tmp_path / "w.json", network, "bce")
    os.replace(tmp_path / "w.npz", tmp_path / "w.bin")
    os.replace(tmp_path / "w.json", tmp_path / "w.txt")
    for name in ("w.bin", "w.txt"):
        assert same_bits(load_weights(tmp_path / name).network.params, network.params)


# -- saving ---------------------------------------------------------------------------------


def test_save_refuses_unknown_extension_and_bad_values(tmp_path: Path) -> None:
    network = make_network([2, 2, 1], ["tanh", "sigmoid"])
    with pytest.raises(WeightsFileError, match=r"\.txt.*\.json or \.npz"):
        save_weights(tmp_path / "w.txt", network, "bce")
    with pytest.raises(WeightsFileError, match="none"):
        save_weights(tmp_path / "weights", network, "bce")
    with pytest.raises(ConfigError, match="hinge"):
        save_weights(tmp_path / "w.json", network, "hinge")
    network.params[3] = np.nan
    with pytest.raises(WeightsFileError, match="NaN or Inf"):
        save_weights(tmp_path / "w.json", network, "bce")
    assert os.listdir(tmp_path) == []


def test_save_into_missing_directory(tmp_path: Path) -> None:
    network = make_network([2, 1], ["sigmoid"])
    with pytest.raises(WeightsFileError, match="cannot write"):
        save_weights(tmp_path / "nowhere" / "w.json", network, "bce")


# -- atomic writes --------------------------------------------------------------------------


def test_write_atomically_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "file.bin"
    write_atomically(path, b"first")
    write_atomically(str(path), b"second")
    assert path.read_bytes() == b"second"
    assert os.listdir(tmp_path) == ["file.bin"]
    mode = os.stat(path).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_failed_write_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "w.json"
    old = make_network([2, 3, 1], ["tanh", "sigmoid"], seed=1)
    save_weights(path, old, "bce")
    before = path.read_bytes()

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, failing, fail)
    with pytest.raises(OSError, match="No space"):
        write_atomically(path, b"new content")
    with pytest.raises(WeightsFileError, match="cannot write: No space left on device"):
        save_weights(path, make_network([2, 3, 1], ["tanh", "sigmoid"], seed=2), "bce")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.json"]
    assert same_bits(load_weights(path).network.params, old.params)


def test_interrupted_write_removes_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "x.json", b"{}")
    assert os.listdir(tmp_path) == []


def test_a_killed_writes_stale_temp_is_removed_by_the_next_write(tmp_path: Path) -> None:
    stale = tmp_path / ".out.json.0badf00d.tmp"  # what a write killed midway leaves
    fresh = tmp_path / ".other.json.12345678.tmp"  # perhaps a write going on right now
    someone_elses = tmp_path / ".notes.tmp"
    for path in (stale, fresh, someone_elses):
        path.write_bytes(b"partial")
    old = time.time() - atomic.STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    os.utime(someone_elses, (old, old))
    write_atomically(tmp_path / "out.json", b"{}")
    assert sorted(os.listdir(tmp_path)) == [".notes.tmp", ".other.json.12345678.tmp",
                                            "out.json"]


def test_errors_name_the_chosen_file_never_the_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "missing folder" / "x.deltascope"
    with pytest.raises(FileNotFoundError) as raised:
        write_atomically(target, b"{}")
    assert raised.value.filename == str(target)
    assert ".tmp" not in str(raised.value)


def test_unknown_fields_are_refused_naming_them_as_sessions_do(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    save_weights(path, Network((2, 3, 1), ("tanh", "sigmoid")), "bce")
    document = json.loads(path.read_text())
    for where, target in (("w.json: unknown field 'dropout'", document),
                          ("w.json: layer 1: unknown field 'dropout'", document["layers"][0])):
        target["dropout"] = 0.5
        path.write_text(json.dumps(document))
        with pytest.raises(WeightsFileError, match=where):
            load_weights(path)
        del target["dropout"]


def test_a_compressed_npz_that_would_unpack_to_gigabytes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.npz"
    buffer = io.BytesIO()
    np.savez_compressed(buffer, meta=np.array("{}"), W1=np.zeros((12_000, 1_000)))  # 96 MB
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 2**20
    with pytest.raises(WeightsFileError, match="bytes unpacked"):
        load_weights(path)
