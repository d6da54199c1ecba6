"""Weight files: a trained network and its loss, as JSON (readable) or NPZ (compact).

JSON layout (version 1)::

    {"format": "deltascope-weights", "version": 1, "loss": "bce",
     "layers": [{"inputs": 2, "outputs": 4, "activation": "tanh",
                 "weights": [[w11, w12], ...],   # `outputs` rows of `inputs` numbers
                 "biases": [b1, ...]}, ...]}

Row i of a layer's "weights" holds the weights into neuron i (W^m[i], as in MATH.md).
A network with input features (engine/core/features.py) also has a top-level
``"features": ["x1^2", "x2^2", ...]`` (then layer 1's "inputs" is the number of features and
the network takes raw 2-D inputs); files without it are networks on the raw inputs.
A network trained on standardized inputs (engine/core/standardization.py) also has
``"standardization": {"mean": [...], "std": [...]}`` (one number per raw input column; the
network takes raw inputs and computes (x - mean) / std first); files without it take the
inputs as they are. A network whose inputs are the pixels of an image also has
``"image_shape": [rows, columns]`` (engine/data/image_shape.py; rows x columns = layer 1's
inputs); files without it have none. Floats are written with Python's repr, which
round-trips float64 bit-exactly.

NPZ holds the same: arrays W1, b1, W2, b2, ... and "meta", a unicode string with the JSON
object {"format", "version", "loss", "activations"} (and "features", "standardization" and
"image_shape" when the network has them). It is read with allow_pickle=False.

Loading checks everything and raises WeightsFileError naming the file and, where it
applies, the layer (1-based) and field; rows and columns in messages are 1-based too.

Why this is long: one file format in its two encodings (JSON and NPZ), written and read with a
check and message for every field; splitting them would separate the two halves of each rule.
"""

from __future__ import annotations

import io
import json
import math
import os
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.core.activations import ACTIVATIONS
from engine.core.errors import ConfigError, WeightsFileError
from engine.core.features import RAW_WIDTH, canonical_features
from engine.core.losses import LOSSES
from engine.core.network import Network
from engine.core.standardization import read_standardization
from engine.data.image_shape import check_image_shape
from engine.io.atomic import write_atomically
from engine.io.onnx_export import ONNX_EXTENSION, save_onnx

Array = NDArray[np.float64]

FORMAT = "deltascope-weights"
VERSION = 1
EXTENSIONS: tuple[str, ...] = (".json", ".npz")
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class WeightsFile:
    """What a weights file holds: the network (sizes, activations, parameters) and its loss."""

    network: Network
    loss: str
    image_shape: tuple[int, int] | None = None  # the inputs are an image's pixels, row-major


# -- saving ---------------------------------------------------------------------------------


def export_network(path: str | os.PathLike[str], network: Network, loss: str,
                   image_shape: tuple[int, int] | None = None) -> None:
    """Write the trained network for other tools, by extension: an ONNX model for .onnx,
    else a weights file (.json or .npz). The one dispatch the window and `train` share."""
    if os.path.splitext(os.fspath(path))[1].lower() == ONNX_EXTENSION:
        save_onnx(path, network, loss)
    else:
        save_weights(path, network, loss, image_shape)


def save_weights(path: str | os.PathLike[str], network: Network, loss: str,
                 image_shape: tuple[int, int] | None = None) -> None:
    """Write the network and loss to `path` atomically; .json or .npz by extension.
    `image_shape`: the inputs are the pixels of an image of this shape (stored with them)."""
    name = os.fspath(path)
    extension = os.path.splitext(name)[1].lower()
    if extension not in EXTENSIONS:
        raise WeightsFileError(
            f"{name}: unknown weights file type {extension or '(none)'!r} (use .json or .npz)"
        )
    if loss not in LOSSES:
        raise ConfigError(f"unknown loss {loss!r} (known: {', '.join(LOSSES)})")
    if not np.all(np.isfinite(network.params)):
        raise WeightsFileError(f"{name}: cannot save weights that are NaN or Inf")
    if image_shape is not None:
        check_image_shape(image_shape, network.input_width)
    data = (_json_bytes(network, loss, image_shape) if extension == ".json"
            else _npz_bytes(network, loss, image_shape))
    try:
        write_atomically(name, data)
    except OSError as error:
        raise WeightsFileError(f"{name}: cannot write: {error.strerror or error}") from None


