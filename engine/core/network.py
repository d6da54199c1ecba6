"""A fully connected network in the notation of shared/MATH.md, batched with samples as rows.

All parameters live in one flat vector `params`; `weights[m]` (shape (N^(m+1), N^m), row i =
weights into neuron i) and `biases[m]` (shape (N^(m+1),)) are views into it, layer by layer.
One flat vector makes the optimizer update, rollback, gradient check and history one
operation each, whatever the depth. Layer index m here is 0-based: weights[0] is W^1.

Why this is long: the forward and backward pass with the flat parameter layout they share;
activations, losses and features are their own modules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.core.activations import Activation, get_activation
from engine.core.errors import ConfigError
from engine.core.features import RAW_WIDTH, canonical_features, feature_transform
from engine.core.losses import Loss, reduction_scale
from engine.core.notation import bias_name, weight_name
from engine.core.standardization import Standardization

Array = NDArray[np.float64]

# One layer's share of the backward pass, built once per network: (m, the slice of W^(m+1)'s
# gradient in the flat vector, its shape (N^(m+1), N^m), the slice of b^(m+1)'s, W^(m+1),
# and sigma' of layer m (None for m = 0: no delta is needed for the inputs)).
_BackwardLayer = tuple[
    int, slice, tuple[int, int], slice, Array, Callable[[Array, Array], Array] | None
]

# Hot-path shortcuts: the ufuncs and their methods without the module attribute lookups.
_add_reduce = np.add.reduce
_matmul = np.matmul
_empty = np.empty


# ForwardPass and Gradients are built on every training step. A frozen dataclass's generated
# __init__ sets each field through object.__setattr__; their own __init__ below fills the
# instance __dict__ directly instead, about three times faster, and stays frozen afterwards.
# (tests/engine/test_network.py checks that each __init__ takes exactly the fields, in order.)


@dataclass(frozen=True, init=False)
class ForwardPass:
    """What a forward pass keeps for the batch, per layer.

    pre_activations[m]: z^(m+1), shape (batch, N^(m+1)).
    activations[m]:     a^m, shape (batch, N^m); activations[0] is the input a^0.
    """

    pre_activations: list[Array]
    activations: list[Array]

    def __init__(self, pre_activations: list[Array], activations: list[Array]) -> None:
        fields = self.__dict__
        fields["pre_activations"] = pre_activations
        fields["activations"] = activations

    @property
    def outputs(self) -> Array:
        """a^L, the network's output for each sample."""
        return self.activations[-1]


@dataclass(frozen=True, init=False)
class Gradients:
    """What a backward pass returns for one batch.

    cost:        the reported cost C, the batch's per-sample costs reduced by mean or sum.
    per_sample_costs: C_s for each sample, shape (batch,).
    flat:        dC/dparams in the layout of Network.params.
    weights[m]:  dC/dW^(m+1) (a view into flat); biases[m]: dC/db^(m+1).
    deltas[m]:   delta^(m+1) = dC_s/dz^(m+1) for each sample s (the per-sample, unreduced
                 delta), shape (batch, N^(m+1)).
    scale:       1/B for a mean reduction, 1 for sum: dC/dW = scale * sum_s delta_s a_s^T.
    """

    cost: float
    per_sample_costs: Array
    flat: Array
    weights: list[Array]
    biases: list[Array]
    deltas: list[Array]
    scale: float

    def __init__(
        self,
        cost: float,
        per_sample_costs: Array,
        flat: Array,
        weights: list[Array],
        biases: list[Array],
        deltas: list[Array],
        scale: float,
    ) -> None:
        fields = self.__dict__
        fields["cost"] = cost
        fields["per_sample_costs"] = per_sample_costs
        fields["flat"] = flat
        fields["weights"] = weights
        fields["biases"] = biases
        fields["deltas"] = deltas
        fields["scale"] = scale


def parameter_slices(sizes: Sequence[int]) -> list[tuple[slice, slice]]:
    """Where W^m (its N^m x N^(m-1) entries, row-major) and then b^m lie in the flat parameter
    vector of a network of `sizes`, layer after layer."""
    slices = []
    offset = 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        bias_start = offset + n_out * n_in
        slices.append((slice(offset, bias_start), slice(bias_start, bias_start + n_out)))
        offset = bias_start + n_out
    return slices


