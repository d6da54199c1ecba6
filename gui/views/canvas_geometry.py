"""Pure layout and binning math for the network canvas (NumPy only, no Qt).

Coordinates are widget pixels, x to the right, y down. Neurons sit in one column per layer
(m = 0..L); edges are numbered layer by layer, and inside layer m in the row-major order of
W^m (row i = target neuron, column j = source neuron), so `values[edge_index(m, i, j)]`
lines up with `W^m.ravel()`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from engine.core import notation
from engine.core.network import ParameterRef

Array = NDArray[np.float64]

HEADER_HEIGHT = 58.0
LEGEND_HEIGHT = 60.0
MAX_SPACING = 96.0
MAX_RADIUS = 26.0
MIN_RADIUS = 2.5
MIN_EDGE_WIDTH = 0.5
MAX_EDGE_WIDTH = 8.0
COLOR_LEVELS = 8  # per sign; colour bin -8..8, 0 only for an exact zero
NAN_LEVEL = COLOR_LEVELS + 1  # colour bin of a NaN edge: the grey after the signed palette
_COLOR_KEYS = 2 * COLOR_LEVELS + 2  # colour bins per width bin: -8..8 and NAN_LEVEL
WIDTH_BINS = 8
EDGE_BUDGET = 1600  # most edges drawn per frame; beyond it only each layer's strongest
HIT_TOLERANCE = 4.0
MIN_MAP_RADIUS = 8.0  # smaller neurons are drawn as circles: a thumbnail would be unreadable


@dataclass(frozen=True)
class CanvasLayout:
    """Where everything is for one architecture at one widget size.

    neuron_x[m], neuron_y[m]: centres of layer m's neurons, shape (N^m,).
    edge_lines: (E, 4) x0, y0, x1, y1 from source centre to target centre.
    edge_layer / edge_row / edge_column: (E,) the weight W^layer[row, column] of each edge.
    weight_index: (E,) position of each edge's weight in the flat parameter vector.
    bias_index[m]: (N^m,) positions of b^m in the flat vector (empty for m = 0).
    layer_offsets: (L + 1,) first edge of each layer 1..L, then E.
    radii / spacings: (L + 1,) each column's neuron radius and neuron spacing: a column is
    sized by its own room, so a wide hidden layer may be dots while 2 inputs stay large.
    radius / spacing: the smallest of them (what every column has at least).
    """

    sizes: tuple[int, ...]
    width: float
    height: float
    column_x: Array
    neuron_x: tuple[Array, ...]
    neuron_y: tuple[Array, ...]
    edge_lines: Array
    edge_layer: NDArray[np.intp]
    edge_row: NDArray[np.intp]
    edge_column: NDArray[np.intp]
    weight_index: NDArray[np.intp]
    bias_index: tuple[NDArray[np.intp], ...]
    layer_offsets: NDArray[np.intp]
    radii: Array
    spacings: Array

    @property
    def radius(self) -> float:
        return float(self.radii.min())

    @property
    def spacing(self) -> float:
        return float(self.spacings.min())

    @property
    def edge_count(self) -> int:
        return int(self.edge_lines.shape[0])

    @property
    def bias_size(self) -> float:
        """Side of the square drawn on the smallest neurons' left for their bias."""
        return self.bias_size_of(int(np.argmin(self.radii)))

    @property
    def map_side(self) -> int:
        """Side of the smallest neurons' map thumbnails (map_side_of)."""
        return self.map_side_of(int(np.argmin(self.radii)))

    def radius_of(self, layer: int) -> float:
        return float(self.radii[layer])

    def spacing_of(self, layer: int) -> float:
        return float(self.spacings[layer])

    def bias_size_of(self, layer: int) -> float:
        """Side of the square drawn on a layer's neurons' left for their bias."""
        return float(np.clip(self.radii[layer] * 0.55, 4.0, 12.0))

    def map_side_of(self, layer: int) -> int:
        """Side (whole px, even, so the square is centred on the whole-pixel centre) of a
        layer's neuron map thumbnails: the square around its circles."""
        return 2 * max(1, round(float(self.radii[layer])))

    @property
    def max_edge_width(self) -> float:
        """Thickest edge: 8 px, less when neurons are packed so edges stay apart."""
        return float(np.clip(self.spacing * 0.2, 1.2, MAX_EDGE_WIDTH))

    def edge_index(self, layer: int, row: int, column: int) -> int:
        """Edge number of W^layer[row, column] (layer 1-based)."""
        return int(self.layer_offsets[layer - 1]) + row * self.sizes[layer - 1] + column


