"""Neuron maps: every neuron's activation over the 2-D input plane, as canvas thumbnails and,
for the hovered neuron, large in the data view (TensorFlow Playground's little heat maps).

The maps come from Snapshot.grid.activations (one forward pass of the grid, made in the
worker with the snapshot). Here they are coloured: one lookup-table step per layer turns a
layer's (N, ny, nx) maps into one premultiplied ARGB QImage, the layer's column of outlined
thumbnails at their places (one drawImage per layer), the plane's y axis pointing up as in
the data view.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from PySide6.QtGui import QImage

from engine.core.notation import activation_function, plain_at
from gui.base.colors import signed_rgb

Array = NDArray[np.float64]

UNIT_LEVELS = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0)}
SHADES = 256  # colours of the lookup table; index SHADES is NaN
NAN_ARGB = 0xFF868E96  # a mid grey, as the canvas draws NaN
CORNER_FRACTION = 0.18  # corner radius of a thumbnail, as a fraction of its side
OUTLINE_RGB = np.array([120.0, 126.0, 134.0])  # the canvas's neuron outline


def map_levels(activation: str | None, values: Array) -> tuple[float, float]:
    """Colour levels of a neuron's map: the activation's range when it is bounded (sigmoid
    and softmax [0, 1], tanh [-1, 1]); else symmetric about 0, +-max |finite value|."""
    if activation in UNIT_LEVELS:
        return UNIT_LEVELS[activation]
    magnitude = np.abs(values[np.isfinite(values)])
    extent = float(magnitude.max()) if magnitude.size else 0.0
    extent = extent if extent > 0 else 1.0
    return -extent, extent


def layer_levels(activation: str | None, maps: Array) -> Array:
    """(N, 2) low, high of each neuron's map in a layer (see map_levels)."""
    if activation in UNIT_LEVELS:
        return np.tile(np.array(UNIT_LEVELS[activation]), (maps.shape[0], 1))
    finite = np.where(np.isfinite(maps), np.abs(maps), 0.0)
    extent = finite.reshape(maps.shape[0], -1).max(axis=1, initial=0.0)
    extent = np.where(extent > 0, extent, 1.0)
    return np.column_stack([-extent, extent])


def _lookup_table() -> NDArray[np.uint32]:
    """SHADES opaque ARGB colours of the diverging colormap (low to high), then NaN grey."""
    rgb = signed_rgb(np.linspace(-1.0, 1.0, SHADES), 1.0).astype(np.uint32)
    argb = (0xFF << 24) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
    return np.append(argb, np.uint32(NAN_ARGB)).astype(np.uint32)


LOOKUP = _lookup_table()


def shade_indices(maps: Array, levels: Array) -> NDArray[np.intp]:
    """Index into LOOKUP of every value: its place between its neuron's low and high levels
    (clipped), SHADES for NaN. maps (N, ...), levels (N, 2)."""
    shape = (maps.shape[0],) + (1,) * (maps.ndim - 1)
    low, high = levels[:, 0].reshape(shape), levels[:, 1].reshape(shape)
    scale = (SHADES - 1) / (high - low)
    nan = np.isnan(maps)
    has_nan = bool(nan.any())
    with np.errstate(invalid="ignore"):
        position = ((np.where(nan, low, maps) if has_nan else maps) - low) * scale
    np.clip(position, 0.0, SHADES - 1, out=position)
    index = np.rint(position, out=position).astype(np.intp)
    if has_nan:
        index[nan] = SHADES
    return index


# The bytes of an ARGB32 pixel in memory (a native-endian 32-bit word 0xAARRGGBB).
_CHANNELS = "BGRA" if sys.byteorder == "little" else "ARGB"
_OUTLINE_BYTES = np.array([{"R": OUTLINE_RGB[0], "G": OUTLINE_RGB[1], "B": OUTLINE_RGB[2],
                            "A": 255.0}[channel] for channel in _CHANNELS], dtype=np.float32)


