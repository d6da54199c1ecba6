"""Where one weight's or bias's gradient comes from, number by number, and a checker for
numbers a person computed by hand.

`explain(snapshot, ref)` writes the chain rule of shared/MATH.md with the snapshot's own
numbers: for W^m_ij (m 1-based, i the neuron in layer m, j the one in layer m-1)

    dC/dW^m_ij = scale * sum_s  a^(m-1)_j,s  x  sigma'(z^m_i,s)  x  dC/da^m_i,s

where dC/da^m_i is the loss derivative at output i (m = L) or sum_k W^(m+1)_ki delta^(m+1)_k
(hidden m), and scale is 1/B for a mean reduction, 1 for sum. For a bias the first factor
is 1. Where sigma' and dC/da are not separate elementwise factors (softmax; the stable
combined forms delta^L = a - t of sigmoid + bce and softmax + cross_entropy) the chain has
one combined factor delta^L_i. L1/L2 regularization adds a term to weights only, as the
Trainer does. Symbols are HTML fragments (sub/superscripts) for the inspector.

`diagnose(breakdown, factor_name, typed)` compares a typed value with one factor, and when
it is wrong, with the values the mistakes of shared/MATH.md would give on the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from engine.activations import get_activation
from engine.errors import DeltascopeError
from engine.losses import Loss
from engine.network import Network, ParameterRef
from engine.snapshot import Snapshot

Array = NDArray[np.float64]
Neuron = tuple[int, int]  # (layer 0..L, index), as the canvas takes it

UPSTREAM, SIGMA_PRIME, LOSS_SLOPE, DELTA = "upstream", "sigma_prime", "dC_da", "delta"
SAMPLE_GRADIENT, GRADIENT = "sample_gradient", "gradient"
FACTOR_NAMES: tuple[str, ...] = (UPSTREAM, SIGMA_PRIME, LOSS_SLOPE, DELTA, SAMPLE_GRADIENT,
                                 GRADIENT)
# A typed value is never judged finer than this, relative (hand work rounds its steps).
HAND_PRECISION = 2e-3


class TypedValueError(DeltascopeError, ValueError):
    """A typed value that is not a number, or a factor this breakdown does not have."""


def sym(base: str, sup: object = "", sub: object = "") -> str:
    """`base` with an optional superscript and subscript, as HTML."""
    text = base
    if sup != "":
        text += f"<sup>{sup}</sup>"
    if sub != "":
        text += f"<sub>{sub}</sub>"
    return text


def number(value: float, digits: int = 6) -> str:
    """A value for display: `digits` significant digits, a real minus sign."""
    return f"{value + 0.0:.{digits}g}".replace("-", "\u2212")  # + 0.0: no "-0"


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


@dataclass(frozen=True)
class Mistake:
    """A known mistake: the value it gives for a factor, on the breakdown's own numbers."""

    key: str
    factor: str  # the factor that is wrong when this mistake is made
    title: str
    explanation: str
    value: float


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


@dataclass(frozen=True)
class Diagnosis:
    """What a typed value says: correct, a recognised mistake, or an unexplained difference."""

    factor: str
    typed: float
    expected: float
    tolerance: float
    correct: bool
    mistake: Mistake | None
    message: str  # HTML

    @property
    def difference(self) -> float:
        return self.typed - self.expected


