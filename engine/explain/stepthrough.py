"""One mini-batch update cut into phases a person can click through, read from a Snapshot.

The phases, for a network with L layers (4L + 1 in all):
forward 1..L (z and a), the cost, backward L..1 as two phases each (delta, then dC/dW and
dC/db), and the update 1..L (old value, update, new value). Every number is the Snapshot's
own (nothing is recomputed), so the new values are exactly what the next Step produces:
params - update, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from engine.core.activations import get_activation
from engine.core.losses import Loss
from engine.core.network import ParameterRef, parameter_views
from engine.core.notation import ACTIVATION_FUNCTIONS, pretty_formula, superscript
from engine.core.option_names import option_label
from engine.training.snapshot import Snapshot

Array = NDArray[np.float64]

PHASE_KINDS: tuple[str, ...] = ("forward", "cost", "backward", "gradients", "update")

_ACTIVATION_NAMES = ACTIVATION_FUNCTIONS
_LOSS_FORMULAS = {
    "sse": "Cₛ = Σⱼ (aⱼ − tⱼ)²",
    "half_sse": "Cₛ = ½ Σⱼ (aⱼ − tⱼ)²",
    "mse": "Cₛ = (1/N) Σⱼ (aⱼ − tⱼ)²",
    "bce": "Cₛ = −Σⱼ [tⱼ log aⱼ + (1 − tⱼ) log(1 − aⱼ)]",
    "cross_entropy": "Cₛ = −Σⱼ tⱼ log aⱼ",
}
_LOSS_DERIVATIVES = {"sse": "2(a − t)", "half_sse": "a − t", "mse": "2(a − t)/N",
                     "bce": "(a − t) / (a(1 − a))", "cross_entropy": "−t / a"}


@dataclass(frozen=True)
class Phase:
    """One click of the step-through.

    kind: one of PHASE_KINDS. layer: m (1-based), 0 for the cost.
    tables: the numbers shown, by name -- forward "z", "a" and backward "delta" are
    (batch, N^m), and forward 1 also has the inputs "a⁰" (batch, N^0); the cost has "a" and
    "t" (batch, N^L), "C_s" (batch,) and "C" (0-d);
    gradients "dC/dW" (N^m, N^(m-1)) and "dC/db" (N^m,); the update "old W", "update W",
    "new W" and "old b", "update b", "new b".
    neurons: (layer, index) with layer 0..L as on the canvas; edges: weights to highlight.
    """

    kind: str
    layer: int
    title: str
    explanation: str
    tables: dict[str, Array] = field(default_factory=dict)
    neurons: list[tuple[int, int]] = field(default_factory=list)
    edges: list[ParameterRef] = field(default_factory=list)


def resulting_params(snapshot: Snapshot) -> Array:
    """The flat parameters after the next Step: params - update (read-only)."""
    params = snapshot.params - snapshot.update
    params.flags.writeable = False
    return params


def phase_count(depth: int) -> int:
    """How many phases a network with `depth` (L) layers has: 4L + 1."""
    return 4 * depth + 1


def phases(snapshot: Snapshot) -> list[Phase]:
    """Every phase of the update the next Step will make, in order."""
    depth = len(snapshot.layers)
    result = [_forward(snapshot, m) for m in range(1, depth + 1)]
    result.append(_cost(snapshot))
    for m in range(depth, 0, -1):
        result.append(_backward(snapshot, m))
        result.append(_gradients(snapshot, m))
    new_weights, new_biases = parameter_views(resulting_params(snapshot), snapshot.sizes)
    update_weights, update_biases = parameter_views(snapshot.update, snapshot.sizes)
    plain = bool(np.array_equal(snapshot.update, snapshot.learning_rate * snapshot.gradient))
    for m in range(1, depth + 1):
        layer = snapshot.layers[m - 1]
        tables = {"old W": layer.weights, "update W": update_weights[m - 1],
                  "new W": new_weights[m - 1], "old b": layer.biases,
                  "update b": update_biases[m - 1], "new b": new_biases[m - 1]}
        result.append(_update(snapshot, m, tables, plain, last=m == depth))
    return result


def _activation_formula(name: str, m: int) -> str:
    if name == "linear":
        return f"a{superscript(m)} = z{superscript(m)}"
    return f"a{superscript(m)} = {_ACTIVATION_NAMES.get(name, name)}(z{superscript(m)})"


def _neurons(snapshot: Snapshot, m: int) -> list[tuple[int, int]]:
    return [(m, index) for index in range(snapshot.sizes[m])]


def _weights(snapshot: Snapshot, m: int) -> list[ParameterRef]:
    """Every weight of W^m as a ParameterRef (biases show as their neurons instead)."""
    return [ParameterRef(m, "weight", row, column)
            for row in range(snapshot.sizes[m]) for column in range(snapshot.sizes[m - 1])]


def _batch_words(snapshot: Snapshot) -> str:
    count = len(snapshot.batch_rows)
    return f"{count} sample{'s' if count != 1 else ''}"


def _forward(snapshot: Snapshot, m: int) -> Phase:
    layer = snapshot.layers[m - 1]
    s, p = superscript(m), superscript(m - 1)
    formula = _activation_formula(layer.activation, m)
    title = f"Forward, layer {m}: z{s} = W{s}a{p} + b{s}, {formula}"
    source = "the inputs a⁰" if m == 1 else f"the outputs a{p} of layer {m - 1}"
    explanation = (
        f"Each neuron i of layer {m} weighs {source} and adds its bias: "
        f"z{s}ᵢ = Σⱼ W{s}ᵢⱼ a{p}ⱼ + b{s}ᵢ; then a{s} = "
        f"{_ACTIVATION_NAMES.get(layer.activation, layer.activation)}(z{s}). "
        f"One row per sample of the batch ({_batch_words(snapshot)})."
    )
    tables = {"z": layer.pre_activations, "a": layer.activations}
    if m == 1:
        tables = {"a⁰": snapshot.batch_inputs, **tables}
    return Phase("forward", m, title, explanation, tables,
                 _neurons(snapshot, m), _weights(snapshot, m))


def _cost(snapshot: Snapshot) -> Phase:
    depth = len(snapshot.layers)
    output = snapshot.layers[-1]
    reduced = np.array(snapshot.cost)
    reduced.flags.writeable = False
    how = "mean" if snapshot.reduction == "mean" else "sum"
    title = f"Cost: C = {how} of Cₛ over the batch ({option_label('loss', snapshot.loss)})"
    explanation = (
        f"Each sample's output a{superscript(depth)} is compared with its target t: "
        f"{_LOSS_FORMULAS.get(snapshot.loss, snapshot.loss)}. "
        f"C is the {how} over the {_batch_words(snapshot)}: C = {snapshot.cost:.6g}."
    )
    tables = {"a": output.activations, "t": snapshot.batch_targets,
              "C_s": snapshot.per_sample_costs, "C": reduced}
    return Phase("cost", 0, title, explanation, tables, _neurons(snapshot, depth), [])


def _backward(snapshot: Snapshot, m: int) -> Phase:
    depth = len(snapshot.layers)
    layer = snapshot.layers[m - 1]
    s, n = superscript(m), superscript(m + 1)
    per_sample = "δ is per sample (∂Cₛ/∂z, before the batch's 1/B)."
    if m == depth:
        edges: list[ParameterRef] = []
        output = get_activation(layer.activation)
        if Loss(snapshot.loss, output).combined:
            title = f"Backward, layer {m}: δ{s} = a{s} − t"
            explanation = (f"For {option_label('activation', layer.activation)} with "
                           f"{option_label('loss', snapshot.loss)}, ∂Cₛ/∂a{s} ⊙ σ'(z{s}) "
                           f"simplifies to a{s} − t: the output error itself. {per_sample}")
        elif not output.elementwise:
            title = f"Backward, layer {m}: δ{s} = Jᵀ ∂Cₛ/∂a{s} (softmax Jacobian)"
            explanation = (f"The loss's slope ∂Cₛ/∂a = "
                           f"{_LOSS_DERIVATIVES.get(snapshot.loss, '?')}, passed back through "
                           f"the softmax's full Jacobian J = diag(a) − a aᵀ: every output's z "
                           f"moves every a. {per_sample}")
        else:
            title = f"Backward, layer {m}: δ{s} = ∂Cₛ/∂a{s} ⊙ σ'(z{s})"
            explanation = (f"The loss's slope ∂Cₛ/∂a = "
                           f"{_LOSS_DERIVATIVES.get(snapshot.loss, '?')} times the activation's "
                           f"slope σ'(z) = {pretty_formula(output.derivative_formula)}. "
                           f"{per_sample}")
    else:
        edges = _weights(snapshot, m + 1)
        hidden = get_activation(layer.activation)
        collect = (f"Each neuron collects the deltas of layer {m + 1} back through the "
                   f"weights leaving it (W{n}ᵀ δ{n}), then ")
        if hidden.elementwise:
            title = f"Backward, layer {m}: δ{s} = (W{n}ᵀ δ{n}) ⊙ σ'(z{s})"
            explanation = (f"{collect}multiplies by the slope of "
                           f"{option_label('activation', layer.activation)}: "
                           f"σ'(z) = {pretty_formula(hidden.derivative_formula)}. {per_sample}")
        else:
            title = f"Backward, layer {m}: δ{s} = Jᵀ (W{n}ᵀ δ{n})"
            explanation = (f"{collect}passes the sum back through the "
                           f"{option_label('activation', layer.activation)} "
                           f"Jacobian J = diag(a) − a aᵀ. {per_sample}")
    return Phase("backward", m, title, explanation, {"delta": layer.deltas},
                 _neurons(snapshot, m), edges)


def _gradients(snapshot: Snapshot, m: int) -> Phase:
    layer = snapshot.layers[m - 1]
    s, p = superscript(m), superscript(m - 1)
    count = len(snapshot.batch_rows)
    factor = f"(1/{count}) " if snapshot.reduction == "mean" else ""
    title = f"Gradients, layer {m}: ∂C/∂W{s} and ∂C/∂b{s}"
    explanation = (
        f"∂C/∂W{s}ᵢⱼ = {factor}Σₛ δ{s}ₛ,ᵢ a{p}ₛ,ⱼ: a neuron's delta times the input "
        f"on that weight, over the batch. ∂C/∂b{s}ᵢ = {factor}Σₛ δ{s}ₛ,ᵢ: summed over "
        f"samples, one number per neuron."
    )
    tables = {"dC/dW": layer.weight_gradients, "dC/db": layer.bias_gradients}
    return Phase("gradients", m, title, explanation, tables,
                 _neurons(snapshot, m), _weights(snapshot, m))


def _update(snapshot: Snapshot, m: int, tables: dict[str, Array], plain: bool,
            last: bool) -> Phase:
    s = superscript(m)
    rate = f"η = {snapshot.learning_rate:g}"
    title = f"Update, layer {m}: W{s} ← W{s} − update, b{s} ← b{s} − update"
    if plain:
        how = (f"Here the update is exactly η ∂C/∂W{s} and η ∂C/∂b{s} ({rate}): "
               f"new = old − update.")
    else:
        how = (f"The update is not just η × gradient ({rate}): the optimizer (momentum, "
               f"Adam) reshaped the step, or a weight penalty added to the gradient. "
               f"new = old − update.")
    ending = " Apply step makes exactly this change." if last else ""
    return Phase("update", m, title, how + ending, tables,
                 _neurons(snapshot, m), _weights(snapshot, m))