def parameter_views(flat: Array, sizes: Sequence[int]) -> tuple[list[Array], list[Array]]:
    """Weight matrices and bias vectors as views into a flat parameter vector."""
    slices = parameter_slices(sizes)
    weights = [flat[w].reshape(n_out, n_in)
               for (w, _), n_in, n_out in zip(slices, sizes[:-1], sizes[1:], strict=True)]
    return weights, [flat[b] for _, b in slices]


def parameter_count(sizes: Sequence[int]) -> int:
    """Number of weights and biases in a network with these layer sizes."""
    return sum(n_out * (n_in + 1) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True))


def _sizes_of_arrays(weights: Sequence[Array], biases: Sequence[Array]) -> list[int]:
    """Layer sizes (N^0, ..., N^L) of weight matrices and bias vectors that chain up.

    W^m must have shape (N^m, N^(m-1)) with N^(m-1) the rows of W^(m-1), and b^m shape
    (N^m,); ConfigError names the first layer (1-based) that does not fit.
    """
    if not weights:
        raise ConfigError("a network needs at least one layer")
    if len(biases) != len(weights):
        raise ConfigError(f"{len(weights)} weight matrices need {len(weights)} bias vectors, "
                          f"got {len(biases)}")
    sizes: list[int] = []
    for layer, (weight, bias) in enumerate(zip(weights, biases, strict=True), start=1):
        weight_shape, bias_shape = np.shape(weight), np.shape(bias)
        if len(weight_shape) != 2:
            raise ConfigError(f"W^{layer} must be a matrix, got shape {weight_shape}")
        n_out, n_in = weight_shape
        if not sizes:
            sizes.append(n_in)
        elif n_in != sizes[-1]:
            raise ConfigError(
                f"W^{layer} has shape {weight_shape}: it needs {sizes[-1]} columns, one per "
                f"neuron of layer {layer - 1}"
            )
        if bias_shape != (n_out,):
            raise ConfigError(
                f"b^{layer} has shape {bias_shape}, layer {layer} needs shape ({n_out},)"
            )
        sizes.append(n_out)
    return sizes


@dataclass(frozen=True)
class ParameterRef:
    """One weight W^layer_(row, column) or bias b^layer_row; `layer` is 1-based as in MATH.md."""

    layer: int
    kind: str  # "weight" or "bias"
    row: int
    column: int = 0

    @property
    def label(self) -> str:
        if self.kind == "weight":
            return f"W^{self.layer}[{self.row},{self.column}]"
        return f"b^{self.layer}[{self.row}]"

    @property
    def symbol(self) -> str:
        """The parameter as people read it (engine/core/notation.py, 1-based): W²₁,₄ or b¹₃."""
        if self.kind == "weight":
            return weight_name(self.layer, self.row, self.column)
        return bias_name(self.layer, self.row)


def parameter_index(sizes: Sequence[int], ref: ParameterRef) -> int:
    """Position of a weight or bias in the flat parameter vector of a network of `sizes`.

    ConfigError if that network has no such parameter.
    """
    sizes = tuple(int(size) for size in sizes)
    offset = 0
    for m, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        if m + 1 == ref.layer:
            if not 0 <= ref.row < n_out:
                break
            if ref.kind == "weight" and 0 <= ref.column < n_in:
                return offset + ref.row * n_in + ref.column
            if ref.kind == "bias":
                return offset + n_out * n_in + ref.row
            break
        offset += n_out * (n_in + 1)
    raise ConfigError(f"no parameter {ref.symbol} ({ref.label} as arrays count) in a network of "
                      f"sizes {sizes}")