# -- the breakdown ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    """Per-sample arrays of layer m for one neuron i (and upstream neuron j)."""

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
    network = Network(snapshot.sizes, snapshot.activation_names)
    flat = network.flat_index(ref)
    m, i, depth = ref.layer, ref.row, len(snapshot.layers)
    batch = snapshot.batch_inputs.shape[0]
    sample = min(max(sample, 0), batch - 1)
    layer = _layer_arrays(snapshot, m)
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
            over = "k = 0" if len(terms) == 1 else f"the {len(terms)} neurons k"
            slope_formula = (f"{sym('&Sigma;', '', 'k')} {sym('W', m + 1, 'k,' + str(i))} "
                             f"{sym('&delta;', m + 1, 'k')} over {over} of layer {m + 1}")
            slope_neurons = tuple(term.neurons[0] for term in terms)
            slope_edges = tuple(term.edges[0] for term in terms)
        factors[SIGMA_PRIME] = Factor(
            SIGMA_PRIME, f"&sigma;&prime;({sym('z', m, i)})", float(sigma_prime[sample]),
            sigma_prime, _sigma_formula(snapshot.activation_names[m - 1], z[sample], a[sample]),
            ((m, i),), (), True)
        factors[LOSS_SLOPE] = Factor(LOSS_SLOPE, f"&part;C/&part;{sym('a', m, i)}",
                                     float(slope[sample]), slope, slope_formula, slope_neurons,
                                     slope_edges, True)
        delta = sigma_prime * slope
        delta_formula = f"&sigma;&prime;({sym('z', m, i)}) &times; &part;C/&part;{sym('a', m, i)}"
        note = ""
    else:
        delta = loss.output_delta(layer.z_all, layer.a_all, snapshot.batch_targets)[:, i]
        note = _combined_note(loss, snapshot.sizes[-1])
        delta_formula = note
    factors[DELTA] = Factor(DELTA, sym("&delta;", m, i), float(delta[sample]), delta,
                            delta_formula, ((m, i),), (), not split)
    products = upstream.values * delta
    whole = (tuple(sorted({*upstream.neurons, (m, i)})), (ref,) if ref.kind == "weight" else ())
    factors[SAMPLE_GRADIENT] = Factor(
        SAMPLE_GRADIENT, f"{upstream.symbol} &times; {sym('&delta;', m, i)}",
        float(products[sample]), products, "this sample's contribution (before scaling)", *whole)
    data_gradient = snapshot.scale * float(np.sum(products))
    value = float(snapshot.params[flat])
    term = _regularization_term(ref, value, regularization, regularization_rate)
    total = data_gradient + term
    factors[GRADIENT] = Factor(GRADIENT, f"&part;C/&part;{_parameter_symbol(ref)}", total,
                               np.array([total]), _combination_text(snapshot, batch), *whole)
    rows = _sample_rows(snapshot, factors, split)
    previous = None if snapshot.previous_params is None else float(snapshot.previous_params[flat])
    return Breakdown(
        ref=ref, symbol=_parameter_symbol(ref), depth=depth,
        activation=snapshot.activation_names[m - 1], loss=snapshot.loss,
        reduction=snapshot.reduction, batch_size=batch, scale=snapshot.scale, sample=sample,
        combined_note=note, factors=factors, terms=terms, rows=rows,
        data_gradient=data_gradient, regularization=regularization,
        regularization_rate=regularization_rate, regularization_term=term, total_gradient=total,
        engine_gradient=float(snapshot.gradient[flat]), value=value,
        learning_rate=snapshot.learning_rate, update=float(snapshot.update[flat]),
        previous_value=previous, snapshot=snapshot,
    )


def _layer_arrays(snapshot: Snapshot, m: int) -> _Layer:
    state = snapshot.layers[m - 1]
    upstream = snapshot.batch_inputs if m == 1 else snapshot.layers[m - 2].activations
    activation = get_activation(state.activation)
    return _Layer(upstream, state.pre_activations, state.activations, state.deltas,
                  activation.derivative, activation.function, activation.elementwise)


def _combined_output(loss: Loss) -> bool:
    """Output pairs whose delta^L the engine computes in one stable step (no separate sigma')."""
    return (loss.name, loss.output_activation.name) in {("bce", "sigmoid"),
                                                        ("cross_entropy", "sigmoid")}


def _parameter_symbol(ref: ParameterRef) -> str:
    if ref.kind == "weight":
        return sym("W", ref.layer, f"{ref.row},{ref.column}")
    return sym("b", ref.layer, ref.row)


def _upstream_factor(ref: ParameterRef, layer: _Layer, sample: int) -> Factor:
    m, i = ref.layer, ref.row
    if ref.kind == "bias":
        ones = np.ones(layer.z_all.shape[0])
        return Factor(UPSTREAM, f"&part;{sym('z', m, i)}/&part;{sym('b', m, i)}", 1.0, ones,
                      f"{sym('z', m, i)} = &hellip; + {sym('b', m, i)}, so the factor is 1",
                      ((m, i),), (), True)
    j = ref.column
    values = layer.upstream_all[:, j]
    where = "input feature" if m == 1 else f"output of neuron {j} of layer {m - 1}"
    return Factor(UPSTREAM, sym("a", m - 1, j), float(values[sample]), values,
                  f"{where} (&part;{sym('z', m, i)}/&part;{sym('W', m, f'{i},{j}')})",
                  ((m - 1, j),), (ref,), True)


