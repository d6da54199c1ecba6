"""The known mistakes of shared/MATH.md, computed on a Breakdown's own numbers.

`known_mistakes(breakdown)` gives, for every factor of a Breakdown (engine/explain/explain.py), the
value each mistake would produce: a forgotten sigma', a dropped 1/B, swapped indices, ...
engine/explain/hand_check.py compares a typed value with them ("Check my numbers").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.core.activations import get_activation
from engine.core.losses import Loss
from engine.core.network import ParameterRef, parameter_index
from engine.core.notation import number, shown_index, sym, sym_at
from engine.explain.explain import (
    DELTA,
    GRADIENT,
    LOSS_SLOPE,
    SAMPLE_GRADIENT,
    SIGMA_PRIME,
    UPSTREAM,
    Breakdown,
    LayerArrays,
    layer_arrays,
    parameter_symbol,
)
from engine.training.snapshot import Snapshot

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Mistake:
    """A known mistake: the value it gives for a factor, on the breakdown's own numbers."""

    key: str
    factor: str  # the factor that is wrong when this mistake is made
    title: str
    explanation: str
    value: float


def known_mistakes(breakdown: Breakdown) -> dict[str, tuple[Mistake, ...]]:
    """For every factor, the values the known mistakes give on the breakdown's numbers (at
    the shown sample; for the gradient, over the batch)."""
    snapshot = breakdown.snapshot
    layer = layer_arrays(snapshot, breakdown.ref.layer)
    loss = Loss(snapshot.loss, get_activation(snapshot.activation_names[-1]))
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
    found[GRADIENT].extend(_gradient_mistakes(snapshot, breakdown, layer, delta_variants,
                                              upstream_variants))
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


def _factor_variants(snapshot: Snapshot, breakdown: Breakdown, layer: LayerArrays,
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


def _sigma_variants(layer: LayerArrays, i: int) -> list[_Variant]:
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
                f"single_term_{k}", LOSS_SLOPE, f"only the term k = {shown_index(k)}",
                f"the sum has one term for each of the {weights.shape[0]} neurons k of layer "
                f"{m + 1}, not only k = {shown_index(k)}", following.deltas[:, k] * weights[k, i]))
    return variants


def _loss_slopes(snapshot: Snapshot, m: int, loss: Loss) -> Array:
    """dC/da^m per sample, (B, N^m): the loss derivative (m = L) or W^(m+1)^T delta^(m+1)."""
    if m == len(snapshot.layers):
        with np.errstate(all="ignore"):
            return loss.grad_a(snapshot.layers[-1].activations, snapshot.batch_targets)
    following = snapshot.layers[m]
    return following.deltas @ following.weights


def _delta_variants(snapshot: Snapshot, breakdown: Breakdown, layer: LayerArrays, loss: Loss,
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


def _upstream_variants(breakdown: Breakdown, layer: LayerArrays) -> list[_Variant]:
    ref = breakdown.ref
    m, i, j = ref.layer, ref.row, ref.column
    if ref.kind == "bias":
        return [_Variant("bias_factor_not_one", UPSTREAM, "bias factor is 1",
                         "&part;z/&part;b = 1: a bias has no input activation",
                         np.zeros(layer.z_all.shape[0]))]
    variants = [_Variant("used_own_output", UPSTREAM, f"used {sym_at('a', m, i)}",
                         f"the factor is the activation flowing into the weight, "
                         f"{sym_at('a', m - 1, j)}, not the output of neuron "
                         f"{shown_index(i)} it feeds",
                         layer.a_all[:, i])]
    if i != j and i < layer.upstream_all.shape[1]:
        variants.append(_Variant("swapped_indices", UPSTREAM, "indices i and j swapped",
                                 f"W<sub>ij</sub> connects a<sub>j</sub> to z<sub>i</sub>: the "
                                 f"factor is {sym_at('a', m - 1, j)}, not {sym_at('a', m - 1, i)}",
                                 layer.upstream_all[:, i]))
    return variants


def _gradient_mistakes(snapshot: Snapshot, breakdown: Breakdown, layer: LayerArrays,
                       delta_variants: list[_Variant],
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
        mistakes += _swapped_gradient(snapshot, breakdown)
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


def _bias_axis_mistakes(breakdown: Breakdown, layer: LayerArrays) -> list[Mistake]:
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


def _swapped_gradient(snapshot: Snapshot, breakdown: Breakdown) -> list[Mistake]:
    ref = breakdown.ref
    swapped = ParameterRef(ref.layer, "weight", ref.column, ref.row)
    n_out, n_in = snapshot.sizes[ref.layer], snapshot.sizes[ref.layer - 1]
    if ref.row == ref.column or swapped.row >= n_out or swapped.column >= n_in:
        return []
    value = (float(snapshot.gradient[parameter_index(snapshot.sizes, swapped)])
             + breakdown.regularization_term)
    return [Mistake("swapped_gradient", GRADIENT, "rows and columns swapped",
                    f"that is the gradient of {parameter_symbol(swapped)}: &part;C/&part;W = "
                    "&delta; a<sup>T</sup>, row i from &delta;, column j from a", value)]