@lru_cache(maxsize=8)
def _frame(side: int) -> tuple[NDArray[np.intp], NDArray[np.float32], NDArray[np.float32],
                               NDArray[np.intp]]:
    """The rounded square's border at this side (device px), antialiased: flat indices of the
    pixels on the border, and for each the factor on its own bytes and the outline bytes to
    add (outline mixed in, premultiplied by the square's coverage); and the flat indices of
    the pixels wholly outside."""
    half = side / 2
    radius = max(CORNER_FRACTION * side, 1.0)
    offset = np.abs(np.arange(side) + 0.5 - half)
    inset = half - 0.5 - radius  # the border runs half a pixel inside the image's edge
    qx, qy = offset[None, :] - inset, offset[:, None] - inset
    # signed distance to the border, negative inside (the rounded box of the usual SDF)
    distance = (np.hypot(np.maximum(qx, 0.0), np.maximum(qy, 0.0))
                + np.minimum(np.maximum(qx, qy), 0.0) - radius).ravel()
    coverage = np.clip(0.5 - distance, 0.0, 1.0)
    outline = np.clip(distance + 1.5, 0.0, 1.0)  # about a pixel of outline, soft inside
    border = np.flatnonzero((coverage > 0) & ((coverage < 1) | (outline > 0)))
    keep = ((1.0 - outline) * coverage)[border, None].astype(np.float32)
    add = ((outline * coverage)[border, None] * _OUTLINE_BYTES).astype(np.float32)
    return border, keep, add, np.flatnonzero(coverage == 0)


def _frame_pixels(pixels: NDArray[np.uint32]) -> None:
    """Give (N, side * side) opaque ARGB thumbnails a rounded, outlined, antialiased border
    and transparent corners, in place (premultiplied alpha)."""
    count, side = pixels.shape[0], math.isqrt(pixels.shape[1])
    border, keep, add, outside = _frame(side)
    edge = np.take(pixels, border, axis=1).view(np.uint8).reshape(count, len(border), 4)
    mixed = np.rint(edge * keep + add).astype(np.uint8)
    pixels[:, border] = mixed.view(np.uint32).reshape(count, len(border))
    pixels[:, outside] = 0


@lru_cache(maxsize=8)
def _sampling(side: int, ny: int, nx: int) -> NDArray[np.intp]:
    """Flat grid index (into ny * nx) of each thumbnail pixel, row by row (nearest
    neighbour), row 0 at the top of the plane (largest y)."""
    centres = (np.arange(side) + 0.5) / side
    rows = (ny - 1) - np.minimum((centres * ny).astype(np.intp), ny - 1)
    columns = np.minimum((centres * nx).astype(np.intp), nx - 1)
    return (rows[:, None] * nx + columns[None, :]).ravel()


def thumbnail_columns(layers: Sequence[Array], activations: Sequence[str | None], side: int,
                      tops: Sequence[NDArray[np.intp]]) -> list[QImage]:
    """One transparent QImage (side wide) per layer holding its thumbnails, neuron i's with
    its top row at tops[m][i] (device px, increasing, at least `side` apart), so that a single
    drawImage puts a whole layer on the canvas.

    layers[m]: the (N, ny, nx) maps of layer m; activations[m] its activation (None for the
    input) for the levels. Each thumbnail: nearest-neighbour samples of the grid, the plane's
    y axis up, coloured by LOOKUP between its levels (layer_levels), in an outlined rounded
    square. All layers are coloured in one NumPy pass (few calls: each one may wait for the
    GIL while the worker trains).
    """
    flat_index = _sampling(side, *layers[0].shape[1:])
    sampled = np.empty((sum(maps.shape[0] for maps in layers), side * side))
    start = 0
    for maps in layers:  # (N, side * side) samples of each layer's maps, stacked
        count = maps.shape[0]
        np.take(maps.reshape(count, -1), flat_index, axis=1, out=sampled[start : start + count])
        start += count
    levels = np.concatenate([layer_levels(activation, maps)
                             for activation, maps in zip(activations, layers, strict=True)])
    pixels = LOOKUP[shade_indices(sampled, levels)]
    _frame_pixels(pixels)
    pixels = pixels.reshape(-1, side, side)
    images, start, offsets = [], 0, np.arange(side)
    for layer_tops in tops:
        column = np.zeros((int(layer_tops[-1]) + side, side), dtype=np.uint32)
        column[layer_tops[:, None] + offsets] = pixels[start : start + len(layer_tops)]
        start += len(layer_tops)
        image = QImage(column.data, side, column.shape[0], 4 * side,
                       QImage.Format.Format_ARGB32_Premultiplied)
        images.append(image.copy())  # owns its pixels: `column` may go
    return images


def neuron_title(layer: int, index: int, activation: str | None, name: str = "") -> str:
    """The hovered neuron's map title: 'a¹₃ = tanh(z¹₃)', or 'a⁰₁ = x2' for an input."""
    symbol = plain_at("a", layer, index)
    if layer == 0 or activation is None:
        return f"{symbol} = {name}" if name else symbol
    return f"{symbol} = {activation_function(activation)}({plain_at('z', layer, index)})"
