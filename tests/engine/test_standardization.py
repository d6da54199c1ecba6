"""Input standardization: fitted to the training split only, no NaN for constant columns,
carried by weight files, sessions, ONNX and NumPy code so exports take raw inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.core.network import Network
from engine.core.standardization import Standardization
from engine.data.dataset import Dataset
from engine.io.numpy_code import numpy_code
from engine.io.session import SessionFileError, load_session, save_session
from engine.io.weights_io import WeightsFileError, load_weights, save_weights
from engine.training.config import TrainingConfig, build_trainer


def raw_dataset(rows: int = 60) -> Dataset:
    """Three columns on very different scales, one constant; two classes."""
    rng = np.random.default_rng(3)
    inputs = np.column_stack([rng.normal(1000.0, 200.0, rows), rng.normal(0.0, 0.01, rows),
                              np.full(rows, 7.0)])
    targets = ((inputs[:, 0] - 1000.0) / 200.0 + inputs[:, 1] * 100.0 > 0).astype(float)
    return Dataset(inputs, targets.reshape(-1, 1), "classification", ("a", "b", "c"), ("y",),
                   ("0", "1"), "raw")


def standardized_trainer(steps: int = 30) -> tuple[TrainingConfig, Dataset, object]:
    config = TrainingConfig(dataset="raw", test_ratio=0.25, standardize=True, batch_size=0)
    dataset = raw_dataset()
    trainer = build_trainer(config, dataset)
    for _ in range(steps):
        trainer.step()
    return config, dataset, trainer


def test_fitted_to_the_training_split_only_and_constant_column_is_zero() -> None:
    _, _, trainer = standardized_trainer(0)
    standardization = trainer.network.standardization
    train = trainer.data.train.inputs
    np.testing.assert_array_equal(standardization.mean, train.mean(axis=0))
    assert standardization.std[2] == 1.0  # constant column: divided by 1
    np.testing.assert_allclose(standardization.std[:2], train[:, :2].std(axis=0), rtol=1e-14)
    scaled = trainer.network.forward(train).activations[0]
    assert np.all(np.isfinite(scaled)) and np.all(scaled[:, 2] == 0.0)
    np.testing.assert_allclose(scaled[:, :2].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled[:, :2].std(axis=0), 1.0)
    everything = np.concatenate([train, trainer.data.test.inputs])
    assert not np.array_equal(standardization.mean, everything.mean(axis=0))


def test_off_by_default_for_configs() -> None:
    trainer = build_trainer(TrainingConfig(dataset="raw"), raw_dataset())
    assert trainer.network.standardization is None


@pytest.mark.parametrize("extension", [".json", ".npz"])
def test_weight_files_carry_it(tmp_path: Path, extension: str) -> None:
    _, dataset, trainer = standardized_trainer()
    path = tmp_path / f"w{extension}"
    save_weights(path, trainer.network, "bce")
    loaded = load_weights(path).network
    assert loaded.standardization == trainer.network.standardization
    np.testing.assert_array_equal(loaded.predict(dataset.inputs),
                                  trainer.network.predict(dataset.inputs))


def test_old_weight_files_mean_no_standardization_and_bad_fields_are_named(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.json"
    save_weights(path, Network([3, 1], ["sigmoid"]), "bce")
    assert "standardization" not in path.read_text()
    assert load_weights(path).network.standardization is None
    document = json.loads(path.read_text())
    document["standardization"] = {"mean": [0.0, 1.0, 2.0], "std": [1.0, 0.0, 1.0]}
    path.write_text(json.dumps(document))
    with pytest.raises(WeightsFileError, match="standardization.std, entry 2 is 0.0"):
        load_weights(path)
    document["standardization"] = {"mean": [0.0, 1.0], "std": [1.0, 1.0]}
    path.write_text(json.dumps(document))
    with pytest.raises(WeightsFileError, match="standardization.mean has 2 numbers"):
        load_weights(path)


def test_numpy_code_takes_raw_inputs() -> None:
    _, dataset, trainer = standardized_trainer()
    namespace: dict[str, object] = {}
    exec(numpy_code(trainer.network), namespace)  # noqa: S102 - our own generated code
    forward = namespace["forward"]
    np.testing.assert_array_equal(forward(dataset.inputs), trainer.network.predict(dataset.inputs))


def test_onnx_takes_raw_inputs(tmp_path: Path) -> None:
    onnxruntime = pytest.importorskip("onnxruntime")
    from engine.io.onnx_export import save_onnx

    _, dataset, trainer = standardized_trainer()
    path = tmp_path / "model.onnx"
    save_onnx(path, trainer.network, "bce")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (outputs,) = session.run(None, {"input": dataset.inputs})
    np.testing.assert_allclose(outputs, trainer.network.predict(dataset.inputs), rtol=0,
                               atol=1e-12)


def test_sessions_carry_it_and_old_sessions_have_none(tmp_path: Path) -> None:
    config, dataset, trainer = standardized_trainer()
    path = tmp_path / "s.deltascope"
    save_session(path, config, dataset, trainer)
    loaded = load_session(path)
    assert loaded.config.standardize
    assert loaded.trainer.network.standardization == trainer.network.standardization
    data = json.loads(path.read_text())
    del data["network"]["standardization"]
    path.write_text(json.dumps(data))
    with pytest.raises(SessionFileError, match="network.standardization: missing"):
        load_session(path)
    del data["config"]["standardize"]  # an older session: raw inputs
    path.write_text(json.dumps(data))
    assert load_session(path).trainer.network.standardization is None


def test_standardization_rejects_bad_vectors() -> None:
    from engine.core.errors import ConfigError

    with pytest.raises(ConfigError):
        Standardization(np.array([0.0]), np.array([0.0]))
    with pytest.raises(ConfigError):
        Standardization(np.array([np.nan]), np.array([1.0]))


def _wine_like_csv(path: Path) -> Path:
    """Two classes separated along a column of order 1000 and one of order 0.01."""
    dataset = raw_dataset(80)
    rows = [",".join(map(repr, [*row, int(label)])) for row, label in
            zip(dataset.inputs.tolist(), dataset.targets[:, 0], strict=True)]
    path.write_text("a,b,c,y\n" + "\n".join(rows) + "\n")
    return path


def test_train_standardizes_csv_by_default_and_exports_carry_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_path = _wine_like_csv(tmp_path / "raw.csv")
    export = tmp_path / "w.json"
    assert main(["--data", str(csv_path), "--epochs", "100", "--export", str(export)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].endswith("inputs standardized with the training split's mean and std "
                           "(--no-standardize keeps them raw)")
    assert load_weights(export).network.standardization is not None
    assert main(["--data", str(csv_path), "--epochs", "1", "--no-standardize",
                 "--export", str(export)]) == 0
    assert capsys.readouterr().out.splitlines()[1].endswith(
        "inputs raw (--standardize scales them)")
    assert load_weights(export).network.standardization is None
    assert main(["--dataset", "circle", "--epochs", "1", "--standardize",
                 "--export", str(export)]) == 0
    assert "inputs standardized" in capsys.readouterr().out.splitlines()[1]
    assert load_weights(export).network.standardization is not None
