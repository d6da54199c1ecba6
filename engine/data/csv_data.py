"""Load a dataset from a CSV file: a header row, numeric features, target column(s) by name.

Target rules:
- one column with any non-numeric cell: class labels. class_names are the sorted unique
  labels; 2 classes give one 0/1 column (1 = the second name), K > 2 give K one-hot columns
  named f"{column}={label}".
- one numeric column whose values are all exactly 0 or 1: binary classification, classes
  ("0", "1") (even if only one of them occurs).
- one numeric column of whole numbers with 2 to 20 distinct values (engine/data/tasks.py
  MAX_DETECTED_CLASSES), as pandas writes class labels: classes named by the number, in
  numeric order (2 classes give one 0/1 column, K > 2 one-hot columns f"{column}={label}").
- several numeric columns that are all 0/1 with exactly one 1 per row: one-hot classes named
  after the columns (two such columns collapse to one 0/1 column, the second).
- any other numeric target(s): regression.
`task` ("classification" or "regression") overrides the detection (engine/data/tasks.py as_task).

Every problem raises DatasetError naming the file, the 1-based line and the column (name
and 1-based number). Nothing is returned unless the whole file is valid; nothing is unpickled.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from engine.core.errors import DatasetError
from engine.data.dataset import Dataset
from engine.data.tasks import as_task, classes_from_values, is_whole_number_labels

Array = NDArray[np.float64]


class LoadCancelled(DatasetError):
    """The person cancelled a load (its progress callback returned False)."""


Progress = Callable[[int, int], bool]  # (bytes read, file size) -> go on?
_CHUNK_ROWS = 16_384
_PROGRESS_EVERY = 4_096  # rows between progress reports


def _records(path: Path, progress: Progress | None) -> Iterator[tuple[int, list[str]]]:
    """Every record with the 1-based line it starts on, cells stripped, read as a stream.
    Reports the bytes read to `progress` now and then; LoadCancelled when it says stop."""
    try:
        size = path.stat().st_size
        with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig",
                                                      newline="") as handle:
            reader = csv.reader(handle, skipinitialspace=True, strict=True)
            start = 1
            count = 0
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error as error:
                    raise DatasetError(f"{path}: line {reader.line_num}: {error}") from None
                yield start, [cell.strip() for cell in record]
                start = reader.line_num + 1
                count += 1
                if progress is not None and count % _PROGRESS_EVERY == 0 \
                        and not progress(raw.tell(), size):
                    raise LoadCancelled(f"{path}: loading cancelled")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError as error:
        raise DatasetError(f"{path}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise DatasetError(f"{path}: cannot be read ({error.strerror or error})") from None


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


def _bad_cell(path: Path, line: int, header: list[str], column: int, cell: str) -> DatasetError:
    """The error for a cell that is not a finite number."""
    where = _where(path, line, header, column)
    if cell == "":
        return DatasetError(f"{where}: empty cell")
    if _number(cell) is None:
        return DatasetError(f"{where}: {cell!r} is not a number")
    return DatasetError(f"{where}: {cell!r} is not a finite number")


class _Columns:
    """Numeric columns collected row by row into float64 chunks (the data's own size, plus
    one chunk), and optionally one column of class labels as text."""

    def __init__(self, numeric: list[int], label: int | None) -> None:
        self.numeric = numeric
        self.label = label
        self.labels: list[str] = []
        self._chunks: list[Array] = []
        self._chunk = np.empty((_CHUNK_ROWS, len(numeric)))
        self._filled = 0

    def __len__(self) -> int:
        return len(self._chunks) * _CHUNK_ROWS + self._filled

    def add(self, values: list[float]) -> None:
        if self._filled == _CHUNK_ROWS:
            self._chunks.append(self._chunk)
            self._chunk = np.empty((_CHUNK_ROWS, len(self.numeric)))
            self._filled = 0
        self._chunk[self._filled] = values
        self._filled += 1

    def matrix(self) -> Array:
        """All rows, (N, len(numeric)); the chunks are released."""
        parts, self._chunks = [*self._chunks, self._chunk[: self._filled]], []
        return np.concatenate(parts) if len(parts) > 1 else parts[0].copy()


def _read_columns(path: Path, header_line: int, header: list[str],
                  records: Iterator[tuple[int, list[str]]], label: int | None,
                  targets: list[int]) -> _Columns:
    """Every data row: the numeric columns as floats and column `label` (if any) as text.
    _LabelsFound when a target column holds text and no label column was chosen yet."""
    numeric = [column for column in range(len(header)) if column != label]
    columns = _Columns(numeric, label)
    width = len(header)
    blank_lines: list[int] = []  # blank lines are an error unless only trailing ones follow
    for line, record in records:
        if _is_blank(record):
            blank_lines.append(line)
            continue
        if blank_lines and width > 1:
            raise DatasetError(f"{path}: line {blank_lines[0]} is empty")
        blank_lines.clear()
        if len(record) != width:
            raise DatasetError(
                f"{path}: line {line} has {len(record)} field{'' if len(record) == 1 else 's'}"
                f", the header has {width}")
        try:
            values = [float(record[column]) for column in numeric]
        except ValueError:
            values = []
        if len(values) != len(numeric) or not all(map(math.isfinite, values)):
            for column in numeric:
                value = _number(record[column])
                if value is None or not math.isfinite(value):
                    if label is None and column in targets and value is None \
                            and record[column] != "":
                        raise _LabelsFound(column)
                    raise _bad_cell(path, line, header, column, record[column])
        if label is not None:
            if record[label] == "":
                raise DatasetError(f"{_where(path, line, header, label)}: empty class label")
            columns.labels.append(record[label])
        columns.add(values)
    if len(columns) == 0:
        raise DatasetError(f"{path}: line {header_line}: a header but no data rows")
    return columns


class _LabelsFound(Exception):
    """A target column turned out to hold class labels: read again with it as text."""

    def __init__(self, column: int) -> None:
        super().__init__(column)
        self.column = column


def _label_targets(path: Path, labels: list[str], name: str, column: int
                   ) -> tuple[Array, tuple[str, ...], tuple[str, ...]]:
    """A string-label column as (targets, target_names, class_names)."""
    class_names = tuple(sorted(set(labels)))
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


def load_csv(path: str | os.PathLike[str], targets: Sequence[str] | None = None,
             progress: Progress | None = None, task: str | None = None) -> Dataset:
    """Read a CSV file with a header row into a Dataset named after the file's stem.

    targets: the target column names (default: the last column). Every other column is a
    feature, in file order; rows stay in file order. Raises DatasetError on any problem
    (LoadCancelled when `progress(bytes read, file size)` returns False). The file is read
    as a stream: numeric data takes about twice its float64 size at the peak. `task` None
    detects classes or regression (see the module's rules); else the targets are taken as
    that task (DatasetError when they cannot be, e.g. text labels as regression).
    """
    dataset = _load(Path(path), targets, progress)
    if task is None:
        return dataset
    try:
        return as_task(dataset, task)
    except DatasetError as error:
        raise DatasetError(f"{path}: {error}") from None


def _load(file: Path, targets: Sequence[str] | None, progress: Progress | None) -> Dataset:
    """load_csv with the detected task."""
    header_line, header, target_columns = _read_header(file, targets)
    label: int | None = None
    while True:
        records = _records(file, progress)
        next(records)  # the header, checked above
        try:
            columns = _read_columns(file, header_line, header, records, label, target_columns)
            break
        except _LabelsFound as found:
            if len(target_columns) > 1:
                raise DatasetError(
                    f"{file}: column {header[found.column]!r} ({found.column + 1}) holds class "
                    "labels; with several target columns every target must be numeric"
                ) from None
            label = found.column  # read again, keeping that column as text
        finally:
            records.close()
    data = columns.matrix()
    position = {column: index for index, column in enumerate(columns.numeric)}
    feature_columns = [column for column in range(len(header)) if column not in target_columns]
    inputs = data[:, [position[column] for column in feature_columns]]
    feature_names = tuple(header[column] for column in feature_columns)
    if label is not None:
        del data
        values, target_names, class_names = _label_targets(file, columns.labels,
                                                           header[label], label)
        return Dataset(inputs, values, "classification", feature_names, target_names,
                       class_names, file.stem)
    values = data[:, [position[column] for column in target_columns]]
    del data
    target_names = tuple(header[column] for column in target_columns)
    binary = bool(np.all((values == 0.0) | (values == 1.0)))
    if binary and values.shape[1] == 1:
        return Dataset(inputs, values, "classification", feature_names, target_names,
                       ("0", "1"), file.stem)
    if is_whole_number_labels(values):
        classes, class_targets, class_names = classes_from_values(values, target_names[0])
        return Dataset(inputs, classes, "classification", feature_names, class_targets,
                       class_names, file.stem)
    if binary and bool(np.all(values.sum(axis=1) == 1.0)):
        if values.shape[1] == 2:
            return Dataset(inputs, values[:, 1:].copy(), "classification", feature_names,
                           target_names[1:], target_names, file.stem)
        return Dataset(inputs, values, "classification", feature_names, target_names,
                       target_names, file.stem)
    return Dataset(inputs, values, "regression", feature_names, target_names, (), file.stem)


def _read_header(file: Path, targets: Sequence[str] | None
                 ) -> tuple[int, list[str], list[int]]:
    """The header's line, names and the target columns; DatasetError if unusable."""
    records = _records(file, None)
    try:
        first = next(records, None)
    finally:
        records.close()
    if first is None or _is_blank(first[1]):
        raise DatasetError(f"{file}: the file is empty (a header row is needed)")
    header_line, header = first
    _check_header(file, header_line, header)
    target_columns = _choose_targets(file, header, targets)
    if len(target_columns) == len(header):
        hint = ""
        if len(header) == 1 and any(mark in header[0] for mark in ";\t|"):
            mark = next(mark for mark in ";\t|" if mark in header[0])
            shown = {";": "semicolons (;)", "\t": "tabs", "|": "bars (|)"}[mark]
            hint = (f". The header looks separated by {shown}: Deltascope reads comma-separated "
                    "files (save it as CSV with commas, and decimal points, not commas)")
        raise DatasetError(f"{file}: no feature columns left: every column is a target{hint}")
    return header_line, header, target_columns
