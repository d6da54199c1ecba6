"""Messages as bytes between the window and the trainer process: plain data, never pickle.

A message is a tree of None, bool, int, float, str, bytes, lists, tuples, dicts with string
keys, NumPy arrays of numbers, and instances of the dataclasses registered with `register` (the
closed set of message and snapshot types). `encode` writes a JSON header describing the tree,
with arrays replaced by references to raw buffers that follow it; `decode` rebuilds the tree,
with each array a read-only view of the received bytes (no copy). Anything else is refused
with WireError on both sides, so a message can never carry code or an arbitrary object.

Layout: 8 bytes header length (little-endian), the UTF-8 JSON header, then every array's
bytes in order, each starting at a multiple of 8 bytes.
"""

from __future__ import annotations

import dataclasses
import json
import math
import struct
from typing import Any

import numpy as np

from engine.core.errors import DeltascopeError

_LENGTH = struct.Struct("<Q")
_ALIGN = 8
_KINDS = frozenset("biuf")  # bool, signed and unsigned integers, floats
_TYPES: dict[str, type] = {}


class WireError(DeltascopeError, ValueError):
    """A message that is not plain data of the registered types, or bytes that are not one."""


def register(*types: type) -> None:
    """Allow these dataclasses in messages (each name once)."""
    for kind in types:
        if not dataclasses.is_dataclass(kind):
            raise TypeError(f"{kind.__name__} is not a dataclass")
        known = _TYPES.setdefault(kind.__name__, kind)
        if known is not kind:
            raise TypeError(f"two message types named {kind.__name__}")


def encode(message: object) -> bytes:
    """The bytes of `message` (see the module docstring)."""
    buffers: list[bytes] = []
    header = json.dumps(_to_tree(message, buffers), allow_nan=True,
                        separators=(",", ":")).encode("utf-8")
    parts = [_LENGTH.pack(len(header)), header]
    offset = _LENGTH.size + len(header)
    for buffer in buffers:
        padding = -offset % _ALIGN
        parts.append(b"\0" * padding)
        parts.append(buffer)
        offset += padding + len(buffer)
    return b"".join(parts)


def decode(data: bytes) -> Any:
    """The message `encode` made these bytes from. Arrays are read-only views of `data`."""
    view = memoryview(data)
    if len(view) < _LENGTH.size:
        raise WireError("a message shorter than its header length")
    (length,) = _LENGTH.unpack_from(view)
    start = _LENGTH.size + length
    if start > len(view):
        raise WireError("a message cut short in its header")
    try:
        tree = json.loads(bytes(view[_LENGTH.size:start]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WireError(f"a message header that is not JSON ({error})") from None
    return _from_tree(tree, view, [start])


def _to_tree(value: object, buffers: list[bytes]) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, np.generic) and value.dtype.kind in _KINDS:
        return _number(value.item())
    if isinstance(value, bytes):
        buffers.append(value)
        return {"$b": len(value)}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _KINDS:
            raise WireError(f"an array of {value.dtype} cannot be sent")
        array = np.ascontiguousarray(value)
        buffers.append(array.tobytes())
        return {"$a": [array.dtype.str, list(array.shape)]}
    if isinstance(value, list):
        return [_to_tree(item, buffers) for item in value]
    if isinstance(value, tuple):
        return {"$t": [_to_tree(item, buffers) for item in value]}
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise WireError("only dicts with string keys can be sent")
        return {"$d": {key: _to_tree(item, buffers) for key, item in value.items()}}
    name = type(value).__name__
    if dataclasses.is_dataclass(value) and _TYPES.get(name) is type(value):
        fields = {field.name: _to_tree(getattr(value, field.name), buffers)
                  for field in dataclasses.fields(value) if field.init}
        return {"$o": name, "f": fields}
    raise WireError(f"a {name} cannot be sent (not plain data or a registered message type)")


def _number(value: int | float) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return {"$f": repr(value)}  # "nan", "inf", "-inf": JSON has no such numbers
    return value


def _from_tree(tree: Any, view: memoryview, offset: list[int]) -> Any:
    if tree is None or isinstance(tree, bool | int | float | str):
        return tree
    if isinstance(tree, list):
        return [_from_tree(item, view, offset) for item in tree]
    if not isinstance(tree, dict) or len(tree) not in (1, 2):
        raise WireError("a message part of unknown form")
    if "$a" in tree:
        return _array(tree["$a"], view, offset)
    if "$b" in tree:
        return bytes(_array(["|u1", [tree["$b"]]], view, offset))
    if "$t" in tree:
        return tuple(_from_tree(item, view, offset) for item in tree["$t"])
    if "$d" in tree:
        return {key: _from_tree(item, view, offset) for key, item in tree["$d"].items()}
    if "$f" in tree:
        text = tree["$f"]
        if text not in ("nan", "inf", "-inf"):
            raise WireError(f"an unknown special number {text!r}")
        return float(text)
    if "$o" in tree:
        kind = _TYPES.get(tree["$o"])
        if kind is None:
            raise WireError(f"an unknown message type {tree['$o']!r}")
        fields = {key: _from_tree(item, view, offset) for key, item in tree["f"].items()}
        try:
            return kind(**fields)
        except TypeError as error:
            raise WireError(f"a {tree['$o']} with wrong fields ({error})") from None
    raise WireError("a message part of unknown form")


def _array(spec: Any, view: memoryview, offset: list[int]) -> np.ndarray:
    dtype_text, shape = spec
    dtype = np.dtype(dtype_text)
    if dtype.kind not in _KINDS:
        raise WireError(f"an array of {dtype} cannot be received")
    count = math.prod(shape)
    start = offset[0] + (-offset[0] % _ALIGN)
    end = start + count * dtype.itemsize
    if end > len(view):
        raise WireError("a message cut short in its arrays")
    offset[0] = end
    return np.frombuffer(view[start:end], dtype=dtype).reshape(shape)
