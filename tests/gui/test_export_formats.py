"""Exporting the trained network for other tools, from the window: ONNX and NumPy code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication

from engine.core.network import Network

XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _trained_network(window) -> Network:
    snapshot = window.step(50)
    assert snapshot is not None and snapshot.step == 50
    return Network(snapshot.sizes, snapshot.activation_names, snapshot.params)


def test_export_weights_as_onnx_runs_in_onnxruntime(make_window, tmp_path: Path) -> None:
    onnxruntime = pytest.importorskip("onnxruntime")
    window = make_window()
    network = _trained_network(window)
    path = tmp_path / "xor.onnx"
    assert window.export_weights(path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (outputs,) = session.run(None, {session.get_inputs()[0].name: XOR_INPUTS})
    np.testing.assert_allclose(outputs, network.predict(XOR_INPUTS), rtol=0, atol=1e-9)
    assert not window.has_unsaved_training


def test_copy_as_numpy_code_puts_a_working_forward_pass_on_the_clipboard(make_window) -> None:
    window = make_window()
    network = _trained_network(window)
    window.findChild(type(window.copy_code_action), "actionCopyNumpyCode").trigger()
    code = QGuiApplication.clipboard().text()
    namespace: dict[str, object] = {}
    exec(compile(code, "<clipboard>", "exec"), namespace)  # noqa: S102 (our own generated code)
    forward = namespace["forward"]
    assert callable(forward)
    np.testing.assert_allclose(forward(XOR_INPUTS), network.predict(XOR_INPUTS), rtol=0,
                               atol=1e-12)
