"""Input features (X1, X2, X1², X2², X1X2, sin X1, sin X2) ahead of the first layer: the
transform, gradients through it, learning with it, and every file and export that keeps it."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import cast

import numpy as np
import pytest

from engine.cli import main
from engine.core.errors import ConfigError, WeightsFileError
from engine.core.features import (
    FEATURE_IDS,
    apply_features,
    canonical_features,
    display_names,
    parse_features,
)
from engine.core.network import Network
from engine.core.seeding import seed_streams
from engine.data.dataset import Dataset
from engine.data.datasets import make_dataset
from engine.explain.gradcheck import check_gradients
from engine.io.numpy_code import numpy_code
from engine.io.onnx_export import onnx_bytes
from engine.io.session import SessionFileError, load_session, restore, save_session, session_dict
from engine.io.weights_io import load_weights, save_weights
from engine.training.config import HiddenLayer, TrainingConfig, build_trainer, make_network
from engine.training.snapshot import take_snapshot
from engine.training.trainer import Trainer

ALL = FEATURE_IDS
SQUARES = ("x1^2", "x2^2")
POINTS = np.array([[0.5, -2.0], [3.0, 0.25], [0.0, 0.0], [-1.5, 4.0]])


def random_featured_network(hidden: str, output: str, seed: int = 0) -> Network:
    """7 features -> 5 -> 3 -> k, every parameter drawn at random."""
    outputs = 3 if output == "softmax" else 2
    network = Network([len(ALL), 5, 3, outputs], [hidden, hidden, output], features=ALL)
    network.params[...] = np.random.default_rng(seed).normal(0.0, 0.8, network.params.size)
    return network


def raw_points(seed: int = 1, count: int = 25) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-5.0, 5.0, size=(count, 2))


def circle(samples: int = 200, seed: int = 0) -> Dataset:
    return make_dataset("circle", samples, 0.0, seed_streams(seed).data)


def train(trainer: Trainer, steps: int) -> Trainer:
    for _ in range(steps):
        trainer.step()
    return trainer


# -- the transform ----------------------------------------------------------------------------


def test_transform_gives_each_feature_of_each_point() -> None:
    x1, x2 = POINTS[:, 0], POINTS[:, 1]
    expected = np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])
    features = apply_features(ALL, POINTS)
    assert features.dtype == np.float64 and features.shape == (4, 7)
    np.testing.assert_allclose(features, expected, rtol=1e-15, atol=0.0)
    assert apply_features(("x1*x2",), POINTS)[:, 0].tolist() == [-1.0, 0.75, 0.0, -6.0]


def test_features_are_used_in_canonical_order_whatever_order_they_are_chosen_in() -> None:
    assert canonical_features(["sin(x2)", "x1", "x2^2"]) == ("x1", "x2^2", "sin(x2)")
    assert parse_features(" sin(x1) , x1^2") == ("x1^2", "sin(x1)")
    network = Network([2, 1], ["sigmoid"], features=["x2^2", "x1*x2"])
    assert network.features == ("x2^2", "x1*x2")
    assert display_names(ALL) == ("x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "sin x₁", "sin x₂")


@pytest.mark.parametrize(("names", "fragment"), [
    (["x3"], "unknown input feature 'x3'"),
    (["x1", "x1^2", "x1"], "'x1' is chosen twice"),
    ([], "at least one input feature"),
])
def test_bad_feature_choices_are_refused(names: list[str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        canonical_features(names)


def test_features_need_two_dimensional_raw_data() -> None:
    network = Network([3, 1], ["sigmoid"], features=("x1", "x2", "x1*x2"))
    with pytest.raises(ConfigError, match="takes 2 inputs"):
        network.predict(np.zeros((4, 3)))
    one_column = Dataset(np.zeros((5, 1)), np.zeros((5, 1)), "regression", ("x",), ("y",))
    with pytest.raises(ConfigError, match="input features need data with 2 input columns"):
        build_trainer(TrainingConfig(dataset="one", features=SQUARES, output_activation="linear",
                                     loss="mse"), one_column)


def test_feature_count_must_match_the_input_layer() -> None:
    with pytest.raises(ConfigError, match="2 input features need 2 input neurons"):
        Network([3, 1], ["sigmoid"], features=SQUARES)


# -- the network --------------------------------------------------------------------------------


def test_forward_takes_raw_inputs_and_a0_holds_the_features() -> None:
    network = random_featured_network("tanh", "sigmoid")
    assert network.input_width == 2 and network.sizes[0] == 7
    forward = network.forward(POINTS)
    np.testing.assert_array_equal(forward.activations[0], apply_features(ALL, POINTS))
    plain = Network(network.sizes, network.activations, network.params)
    np.testing.assert_array_equal(network.predict(POINTS),
                                  plain.predict(apply_features(ALL, POINTS)))


def test_copies_and_rebuilt_networks_keep_their_features() -> None:
    network = random_featured_network("relu", "softmax")
    assert network.copy().features == ALL
    rebuilt = Network.from_arrays(network.weights, network.biases, network.activations, ALL)
    np.testing.assert_array_equal(rebuilt.predict(POINTS), network.predict(POINTS))
    assert network.with_params(network.params * 2).features == ALL


def test_without_features_the_network_is_unchanged() -> None:
    network = Network([2, 3, 1], ["tanh", "sigmoid"])
    assert network.features == () and network.input_width == 2
    assert network.forward(POINTS).activations[0] is POINTS


@pytest.mark.parametrize(("hidden", "output", "loss", "reduction"), [
    ("tanh", "sigmoid", "bce", "mean"),
    ("sigmoid", "softmax", "cross_entropy", "sum"),
    ("leaky_relu", "linear", "mse", "mean"),
    ("tanh", "tanh", "mse", "sum"),
])
def test_gradient_check_passes_with_every_feature_on(
    hidden: str, output: str, loss: str, reduction: str
) -> None:
    network = random_featured_network(hidden, output)
    inputs = raw_points(count=12) / 2.0
    rng = np.random.default_rng(3)
    if output == "softmax":
        targets = np.eye(3)[rng.integers(0, 3, len(inputs))]
    elif loss == "bce":
        targets = rng.integers(0, 2, (len(inputs), 2)).astype(np.float64)
    else:
        targets = rng.normal(size=(len(inputs), 2)) * 0.5
    result = check_gradients(network, inputs, targets, network.loss(loss), reduction)
    assert result.passed, (result.worst, result.max_relative_error)
    assert [layer.passed for layer in result.layers] == [True] * 3


def test_the_first_layer_gradient_is_built_from_the_features() -> None:
    network = random_featured_network("tanh", "sigmoid")
    targets = np.ones((len(POINTS), 2))
    forward, gradients = network.gradients(POINTS, targets, network.loss("bce"), "sum")
    expected = gradients.deltas[0].T @ apply_features(ALL, POINTS)
    np.testing.assert_allclose(gradients.weights[0], expected, rtol=1e-12, atol=1e-14)


def test_circle_is_learned_without_a_hidden_layer_from_the_squares() -> None:
    dataset = circle()
    base = TrainingConfig(dataset="circle", samples=200, noise=0.0, hidden=(),
                          learning_rate=0.1, optimizer="adam")
    with_squares = train(build_trainer(base.with_changes(features=SQUARES), dataset), 400)
    raw = train(build_trainer(base, dataset), 400)
    assert with_squares.network.sizes == (2, 1)
    assert with_squares.evaluate(dataset).metric == 1.0
    assert raw.evaluate(dataset).metric < 0.8  # a line cannot separate a disc from a ring


def test_xor_quadrants_need_only_the_product() -> None:
    dataset = make_dataset("xor-quadrants", 200, 0.0, seed_streams(0).data)
    config = TrainingConfig(dataset="xor-quadrants", hidden=(), features=("x1*x2",),
                            learning_rate=0.1)
    trainer = train(build_trainer(config, dataset), 300)
    assert trainer.evaluate(dataset).metric >= 0.99


# -- config and snapshot ------------------------------------------------------------------------


def test_x1_and_x2_alone_are_the_raw_inputs() -> None:
    network = make_network(TrainingConfig(features=("x2", "x1")), 2, 1)
    assert network.features == () and network.sizes[0] == 2
    assert "features" not in TrainingConfig().to_dict()
    assert TrainingConfig(features=SQUARES).to_dict()["features"] == ["x1^2", "x2^2"]


def test_snapshot_batch_inputs_and_probe_show_the_features_of_the_batch() -> None:
    dataset = circle(40)
    config = TrainingConfig(dataset="circle", samples=40, noise=0.0, batch_size=8,
                            features=("x1", "x1^2", "x2^2", "sin(x2)"))
    trainer = train(build_trainer(config, dataset), 3)
    snapshot = take_snapshot(trainer, probe_row=5)
    raw = trainer.data.train.inputs[snapshot.batch_rows]
    np.testing.assert_array_equal(snapshot.batch_inputs, apply_features(config.features, raw))
    assert snapshot.sizes[0] == 4 and snapshot.batch_inputs.shape == (8, 4)
    np.testing.assert_array_equal(
        snapshot.probe.activations[0],
        apply_features(config.features, trainer.data.train.inputs[5:6])[0])


# -- weight files -------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", [".json", ".npz"])
def test_weight_files_record_and_restore_the_features(tmp_path: Path, extension: str) -> None:
    network = random_featured_network("tanh", "sigmoid")
    path = tmp_path / f"net{extension}"
    save_weights(path, network, "bce")
    loaded = load_weights(path).network
    assert loaded.features == ALL
    np.testing.assert_array_equal(loaded.params, network.params)
    np.testing.assert_array_equal(loaded.predict(POINTS), network.predict(POINTS))


def test_json_has_a_features_field_only_with_features(tmp_path: Path) -> None:
    featured, plain = tmp_path / "featured.json", tmp_path / "plain.json"
    save_weights(featured, Network([2, 1], ["sigmoid"], features=SQUARES), "bce")
    save_weights(plain, Network([2, 1], ["sigmoid"]), "bce")
    assert json.loads(featured.read_text())["features"] == ["x1^2", "x2^2"]
    assert "features" not in json.loads(plain.read_text())
    assert load_weights(plain).network.features == ()


def test_an_old_weights_file_without_features_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps({
        "format": "deltascope-weights", "version": 1, "loss": "bce",
        "layers": [{"inputs": 2, "outputs": 1, "activation": "sigmoid",
                    "weights": [[1.0, -2.0]], "biases": [0.5]}]}))
    network = load_weights(path).network
    assert network.features == () and network.input_width == 2
    assert network.predict(np.array([[1.0, 1.0]]))[0, 0] == pytest.approx(1 / (1 + math.e**0.5))


def json_file(tmp_path: Path, features: object, inputs: int = 2) -> Path:
    path = tmp_path / "w.json"
    path.write_text(json.dumps({
        "format": "deltascope-weights", "version": 1, "loss": "bce", "features": features,
        "layers": [{"inputs": inputs, "outputs": 1, "activation": "sigmoid",
                    "weights": [[float(j + 1) for j in range(inputs)]], "biases": [0.0]}]}))
    return path


@pytest.mark.parametrize(("features", "fragment"), [
    (["x1^3", "x2"], "features: unknown input feature 'x1^3'"),
    (["x1", "x1"], "features: input feature 'x1' is chosen twice"),
    ([], "features: choose at least one"),
    ("x1,x2", "features must be a list"),
    (["x1", 2], "features, entry 2 is 2, not a feature name"),
])
def test_bad_features_in_a_weights_file_are_named(
    tmp_path: Path, features: object, fragment: str
) -> None:
    with pytest.raises(WeightsFileError, match=fragment.replace("(", r"\(").replace("^", r"\^")):
        load_weights(json_file(tmp_path, features))


def test_features_must_match_the_first_layer(tmp_path: Path) -> None:
    with pytest.raises(WeightsFileError, match="features lists 3 input features but layer 1 "
                                               "has 2 inputs"):
        load_weights(json_file(tmp_path, ["x1", "x2", "x1*x2"]))


def test_bad_features_in_an_npz_file_are_named(tmp_path: Path) -> None:
    path = tmp_path / "w.npz"
    meta = {"format": "deltascope-weights", "version": 1, "loss": "bce",
            "activations": ["sigmoid"], "features": ["cos(x1)"]}
    np.savez(path, meta=np.array(json.dumps(meta)), W1=np.ones((1, 1)), b1=np.zeros(1))
    with pytest.raises(WeightsFileError, match="features: unknown input feature 'cos"):
        load_weights(path)


def test_a_file_listing_features_out_of_order_keeps_each_weight_on_its_feature(
    tmp_path: Path,
) -> None:
    network = load_weights(json_file(tmp_path, ["x2^2", "x1"])).network  # weights [1, 2]
    assert network.features == ("x1", "x2^2")
    np.testing.assert_array_equal(network.weights[0], [[2.0, 1.0]])


# -- exports ------------------------------------------------------------------------------------


@pytest.fixture
def ort() -> ModuleType:
    pytest.importorskip("onnx")
    return pytest.importorskip("onnxruntime")


@pytest.mark.parametrize(("hidden", "output"), [
    ("tanh", "sigmoid"), ("relu", "softmax"), ("leaky_relu", "linear"), ("sigmoid", "tanh")])
def test_onnxruntime_matches_the_engine_with_every_feature(
    hidden: str, output: str, ort: ModuleType
) -> None:
    network = random_featured_network(hidden, output)
    inputs = raw_points(count=30)
    session = ort.InferenceSession(onnx_bytes(network, "mse"), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape[1] == 2
    (outputs,) = session.run(["output"], {"input": inputs})
    np.testing.assert_allclose(outputs, network.predict(inputs), rtol=0.0, atol=1e-9)


@pytest.mark.parametrize("features", [ALL, ("x1*x2",), ("x2", "sin(x1)")])
def test_numpy_code_applies_the_features(features: tuple[str, ...]) -> None:
    network = Network([len(features), 4, 1], ["tanh", "sigmoid"], features=features)
    network.params[...] = np.random.default_rng(2).normal(size=network.params.size)
    namespace: dict[str, object] = {}
    exec(numpy_code(network), namespace)  # noqa: S102 (the snippet is ours)
    forward = cast(Callable[[np.ndarray], np.ndarray], namespace["forward"])
    inputs = raw_points(count=30)
    np.testing.assert_allclose(forward(inputs), network.predict(inputs), rtol=0.0, atol=1e-12)
    np.testing.assert_allclose(forward(inputs[4]), network.predict(inputs[4:5])[0],
                               rtol=0.0, atol=1e-12)


# -- sessions -----------------------------------------------------------------------------------


FEATURED = TrainingConfig(dataset="circle", samples=60, noise=0.1, test_ratio=0.25,
                          hidden=(HiddenLayer(3, "tanh"),), batch_size=7,
                          features=("x1", "x1^2", "x2^2", "x1*x2", "sin(x2)"))


def test_a_session_keeps_the_features_and_continues_bit_identically(tmp_path: Path) -> None:
    dataset = make_dataset("circle", 60, 0.1, seed_streams(0).data)
    never_stopped = train(build_trainer(FEATURED, dataset), 11)
    path = tmp_path / "run.deltascope"
    save_session(path, FEATURED, dataset, never_stopped)
    loaded = load_session(path)
    assert loaded.config == FEATURED
    assert loaded.trainer.network.features == FEATURED.features
    train(never_stopped, 13)
    train(loaded.trainer, 13)
    assert np.array_equal(never_stopped.network.params, loaded.trainer.network.params)
    assert np.array_equal(never_stopped.history.train_cost, loaded.trainer.history.train_cost)


@pytest.mark.parametrize(("value", "fragment"), [
    (["x1", "tan(x1)"], "config.features: unknown input feature 'tan"),
    ("x1", "config.features must be a list"),
    ([3], r"config.features\[0\] must be text"),
])
def test_bad_features_in_a_session_are_named(value: object, fragment: str) -> None:
    dataset = make_dataset("circle", 60, 0.1, seed_streams(0).data)
    data = session_dict(FEATURED, dataset, build_trainer(FEATURED, dataset))
    data["config"]["features"] = value
    with pytest.raises(SessionFileError, match=fragment):
        restore(data)


def test_a_session_without_features_restores_raw_inputs() -> None:
    config = FEATURED.with_changes(features=())
    dataset = make_dataset("circle", 60, 0.1, seed_streams(0).data)
    data = session_dict(config, dataset, build_trainer(config, dataset))
    assert "features" not in data["config"]
    restored_config, _, trainer = restore(data)
    assert restored_config.features == () and trainer.network.sizes[0] == 2


# -- the train command --------------------------------------------------------------------------


def test_cli_trains_with_features_and_exports_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "circle.json"
    code = main(["--dataset", "circle", "--samples", "100", "--features", "x2^2,x1^2",
                 "--layers", "2,1", "--epochs", "200", "--lr", "0.1",
                 "--export", str(export)])
    out = capsys.readouterr().out
    assert code == 0
    assert "network 2-1 (sigmoid); features x1^2, x2^2" in out
    assert "train accuracy 100.0%" in out.splitlines()[-1]
    assert load_weights(export).network.features == SQUARES


def test_cli_weights_with_features_use_the_files_features(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start, again = tmp_path / "start.json", tmp_path / "again.json"
    network = Network([7, 3, 1], ["tanh", "sigmoid"], features=ALL)
    network.params[...] = np.random.default_rng(4).normal(size=network.params.size)
    save_weights(start, network, "bce")
    code = main(["--dataset", "circle", "--weights", str(start), "--features", "x1",
                 "--epochs", "0", "--export", str(again)])
    captured = capsys.readouterr()
    assert code == 0
    assert "--features" in captured.err and "ignored" in captured.err
    reloaded = load_weights(again).network
    assert reloaded.features == ALL
    np.testing.assert_array_equal(reloaded.params, load_weights(start).network.params)


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--dataset", "circle", "--features", "x1,cos(x2)"], "--features: unknown input feature"),
    (["--dataset", "circle", "--features", "x1,x1"], "'x1' is chosen twice"),
    (["--dataset", "circle", "--features", "x1^2,x2^2", "--layers", "3,1"],
     "--layers starts with 3 inputs but the --features give 2 input features"),
])
def test_cli_refuses_bad_features_with_one_line(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--epochs", "1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("deltascope: error: ")
    assert fragment in err[0]


def test_cli_refuses_features_on_data_that_is_not_two_dimensional(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_path = tmp_path / "line.csv"
    csv_path.write_text("x,y\n0,1\n1,3\n2,5\n3,7\n")
    assert main(["--data", str(csv_path), "--features", "x1^2", "--epochs", "1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert "--features: input features need data with 2 input columns" in err[0]
    assert "has 1" in err[0]
