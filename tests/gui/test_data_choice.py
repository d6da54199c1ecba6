"""The window fits itself to the data (dataset combo, Open Dataset, the task), shows and
switches standardization, and explains settings that cannot learn instead of training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.io.numpy_code import numpy_code
from engine.io.weights_io import load_weights
from gui.app.launch import initial_config
from gui.base import dialogs
from tests.gui.helpers import find_action


def blobs_csv(path: Path, scale: float = 1000.0) -> Path:
    """Three blobs labelled 0, 1, 2, the first column on a scale of thousands."""
    rng = np.random.default_rng(1)
    lines = ["size,weight,label"]
    for k, centre in enumerate(((0.0, 0.0), (4.0, 0.0), (0.0, 4.0))):
        for x, y in rng.normal(centre, 0.5, size=(30, 2)):
            lines.append(f"{float(x) * scale!r},{float(y)!r},{k}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_choosing_a_dataset_sets_the_settings_of_its_task(make_window) -> None:
    window = make_window(initial_config("xor"))
    controls = window.controls
    controls.dataset_combo.set_code("spiral3")
    config = window.config
    assert (config.output_activation, config.loss, config.test_ratio) == \
        ("softmax", "cross_entropy", 0.3)
    assert config.batch_size == 10 and controls.batch_spin.value() == 10  # not XOR's full batch
    assert window.sync().sizes[-1] == 3
    assert controls.task_combo.code() == "classification"
    assert not controls.task_combo.isEnabled()  # a built-in dataset's task is its own
    assert controls.task_label.text() == "y: 3 classes (0, 1, 2) → 3 softmax outputs + " \
        "cross-entropy"
    controls.dataset_combo.set_code("reg-plane")
    assert (window.config.output_activation, window.config.loss) == ("linear", "mse")
    assert window.sync().sizes[-1] == 1 and window.sync().task == "regression"
    controls.dataset_combo.set_code("xor")
    config = window.config
    assert (config.output_activation, config.loss, config.test_ratio) == ("sigmoid", "bce", 0.0)
    assert config.batch_size == 0  # 4 rows: full batch again
    assert not config.standardize and not controls.standardize_check.isChecked()
    assert not window.banner.isVisible()


def test_asks_only_when_trained_weights_would_be_discarded(make_window, answers) -> None:
    window = make_window(initial_config("xor"))
    window.step(5)
    answers.append(dialogs.Button.Cancel)
    window.controls.dataset_combo.set_code("circle")
    assert window.config.dataset == "xor" and window.controls.dataset_combo.code() == "xor"
    assert window.config.loss == "bce" and not answers
    answers.append(dialogs.Button.Discard)
    window.controls.dataset_combo.set_code("spiral3")
    assert window.config.output_activation == "softmax" and window.sync().step == 0


def test_opening_a_csv_of_integer_labels_gives_classes_standardized(
    make_window, tmp_path: Path
) -> None:
    window = make_window(initial_config("xor"))
    assert window.open_dataset(blobs_csv(tmp_path / "blobs.csv"))
    config, controls = window.config, window.controls
    assert (config.output_activation, config.loss, config.test_ratio) == \
        ("softmax", "cross_entropy", 0.2)
    assert config.standardize and controls.standardize_check.isChecked()
    assert controls.task_combo.isEnabled() and controls.task_combo.code() == "classification"
    assert controls.task_label.text() == "label: 3 classes (0, 1, 2) → 3 softmax outputs + " \
        "cross-entropy"
    snapshot = window.step(60)
    assert snapshot.sizes[-1] == 3 and window.network_standardization is not None
    assert snapshot.evaluation.test.accuracy == 1.0
    # the same data taken as numbers (asks first: the weights are trained)
    window.mark_saved(snapshot.params)
    controls.task_combo.set_code("regression")
    config = window.config
    assert (config.output_activation, config.loss) == ("linear", "mse")
    assert window.sync().sizes[-1] == 1 and window.sync().task == "regression"
    assert controls.task_label.text().startswith("label: regression, numbers from 0 to 2")
    controls.standardize_check.setChecked(False)
    assert not window.config.standardize and window.network_standardization is None


def test_text_labels_cannot_become_regression(make_window, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: shown.append(text))
    path = tmp_path / "text.csv"
    path.write_text("a,b,kind\n0,0,cat\n1,0,dog\n0,1,cat\n1,1,dog\n")
    window = make_window(initial_config("xor"))
    assert window.open_dataset(path)
    window.controls.task_combo.set_code("regression")
    assert shown and "can only be classes" in shown[0]
    assert window.controls.task_combo.code() == "classification"
    assert window.sync().task == "classification"


def test_settings_that_cannot_learn_are_explained_and_not_trained(make_window) -> None:
    window = make_window(initial_config("xor"))
    controls = window.controls
    controls.loss_combo.set_code("cross_entropy")
    assert window.banner.isVisible()
    assert "cross_entropy (Cross-entropy) after a sigmoid output" in window.banner.text
    assert "softmax output with cross_entropy (Cross-entropy)" in window.banner.text
    find_action(window, "actionPlayPause").trigger()
    assert not window.playing
    find_action(window, "actionStep").trigger()
    assert window.step(3).step == 0
    controls.loss_combo.set_code("bce")
    assert not window.banner.isVisible()
    assert window.step(2).step == 2
    window.mark_saved(window.snapshot.params)
    controls.learning_rate_spin.setValue(0.0)
    assert "learning rate 0" in window.banner.text and window.banner.isVisible()
    assert window.step(2).step == 2  # refused: still where it was
    controls.learning_rate_spin.setValue(0.05)
    assert not window.banner.isVisible() and window.step(1).step == 3


def test_two_classes_with_two_softmax_outputs(make_window) -> None:
    window = make_window(initial_config("gauss"))
    window.controls.output_combo.set_code("softmax")
    assert window.config.loss == "cross_entropy"  # the loss that fits a softmax output
    assert not window.banner.isVisible()
    snapshot = window.step(150)
    assert snapshot.sizes[-1] == 2 and snapshot.evaluation.test.accuracy >= 0.95
    window.mark_saved(snapshot.params)
    window.controls.output_combo.set_code("sigmoid")
    assert window.config.loss == "bce" and window.sync().sizes[-1] == 1


def test_exports_from_the_window_take_raw_inputs(make_window, tmp_path: Path) -> None:
    onnxruntime = pytest.importorskip("onnxruntime")
    window = make_window(initial_config("xor"))
    assert window.open_dataset(blobs_csv(tmp_path / "blobs.csv"))
    snapshot = window.step(20)
    raw_row = window.trained_data.train.inputs[snapshot.probe.row : snapshot.probe.row + 1]
    shown = snapshot.probe.activations[-1]  # what the window shows for that sample
    for name in ("w.json", "w.npz"):
        assert window.export_weights(tmp_path / name)
        network = load_weights(tmp_path / name).network
        np.testing.assert_array_equal(network.predict(raw_row)[0], shown)
    assert window.export_weights(tmp_path / "w.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "w.onnx"),
                                           providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": raw_row})[0][0], shown, atol=1e-12)
    namespace: dict[str, object] = {}
    exec(window.copy_numpy_code(), namespace)  # noqa: S102 - the window's own code
    np.testing.assert_array_equal(namespace["forward"](raw_row)[0], shown)
    assert "(x - MEAN) / STD" in numpy_code(load_weights(tmp_path / "w.json").network)


def test_sessions_keep_the_standardization(make_window, tmp_path: Path) -> None:
    window = make_window(initial_config("xor"))
    assert window.open_dataset(blobs_csv(tmp_path / "blobs.csv"))
    window.step(5)
    kept = window.network_standardization
    assert window.save_session(str(tmp_path / "run.deltascope"))
    other = make_window(initial_config("xor"))
    assert other.open_session(str(tmp_path / "run.deltascope"))
    assert other.config.standardize and other.controls.standardize_check.isChecked()
    assert other.network_standardization == kept
    assert other.sync().step == 5


def test_imported_weights_bring_their_standardization(make_window, tmp_path: Path) -> None:
    window = make_window(initial_config("xor"))
    assert window.open_dataset(blobs_csv(tmp_path / "blobs.csv"))
    window.step(10)
    assert window.export_weights(tmp_path / "w.json")
    kept = window.network_standardization
    window.controls.standardize_check.setChecked(False)
    assert window.network_standardization is None and window.sync().step == 0
    assert window.import_weights(tmp_path / "w.json")
    assert window.network_standardization == kept and window.config.standardize


def test_step_through_does_not_apply_a_step_that_cannot_learn(make_window) -> None:
    from gui.panels.stepthrough import StepThrough

    window = make_window(initial_config("xor"))
    window.controls.loss_combo.set_code("cross_entropy")
    find_action(window, "actionStepThrough").trigger()
    walk = window.findChild(StepThrough)
    assert walk is not None and walk.active
    walk.panel.apply_button.click()
    assert not walk.active and "cannot learn" in walk.panel.message_label.text()
    assert window.sync().step == 0


def test_imported_weights_that_cannot_learn_are_explained(
    make_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.core.network import Network
    from engine.io.weights_io import save_weights

    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: shown.append(text))
    window = make_window(initial_config("xor"))
    save_weights(tmp_path / "soft1.json", Network([2, 3, 1], ["tanh", "softmax"]),
                 "cross_entropy")
    assert not window.import_weights(tmp_path / "soft1.json")
    assert "softmax over one output is always 1" in shown[0]
    save_weights(tmp_path / "ce.json", Network([2, 3, 1], ["tanh", "sigmoid"]), "cross_entropy")
    assert window.import_weights(tmp_path / "ce.json")  # imported, shown, not trained
    assert "cross_entropy (Cross-entropy) after a sigmoid output" in window.banner.text
    assert window.step(2).step == 0
