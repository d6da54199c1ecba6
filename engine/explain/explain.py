"""Where one weight's or bias's gradient comes from, number by number.

`explain(snapshot, ref)` writes the chain rule of shared/MATH.md with the snapshot's own
numbers: for W^m_ij (m 1-based, i the neuron in layer m, j the one in layer m-1)

    dC/dW^m_ij = scale * sum_s  a^(m-1)_j,s  x  sigma'(z^m_i,s)  x  dC/da^m_i,s

where dC/da^m_i is the loss derivative at output i (m = L) or sum_k W^(m+1)_ki delta^(m+1)_k
(hidden m), and scale is 1/B for a mean reduction, 1 for sum. For a bias the first factor
is 1. Where sigma' and dC/da are not separate elementwise factors (softmax; the stable
combined forms delta^L = a - t of sigmoid + bce and softmax + cross_entropy) the chain has
one combined factor delta^L_i. L1/L2 regularization adds a term to weights only, as the
Trainer does. Symbols are HTML fragments (sub/superscripts) for the inspector.

engine/explain/mistakes.py checks hand-computed values against a Breakdown ("Check my numbers").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from engine.core.activations import get_activation
from engine.core.losses import Loss
from engine.core.network import ParameterRef, parameter_index
from engine.core.notation import (
    activation_function,
    number,
    pretty_formula,
    shown_index,
    sym,
    sym_at,
)
from engine.core.option_names import option_label
from engine.training.snapshot import Snapshot

Array = NDArray[np.float64]
Neuron = tuple[int, int]  # (layer 0..L, index), as the canvas takes it

UPSTREAM, SIGMA_PRIME, LOSS_SLOPE, DELTA = "upstream", "sigma_prime", "dC_da", "delta"
SAMPLE_GRADIENT, GRADIENT = "sample_gradient", "gradient"
FACTOR_NAMES: tuple[str, ...] = (UPSTREAM, SIGMA_PRIME, LOSS_SLOPE, DELTA, SAMPLE_GRADIENT,
                                 GRADIENT)


@dataclass(frozen=True, eq=False)
class Factor:
    """One number of the breakdown: `value` at the shown sample (the batch value for the
    gradient), `values` per sample of the batch. `in_product`: one of the chain's factors."""

    name: str
    symbol: str
    value: float
    values: Array
    formula: str
    neurons: tuple[Neuron, ...]
    edges: tuple[ParameterRef, ...]
    in_product: bool = False


@dataclass(frozen=True)
class SumTerm:
    """Term k of dC/da^m_i = sum_k W^(m+1)_ki delta^(m+1)_k at the shown sample."""

    index: int
    weight: float
    delta: float
    product: float
    neurons: tuple[Neuron, ...]
    edges: tuple[ParameterRef, ...]


@dataclass(frozen=True)
class SampleRow:
    """One sample's contribution (before scaling); sigma_prime and dC_da are None where the
    chain has a combined delta."""

    position: int
    row: int
    upstream: float
    sigma_prime: float | None
    dC_da: float | None
    delta: float
    product: float


@dataclass(frozen=True, eq=False)
class Breakdown:
    """The chain rule for one parameter at one snapshot (see the module docstring).

    factors: every number by name (FACTOR_NAMES present for this parameter); `chain` the
    ones multiplied per sample. rows: per-sample contributions; data_gradient = scale x
    their sum; total_gradient adds regularization_term; engine_gradient is the snapshot's
    data gradient and difference = data_gradient - engine_gradient.
    """

    ref: ParameterRef
    symbol: str
    depth: int
    activation: str
    loss: str
    reduction: str
    batch_size: int
    scale: float
    sample: int
    combined_note: str
    factors: dict[str, Factor]
    terms: tuple[SumTerm, ...]
    rows: tuple[SampleRow, ...]
    data_gradient: float
    regularization: str
    regularization_rate: float
    regularization_term: float
    total_gradient: float
    engine_gradient: float
    value: float
    learning_rate: float
    update: float
    previous_value: float | None
    snapshot: Snapshot = field(repr=False)

    @property
    def chain(self) -> tuple[Factor, ...]:
        """The factors whose product is this sample's contribution to the gradient."""
        return tuple(factor for factor in self.factors.values() if factor.in_product)

    @property
    def difference(self) -> float:
        return self.data_gradient - self.engine_gradient

    @property
    def is_output(self) -> bool:
        return self.ref.layer == self.depth