def _sigma_formula(activation: str, z: float, a: float) -> str:
    derivative = get_activation(activation).derivative_formula.replace("^2", "&sup2;")
    derivative = derivative.replace(" - ", " &minus; ")
    return (f"{activation}&prime;: {derivative}, at z = {number(z, 4)} "
            f"(a = {number(a, 4)})")


def _loss_formula(loss: Loss, snapshot: Snapshot, i: int,
                  sample: int) -> tuple[str, tuple[Neuron, ...], tuple[ParameterRef, ...]]:
    a = float(snapshot.layers[-1].activations[sample, i])
    t = float(snapshot.batch_targets[sample, i])
    forms = {"sse": "2 (a &minus; t)", "half_sse": "a &minus; t",
             "mse": f"2 (a &minus; t) / {sym('N', 'L')}",
             "bce": "(a &minus; t) / (a (1 &minus; a))", "cross_entropy": "&minus;t / a"}
    text = f"{loss.name}: {forms[loss.name]}, a = {number(a, 4)}, t = {number(t, 4)}"
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


# -- mistakes -----------------------------------------------------------------------------


def known_mistakes(breakdown: Breakdown) -> dict[str, tuple[Mistake, ...]]:
    """For every factor, the values the known mistakes give on the breakdown's numbers (at
    the shown sample; for the gradient, over the batch)."""
    snapshot = breakdown.snapshot
    layer = _layer_arrays(snapshot, breakdown.ref.layer)
    loss = Loss(snapshot.loss, get_activation(snapshot.activation_names[-1]))
    network = Network(snapshot.sizes, snapshot.activation_names)
    s, factors = breakdown.sample, breakdown.factors
    upstream = factors[UPSTREAM].values
    factor_variants = _factor_variants(snapshot, breakdown, layer, loss)
    delta_variants = _delta_variants(snapshot, breakdown, layer, loss, factor_variants)
    upstream_variants = _upstream_variants(breakdown, layer)
    found: dict[str, list[Mistake]] = {name: [] for name in factors}
    for name in (UPSTREAM, SIGMA_PRIME, LOSS_SLOPE, DELTA, SAMPLE_GRADIENT):
        if name in factors:
            found[name].append(_sign_mistake(name, factors[name].value))
    for name, variants in factor_variants.items():
        found.setdefault(name, []).extend(_at_sample(variant, s) for variant in variants)
    found[DELTA].extend(_at_sample(variant, s) for variant in delta_variants)
    found[UPSTREAM].extend(_at_sample(variant, s) for variant in upstream_variants)
    for variant in delta_variants:
        found[SAMPLE_GRADIENT].append(_at_sample(_times(variant, upstream), s))
    for variant in upstream_variants:
        found[SAMPLE_GRADIENT].append(_at_sample(_times(variant, factors[DELTA].values), s))
    found[GRADIENT].extend(_gradient_mistakes(snapshot, breakdown, layer, network,
                                              delta_variants, upstream_variants))
    return {name: tuple(values) for name, values in found.items()}


@dataclass(frozen=True)
class _Variant:
    """A mistake's per-sample values of one factor."""

    key: str
    factor: str
    title: str
    explanation: str
    values: Array


def _at_sample(variant: _Variant, sample: int) -> Mistake:
    return Mistake(variant.key, variant.factor, variant.title, variant.explanation,
                   float(variant.values[sample]))


def _times(variant: _Variant, other: Array) -> _Variant:
    return _Variant(variant.key, variant.factor, variant.title, variant.explanation,
                    variant.values * other)


def _sign_mistake(name: str, value: float) -> Mistake:
    return Mistake("sign_error", name, "sign error",
                   "the value has the right size but the opposite sign (for example "
                   "t &minus; a where a &minus; t belongs)", -value)


