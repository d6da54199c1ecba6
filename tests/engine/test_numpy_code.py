""""Copy as NumPy code": the snippet imports numpy only and reproduces Network.predict."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.core.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from engine.core.errors import ConfigError
from engine.core.network import Network
from engine.io.numpy_code import numpy_code
from tests.engine.random_networks import random_network, sample_inputs

TOLERANCE = 1e-12


def run_snippet(code: str) -> dict[str, Any]:
    """The names the snippet defines, executed in a namespace of its own."""
    namespace: dict[str, Any] = {}
    exec(compile(code, "<snippet>", "exec"), namespace)  # noqa: S102 - the code under test
    return namespace


@pytest.mark.parametrize("output", OUTPUT_ACTIVATIONS)
@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_snippet_forward_matches_predict_for_every_activation(hidden: str, output: str) -> None:
    network = random_network(hidden, output)
    inputs = sample_inputs()
    forward = run_snippet(numpy_code(network))["forward"]
    np.testing.assert_allclose(forward(inputs), network.predict(inputs), rtol=0.0, atol=TOLERANCE)


def test_snippet_holds_every_number_bit_exactly() -> None:
    network = Network([2, 2, 1], ["tanh", "linear"])
    network.params[...] = [5e-324, -0.0, 1.7976931348623157e308, 0.1, 1 / 3, -2.0 / 7.0,
                           np.nextafter(1.0, 2.0), -1e-300, 123456.789]
    namespace = run_snippet(numpy_code(network))
    for m in (1, 2):
        np.testing.assert_array_equal(namespace[f"W{m}"], network.weights[m - 1])
        np.testing.assert_array_equal(namespace[f"b{m}"], network.biases[m - 1])
    assert np.signbit(namespace["W1"][0, 1])  # -0.0 stays negative zero


def test_snippet_imports_numpy_only_and_defines_forward() -> None:
    tree = ast.parse(numpy_code(random_network("sigmoid", "softmax")))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported == {"numpy"}
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert functions == {"forward", "sigmoid", "softmax"}  # only the activations it uses


def test_snippet_runs_alone_in_a_fresh_interpreter(tmp_path: Path) -> None:
    network = random_network("leaky_relu", "softmax")
    inputs = sample_inputs()
    script = tmp_path / "snippet.py"
    script.write_text(numpy_code(network) + "\nimport sys\n"
                      "np.save(sys.argv[2], forward(np.load(sys.argv[1])))\n")
    np.save(tmp_path / "inputs.npy", inputs)
    subprocess.run([sys.executable, "-I", str(script), str(tmp_path / "inputs.npy"),
                    str(tmp_path / "outputs.npy")], cwd=tmp_path, check=True, timeout=60)
    np.testing.assert_allclose(np.load(tmp_path / "outputs.npy"), network.predict(inputs),
                               rtol=0.0, atol=TOLERANCE)


@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_snippet_takes_one_sample_as_a_vector(output: str) -> None:
    network = random_network("relu", output)
    sample = np.array([0.3, -1.2, 2.0])
    result = run_snippet(numpy_code(network))["forward"](sample.tolist())
    assert result.shape == (network.sizes[-1],)
    np.testing.assert_allclose(result, network.predict(sample[None, :])[0], rtol=0.0,
                               atol=TOLERANCE)


def test_snippet_refuses_nan_weights() -> None:
    network = random_network("tanh", "linear")
    network.params[0] = np.inf
    with pytest.raises(ConfigError, match="NaN or Inf"):
        numpy_code(network)