# -- the breakdown ------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerArrays:
    """Layer m's per-sample arrays over the batch, and its activation's functions."""

    upstream_all: Array  # a^(m-1), (B, N^(m-1))
    z_all: Array  # z^m, (B, N^m)
    a_all: Array  # a^m
    deltas_all: Array  # delta^m
    derivative: Callable[[Array, Array], Array]
    function: Callable[[Array], Array]
    elementwise: bool


def explain(snapshot: Snapshot, ref: ParameterRef, sample: int = 0,
            regularization: str = "none", regularization_rate: float = 0.0) -> Breakdown:
    """The chain rule for `ref` on the snapshot's pending batch; `sample` is the position in
    the batch whose factors are shown. ConfigError if `ref` is not in this network."""
    flat = parameter_index(snapshot.sizes, ref)
    m, i, depth = ref.layer, ref.row, len(snapshot.layers)
    batch = snapshot.batch_inputs.shape[0]
    sample = min(max(sample, 0), batch - 1)
    layer = layer_arrays(snapshot, m)
    z, a = layer.z_all[:, i], layer.a_all[:, i]
    loss = Loss(snapshot.loss, get_activation(snapshot.activation_names[-1]))
    split = layer.elementwise and not (m == depth and _combined_output(loss))
    factors: dict[str, Factor] = {}
    upstream = _upstream_factor(ref, layer, sample)
    factors[UPSTREAM] = upstream
    terms: tuple[SumTerm, ...] = ()
    if split:
        sigma_prime = layer.derivative(layer.z_all, layer.a_all)[:, i]
        if m == depth:
            slope = loss.grad_a(layer.a_all, snapshot.batch_targets)[:, i]
            slope_formula, slope_neurons, slope_edges = _loss_formula(loss, snapshot, i, sample)
        else:
            following = snapshot.layers[m]
            slope = following.deltas @ following.weights[:, i]
            terms = _sum_terms(snapshot, m, i, sample)
            over = f"k = {shown_index(0)}" if len(terms) == 1 else f"the {len(terms)} neurons k"
            slope_formula = (f"{sym('&Sigma;', '', 'k')} {sym_at('W', m + 1, 'k', i)} "
                             f"{sym_at('&delta;', m + 1, 'k')} over {over} of layer {m + 1}")
            slope_neurons = tuple(term.neurons[0] for term in terms)
            slope_edges = tuple(term.edges[0] for term in terms)
        factors[SIGMA_PRIME] = Factor(
            SIGMA_PRIME, f"&sigma;&prime;({sym_at('z', m, i)})", float(sigma_prime[sample]),
            sigma_prime, _sigma_formula(snapshot.activation_names[m - 1], z[sample], a[sample]),
            ((m, i),), (), True)
        factors[LOSS_SLOPE] = Factor(LOSS_SLOPE, f"&part;C/&part;{sym_at('a', m, i)}",
                                     float(slope[sample]), slope, slope_formula, slope_neurons,
                                     slope_edges, True)
        delta = sigma_prime * slope
        delta_formula = (f"&sigma;&prime;({sym_at('z', m, i)}) &times; "
                         f"&part;C/&part;{sym_at('a', m, i)}")
        note = ""
    else:
        delta = loss.output_delta(layer.z_all, layer.a_all, snapshot.batch_targets)[:, i]
        note = _combined_note(loss, snapshot.sizes[-1])
        delta_formula = note
    factors[DELTA] = Factor(DELTA, sym_at("&delta;", m, i), float(delta[sample]), delta,
                            delta_formula, ((m, i),), (), not split)
    products = upstream.values * delta
    whole = (tuple(sorted({*upstream.neurons, (m, i)})), (ref,) if ref.kind == "weight" else ())
    factors[SAMPLE_GRADIENT] = Factor(
        SAMPLE_GRADIENT, f"{upstream.symbol} &times; {sym_at('&delta;', m, i)}",
        float(products[sample]), products, "this sample's contribution (before scaling)", *whole)
    data_gradient = snapshot.scale * float(np.sum(products))
    value = float(snapshot.params[flat])
    term = _regularization_term(ref, value, regularization, regularization_rate)
    total = data_gradient + term
    factors[GRADIENT] = Factor(GRADIENT, f"&part;C/&part;{parameter_symbol(ref)}", total,
                               np.array([total]), _combination_text(snapshot, batch), *whole)
    rows = _sample_rows(snapshot, factors, split)
    previous = None if snapshot.previous_params is None else float(snapshot.previous_params[flat])
    return Breakdown(
        ref=ref, symbol=parameter_symbol(ref), depth=depth,
        activation=snapshot.activation_names[m - 1], loss=snapshot.loss,
        reduction=snapshot.reduction, batch_size=batch, scale=snapshot.scale, sample=sample,
        combined_note=note, factors=factors, terms=terms, rows=rows,
        data_gradient=data_gradient, regularization=regularization,
        regularization_rate=regularization_rate, regularization_term=term, total_gradient=total,
        engine_gradient=float(snapshot.gradient[flat]), value=value,
        learning_rate=snapshot.learning_rate, update=float(snapshot.update[flat]),
        previous_value=previous, snapshot=snapshot,
    )