def _factor_variants(snapshot: Snapshot, breakdown: Breakdown, layer: _Layer,
                     loss: Loss) -> dict[str, list[_Variant]]:
    """Wrong versions of sigma' and dC/da, per sample."""
    variants: dict[str, list[_Variant]] = {SIGMA_PRIME: [], LOSS_SLOPE: []}
    if SIGMA_PRIME not in breakdown.factors:
        return variants
    i = breakdown.ref.row
    variants[SIGMA_PRIME] = _sigma_variants(layer, i)
    slope = breakdown.factors[LOSS_SLOPE].values
    if breakdown.is_output:
        variants[LOSS_SLOPE] = _loss_slope_variants(loss.name, slope, snapshot.sizes[-1])
    else:
        variants[LOSS_SLOPE] = _hidden_slope_variants(snapshot, breakdown, loss)
    return variants


def _sigma_variants(layer: _Layer, i: int) -> list[_Variant]:
    with np.errstate(all="ignore"):
        at_output = layer.derivative(layer.a_all, layer.function(layer.a_all))[:, i]
        shortcut = layer.derivative(layer.z_all, layer.z_all)[:, i]
    return [
        _Variant("sigma_prime_at_output", SIGMA_PRIME, "&sigma;&prime; taken at the output a",
                 "&sigma;&prime; was evaluated at the neuron's output a instead of its input z "
                 "(e.g. sigmoid(a) (1 &minus; sigmoid(a)))", at_output),
        _Variant("shortcut_at_input", SIGMA_PRIME, "shortcut formula applied to z",
                 "the a-form of the derivative was applied to the input z "
                 "(e.g. z (1 &minus; z) instead of a (1 &minus; a))", shortcut),
    ]


def _loss_slope_variants(loss: str, slope: Array, outputs: int) -> list[_Variant]:
    variants = [
        _Variant("missing_factor_2", LOSS_SLOPE, "missing factor 2",
                 "d/da (a &minus; t)&sup2; is 2 (a &minus; t): the factor 2 was dropped "
                 "(or a 1/2 was added to the cost without changing the gradient)", slope / 2),
        _Variant("extra_factor_2", LOSS_SLOPE, "extra factor 2",
                 "the 1/2 in the cost cancels the 2 of the square: the derivative has no "
                 "factor 2", slope * 2),
    ]
    if loss == "mse" and outputs > 1:
        variants.append(_Variant(
            "missing_output_mean", LOSS_SLOPE, f"missing 1/{sym('N', 'L')}",
            f"mse averages over the {outputs} outputs: its derivative has 1/{outputs}",
            slope * outputs))
    return variants


def _hidden_slope_variants(snapshot: Snapshot, breakdown: Breakdown,
                           loss: Loss) -> list[_Variant]:
    m, i = breakdown.ref.layer, breakdown.ref.row
    following = snapshot.layers[m]
    slopes_next = _loss_slopes(snapshot, m + 1, loss)
    variants = [_Variant(
        "forgot_next_sigma_prime", LOSS_SLOPE, f"used &part;C/&part;a<sup>{m + 1}</sup>, not "
        f"&delta;<sup>{m + 1}</sup>", f"the sum needs &delta;<sup>{m + 1}</sup> = "
        f"&part;C/&part;z<sup>{m + 1}</sup>, which includes &sigma;&prime; of layer {m + 1}",
        slopes_next @ following.weights[:, i])]
    weights = following.weights
    if weights.shape[0] == weights.shape[1] and weights.shape[0] > 1:
        variants.append(_Variant(
            "untransposed_weights", LOSS_SLOPE, f"row of W<sup>{m + 1}</sup> instead of column",
            f"the sum runs over W<sup>{m + 1}</sup><sub>k,i</sub> (column i, the weights out "
            f"of neuron i): (W<sup>{m + 1}</sup>)<sup>T</sup> &delta;, not W &delta;",
            following.deltas @ weights[i, :]))
    if weights.shape[0] > 1:
        for k in range(weights.shape[0]):
            variants.append(_Variant(
                f"single_term_{k}", LOSS_SLOPE, f"only the term k = {k}",
                f"the sum has one term for each of the {weights.shape[0]} neurons k of layer "
                f"{m + 1}, not only k = {k}", following.deltas[:, k] * weights[k, i]))
    return variants


