"""ONNX export: the network's forward pass as a float64 ONNX model, built with onnx.helper.

The graph takes "input", DOUBLE of shape (batch, N^0), and gives "output", DOUBLE of shape
(batch, N^L). A network with input features takes the raw (batch, 2) instead: its graph first
builds a^0 = "features" from the two columns (Slice, Mul, Sin, Concat; engine/core/features.py).
A network with a standardization takes raw inputs too: "standardized" = (input - input_mean)
/ input_std (Sub, Div with float64 initializers) comes first, as in Network.forward.
Layer m is one Gemm node z_m = a_(m-1) W_m^T + b_m (initializers "W{m}" of
shape (N^m, N^(m-1)), row i = weights into neuron i as in MATH.md, and "b{m}") followed by
its activation. Every tensor is float64, so onnxruntime reproduces Network.predict to
round-off. LeakyRelu's `alpha` attribute is a 32-bit float (0.01 would become
0.0099999998), so leaky_relu is composed as Max(z, 0.01 z) with a float64 constant instead.

The onnx package is optional (`pip install deltascope[onnx]`): it is imported only when an
export runs, and its absence is reported as a WeightsFileError saying how to install it.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np

from engine.core.activations import LEAKY_SLOPE
from engine.core.errors import WeightsFileError
from engine.core.network import Network
from engine.core.notation import array_index_note
from engine.io.atomic import write_atomically

ONNX_EXTENSION = ".onnx"
OPSET = 17  # Gemm, Sigmoid, Tanh, Relu, Max, Mul, Softmax(axis), Identity, Slice, Sin, Concat,
#            Sub, Div all have DOUBLE kernels
IR_VERSION = 8  # the IR version that goes with opset 17, so older runtimes load the file too
INPUT_NAME = "input"
FEATURES_NAME = "features"  # a^0 of a network with input features
STANDARDIZED_NAME = "standardized"  # (input - mean) / std of a standardized network
OUTPUT_NAME = "output"
MISSING_ONNX = "ONNX export needs the onnx package: pip install deltascope[onnx]"


def require_onnx() -> ModuleType:
    """The onnx module; WeightsFileError saying how to install it when it is missing."""
    try:
        import onnx
    except ImportError:
        raise WeightsFileError(MISSING_ONNX) from None
    return onnx


def onnx_model(network: Network, loss: str | None = None) -> Any:
    """The network as a checked onnx.ModelProto (float64 throughout)."""
    onnx = require_onnx()
    helper = onnx.helper
    double = onnx.TensorProto.DOUBLE
    nodes: list[Any] = []
    initializers: list[Any] = []
    previous = INPUT_NAME
    if network.standardization is not None:
        standardization = network.standardization
        initializers += [_tensor(onnx, "input_mean", standardization.mean),
                         _tensor(onnx, "input_std", standardization.std)]
        nodes += [helper.make_node("Sub", [INPUT_NAME, "input_mean"], ["centred"],
                                   name="standardize_centre"),
                  helper.make_node("Div", ["centred", "input_std"], [STANDARDIZED_NAME],
                                   name="standardize_scale")]
        previous = STANDARDIZED_NAME
    if network.features:
        feature_nodes, feature_constants = _feature_nodes(onnx, network.features, previous,
                                                          FEATURES_NAME)
        nodes += feature_nodes
        initializers += feature_constants
        previous = FEATURES_NAME
    for m, (weights, biases, activation) in enumerate(
        zip(network.weights, network.biases, network.activations, strict=True), start=1
    ):
        initializers += [_tensor(onnx, f"W{m}", weights), _tensor(onnx, f"b{m}", biases)]
        nodes.append(helper.make_node(
            "Gemm", [previous, f"W{m}", f"b{m}"], [f"z{m}"], name=f"layer{m}_affine", transB=1))
        output = OUTPUT_NAME if m == network.depth else f"a{m}"
        layer_nodes, layer_constants = _activation_nodes(onnx, activation, f"z{m}", output, m)
        nodes += layer_nodes
        initializers += layer_constants
        previous = output
    graph = helper.make_graph(
        nodes, "deltascope_mlp",
        [helper.make_tensor_value_info(INPUT_NAME, double, ["batch", network.input_width])],
        [helper.make_tensor_value_info(OUTPUT_NAME, double, ["batch", network.sizes[-1]])],
        initializer=initializers,
        doc_string=_description(network),
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="deltascope",
        doc_string=_description(network),
    )
    model.ir_version = IR_VERSION
    metadata = {"sizes": ",".join(map(str, network.sizes)),
                "activations": ",".join(network.activations)}
    if network.features:
        metadata["features"] = ",".join(network.features)
    if network.standardization is not None:
        metadata["standardization"] = "inputs standardized in the graph: take raw inputs"
    if loss is not None:
        metadata["loss"] = loss
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model, full_check=True)
    return model


def onnx_bytes(network: Network, loss: str | None = None) -> bytes:
    """The serialized ONNX model of `network` (see onnx_model)."""
    return bytes(onnx_model(network, loss).SerializeToString())


def save_onnx(path: str | os.PathLike[str], network: Network, loss: str | None = None) -> None:
    """Write the network as an ONNX model to `path` atomically.

    WeightsFileError when onnx is not installed, the parameters are NaN / Inf, or the file
    cannot be written; an existing file at `path` is then left as it was.
    """
    name = os.fspath(path)
    if not np.all(np.isfinite(network.params)):
        raise WeightsFileError(f"{name}: cannot save weights that are NaN or Inf")
    data = onnx_bytes(network, loss)
    try:
        write_atomically(name, data)
    except OSError as error:
        raise WeightsFileError(f"{name}: cannot write: {error.strerror or error}") from None


def _tensor(onnx: ModuleType, name: str, values: np.ndarray) -> Any:
    return onnx.numpy_helper.from_array(np.array(values, dtype=np.float64), name)


def _feature_nodes(
    onnx: ModuleType, features: tuple[str, ...], raw: str, output: str
) -> tuple[list[Any], list[Any]]:
    """The nodes computing `output` (batch, k) = the features of `raw` (batch, 2), in order."""
    make_node = onnx.helper.make_node
    numpy_helper = onnx.numpy_helper
    initializers = [numpy_helper.from_array(np.array(values, dtype=np.int64), name)
                    for name, values in (("feature_axes", [1]), ("x1_start", [0]),
                                         ("x1_end", [1]), ("x2_start", [1]), ("x2_end", [2]))]
    nodes = [
        make_node("Slice", [raw, "x1_start", "x1_end", "feature_axes"], ["x1"], name="input_x1"),
        make_node("Slice", [raw, "x2_start", "x2_end", "feature_axes"], ["x2"], name="input_x2"),
    ]
    recipes = {  # feature id -> (op, its inputs); x1 and x2 are the sliced columns
        "x1^2": ("Mul", ["x1", "x1"]), "x2^2": ("Mul", ["x2", "x2"]),
        "x1*x2": ("Mul", ["x1", "x2"]), "sin(x1)": ("Sin", ["x1"]), "sin(x2)": ("Sin", ["x2"]),
    }
    columns: list[str] = []
    for number, feature in enumerate(features):
        if feature in ("x1", "x2"):
            columns.append(feature)
            continue
        op, inputs = recipes[feature]
        column = f"feature{number}"
        nodes.append(make_node(op, inputs, [column], name=f"feature_{number}_{op.lower()}"))
        columns.append(column)
    nodes.append(make_node("Concat", columns, [output], name="input_features", axis=1))
    return nodes, initializers


def _activation_nodes(
    onnx: ModuleType, activation: str, z: str, output: str, layer: int
) -> tuple[list[Any], list[Any]]:
    """The nodes computing `output` = activation(`z`), and any constants they need."""
    make_node = onnx.helper.make_node
    name = f"layer{layer}_{activation}"
    simple = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "linear": "Identity"}
    if activation in simple:
        return [make_node(simple[activation], [z], [output], name=name)], []
    if activation == "softmax":
        return [make_node("Softmax", [z], [output], name=name, axis=1)], []
    if activation == "leaky_relu":
        slope, scaled = f"leaky_slope{layer}", f"{z}_scaled"
        constant = _tensor(onnx, slope, np.array(LEAKY_SLOPE))
        nodes = [make_node("Mul", [z, slope], [scaled], name=f"{name}_scale"),
                 make_node("Max", [z, scaled], [output], name=name)]
        return nodes, [constant]
    raise WeightsFileError(f"activation {activation!r} has no ONNX export")


def _description(network: Network) -> str:
    return (f"Deltascope multilayer perceptron {'-'.join(map(str, network.sizes))} "
            f"({', '.join(network.activations)}), float64: output = forward(input). "
            f"{array_index_note('W<m>')}")