def compute_layout(sizes: tuple[int, ...], width: float, height: float) -> CanvasLayout:
    """Columns spread over the width, neurons centred vertically; each column's spacing and
    radius from its own room (its neuron count), so a wide layer does not shrink the others."""
    side = float(np.clip(width * 0.07, 30.0, 84.0))
    top, bottom = HEADER_HEIGHT, max(height - LEGEND_HEIGHT, HEADER_HEIGHT + 20.0)
    column_x = np.linspace(side, max(width - side, side + 1.0), len(sizes))
    column_gap = float(column_x[1] - column_x[0])
    spacings = np.minimum((bottom - top) / np.asarray(sizes, dtype=np.float64), MAX_SPACING)
    radii = np.clip(np.minimum(spacings * 0.36, column_gap * 0.16), MIN_RADIUS, MAX_RADIUS)
    middle = 0.5 * (top + bottom)
    # whole-pixel centres, so pre-rendered neuron sprites land exactly on them
    column_x = np.round(column_x)
    neuron_x = tuple(np.full(n, column_x[m]) for m, n in enumerate(sizes))
    neuron_y = tuple(np.round(middle + (np.arange(n) - 0.5 * (n - 1)) * spacings[m])
                     for m, n in enumerate(sizes))
    return layout_from_positions(sizes, width, height, radii, spacings, column_x, neuron_x,
                                 neuron_y)


def layout_from_positions(
    sizes: tuple[int, ...], width: float, height: float, radius: float | Array,
    spacing: float | Array, column_x: Array, neuron_x: tuple[Array, ...],
    neuron_y: tuple[Array, ...],
) -> CanvasLayout:
    """The layout with neurons at these centres: edges from source to target centre.
    `radius`, `spacing`: one for every column, or one per column."""
    radii = np.broadcast_to(np.asarray(radius, dtype=np.float64), (len(sizes),)).copy()
    spacings = np.broadcast_to(np.asarray(spacing, dtype=np.float64), (len(sizes),)).copy()
    lines, layers, rows, columns, flat, biases = [], [], [], [], [], [np.empty(0, np.intp)]
    offset = 0
    for m in range(1, len(sizes)):
        n_in, n_out = sizes[m - 1], sizes[m]
        row, column = np.divmod(np.arange(n_out * n_in), n_in)
        lines.append(np.column_stack([
            neuron_x[m - 1][column], neuron_y[m - 1][column], neuron_x[m][row], neuron_y[m][row],
        ]))
        layers.append(np.full(row.size, m))
        rows.append(row)
        columns.append(column)
        flat.append(offset + np.arange(n_out * n_in))
        biases.append(offset + n_out * n_in + np.arange(n_out))
        offset += n_out * (n_in + 1)
    counts = [n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]
    return CanvasLayout(
        sizes=tuple(sizes), width=float(width), height=float(height),
        column_x=column_x,
        neuron_x=neuron_x, neuron_y=neuron_y,
        edge_lines=np.ascontiguousarray(np.vstack(lines)),
        edge_layer=np.concatenate(layers), edge_row=np.concatenate(rows),
        edge_column=np.concatenate(columns), weight_index=np.concatenate(flat),
        bias_index=tuple(biases), layer_offsets=np.concatenate([[0], np.cumsum(counts)]),
        radii=radii, spacings=spacings,
    )


@dataclass(frozen=True)
class EdgeBins:
    """Per-edge style for one frame, and the drawn edges sorted into (width, colour) bins.

    color_level: (E,) -8..8 (sign and strength), NAN_LEVEL for NaN; width: (E,) px;
    drawn: (E,) bool. max_abs: the largest finite |value| (the legend's scale).
    order: edge numbers of the drawn edges, thinnest bins first; bins: (start, stop,
    width_bin, color_level) slices of `order` sharing one pen.
    """

    max_abs: float
    color_level: NDArray[np.intp]
    width: Array
    drawn: NDArray[np.bool_]
    order: NDArray[np.intp]
    bins: tuple[tuple[int, int, int, int], ...]