def _json_bytes(network: Network, loss: str, image_shape: tuple[int, int] | None = None) -> bytes:
    """The JSON text: one line per weight row, so it stays readable and diffable."""

    def numbers(values: Array) -> str:
        return "[" + ", ".join(json.dumps(value) for value in values.tolist()) + "]"

    layers = []
    for weights, biases, activation in zip(
        network.weights, network.biases, network.activations, strict=True
    ):
        rows = ",\n".join(f"    {numbers(row)}" for row in weights)
        layers.append(
            "  {\n"
            f'   "inputs": {weights.shape[1]},\n'
            f'   "outputs": {weights.shape[0]},\n'
            f'   "activation": {json.dumps(activation)},\n'
            f'   "weights": [\n{rows}\n   ],\n'
            f'   "biases": {numbers(biases)}\n'
            "  }"
        )
    features = f' "features": {json.dumps(list(network.features))},\n' if network.features else ""
    if network.standardization is not None:
        features += f' "standardization": {json.dumps(network.standardization.to_dict())},\n'
    text = (
        "{\n"
        f' "format": {json.dumps(FORMAT)},\n'
        f' "version": {VERSION},\n'
        f' "loss": {json.dumps(loss)},\n'
        f"{features}"
        f"{_image_line(image_shape)}"
        ' "layers": [\n' + ",\n".join(layers) + "\n ]\n}\n"
    )
    return text.encode("utf-8")


def _image_line(image_shape: tuple[int, int] | None) -> str:
    return "" if image_shape is None else f' "image_shape": {json.dumps(list(image_shape))},\n'


def _npz_bytes(network: Network, loss: str, image_shape: tuple[int, int] | None = None) -> bytes:
    meta: dict[str, Any] = {"format": FORMAT, "version": VERSION, "loss": loss,
                            "activations": list(network.activations)}
    if network.features:
        meta["features"] = list(network.features)
    if network.standardization is not None:
        meta["standardization"] = network.standardization.to_dict()
    if image_shape is not None:
        meta["image_shape"] = list(image_shape)
    arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps(meta))}
    for m, (weights, biases) in enumerate(zip(network.weights, network.biases, strict=True), 1):
        arrays[f"W{m}"] = np.array(weights, dtype=np.float64)
        arrays[f"b{m}"] = np.array(biases, dtype=np.float64)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


# -- loading --------------------------------------------------------------------------------


