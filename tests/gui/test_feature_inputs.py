"""Input features in the window: the Features checkboxes rebuild the network (asking first),
the canvas shows one input neuron per feature, and exports and imports keep them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.core.features import FEATURE_IDS, apply_features
from engine.core.network import ParameterRef
from engine.explain.explain import UPSTREAM, explain
from engine.io.weights_io import load_weights
from engine.training.config import HiddenLayer, TrainingConfig
from gui.app.main_window import MainWindow
from gui.app.session_actions import SessionController
from gui.base.dialogs import Button
from tests.gui.helpers import trained

CIRCLE = TrainingConfig(dataset="circle", samples=120, noise=0.0, batch_size=16,
                        hidden=(HiddenLayer(3, "tanh"),), learning_rate=0.05)
SQUARES_TOO = ("x1", "x2", "x1^2", "x2^2")


def ticked(window: MainWindow) -> tuple[str, ...]:
    return tuple(name for name, check in window.controls.feature_checks.items()
                 if check.isChecked())


def input_labels(window: MainWindow) -> list[str]:
    assert window.snapshot is not None
    return [window.canvas.neuron_label(0, index) for index in range(window.snapshot.sizes[0])]


def test_ticking_squares_on_circle_asks_then_adds_input_neurons(
    make_window, qtbot, answers
) -> None:
    window = make_window(CIRCLE)
    assert ticked(window) == ("x1", "x2") and window.controls.config().features == ()
    assert window.controls.features_group.isEnabled()
    before = window.step(10)
    answers.append(Button.Cancel)
    window.controls.feature_checks["x1^2"].setChecked(True)
    assert ticked(window) == ("x1", "x2")  # reverted, nothing reset
    assert window.step(0).step == before.step
    answers.append(Button.Discard)
    window.controls.feature_checks["x1^2"].setChecked(True)
    qtbot.waitUntil(lambda: window.snapshot.sizes == (3, 3, 1), timeout=5000)
    window.controls.feature_checks["x2^2"].setChecked(True)  # untrained: no question
    qtbot.waitUntil(lambda: window.snapshot.sizes == (4, 3, 1), timeout=5000)
    assert not answers
    assert window.config.features == SQUARES_TOO
    assert input_labels(window) == ["x₁", "x₂", "x₁²", "x₂²"]
    snapshot = window.step(25)
    assert snapshot.step == 25 and np.isfinite(snapshot.cost)
    train_inputs = trained(window.config, 0).data.train.inputs  # the window's split
    np.testing.assert_array_equal(snapshot.batch_inputs,
                                  apply_features(SQUARES_TOO, train_inputs[snapshot.batch_rows]))
    # The inspector's chain rule for W¹ reads a⁰: the x₂² column of the batch.
    breakdown = explain(snapshot, ParameterRef(1, "weight", 0, 3))
    np.testing.assert_array_equal(breakdown.factors[UPSTREAM].values, snapshot.batch_inputs[:, 3])
    assert breakdown.engine_gradient == snapshot.gradient[3]


def test_the_last_ticked_feature_cannot_be_unticked(make_window, qtbot) -> None:
    window = make_window(CIRCLE.with_changes(features=("x1*x2",)))
    assert ticked(window) == ("x1*x2",) and window.snapshot.sizes[0] == 1
    assert input_labels(window) == ["x₁x₂"]
    window.controls.feature_checks["x1*x2"].setChecked(False)
    assert ticked(window) == ("x1*x2",)
    assert window.controls.config().features == ("x1*x2",)


def test_gradient_check_passes_with_every_feature(make_window, qtbot) -> None:
    window = make_window(CIRCLE.with_changes(features=FEATURE_IDS))
    assert ticked(window) == FEATURE_IDS and window.snapshot.sizes[0] == 7
    window.step(5)
    window.gradient_check_action.trigger()
    qtbot.waitUntil(lambda: window.gradient_check.result is not None, timeout=10000)
    assert window.gradient_check.result.passed


def test_exported_weights_bring_their_features_into_a_fresh_window(
    make_window, qtbot, tmp_path: Path
) -> None:
    window = make_window(CIRCLE.with_changes(features=("x1^2", "x2^2", "sin(x1)")))
    snapshot = window.step(15)
    path = tmp_path / "circle.npz"
    assert window.export_weights(path)
    assert load_weights(path).network.features == ("x1^2", "x2^2", "sin(x1)")
    code = window.copy_numpy_code()
    assert code is not None and "def features(x):" in code
    fresh = make_window(CIRCLE)
    assert fresh.import_weights(path)
    qtbot.waitUntil(lambda: fresh.snapshot.sizes == (3, 3, 1), timeout=5000)
    assert ticked(fresh) == ("x1^2", "x2^2", "sin(x1)")
    assert fresh.config.features == ("x1^2", "x2^2", "sin(x1)")
    assert input_labels(fresh) == ["x₁²", "x₂²", "sin x₁"]
    np.testing.assert_array_equal(fresh.snapshot.params, snapshot.params)


def test_features_are_off_and_disabled_for_one_column_data(
    make_window, qtbot, tmp_path: Path
) -> None:
    csv_path = tmp_path / "line.csv"
    csv_path.write_text("x,y\n" + "".join(f"{x},{2 * x + 1}\n" for x in range(12)))
    window = make_window(CIRCLE.with_changes(features=("x1^2", "x2^2")))
    assert window.open_dataset(csv_path)
    qtbot.waitUntil(lambda: window.snapshot.sizes[0] == 1, timeout=5000)
    assert not window.controls.features_group.isEnabled()
    assert window.config.features == () and window.controls.config().features == ()
    assert input_labels(window) == ["x"]
    window.controls.dataset_combo.set_code("circle")  # back to 2-D data: enabled again
    qtbot.waitUntil(lambda: window.snapshot.sizes[0] == 2, timeout=5000)
    assert window.controls.features_group.isEnabled()


def test_a_saved_session_reopens_with_its_features_ticked(
    make_window, qtbot, tmp_path: Path
) -> None:
    config = CIRCLE.with_changes(features=("x1", "x1*x2", "sin(x2)"))
    window = make_window(config)
    saved = window.step(12)
    path = tmp_path / "circle.deltascope"
    assert window.findChild(SessionController).save_session(path)
    fresh = make_window(CIRCLE)
    assert fresh.findChild(SessionController).open_session(path)
    qtbot.waitUntil(lambda: fresh.snapshot.step == 12, timeout=5000)
    assert ticked(fresh) == ("x1", "x1*x2", "sin(x2)") and fresh.controls.config() == config
    assert input_labels(fresh) == ["x₁", "x₁x₂", "sin x₂"]
    np.testing.assert_array_equal(fresh.snapshot.params, saved.params)
    np.testing.assert_array_equal(fresh.step(5).params, window.step(5).params)