def _loss_slopes(snapshot: Snapshot, m: int, loss: Loss) -> Array:
    """dC/da^m per sample, (B, N^m): the loss derivative (m = L) or W^(m+1)^T delta^(m+1)."""
    if m == len(snapshot.layers):
        with np.errstate(all="ignore"):
            return loss.grad_a(snapshot.layers[-1].activations, snapshot.batch_targets)
    following = snapshot.layers[m]
    return following.deltas @ following.weights


def _delta_variants(snapshot: Snapshot, breakdown: Breakdown, layer: _Layer, loss: Loss,
                    factor_variants: dict[str, list[_Variant]]) -> list[_Variant]:
    """Wrong deltas: one wrong factor times the right other one, or a combined form gone wrong."""
    factors, i = breakdown.factors, breakdown.ref.row
    if SIGMA_PRIME in factors:
        sigma, slope = factors[SIGMA_PRIME].values, factors[LOSS_SLOPE].values
        variants = [_times(v, slope) for v in factor_variants[SIGMA_PRIME]]
        variants += [_times(v, sigma) for v in factor_variants[LOSS_SLOPE]]
        variants.append(_Variant("forgot_sigma_prime", DELTA, "&sigma;&prime; left out",
                                 "&delta; = &part;C/&part;z = &sigma;&prime;(z) &times; "
                                 "&part;C/&part;a: the &sigma;&prime; factor is missing", slope))
        return variants
    with np.errstate(all="ignore"):
        slope = loss.grad_a(layer.a_all, snapshot.batch_targets)[:, i]
        diagonal = layer.derivative(layer.z_all, layer.a_all)[:, i]
    delta = factors[DELTA].values
    return [
        _Variant("gave_dC_da", DELTA, "gave &part;C/&part;a, not &delta;",
                 "&delta; is &part;C/&part;z: the loss derivative &part;C/&part;a still has to go "
                 "through the output activation", slope),
        _Variant("sigma_prime_twice", DELTA, "&sigma;&prime; applied again",
                 "&delta; = a &minus; t already contains &sigma;&prime;: multiplying by "
                 "a (1 &minus; a) once more is the squared-error formula", delta * diagonal),
        _Variant("extra_factor_2", DELTA, "extra factor 2", "&delta; = a &minus; t has no 2",
                 delta * 2),
    ]


def _upstream_variants(breakdown: Breakdown, layer: _Layer) -> list[_Variant]:
    ref = breakdown.ref
    m, i, j = ref.layer, ref.row, ref.column
    if ref.kind == "bias":
        return [_Variant("bias_factor_not_one", UPSTREAM, "bias factor is 1",
                         "&part;z/&part;b = 1: a bias has no input activation",
                         np.zeros(layer.z_all.shape[0]))]
    variants = [_Variant("used_own_output", UPSTREAM, f"used {sym('a', m, i)}",
                         f"the factor is the activation flowing into the weight, "
                         f"{sym('a', m - 1, j)}, not the output of neuron {i} it feeds",
                         layer.a_all[:, i])]
    if i != j and i < layer.upstream_all.shape[1]:
        variants.append(_Variant("swapped_indices", UPSTREAM, "indices i and j swapped",
                                 f"W<sub>ij</sub> connects a<sub>j</sub> to z<sub>i</sub>: the "
                                 f"factor is {sym('a', m - 1, j)}, not {sym('a', m - 1, i)}",
                                 layer.upstream_all[:, i]))
    return variants