def load_weights(path: str | os.PathLike[str]) -> WeightsFile:
    """Read and check a weights file; WeightsFileError (and no other effect) if it is bad."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            content = handle.read()
    except OSError as error:
        raise WeightsFileError(f"{name}: cannot read: {error.strerror or error}") from None
    extension = os.path.splitext(name)[1].lower()
    if extension == ".npz" or (extension != ".json" and content.startswith(_ZIP_MAGIC)):
        return _load_npz(name, content)
    return _load_json(name, content)


class _Constant:
    """Stands in for a NaN / Infinity token so the checks can say which field holds it."""

    def __init__(self, token: str) -> None:
        self.token = token


def _describe(value: Any) -> str:
    """A short JSON-like rendering of a value for error messages."""
    if isinstance(value, _Constant):
        return value.token
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _load_json(name: str, content: bytes) -> WeightsFile:
    try:
        document = json.loads(content.decode("utf-8-sig"), parse_constant=_Constant)
    except UnicodeDecodeError as error:
        raise WeightsFileError(f"{name}: not UTF-8 text (byte {error.start + 1})") from None
    except json.JSONDecodeError as error:
        raise WeightsFileError(
            f"{name}: not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except (ValueError, RecursionError) as error:
        raise WeightsFileError(f"{name}: not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise WeightsFileError(f"{name}: the top level must be a JSON object, "
                               f"not {_describe(document)}")
    _check_header(name, document)
    _reject_unknown(name, document, _TOP_LEVEL_KEYS)
    loss = _check_loss(name, document)
    features = _check_features(name, document)
    layers = _field(name, document, "layers", list)
    if not layers:
        raise WeightsFileError(f"{name}: layers is empty (a network needs at least one layer)")
    weights: list[Array] = []
    biases: list[Array] = []
    activations: list[str] = []
    for m, layer in enumerate(layers, start=1):
        where = f"{name}: layer {m}"
        if not isinstance(layer, dict):
            raise WeightsFileError(f"{where}: must be an object, not {_describe(layer)}")
        _reject_unknown(where, layer, _LAYER_KEYS)
        inputs, outputs = (_positive_int(where, layer, key) for key in ("inputs", "outputs"))
        if weights and inputs != weights[-1].shape[0]:
            raise WeightsFileError(
                f"{where}: inputs is {inputs} but layer {m - 1} has {weights[-1].shape[0]} outputs"
            )
        activations.append(_check_activation(where, layer, m == len(layers)))
        rows = _field(where, layer, "weights", list)
        vector = _field(where, layer, "biases", list)
        if len(rows) != outputs:
            raise WeightsFileError(f"{where}: weights has {len(rows)} rows but outputs is "
                                   f"{outputs} (one row per neuron)")
        matrix: list[list[float]] = []  # sized by the file's content, never by `inputs` alone
        for i, row in enumerate(rows):
            label = f"weights row {i + 1}"
            if not isinstance(row, list):
                raise WeightsFileError(f"{where}: {label} must be a list, not {_describe(row)}")
            if len(row) != inputs:
                raise WeightsFileError(
                    f"{where}: {label} has {len(row)} numbers but inputs is {inputs}"
                )
            matrix.append(_numbers(where, label, row))
        if len(vector) != outputs:
            raise WeightsFileError(
                f"{where}: biases has {len(vector)} numbers but outputs is {outputs}"
            )
        weights.append(np.array(matrix, dtype=np.float64).reshape(outputs, inputs))
        biases.append(np.array(_numbers(where, "biases", vector), dtype=np.float64))
    return _with_image_shape(name, document,
                             _build(name, weights, biases, activations, loss, features,
                                    document.get("standardization")))


# A field this version does not know is refused, naming it, as session files do: a file that
# means more than we read must not be half-understood.
_TOP_LEVEL_KEYS = ("format", "version", "loss", "features", "standardization",
                   "image_shape", "layers")
_LAYER_KEYS = ("inputs", "outputs", "activation", "weights", "biases")
_META_KEYS = ("format", "version", "loss", "features", "standardization",
              "image_shape", "activations")


def _with_image_shape(where: str, fields: dict[str, Any], loaded: WeightsFile) -> WeightsFile:
    """`loaded` with the optional "image_shape" [rows, columns] (absent: none), checked
    against the network's inputs."""
    if "image_shape" not in fields:
        return loaded
    value = _field(where, fields, "image_shape", list)
    try:
        shape = check_image_shape(value, loaded.network.input_width)
    except ConfigError as error:
        raise WeightsFileError(f"{where}: image_shape: {error}") from None
    return replace(loaded, image_shape=shape)


def _reject_unknown(where: str, fields: dict[str, Any], known: tuple[str, ...]) -> None:
    unknown = sorted(str(key) for key in fields if key not in known)
    if unknown:
        raise WeightsFileError(f"{where}: unknown field {unknown[0]!r} (this Deltascope reads "
                               f"{', '.join(known)})")


def _field(where: str, fields: dict[str, Any], key: str, kind: type) -> Any:
    """fields[key], which must be present and of type `kind` (list or str)."""
    if key not in fields:
        raise WeightsFileError(f"{where}: missing field {key!r}")
    value = fields[key]
    if not isinstance(value, kind):
        noun = "a list" if kind is list else "a string"
        raise WeightsFileError(f"{where}: {key} must be {noun}, not {_describe(value)}")
    return value


