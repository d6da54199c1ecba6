"""`train` prints R² beside RMSE for regression; the `uniform` initializer is TensorFlow
Playground's: U(-0.5, 0.5) weights, biases 0.1."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.core.initializers import initialize
from engine.core.metrics import r_squared
from engine.core.network import Network
from engine.core.seeding import seed_streams
from engine.data.dataset import split_dataset
from engine.data.datasets import make_dataset
from engine.io.weights_io import load_weights


def test_regression_summary_prints_r_squared_beside_rmse(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = tmp_path / "w.json"
    code = main(["--dataset", "reg-plane", "--samples", "60", "--epochs", "30", "--seed", "3",
                 "--export", str(weights), "--quiet"])
    summary = capsys.readouterr().out.strip()
    assert code == 0
    printed = [float(value) for value in re.findall(r"R² (\S+?)[;,]?(?: |$)", summary)]
    assert len(printed) == 2, summary  # train and test
    assert re.search(r"train RMSE \S+, R² ", summary) and re.search(r"test RMSE \S+, R² ", summary)
    # the same numbers from the exported weights on the same split
    streams = seed_streams(3)
    split = split_dataset(make_dataset("reg-plane", 60, None, streams.data), 0.5, streams.split)
    network = load_weights(str(weights)).network
    for shown, data in zip(printed, (split.train, split.test), strict=True):
        assert shown == pytest.approx(r_squared(network.predict(data.inputs), data.targets),
                                      rel=1e-5)


def test_classification_summary_has_no_r_squared(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dataset", "xor", "--steps", "3", "--quiet"]) == 0
    assert "R²" not in capsys.readouterr().out


def test_uniform_is_playgrounds_weights_and_biases() -> None:
    network = Network((2, 8, 8, 1), ("tanh", "tanh", "sigmoid"))
    initialize(network, "uniform", np.random.default_rng(0))
    for weights, biases in zip(network.weights, network.biases, strict=True):
        assert np.all(np.abs(weights) <= 0.5) and np.ptp(weights) > 0.5
        assert np.all(biases == 0.1)
    for scheme in ("xavier", "he"):
        initialize(network, scheme, np.random.default_rng(0))
        assert all(np.all(biases == 0.0) for biases in network.biases)
    initialize(network, "uniform", np.random.default_rng(0), bias_value=0.0)
    assert all(np.all(biases == 0.0) for biases in network.biases)


def test_train_init_uniform_exports_biases_of_0_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = tmp_path / "w.json"
    assert main(["--dataset", "xor", "--layers", "2,5,1", "--init", "uniform", "--steps", "0",
                 "--export", str(weights), "--quiet"]) == 0
    network = load_weights(str(weights)).network
    assert all(np.all(biases == 0.1) for biases in network.biases)
    assert all(np.all(np.abs(weights) <= 0.5) for weights in network.weights)
