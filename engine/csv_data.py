"""Load a dataset from a CSV file: a header row, numeric features, target column(s) by name.

Target rules:
- one column with any non-numeric cell: class labels. class_names are the sorted unique
  labels; 2 classes give one 0/1 column (1 = the second name), K > 2 give K one-hot columns
  named f"{column}={label}".
- one numeric column whose values are all exactly 0 or 1: binary classification, classes
  ("0", "1") (even if only one of them occurs).
- several numeric columns that are all 0/1 with exactly one 1 per row: one-hot classes named
  after the columns (two such columns collapse to one 0/1 column, the second).
- any other numeric target(s): regression.

Every problem raises DatasetError naming the file, the 1-based line and the column (name
and 1-based number). Nothing is returned unless the whole file is valid; nothing is unpickled.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from engine.data import Dataset
from engine.errors import DatasetError

Array = NDArray[np.float64]


def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """All records with the 1-based line each starts on, cells stripped, trailing blanks dropped."""
    rows: list[tuple[int, list[str]]] = []
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, skipinitialspace=True, strict=True)
            start = 1
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error as error:
                    raise DatasetError(f"{path}: line {reader.line_num}: {error}") from None
                rows.append((start, [cell.strip() for cell in record]))
                start = reader.line_num + 1
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError as error:
        raise DatasetError(f"{path}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise DatasetError(f"{path}: cannot be read ({error.strerror or error})") from None
    while rows and _is_blank(rows[-1][1]):
        rows.pop()
    return rows


def _is_blank(record: list[str]) -> bool:
    """An empty line: no fields, or one empty field."""
    return len(record) == 0 or (len(record) == 1 and record[0] == "")


def _where(path: Path, line: int, header: list[str], column: int) -> str:
    """The location prefix: file, line, column name and 1-based number."""
    return f"{path}: line {line}, column {header[column]!r} ({column + 1})"


def _check_header(path: Path, line: int, header: list[str]) -> None:
    """Every column needs a distinct, non-empty name."""
    seen: dict[str, int] = {}
    for column, name in enumerate(header):
        if name == "":
            raise DatasetError(f"{path}: line {line}, column {column + 1}: empty column name")
        if name in seen:
            raise DatasetError(
                f"{path}: line {line}, column {name!r} ({column + 1}): duplicate column name "
                f"(also column {seen[name] + 1})"
            )
        seen[name] = column


def _choose_targets(
    path: Path, header: list[str], targets: Sequence[str] | None
) -> list[int]:
    """Indices of the target columns, in the order asked for (default: the last column)."""
    if targets is None:
        return [len(header) - 1]
    names = [targets] if isinstance(targets, str) else [name.strip() for name in targets]
    if not names:
        raise DatasetError(f"{path}: no target column given")
    available = ", ".join(repr(name) for name in header)
    indices: list[int] = []
    for name in names:
        if name not in header:
            raise DatasetError(
                f"{path}: target column {name!r} is not in the header; the columns are: "
                f"{available}"
            )
        if header.index(name) in indices:
            raise DatasetError(f"{path}: target column {name!r} is given twice")
        indices.append(header.index(name))
    return indices


def _number(cell: str) -> float | None:
    """The cell as a float, or None if it is not a number."""
    try:
        return float(cell)
    except ValueError:
        return None


def _numeric_column(
    path: Path, rows: list[tuple[int, list[str]]], header: list[str], column: int
) -> Array:
    """One column as finite floats; any other cell is an error naming its place."""
    values = np.empty(len(rows), dtype=np.float64)
    for index, (line, record) in enumerate(rows):
        cell = record[column]
        if cell == "":
            raise DatasetError(f"{_where(path, line, header, column)}: empty cell")
        value = _number(cell)
        if value is None:
            raise DatasetError(f"{_where(path, line, header, column)}: {cell!r} is not a number")
        if not math.isfinite(value):
            raise DatasetError(
                f"{_where(path, line, header, column)}: {cell!r} is not a finite number"
            )
        values[index] = value
    return values


def _label_targets(
    path: Path, rows: list[tuple[int, list[str]]], header: list[str], column: int
) -> tuple[Array, tuple[str, ...], tuple[str, ...]]:
    """A string-label column as (targets, target_names, class_names)."""
    labels = []
    for line, record in rows:
        if record[column] == "":
            raise DatasetError(f"{_where(path, line, header, column)}: empty class label")
        labels.append(record[column])
    class_names = tuple(sorted(set(labels)))
    name = header[column]
    if len(class_names) < 2:
        raise DatasetError(
            f"{path}: column {name!r} ({column + 1}): only one class label "
            f"({class_names[0]!r}); classification needs at least 2"
        )
    codes = np.searchsorted(np.array(class_names), np.array(labels))
    if len(class_names) == 2:
        return codes.astype(np.float64).reshape(-1, 1), (name,), class_names
    one_hot = np.eye(len(class_names), dtype=np.float64)[codes]
    return one_hot, tuple(f"{name}={label}" for label in class_names), class_names


def _is_label_column(rows: list[tuple[int, list[str]]], column: int) -> bool:
    """A column is a class-label column if any non-empty cell is not a number."""
    return any(record[column] != "" and _number(record[column]) is None for _, record in rows)


def load_csv(path: str | os.PathLike[str], targets: Sequence[str] | None = None) -> Dataset:
    """Read a CSV file with a header row into a Dataset named after the file's stem.

    targets: the target column names (default: the last column). Every other column is a
    feature, in file order; rows stay in file order. Raises DatasetError on any problem.
    """
    file = Path(path)
    rows = _read_rows(file)
    if not rows:
        raise DatasetError(f"{file}: the file is empty (a header row is needed)")
    header_line, header = rows[0]
    data = rows[1:]
    _check_header(file, header_line, header)
    if not data:
        raise DatasetError(f"{file}: line {header_line}: a header but no data rows")
    for line, record in data:
        if _is_blank(record) and len(header) > 1:
            raise DatasetError(f"{file}: line {line} is empty")
        if len(record) != len(header):
            raise DatasetError(
                f"{file}: line {line} has {len(record)} field{'' if len(record) == 1 else 's'}"
                f", the header has {len(header)}"
            )
    target_columns = _choose_targets(file, header, targets)
    feature_columns = [column for column in range(len(header)) if column not in target_columns]
    if not feature_columns:
        raise DatasetError(f"{file}: no feature columns left: every column is a target")

    inputs = np.column_stack([_numeric_column(file, data, header, c) for c in feature_columns])
    feature_names = tuple(header[column] for column in feature_columns)
    label_columns = [c for c in target_columns if _is_label_column(data, c)]
    if label_columns and len(target_columns) > 1:
        column = label_columns[0]
        raise DatasetError(
            f"{file}: column {header[column]!r} ({column + 1}) holds class labels; with several "
            "target columns every target must be numeric"
        )
    if label_columns:
        values, target_names, class_names = _label_targets(file, data, header, label_columns[0])
        return Dataset(inputs, values, "classification", feature_names, target_names,
                       class_names, file.stem)

    values = np.column_stack([_numeric_column(file, data, header, c) for c in target_columns])
    target_names = tuple(header[column] for column in target_columns)
    binary = bool(np.all((values == 0.0) | (values == 1.0)))
    if binary and values.shape[1] == 1:
        return Dataset(inputs, values, "classification", feature_names, target_names,
                       ("0", "1"), file.stem)
    if binary and bool(np.all(values.sum(axis=1) == 1.0)):
        if values.shape[1] == 2:
            return Dataset(inputs, values[:, 1:].copy(), "classification", feature_names,
                           target_names[1:], target_names, file.stem)
        return Dataset(inputs, values, "classification", feature_names, target_names,
                       target_names, file.stem)
    return Dataset(inputs, values, "regression", feature_names, target_names, (), file.stem)