def _positive_int(where: str, fields: dict[str, Any], key: str) -> int:
    if key not in fields:
        raise WeightsFileError(f"{where}: missing field {key!r}")
    value = fields[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise WeightsFileError(
            f"{where}: {key} must be a positive whole number, not {_describe(value)}"
        )
    return value


def _numbers(where: str, label: str, values: list[Any]) -> list[float]:
    """The values as floats; each must be a finite JSON number (not a boolean, NaN or Inf)."""
    result: list[float] = []
    for position, value in enumerate(values, start=1):
        if isinstance(value, bool) or not isinstance(value, int | float | _Constant):
            raise WeightsFileError(
                f"{where}: {label}, entry {position} is {_describe(value)}, not a number"
            )
        if isinstance(value, _Constant):
            raise WeightsFileError(
                f"{where}: {label}, entry {position} is {value.token}, not a finite number"
            )
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise WeightsFileError(
                f"{where}: {label}, entry {position} is not a finite number ({_describe(value)})"
            )
        result.append(number)
    return result


def _check_header(name: str, fields: dict[str, Any]) -> None:
    if "format" not in fields:
        raise WeightsFileError(f"{name}: missing field 'format' (not a Deltascope weights file)")
    if fields["format"] != FORMAT:
        raise WeightsFileError(f"{name}: format is {_describe(fields['format'])}, expected "
                               f"{FORMAT!r} (not a Deltascope weights file)")
    if "version" not in fields:
        raise WeightsFileError(f"{name}: missing field 'version'")
    version = fields["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise WeightsFileError(f"{name}: version must be a whole number, not {_describe(version)}")
    if version != VERSION:
        raise WeightsFileError(f"{name}: version {version} is not supported "
                               f"(this Deltascope reads version {VERSION})")


def _check_loss(name: str, fields: dict[str, Any]) -> str:
    loss = _field(name, fields, "loss", str)
    if loss not in LOSSES:
        raise WeightsFileError(
            f"{name}: loss {_describe(loss)} is unknown (known: {', '.join(LOSSES)})"
        )
    return loss


def _check_features(name: str, fields: dict[str, Any]) -> tuple[str, ...]:
    """The optional "features" field: a non-empty list of known, distinct feature ids, in the
    file's order (the order of layer 1's weight columns)."""
    if "features" not in fields:
        return ()
    values = _field(name, fields, "features", list)
    for position, value in enumerate(values, start=1):
        if not isinstance(value, str):
            raise WeightsFileError(f"{name}: features, entry {position} is {_describe(value)}, "
                                   "not a feature name")
    try:
        canonical_features(values)
    except ConfigError as error:
        raise WeightsFileError(f"{name}: features: {error}") from None
    return tuple(values)


def _check_activation(where: str, layer: dict[str, Any], is_output: bool) -> str:
    activation = _field(where, layer, "activation", str)
    if activation not in ACTIVATIONS:
        raise WeightsFileError(f"{where}: activation {_describe(activation)} is unknown "
                               f"(known: {', '.join(ACTIVATIONS)})")
    if not is_output and not ACTIVATIONS[activation].elementwise:
        raise WeightsFileError(
            f"{where}: activation {activation} is for the output layer only, not a hidden layer"
        )
    return activation


def _load_npz(name: str, content: bytes) -> WeightsFile:
    arrays = _read_npz_arrays(name, content)
    if "meta" not in arrays:
        raise WeightsFileError(f"{name}: missing array 'meta' (not a Deltascope weights file)")
    meta_array = arrays.pop("meta")
    meta = None
    if meta_array.dtype.kind == "U" and meta_array.size == 1:
        try:
            meta = json.loads(str(meta_array.reshape(-1)[0]), parse_constant=_Constant)
        except (ValueError, RecursionError):
            pass
    if not isinstance(meta, dict):
        raise WeightsFileError(f"{name}: array 'meta' must hold one JSON object as a string")
    _check_header(name, meta)
    _reject_unknown(f"{name}: meta", meta, _META_KEYS)
    loss = _check_loss(name, meta)
    features = _check_features(name, meta)
    names = _field(f"{name}: meta", meta, "activations", list)
    if not names:
        raise WeightsFileError(f"{name}: activations is empty (a network needs at least one layer)")
    expected = {f"{prefix}{m}" for m in range(1, len(names) + 1) for prefix in "Wb"}
    extra = sorted(set(arrays) - expected)
    if extra:
        raise WeightsFileError(f"{name}: unexpected array {extra[0]!r} "
                               f"(meta lists {len(names)} layers)")
    weights: list[Array] = []
    biases: list[Array] = []
    activations: list[str] = []
    for m in range(1, len(names) + 1):
        where = f"{name}: layer {m}"
        activations.append(_check_activation(where, {"activation": names[m - 1]}, m == len(names)))
        for key in (f"W{m}", f"b{m}"):
            if key not in arrays:
                raise WeightsFileError(f"{where}: missing array {key!r}")
            if arrays[key].dtype.kind not in "fiu":
                raise WeightsFileError(
                    f"{where}: array {key!r} holds {arrays[key].dtype}, not real numbers"
                )
        matrix, vector = arrays[f"W{m}"], arrays[f"b{m}"]
        if matrix.ndim != 2 or 0 in matrix.shape:
            raise WeightsFileError(
                f"{where}: array 'W{m}' must be a non-empty matrix, got shape {matrix.shape}"
            )
        if weights and matrix.shape[1] != weights[-1].shape[0]:
            raise WeightsFileError(f"{where}: inputs is {matrix.shape[1]} (columns of 'W{m}') "
                                   f"but layer {m - 1} has {weights[-1].shape[0]} outputs")
        if vector.shape != (matrix.shape[0],):
            raise WeightsFileError(f"{where}: array 'b{m}' has shape {vector.shape} but 'W{m}' "
                                   f"has {matrix.shape[0]} rows (outputs)")
        for key, values in ((f"W{m}", matrix), (f"b{m}", vector)):
            bad = np.argwhere(~np.isfinite(values))
            if bad.size:
                position = ", ".join(str(index + 1) for index in bad[0])
                raise WeightsFileError(f"{where}: array {key!r} at ({position}) is "
                                       f"{values[tuple(bad[0])]}, not a finite number")
        weights.append(np.asarray(matrix, dtype=np.float64))
        biases.append(np.asarray(vector, dtype=np.float64))
    return _with_image_shape(f"{name}: meta", meta,
                             _build(name, weights, biases, activations, loss, features,
                                    meta.get("standardization")))


# What the largest network the controls allow takes (16 layers of 512 x 512 float64 weights
# and biases, about 34 MB), with room to spare; a compressed archive claiming more is refused
# before it is unpacked.
MAX_NPZ_BYTES = 64 * 2**20


def _read_npz_arrays(name: str, content: bytes) -> dict[str, np.ndarray]:
    """Every array in the archive, read eagerly so a corrupt member fails here."""
    try:
        archive = np.load(io.BytesIO(content), allow_pickle=False)
    except Exception as error:  # any failure to parse untrusted bytes means a bad file
        raise WeightsFileError(f"{name}: not a valid npz file ({_reason(error)})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise WeightsFileError(f"{name}: not an npz archive (a single .npy array?)")
    unpacked = sum(member.file_size for member in archive.zip.infolist())
    if unpacked > max(MAX_NPZ_BYTES, 4 * len(content)):
        archive.close()
        raise WeightsFileError(f"{name}: its arrays would take {unpacked:,} bytes unpacked, "
                               f"more than a Deltascope network can hold")
    arrays: dict[str, np.ndarray] = {}
    with archive:
        for key in archive.files:
            try:
                arrays[key] = archive[key]
            except Exception as error:
                raise WeightsFileError(
                    f"{name}: array {key!r} cannot be read ({_reason(error)})"
                ) from None
    return arrays


def _reason(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    if "pickle" in text.lower() or "object arrays" in text.lower():
        return "object arrays are not allowed"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _build(
    name: str, weights: list[Array], biases: list[Array], activations: list[str], loss: str,
    features: tuple[str, ...] = (), standardization_field: Any = None,
) -> WeightsFile:
    if features and weights[0].shape[1] != len(features):
        raise WeightsFileError(
            f"{name}: features lists {len(features)} input features but layer 1 has "
            f"{weights[0].shape[1]} inputs (one per feature)")
    if features:
        # Layer 1's columns follow the file's order; the network uses the canonical one.
        canonical = canonical_features(features)
        weights[0] = weights[0][:, [features.index(feature) for feature in canonical]]
        features = canonical
    standardization = None
    if standardization_field is not None:
        width = RAW_WIDTH if features else weights[0].shape[1]  # features: of 2-D inputs
        try:
            standardization = read_standardization(standardization_field, width,
                                                   "standardization")
        except ConfigError as error:
            raise WeightsFileError(f"{name}: {error}") from None
    try:
        network = Network.from_arrays(weights, biases, activations, features or None,
                                      standardization)
    except ConfigError as error:  # checked above; kept so no ConfigError leaks from a load
        raise WeightsFileError(f"{name}: {error}") from None
    return WeightsFile(network, loss)