class Network:
    """A multilayer perceptron: sizes (N^0, ..., N^L) and one activation per layer 1..L.

    `features` (engine/core/features.py ids, e.g. ("x1^2", "x2^2")) puts a fixed transform of 2-D
    raw inputs ahead of the first layer: then N^0 = len(features), every method taking
    inputs takes the RAW inputs (batch, 2), and a^0 holds the features. None or () means the
    raw inputs are a^0 themselves, with no transform at all.

    `standardization` (engine/core/standardization.py) standardizes the raw inputs first (before
    any features): the network still takes the raw inputs, and a^0 holds what layer 1 reads.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activations: Sequence[str],
        params: Array | None = None,
        features: Sequence[str] | None = None,
        standardization: Standardization | None = None,
    ) -> None:
        sizes = tuple(int(size) for size in sizes)
        if len(sizes) < 2:
            raise ConfigError("a network needs at least an input and an output layer")
        if any(size < 1 for size in sizes):
            raise ConfigError(f"every layer needs at least one neuron, got sizes {sizes}")
        if len(activations) != len(sizes) - 1:
            raise ConfigError(
                f"{len(sizes) - 1} layers need {len(sizes) - 1} activations, got {len(activations)}"
            )
        self.activation_functions: list[Activation] = [get_activation(a) for a in activations]
        for position, activation in enumerate(self.activation_functions[:-1], start=1):
            if not activation.elementwise:
                raise ConfigError(
                    f"{activation.name} is for the output layer only (layer {position})"
                )
        self.sizes: tuple[int, ...] = sizes
        self.activations: tuple[str, ...] = tuple(activations)
        self.features: tuple[str, ...] = canonical_features(features) if features else ()
        if self.features and len(self.features) != sizes[0]:
            raise ConfigError(f"{len(self.features)} input features need {len(self.features)} "
                              f"input neurons, got sizes {sizes}")
        self._transform = feature_transform(self.features) if self.features else None
        self.standardization = standardization
        if standardization is not None and standardization.width != self.input_width:
            raise ConfigError(f"the standardization has {standardization.width} columns but "
                              f"the network takes {self.input_width} inputs")
        count = parameter_count(sizes)
        if params is None:
            self.params: Array = np.zeros(count)
        else:
            params = np.asarray(params, dtype=np.float64)
            if params.shape != (count,):
                raise ConfigError(f"expected {count} parameters, got shape {params.shape}")
            self.params = params.copy()
        self.weights, self.biases = parameter_views(self.params, sizes)
        # Per-step constants of the hot path (views into params stay valid: params is only
        # ever updated in place): W^T per layer, and where each gradient block sits in flat.
        self._forward_layers = [
            (weights.T, biases, activation.function)
            for weights, biases, activation in zip(
                self.weights, self.biases, self.activation_functions, strict=True
            )
        ]
        self._backward_layers = self._backward_plan()

    def _backward_plan(self) -> list[_BackwardLayer]:
        """Per-step constants of the backward pass, last layer first (see _BackwardLayer)."""
        plan: list[_BackwardLayer] = []
        offset = 0
        for m, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            weight_end = offset + n_out * n_in
            # Hidden layers are elementwise (checked in __init__): J^T g = g * sigma'(z).
            derivative = self.activation_functions[m - 1].derivative if m > 0 else None
            plan.append((
                m, slice(offset, weight_end), (n_out, n_in),
                slice(weight_end, weight_end + n_out), self.weights[m], derivative,
            ))
            offset = weight_end + n_out
        plan.reverse()
        return plan

    @classmethod
    def from_arrays(
        cls, weights: Sequence[Array], biases: Sequence[Array], activations: Sequence[str],
        features: Sequence[str] | None = None,
        standardization: Standardization | None = None,
    ) -> Network:
        """A network holding copies of these weight matrices and bias vectors."""
        sizes = _sizes_of_arrays(weights, biases)
        network = cls(sizes, activations, features=features, standardization=standardization)
        for target, source in zip(network.weights, weights, strict=True):
            target[...] = source
        for target, source in zip(network.biases, biases, strict=True):
            target[...] = source
        return network

    @property
    def depth(self) -> int:
        """L, the number of layers with weights."""
        return len(self.sizes) - 1

    @property
    def input_width(self) -> int:
        """Columns of the raw inputs the network takes: 2 with features, else N^0."""
        return RAW_WIDTH if self.features else self.sizes[0]

    def with_params(self, params: Array) -> Network:
        """A network of the same architecture, features and standardization holding a copy
        of `params`."""
        return Network(self.sizes, self.activations, params, self.features, self.standardization)

    def copy(self) -> Network:
        return self.with_params(self.params)

    def loss(self, name: str) -> Loss:
        """The loss `name` applied after this network's output activation."""
        return Loss(name, self.activation_functions[-1])

    def forward(self, inputs: Array) -> ForwardPass:
        """z and a of every layer for a batch of raw inputs, shape (batch, input_width);
        activations[0] is a^0 (the features, when the network has them)."""
        if inputs.ndim != 2 or inputs.shape[1] != self.input_width:
            raise ConfigError(
                f"the network takes {self.input_width} inputs, got data of shape {inputs.shape}"
            )
        if self.standardization is not None:
            inputs = self.standardization.apply(inputs)
        transform = self._transform
        if transform is not None:
            inputs = transform(inputs)
        pre_activations: list[Array] = []
        activations: list[Array] = [inputs]
        a = inputs
        for weights_transposed, biases, function in self._forward_layers:
            z = a @ weights_transposed
            z += biases
            a = function(z)
            pre_activations.append(z)
            activations.append(a)
        return ForwardPass(pre_activations, activations)

    def predict(self, inputs: Array) -> Array:
        """a^L for a batch of inputs."""
        return self.forward(inputs).outputs

    def backward(
        self, forward: ForwardPass, targets: Array, loss: Loss, reduction: str = "mean"
    ) -> Gradients:
        """Cost and dC/dW, dC/db, delta for every layer: the backward pass of MATH.md."""
        pre_activations, activations = forward.pre_activations, forward.activations
        z_out, a_out = pre_activations[-1], activations[-1]
        if targets.shape != a_out.shape:
            raise ConfigError(
                f"targets have shape {targets.shape}, the network outputs {a_out.shape}"
            )
        scale = 1.0 / a_out.shape[0] if reduction == "mean" else reduction_scale(reduction, 1)
        per_sample_costs = loss.per_sample(z_out, a_out, targets)
        flat = _empty(self.params.shape[0])
        delta = loss.output_delta(z_out, a_out, targets)
        weight_grads: list[Array] = []
        bias_grads: list[Array] = []
        deltas: list[Array] = []
        for m, weight_block, weight_shape, bias_block, weights, derivative in self._backward_layers:
            weight_gradient = flat[weight_block].reshape(weight_shape)
            bias_gradient = flat[bias_block]
            # dC/dW = scale * Delta^T A, dC/db = scale * 1^T Delta (sum over samples, per neuron),
            # written straight into flat (the ufuncs' positional out argument)
            # (the scale goes on the small delta, not on the large gradient afterwards)
            scaled_delta = delta if scale == 1.0 else delta * scale
            _matmul(scaled_delta.T, activations[m], weight_gradient)
            _add_reduce(scaled_delta, 0, None, bias_gradient)
            weight_grads.append(weight_gradient)
            bias_grads.append(bias_gradient)
            deltas.append(delta)
            if derivative is not None:
                # delta^m = (W^(m+1)^T delta^(m+1)) * sigma'(z^m), i.e. Activation.backward
                # for an elementwise activation, called without the method in between
                delta = (delta @ weights) * derivative(pre_activations[m - 1], activations[m])
        weight_grads.reverse()  # the loop went from the last layer to the first
        bias_grads.reverse()
        deltas.reverse()
        return Gradients(
            float(_add_reduce(per_sample_costs)) * scale, per_sample_costs, flat, weight_grads,
            bias_grads, deltas, scale,
        )

    def gradients(
        self, inputs: Array, targets: Array, loss: Loss, reduction: str = "mean"
    ) -> tuple[ForwardPass, Gradients]:
        """Forward then backward for one batch."""
        forward = self.forward(inputs)
        return forward, self.backward(forward, targets, loss, reduction)

    def cost(self, inputs: Array, targets: Array, loss: Loss, reduction: str = "mean") -> float:
        """The reported cost of a batch at the current parameters (no gradients)."""
        forward = self.forward(inputs)
        per_sample = loss.per_sample(forward.pre_activations[-1], forward.outputs, targets)
        return float(per_sample.sum() * reduction_scale(reduction, inputs.shape[0]))

    def flat_index(self, ref: ParameterRef) -> int:
        """Position of a weight or bias in `params` (see parameter_index)."""
        return parameter_index(self.sizes, ref)

    def parameter_at(self, index: int) -> ParameterRef:
        """The weight or bias at position `index` of `params` (0 <= index < params.size)."""
        if index < 0:
            raise ConfigError(f"parameter index {index} is out of range (it must be >= 0)")
        offset = 0
        for m, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            if index < offset + n_out * n_in:
                row, column = divmod(index - offset, n_in)
                return ParameterRef(m + 1, "weight", row, column)
            offset += n_out * n_in
            if index < offset + n_out:
                return ParameterRef(m + 1, "bias", index - offset)
            offset += n_out
        raise ConfigError(f"parameter index {index} is out of range")

    def weight_mask(self) -> Array:
        """1.0 at every weight of `params`, 0.0 at every bias (regularization skips biases)."""
        mask = np.ones_like(self.params)
        _, biases = parameter_views(mask, self.sizes)
        for bias in biases:
            bias[...] = 0.0
        return mask
