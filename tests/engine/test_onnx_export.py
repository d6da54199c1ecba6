"""ONNX export: the float64 model run in onnxruntime matches the engine; the CLI writes .onnx."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from engine.cli import main
from engine.core.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from engine.core.errors import WeightsFileError
from engine.core.network import Network
from engine.io.onnx_export import MISSING_ONNX, onnx_bytes, onnx_model, save_onnx
from engine.io.weights_io import load_weights
from tests.engine.random_networks import random_network, sample_inputs

TOLERANCE = 1e-9


@pytest.fixture
def onnx() -> ModuleType:
    """The optional onnx package (the `onnx` extra; the `test` extra installs it too)."""
    return pytest.importorskip("onnx")


@pytest.fixture
def ort(onnx: ModuleType) -> ModuleType:
    return pytest.importorskip("onnxruntime")


def run_model(ort: ModuleType, model: bytes | str, inputs: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    (outputs,) = session.run(["output"], {"input": inputs})
    return outputs


@pytest.mark.parametrize("output", OUTPUT_ACTIVATIONS)
@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_onnxruntime_matches_engine_for_every_activation(
    hidden: str, output: str, ort: ModuleType
) -> None:
    network = random_network(hidden, output)
    inputs = sample_inputs()
    outputs = run_model(ort, onnx_bytes(network, "mse"), inputs)
    assert outputs.dtype == np.float64
    np.testing.assert_allclose(outputs, network.predict(inputs), rtol=0.0, atol=TOLERANCE)


def test_leaky_relu_keeps_its_slope_in_full_precision(ort: ModuleType) -> None:
    # A 32-bit LeakyRelu alpha would be off by ~2e-8 per unit of z: 2e-5 at z = -1000.
    network = Network([1, 1], ["leaky_relu"], np.array([1.0, 0.0]))
    inputs = np.array([[-1000.0], [-3.0], [0.0], [2.5]])
    outputs = run_model(ort, onnx_bytes(network), inputs)
    np.testing.assert_array_equal(outputs, [[-10.0], [-0.03], [0.0], [2.5]])


def test_model_is_float64_with_named_batch_input_and_metadata(onnx: ModuleType) -> None:
    network = random_network("tanh", "softmax")
    model = onnx_model(network, "cross_entropy")
    (graph_input,), (graph_output,) = model.graph.input, model.graph.output
    assert (graph_input.name, graph_output.name) == ("input", "output")
    for value, width in ((graph_input, 3), (graph_output, 3)):
        tensor = value.type.tensor_type
        assert tensor.elem_type == onnx.TensorProto.DOUBLE
        assert [dim.dim_param or dim.dim_value for dim in tensor.shape.dim] == ["batch", width]
    assert {init.data_type for init in model.graph.initializer} == {onnx.TensorProto.DOUBLE}
    weights = {init.name: onnx.numpy_helper.to_array(init) for init in model.graph.initializer}
    np.testing.assert_array_equal(weights["W2"], network.weights[1])
    np.testing.assert_array_equal(weights["b3"], network.biases[2])
    metadata = {prop.key: prop.value for prop in model.metadata_props}
    assert metadata == {"sizes": "3,5,4,3", "activations": "tanh,tanh,softmax",
                        "loss": "cross_entropy"}


def test_save_onnx_writes_a_file_that_runs(tmp_path: Path, ort: ModuleType) -> None:
    network = random_network("relu", "sigmoid")
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old contents")
    save_onnx(path, network, "bce")
    inputs = sample_inputs()
    np.testing.assert_allclose(run_model(ort, str(path), inputs), network.predict(inputs),
                               rtol=0.0, atol=TOLERANCE)
    assert sorted(os.listdir(tmp_path)) == ["model.onnx"]  # no temporary file left behind


def test_save_onnx_into_a_missing_folder_says_so(tmp_path: Path, onnx: ModuleType) -> None:
    path = tmp_path / "missing" / "model.onnx"
    with pytest.raises(WeightsFileError, match="cannot write"):
        save_onnx(path, random_network("tanh", "linear"))
    assert os.listdir(tmp_path) == []


def test_save_onnx_refuses_nan_weights_and_keeps_the_old_file(tmp_path: Path) -> None:
    network = random_network("tanh", "linear")
    network.params[4] = np.nan
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old contents")
    with pytest.raises(WeightsFileError, match="NaN or Inf"):
        save_onnx(path, network)
    assert path.read_bytes() == b"old contents"


def test_without_onnx_the_export_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    path = tmp_path / "model.onnx"
    with pytest.raises(WeightsFileError) as raised:
        save_onnx(path, random_network("tanh", "sigmoid"))
    assert str(raised.value) == MISSING_ONNX
    assert "pip install deltascope[onnx]" in MISSING_ONNX
    assert not path.exists()


# -- train --export model.onnx --------------------------------------------------------------


def test_cli_export_onnx_gives_the_trained_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ort: ModuleType
) -> None:
    common = ["--dataset", "xor", "--steps", "60", "--quiet", "--seed", "3"]
    assert main([*common, "--export", str(tmp_path / "xor.onnx")]) == 0
    assert main([*common, "--export", str(tmp_path / "xor.json")]) == 0
    out = capsys.readouterr().out
    assert f"weights written to {tmp_path / 'xor.onnx'}" in out
    trained = load_weights(tmp_path / "xor.json").network
    inputs = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [-2.5, 3.0]])
    outputs = run_model(ort, str(tmp_path / "xor.onnx"), inputs)
    np.testing.assert_allclose(outputs, trained.predict(inputs), rtol=0.0, atol=TOLERANCE)


def test_cli_without_onnx_fails_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    path = tmp_path / "xor.onnx"
    code = main(["--dataset", "xor", "--epochs", "5", "--export", str(path)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err == f"deltascope: error: {MISSING_ONNX}\n"
    assert not path.exists()


def test_cli_unknown_export_type_lists_onnx(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--dataset", "xor", "--export", str(tmp_path / "model.pt")])
    assert code == 2
    assert "(use .json, .npz or .onnx)" in capsys.readouterr().err