def _gradient_mistakes(snapshot: Snapshot, breakdown: Breakdown, layer: _Layer,
                       network: Network, delta_variants: list[_Variant],
                       upstream_variants: list[_Variant]) -> list[Mistake]:
    """Batch-level mistakes: every per-sample mistake carried through, plus the batch ones."""
    scale, batch, reg = breakdown.scale, breakdown.batch_size, breakdown.regularization_term
    upstream, delta = breakdown.factors[UPSTREAM].values, breakdown.factors[DELTA].values
    total, data = breakdown.total_gradient, breakdown.data_gradient
    mistakes = [_sign_mistake(GRADIENT, total)]
    for variant in delta_variants:
        mistakes.append(_batch_mistake(variant, scale * float(np.sum(variant.values * upstream))
                                       + reg))
    for variant in upstream_variants:
        mistakes.append(_batch_mistake(variant, scale * float(np.sum(variant.values * delta))
                                       + reg))
    mistakes += [
        Mistake("missing_factor_2", GRADIENT, "missing factor 2",
                "half the right value: a factor 2 was dropped somewhere", total / 2),
        Mistake("extra_factor_2", GRADIENT, "extra factor 2",
                "twice the right value: a 1/2 (e.g. in the cost) was lost", total * 2),
    ]
    if batch > 1 and breakdown.reduction == "mean":
        mistakes.append(Mistake(
            "missing_mean", GRADIENT, f"missing 1/B (B = {batch})",
            f"the cost is the mean over the {batch} samples, so the gradient is too: the sum "
            f"of the contributions must be divided by {batch}", data * batch + reg))
    if batch > 1 and breakdown.reduction == "sum":
        mistakes.append(Mistake(
            "extra_mean", GRADIENT, f"divided by B = {batch}",
            "the cost is the sum over the batch, so the gradient is the sum too (no 1/B)",
            data / batch + reg))
    if batch > 1:
        mistakes.append(_one_sample_mistake(breakdown, upstream * delta))
    mistakes += _regularization_mistakes(breakdown)
    if breakdown.ref.kind == "bias":
        mistakes += _bias_axis_mistakes(breakdown, layer)
    else:
        mistakes += _swapped_gradient(snapshot, breakdown, network)
    return [m for m in mistakes if math.isfinite(m.value)]


def _batch_mistake(variant: _Variant, value: float) -> Mistake:
    return Mistake(variant.key, variant.factor, variant.title, variant.explanation, value)


def _one_sample_mistake(breakdown: Breakdown, products: Array) -> Mistake:
    s = breakdown.sample
    return Mistake("one_sample", GRADIENT, f"only sample {s}",
                   f"that is sample {s}'s contribution alone; the batch gradient combines "
                   f"all {breakdown.batch_size} samples", breakdown.scale * float(products[s])
                   + breakdown.regularization_term)


def _regularization_mistakes(breakdown: Breakdown) -> list[Mistake]:
    term = breakdown.regularization_term
    if term == 0.0:
        return []
    mistakes = [Mistake("missing_regularization", GRADIENT, "regularization left out",
                        f"with {breakdown.regularization.upper()} on, the weight's gradient gets "
                        f"the extra term {number(term)}", breakdown.data_gradient)]
    if breakdown.regularization == "l2":
        mistakes.append(Mistake("l2_without_half", GRADIENT, "L2 term doubled",
                                "the penalty is &lambda;/2 &Sigma; w&sup2;, whose gradient is "
                                "&lambda; w (not 2 &lambda; w)",
                                breakdown.data_gradient + 2 * term))
    return mistakes


def _bias_axis_mistakes(breakdown: Breakdown, layer: _Layer) -> list[Mistake]:
    deltas, scale, i = layer.deltas_all, breakdown.scale, breakdown.ref.row
    mistakes = [Mistake(
        "bias_one_scalar", GRADIENT, "one number for every bias",
        "np.sum(delta) adds over samples and neurons: every bias would get the same number. "
        "Sum over the sample axis only, np.sum(delta, axis=0): one entry per neuron",
        scale * float(np.sum(deltas)))]
    if i < deltas.shape[0] and deltas.shape[1] > 1:
        mistakes.append(Mistake(
            "bias_summed_over_neurons", GRADIENT, "summed over the wrong axis",
            f"np.sum(delta, axis=1) adds the {deltas.shape[1]} neurons' deltas of one sample; "
            f"the bias gradient adds one neuron's deltas over the samples, "
            f"np.sum(delta, axis=0)", scale * float(np.sum(deltas[i]))))
    return mistakes


def _swapped_gradient(snapshot: Snapshot, breakdown: Breakdown,
                      network: Network) -> list[Mistake]:
    ref = breakdown.ref
    swapped = ParameterRef(ref.layer, "weight", ref.column, ref.row)
    n_out, n_in = snapshot.sizes[ref.layer], snapshot.sizes[ref.layer - 1]
    if ref.row == ref.column or swapped.row >= n_out or swapped.column >= n_in:
        return []
    value = float(snapshot.gradient[network.flat_index(swapped)]) + breakdown.regularization_term
    return [Mistake("swapped_gradient", GRADIENT, "rows and columns swapped",
                    f"that is the gradient of {_parameter_symbol(swapped)}: dC/dW = "
                    "&delta; a<sup>T</sup>, row i from &delta;, column j from a", value)]


