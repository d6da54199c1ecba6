"""Image inputs: a dataset whose input columns are the pixels of one small image per sample.

An image shape is (rows, columns) with rows * columns equal to the number of input columns;
pixel j of the input vector is at row j // columns, column j % columns (row-major, the order
NumPy's reshape uses). It comes from:

- a built-in dataset that declares it (`digits` is 8 x 8);
- `--image-shape 8x8` (the `train` command) or the image-shape field of the window's
  Open Dataset flow, for a CSV;
- a CSV whose input columns are all named `px_<row>_<column>` (0-based, e.g. `px_0_0` ..
  `px_7_7`), every pixel of a full rectangle exactly once, in row-major order.

Sessions and weight files store it as `"image_shape": [rows, columns]`; a file without the
field has no image shape.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from engine.core.errors import ConfigError
from engine.data.dataset import Dataset

ImageShape = tuple[int, int]

MAX_IMAGE_SIDE = 512
_PIXEL_NAME = re.compile(r"^px_(\d+)_(\d+)$")


def pixel_name(row: int, column: int) -> str:
    """The column name of a pixel, e.g. `px_0_3` (row 0, column 3)."""
    return f"px_{row}_{column}"


def pixel_names(shape: ImageShape) -> tuple[str, ...]:
    """Every pixel's column name in row-major order."""
    rows, columns = shape
    return tuple(pixel_name(r, c) for r in range(rows) for c in range(columns))


def parse_image_shape(text: str) -> ImageShape:
    """`8x8` (or `8,8`, `28X28`) as (rows, columns); ConfigError saying what is wrong."""
    parts = re.split(r"\s*[xX,×]\s*", text.strip())
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise ConfigError(f"image shape {text!r} is not ROWSxCOLUMNS, e.g. 8x8")
    return check_image_shape((int(parts[0]), int(parts[1])))


def check_image_shape(shape: Sequence[object], inputs: int | None = None,
                      where: str = "image shape") -> ImageShape:
    """`shape` as (rows, columns) of whole numbers 1..MAX_IMAGE_SIDE whose product is `inputs`
    (when given); ConfigError naming `where` otherwise."""
    if len(shape) != 2 or not all(isinstance(side, int) and not isinstance(side, bool)
                                  for side in shape):
        raise ConfigError(f"{where}: expected two whole numbers [rows, columns], got "
                          f"{list(shape)!r}")
    rows, columns = int(shape[0]), int(shape[1])  # type: ignore[call-overload]
    for side in (rows, columns):
        if not 1 <= side <= MAX_IMAGE_SIDE:
            raise ConfigError(f"{where}: sides must be 1..{MAX_IMAGE_SIDE}, got {rows}x{columns}")
    if inputs is not None and rows * columns != inputs:
        raise ConfigError(f"{where}: {rows}x{columns} = {rows * columns} pixels, but there are "
                          f"{inputs} input column{'s' * (inputs != 1)}")
    return rows, columns


def shape_from_pixel_names(names: Sequence[str]) -> ImageShape | None:
    """The image shape when every name is `px_<row>_<column>` and together they are a full
    rectangle in row-major order; None when no name is a pixel name.

    ConfigError when some are pixel names but they do not make a full row-major rectangle.
    """
    matches = [_PIXEL_NAME.match(name) for name in names]
    if not any(matches):
        return None
    for name, match in zip(names, matches, strict=True):
        if match is None:
            raise ConfigError(f"input column {name!r} is not a pixel name px_<row>_<column> "
                              "while others are (name every input column as a pixel, or none)")
    positions = [(int(m.group(1)), int(m.group(2))) for m in matches if m is not None]
    rows = max(r for r, _ in positions) + 1
    columns = max(c for _, c in positions) + 1
    shape = check_image_shape((rows, columns), len(names), "pixel columns")
    expected = pixel_names(shape)
    for index, (name, want) in enumerate(zip(names, expected, strict=True)):
        if _canonical(name) != want:
            raise ConfigError(f"pixel columns: column {index + 1} is {name!r}, expected {want!r} "
                              "(every pixel once, row by row)")
    return shape


def _canonical(name: str) -> str:
    match = _PIXEL_NAME.match(name)
    return name if match is None else pixel_name(int(match.group(1)), int(match.group(2)))


def format_image_shape(shape: ImageShape | None) -> str:
    """`8x8`, or '' for none."""
    return "" if shape is None else f"{shape[0]}x{shape[1]}"


def with_image_shape(dataset: Dataset, text: str | None, where: str) -> Dataset:
    """`dataset` with the image shape `text` gives (e.g. "8x8"), or the one its pixel column
    names give, or none; ConfigError naming `where` (or the columns) when it does not fit."""
    if text is not None:
        try:
            shape = check_image_shape(parse_image_shape(text), dataset.inputs.shape[1])
        except ConfigError as error:
            raise ConfigError(f"{where}: {error}") from None
    else:
        shape = shape_from_pixel_names(dataset.feature_names)
    return dataset if shape == dataset.image_shape else dataclasses.replace(
        dataset, image_shape=shape)