def layer_arrays(snapshot: Snapshot, m: int) -> LayerArrays:
    """Layer m's (1-based) arrays over the snapshot's batch."""
    state = snapshot.layers[m - 1]
    upstream = snapshot.batch_inputs if m == 1 else snapshot.layers[m - 2].activations
    activation = get_activation(state.activation)
    return LayerArrays(upstream, state.pre_activations, state.activations, state.deltas,
                       activation.derivative, activation.function, activation.elementwise)


def _combined_output(loss: Loss) -> bool:
    """Output pairs whose delta^L the engine computes in one stable step (no separate sigma')."""
    return (loss.name, loss.output_activation.name) in {("bce", "sigmoid"),
                                                        ("cross_entropy", "sigmoid")}


def parameter_symbol(ref: ParameterRef) -> str:
    """W^m_i,j or b^m_i as HTML, 1-based as engine/core/notation.py writes it."""
    if ref.kind == "weight":
        return sym_at("W", ref.layer, ref.row, ref.column)
    return sym_at("b", ref.layer, ref.row)


def _upstream_factor(ref: ParameterRef, layer: LayerArrays, sample: int) -> Factor:
    m, i = ref.layer, ref.row
    if ref.kind == "bias":
        ones = np.ones(layer.z_all.shape[0])
        return Factor(UPSTREAM, f"&part;{sym_at('z', m, i)}/&part;{sym_at('b', m, i)}", 1.0, ones,
                      f"{sym_at('z', m, i)} = &hellip; + {sym_at('b', m, i)}, so the factor is 1",
                      ((m, i),), (), True)
    j = ref.column
    values = layer.upstream_all[:, j]
    where = "input feature" if m == 1 else f"output of neuron {shown_index(j)} of layer {m - 1}"
    return Factor(UPSTREAM, sym_at("a", m - 1, j), float(values[sample]), values,
                  f"{where} (&part;{sym_at('z', m, i)}/&part;{sym_at('W', m, i, j)})",
                  ((m - 1, j),), (ref,), True)


def _sigma_formula(activation: str, z: float, a: float) -> str:
    derivative = pretty_formula(get_activation(activation).derivative_formula, as_html=True)
    return (f"{activation_function(activation)}&prime;: {derivative}, at z = {number(z, 4)} "
            f"(a = {number(a, 4)})")