def finite_max_abs(values: Array) -> float:
    """The largest |value| among the finite values (0.0 when there are none)."""
    magnitude = np.abs(np.asarray(values, dtype=np.float64))
    if magnitude.size and np.isfinite(magnitude).all():
        return float(magnitude.max())
    finite = magnitude[np.isfinite(magnitude)]
    return float(finite.max()) if finite.size else 0.0


def bin_edges(layout: CanvasLayout, values: Array, budget: int = EDGE_BUDGET,
              visible: NDArray[np.bool_] | None = None) -> EdgeBins:
    """Colour level and width (linear in |value| / max |value|) of every edge, binned.

    max |value| is taken over the finite values; +-Inf get the extreme colour and width,
    NaN the NAN_LEVEL grey and the thinnest width. Past `budget` edges, each layer keeps only
    its strongest edges, in proportion to its size (NaN counts as the weakest).
    `visible`: edges that may be drawn at all (None: every edge); the others are never drawn
    and count for neither the scale nor the budget (image inputs draw layer 1 as images).
    """
    values = np.asarray(values, dtype=np.float64)
    if visible is not None and not visible.all():
        return _visible_bins(layout, values, budget, visible)
    magnitude = np.abs(values)
    finite = np.isfinite(values)
    if finite.all():
        max_abs = float(magnitude.max()) if magnitude.size else 0.0
        fraction = magnitude / max_abs if max_abs > 0 else np.zeros_like(magnitude)
        color_level = (np.sign(values) * np.ceil(fraction * COLOR_LEVELS)).astype(np.intp)
    else:
        max_abs = finite_max_abs(values)
        nan = np.isnan(values)
        fraction = np.where(finite, magnitude, 0.0) / (max_abs if max_abs > 0 else 1.0)
        fraction[np.isinf(values)] = 1.0
        signs = np.sign(np.where(nan, 0.0, values))
        color_level = (signs * np.ceil(fraction * COLOR_LEVELS)).astype(np.intp)
        color_level[nan] = NAN_LEVEL
        magnitude = np.where(nan, -1.0, magnitude)  # NaN edges are the first left out
    width_bin = np.minimum((fraction * WIDTH_BINS).astype(np.intp), WIDTH_BINS - 1)
    widest = layout.max_edge_width
    width = MIN_EDGE_WIDTH + (widest - MIN_EDGE_WIDTH) * width_bin / (WIDTH_BINS - 1)
    total = values.size
    drawn = np.ones(total, dtype=bool)
    if total > budget:
        drawn[:] = False
        offsets = layout.layer_offsets
        for start, stop in zip(offsets[:-1], offsets[1:], strict=True):
            count = int(stop - start)
            keep = min(count, max(48, round(budget * count / total)))
            strongest = np.argpartition(magnitude[start:stop], count - keep)[count - keep:]
            drawn[start + strongest] = True
    candidates = np.flatnonzero(drawn)
    key = width_bin[candidates] * _COLOR_KEYS + color_level[candidates] + COLOR_LEVELS
    sort = np.argsort(key, kind="stable")
    order, key = candidates[sort], key[sort]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(key)) + 1]).astype(np.intp)
    stops = np.concatenate([starts[1:], [key.size]]).astype(np.intp)
    bins = tuple(
        (int(a), int(b), int(key[a] // _COLOR_KEYS), int(key[a] % _COLOR_KEYS - COLOR_LEVELS))
        for a, b in zip(starts, stops, strict=True) if b > a
    )
    return EdgeBins(max_abs, color_level, width, drawn, order, bins)


def _visible_bins(layout: CanvasLayout, values: Array, budget: int,
                  visible: NDArray[np.bool_]) -> EdgeBins:
    """bin_edges over the visible edges alone (the rest: never drawn, thinnest, level 0)."""
    index = np.flatnonzero(visible)
    offsets = np.searchsorted(index, layout.layer_offsets).astype(np.intp)
    part = bin_edges(replace(layout, layer_offsets=offsets), values[index], budget)
    color_level = np.zeros(values.size, dtype=np.intp)
    color_level[index] = part.color_level
    width = np.full(values.size, MIN_EDGE_WIDTH)
    width[index] = part.width
    drawn = np.zeros(values.size, dtype=bool)
    drawn[index] = part.drawn
    return EdgeBins(part.max_abs, color_level, width, drawn, index[part.order], part.bins)


def neuron_at(layout: CanvasLayout, x: float, y: float) -> tuple[int, int] | None:
    """(layer, index) of the neuron (or its bias square) under the point, if any."""
    for m, (xs, ys) in enumerate(zip(layout.neuron_x, layout.neuron_y, strict=True)):
        radius = layout.radius_of(m)
        reach = max(radius + 2.0, min(6.0, 0.5 * layout.spacing_of(m)))
        half = 0.5 * layout.bias_size_of(m) + 1.0
        if abs(x - xs[0]) > reach + radius + half:
            continue
        distance = np.hypot(xs - x, ys - y)
        index = int(np.argmin(distance))
        if distance[index] <= reach:
            return m, index
        if m > 0:
            in_square = (np.abs(xs - radius - x) <= half) & (np.abs(ys - y) <= half)
            if in_square.any():
                return m, int(np.flatnonzero(in_square)[0])
    return None


def edge_scores(layout: CanvasLayout, x: float, y: float, widths: Array) -> Array:
    """Distance from the point to each edge minus its half width (smaller = more on top)."""
    x0, y0, x1, y1 = layout.edge_lines.T
    dx, dy = x1 - x0, y1 - y0
    length2 = np.maximum(dx * dx + dy * dy, 1e-12)
    t = np.clip(((x - x0) * dx + (y - y0) * dy) / length2, 0.0, 1.0)
    return np.hypot(x0 + t * dx - x, y0 + t * dy - y) - 0.5 * widths


def edge_at(layout: CanvasLayout, x: float, y: float, widths: Array) -> int | None:
    """Number of the edge nearest the point within HIT_TOLERANCE px, if any."""
    if layout.edge_count == 0:
        return None
    scores = edge_scores(layout, x, y, widths)
    best = int(np.argmin(scores))
    return best if scores[best] <= HIT_TOLERANCE else None


def click_point(layout: CanvasLayout, edge: int, widths: Array) -> tuple[float, float]:
    """A whole-pixel point on the edge, near its middle, where a click selects only this edge.

    Edges of a full layer cross at their midpoints, so the point slides along the edge until
    the nearest other edge is at least a pixel further away (or the best place found).
    """
    x0, y0, x1, y1 = layout.edge_lines[edge]
    best, best_margin = (round(0.5 * (x0 + x1)), round(0.5 * (y0 + y1))), -np.inf
    for step in range(31):
        t = 0.5 + (step + 1) // 2 * 0.02 * (1 if step % 2 else -1)
        x, y = round(x0 + t * (x1 - x0)), round(y0 + t * (y1 - y0))
        if neuron_at(layout, x, y) is not None:
            continue
        scores = edge_scores(layout, x, y, widths)
        own = scores[edge]
        scores[edge] = np.inf
        margin = float(scores.min() - own) if scores.size > 1 else np.inf
        if own <= HIT_TOLERANCE and margin > best_margin:
            best, best_margin = (x, y), margin
            if margin >= 1.0:
                break
    return float(best[0]), float(best[1])


def edge_ref(layout: CanvasLayout, edge: int) -> ParameterRef:
    """The weight an edge stands for."""
    return ParameterRef(int(layout.edge_layer[edge]), "weight",
                        int(layout.edge_row[edge]), int(layout.edge_column[edge]))


def nonfinite_text(value: float, signed: bool = False) -> str | None:
    """'NaN', 'Inf' (or '+Inf' when `signed`) or '-Inf'; None for a finite value."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "-Inf" if value < 0 else "+Inf" if signed else "Inf"
    return None


def format_number(value: float, spec: str) -> str:
    """format(value, spec), with NaN and Inf written as 'NaN', 'Inf' ('+Inf' for a '+' spec)."""
    text = nonfinite_text(float(value), spec.startswith("+"))
    return format(value, spec) if text is None else text


def format_value(value: float) -> str:
    """Four decimals, or scientific notation for very small or large magnitudes; NaN, Inf."""
    text = nonfinite_text(float(value))
    if text is not None:
        return text
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4f}"
    return f"{value:.3e}"


def neuron_name(sizes: tuple[int, ...], layer: int, index: int) -> str:
    """x₁ for inputs, h¹₁ for hidden neurons, y₁ for outputs (engine/core/notation.py; `index`
    0-based)."""
    return notation.neuron_name(len(sizes) - 1, layer, index)
