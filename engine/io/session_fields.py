"""Reading a session file's JSON field by field (Fields): every error is a SessionFileError
that names the dotted field path ("config.hidden[1].units must be a whole number, got text").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.core.errors import DeltascopeError
from engine.training.config import MAX_COUNT

Array = NDArray[np.float64]


class SessionFileError(DeltascopeError, ValueError):
    """A session file (or its data) that cannot be restored; the message names the field."""


class Fields:
    """A mapping from the file, read field by field; errors name the dotted field path."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            what = path or "the file"
            raise SessionFileError(f"{what} must be a JSON object, got {kind_of(data)}")
        self.data: Mapping[str, Any] = data
        self.path = path

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def require(self, key: str) -> Any:
        if key not in self.data:
            raise SessionFileError(f"{self.name(key)}: missing")
        return self.data[key]

    def reject_unknown(self, known: tuple[str, ...] | list[str]) -> None:
        unknown = sorted(str(key) for key in self.data if key not in known)
        if unknown:
            raise SessionFileError(f"{self.name(unknown[0])}: unknown field")

    def section(self, key: str) -> Fields:
        return Fields(self.require(key), self.name(key))

    def build(self, make: Any) -> Any:
        """make() with the engine's own complaints (ConfigError, DatasetError) put on this
        section's path."""
        try:
            return make()
        except SessionFileError:
            raise
        except DeltascopeError as error:
            raise SessionFileError(f"{self.path or 'session'}: {error}") from None

    def text(self, key: str, choices: tuple[str, ...] | None = None) -> str:
        value = self.require(key)
        if not isinstance(value, str):
            raise SessionFileError(f"{self.name(key)} must be text, got {kind_of(value)}")
        if choices is not None and value not in choices:
            raise SessionFileError(f"{self.name(key)} is {value!r}; expected one of "
                                   f"{', '.join(choices)}")
        return value

    def boolean(self, key: str) -> bool:
        value = self.require(key)
        if not isinstance(value, bool):
            raise SessionFileError(f"{self.name(key)} must be true or false, got {kind_of(value)}")
        return value

    def integer(self, key: str, minimum: int | None = None, maximum: int = MAX_COUNT) -> int:
        """A whole number in [minimum, maximum] (every count has an upper bound)."""
        value = self.require(key)
        if not _is_integer(value):
            raise SessionFileError(f"{self.name(key)} must be a whole number, got {kind_of(value)}")
        if (minimum is not None and value < minimum) or value > maximum:
            bounds = f"at most {maximum}" if minimum is None else f"in [{minimum}, {maximum}]"
            raise SessionFileError(f"{self.name(key)} must be {bounds}, got {value}")
        return int(value)

    def number(self, key: str) -> float:
        value = self.require(key)
        if not _is_number(value):
            raise SessionFileError(f"{self.name(key)} must be a number, got {kind_of(value)}")
        if not math.isfinite(value):
            raise SessionFileError(f"{self.name(key)} must be finite, got {value}")
        return float(value)

    def list_of(self, key: str) -> list[Any]:
        value = self.require(key)
        if not isinstance(value, list):
            raise SessionFileError(f"{self.name(key)} must be a list, got {kind_of(value)}")
        return value

    def texts(self, key: str) -> list[str]:
        values = self.list_of(key)
        for position, value in enumerate(values):
            if not isinstance(value, str):
                raise SessionFileError(f"{self.name(key)}[{position}] must be text, "
                                       f"got {kind_of(value)}")
        return values

    def numbers(self, key: str, length: int | None, allow_null: bool = False) -> Array:
        """A list of finite numbers (null as NaN if `allow_null`) of `length` (None: any)."""
        values = self.list_of(key)
        return _number_row(values, self.name(key), length, allow_null)

    def integers(self, key: str, minimum: int, limit: int | None) -> NDArray[np.intp]:
        """A list of whole numbers in [minimum, limit) (limit None: no upper bound)."""
        values = self.list_of(key)
        for position, value in enumerate(values):
            if not _is_integer(value) or value < minimum or (limit is not None and value >= limit):
                bounds = f">= {minimum}" if limit is None else f"in [{minimum}, {limit - 1}]"
                raise SessionFileError(f"{self.name(key)}[{position}] must be a whole number "
                                       f"{bounds}, got {value!r}")
        return np.array(values, dtype=np.intp).reshape(-1)

    def matrix(self, key: str, columns: int) -> Array:
        rows = self.list_of(key)
        name = self.name(key)
        matrix = np.empty((len(rows), columns), dtype=np.float64)
        for index, row in enumerate(rows):
            if not isinstance(row, list):
                raise SessionFileError(f"{name}[{index}] must be a list, got {kind_of(row)}")
            matrix[index] = _number_row(row, f"{name}[{index}]", columns, False)
        return matrix


def _number_row(values: list[Any], name: str, length: int | None, allow_null: bool) -> Array:
    if length is not None and len(values) != length:
        raise SessionFileError(f"{name} has {len(values)} numbers, expected {length}")
    for position, value in enumerate(values):
        if value is None and allow_null:
            continue
        if not _is_number(value):
            raise SessionFileError(f"{name}[{position}] must be a number, got {kind_of(value)}")
        if not math.isfinite(value):
            raise SessionFileError(f"{name}[{position}] must be finite, got {value}")
    return np.array([math.nan if value is None else value for value in values],
                    dtype=np.float64)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def kind_of(value: object) -> str:
    """How a JSON value is described in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"text {value!r}" if len(value) <= 40 else "text"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