def _loss_formula(loss: Loss, snapshot: Snapshot, i: int,
                  sample: int) -> tuple[str, tuple[Neuron, ...], tuple[ParameterRef, ...]]:
    a = float(snapshot.layers[-1].activations[sample, i])
    t = float(snapshot.batch_targets[sample, i])
    forms = {"sse": "2 (a &minus; t)", "half_sse": "a &minus; t",
             "mse": f"2 (a &minus; t) / {sym('N', 'L')}",
             "bce": "(a &minus; t) / (a (1 &minus; a))", "cross_entropy": "&minus;t / a"}
    text = (f"{option_label('loss', loss.name)}: {forms[loss.name]}, a = {number(a, 4)}, "
            f"t = {number(t, 4)}")
    return text, ((len(snapshot.layers), i),), ()


def _combined_note(loss: Loss, outputs: int) -> str:
    pair = (loss.name, loss.output_activation.name)
    if pair == ("bce", "sigmoid"):
        return ("&delta; = a &minus; t: &sigma;&prime;(z) = a (1 &minus; a) cancels the "
                "denominator of &part;C/&part;a = (a &minus; t) / (a (1 &minus; a))")
    if pair == ("cross_entropy", "sigmoid"):
        return ("&delta; = &minus;t (1 &minus; a): &part;C/&part;a = &minus;t / a times "
                "&sigma;&prime;(z) = a (1 &minus; a)")
    if outputs == 1:
        return "a one-output softmax is the constant 1: &delta; = 0"
    if pair == ("cross_entropy", "softmax"):
        return ("&delta; = a &minus; t: softmax's Jacobian is not diagonal, so &sigma;&prime; "
                "and &part;C/&part;a are not separate factors; "
                "&Sigma;<sub>k</sub> &part;a<sub>k</sub>/&part;z<sub>i</sub> "
                "&part;C/&part;a<sub>k</sub> is a<sub>i</sub> &minus; t<sub>i</sub>")
    return ("&delta;<sub>i</sub> = &Sigma;<sub>k</sub> &part;a<sub>k</sub>/&part;z<sub>i</sub> "
            "&part;C/&part;a<sub>k</sub> = a<sub>i</sub> (&part;C/&part;a<sub>i</sub> &minus; "
            "&Sigma;<sub>k</sub> a<sub>k</sub> &part;C/&part;a<sub>k</sub>): softmax's "
            "Jacobian is not diagonal, so the factors do not separate")


def _sum_terms(snapshot: Snapshot, m: int, i: int, sample: int) -> tuple[SumTerm, ...]:
    following = snapshot.layers[m]
    terms = []
    for k in range(following.weights.shape[0]):
        weight, delta = float(following.weights[k, i]), float(following.deltas[sample, k])
        terms.append(SumTerm(k, weight, delta, weight * delta, ((m + 1, k),),
                             (ParameterRef(m + 1, "weight", k, i),)))
    return tuple(terms)


def _regularization_term(ref: ParameterRef, value: float, kind: str, rate: float) -> float:
    """What the Trainer adds to the data gradient: rate w (l2), rate sign(w) (l1); weights only."""
    if ref.kind != "weight" or kind == "none" or rate == 0.0:
        return 0.0
    return rate * (value if kind == "l2" else float(np.sign(value)))


def _combination_text(snapshot: Snapshot, batch: int) -> str:
    if snapshot.reduction == "mean":
        return f"mean over the batch: (1/{batch}) &times; the sum of the {batch} contributions"
    return f"sum over the batch of the {batch} contributions"


def _sample_rows(snapshot: Snapshot, factors: dict[str, Factor],
                 split: bool) -> tuple[SampleRow, ...]:
    upstream, delta = factors[UPSTREAM].values, factors[DELTA].values
    products = factors[SAMPLE_GRADIENT].values
    sigma = factors[SIGMA_PRIME].values if split else None
    slope = factors[LOSS_SLOPE].values if split else None
    return tuple(
        SampleRow(s, int(snapshot.batch_rows[s]), float(upstream[s]),
                  None if sigma is None else float(sigma[s]),
                  None if slope is None else float(slope[s]), float(delta[s]),
                  float(products[s]))
        for s in range(len(products))
    )