# -- checking typed numbers ---------------------------------------------------------------


def parse_typed(text: str | float) -> tuple[float, float]:
    """A typed number and the precision its digits claim: one unit in the last typed digit
    ("0.0733" -> 0.0001). TypedValueError if it is not a finite number."""
    if not isinstance(text, str):
        text = repr(float(text))
    cleaned = text.strip().replace("\u2212", "-").replace(" ", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise TypedValueError(f"{text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise TypedValueError(f"{text.strip()!r} is not a finite number")
    exponent = Decimal(cleaned).as_tuple().exponent
    return value, 10.0 ** exponent if isinstance(exponent, int) else 0.0


def diagnose(breakdown: Breakdown, factor_name: str, typed: str | float) -> Diagnosis:
    """Judge a hand-computed value of one factor (FACTOR_NAMES; the shown sample's value, or
    the batch gradient for "gradient"): right, a recognised mistake, or off by how much."""
    if factor_name not in breakdown.factors:
        known = ", ".join(breakdown.factors)
        raise TypedValueError(f"this breakdown has no factor {factor_name!r} (known: {known})")
    value, last_digit = parse_typed(typed)
    factor = breakdown.factors[factor_name]
    expected = factor.value
    # as rounding to the typed digits would give it, or hand-rounding's relative error
    tolerance = max(0.5 * last_digit, HAND_PRECISION * abs(expected), 1e-12)
    if abs(value - expected) <= tolerance:
        return Diagnosis(factor_name, value, expected, tolerance, True, None,
                         f"Right: {factor.symbol} = {number(expected)} (yours {number(value)}, "
                         f"difference {number(value - expected, 2)}).")
    mistake = _matching_mistake(known_mistakes(breakdown).get(factor_name, ()), value, expected,
                                tolerance)
    return Diagnosis(factor_name, value, expected, tolerance, False, mistake,
                     _wrong_message(breakdown, factor, value, mistake))


def _matching_mistake(mistakes: tuple[Mistake, ...], value: float, expected: float,
                      tolerance: float) -> Mistake | None:
    """The mistake whose value is closest to the typed one, among those that are within the
    tolerance of it and distinguishable from the right value."""
    candidates = [mistake for mistake in mistakes
                  if abs(mistake.value - value) <= tolerance
                  and abs(mistake.value - expected) > tolerance]
    if not candidates:
        return None
    return min(candidates, key=lambda mistake: abs(mistake.value - value))


def _wrong_message(breakdown: Breakdown, factor: Factor, value: float,
                   mistake: Mistake | None) -> str:
    expected = factor.value
    difference = value - expected
    relative = f" ({number(100 * difference / expected, 3)} %)" if expected != 0 else ""
    text = (f"Differs: {factor.symbol} = {number(expected)}, yours {number(value)}, "
            f"off by {number(difference, 3)}{relative}.")
    if mistake is not None:
        where = ""
        if mistake.factor != factor.name and mistake.factor in breakdown.factors:
            where = f" (in {breakdown.factors[mistake.factor].symbol})"
        text += f"<br><b>Likely mistake: {mistake.title}</b>{where}: {mistake.explanation}."
    elif expected != 0 and (factor.name == SAMPLE_GRADIENT
                            or (factor.name == GRADIENT and breakdown.batch_size == 1
                                and breakdown.regularization_term == 0.0)):
        text += "<br>" + _which_factor(breakdown, value / expected)
    elif factor.name == GRADIENT:
        text += ("<br>Not a mistake I recognise. Check one sample's contribution, then the "
                 "factors, to find where it differs.")
    return text


def _which_factor(breakdown: Breakdown, ratio: float) -> str:
    """For an unexplained product: what each chain factor would be if it alone were off."""
    guesses = ", ".join(f"{factor.symbol} = {number(factor.value * ratio, 4)}"
                        for factor in breakdown.chain if factor.name != UPSTREAM
                        or breakdown.ref.kind == "weight")
    return (f"Not a mistake I recognise. Yours is {number(ratio, 4)} &times; the right value; "
            f"if one factor alone were off, it would be one of: {guesses}. Type a factor's "
            f"value to find which.")
