"""The built-in digits dataset and image inputs: loading and checking the shipped file, the
`train` command reaching the issue's accuracy, image shapes from flags and column names, and
image shapes kept by sessions and weight files (old files without one still load)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.core.errors import ConfigError, DatasetError
from engine.core.network import Network
from engine.core.seeding import seed_streams
from engine.data.dataset import Dataset
from engine.data.datasets import DATASET_INFO, make_dataset
from engine.data.digits import DIGITS_PATH, make_digits, read_digits
from engine.data.image_shape import parse_image_shape, pixel_names, shape_from_pixel_names
from engine.io.session import load_session, save_session
from engine.io.weights_io import load_weights, save_weights
from engine.training.config import TrainingConfig, build_trainer, suited_to_dataset


def test_digits_is_1797_images_of_8x8_pixels_in_10_classes() -> None:
    digits = make_dataset("digits")
    assert digits.inputs.shape == (1797, 64) and digits.targets.shape == (1797, 10)
    assert digits.image_shape == (8, 8)
    assert digits.inputs.min() == 0.0 and digits.inputs.max() == 1.0
    assert sorted(set(digits.class_labels().tolist())) == list(range(10))
    assert digits.class_names == tuple(str(k) for k in range(10))
    assert digits.feature_names[9] == "px_1_1"
    # the shipped file is the UCI test set as scikit-learn ships it: first row is a 0
    assert read_digits()[0, -1] == 0 and DIGITS_PATH.name == "digits.csv.gz"


def test_digits_subset_and_order_follow_the_generator() -> None:
    first = make_dataset("digits", 100, None, np.random.default_rng(3))
    again = make_dataset("digits", 100, None, np.random.default_rng(3))
    assert len(first) == 100 and np.array_equal(first.inputs, again.inputs)
    assert first.subset(np.arange(5)).image_shape == (8, 8)
    with pytest.raises(DatasetError, match="at most 1797"):
        make_dataset("digits", 2000)


@pytest.mark.parametrize("content, fragment", [
    (b"not,numbers\n", "damaged"),
    (b"0," * 64 + b"3\n", "1 rows of 65 numbers"),
])
def test_a_damaged_digits_file_is_refused_naming_it(
        tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "digits.csv.gz"
    path.write_bytes(gzip.compress(content))
    with pytest.raises(DatasetError, match=fragment) as error:
        make_digits(10, np.random.default_rng(0), path)
    assert str(path) in str(error.value)


def test_a_digits_file_with_a_pixel_out_of_range_names_the_line(tmp_path: Path) -> None:
    rows = read_digits().copy()
    rows[41, 3] = 17
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(gzip.compress("\n".join(",".join(f"{v:g}" for v in row)
                                             for row in rows).encode()))
    with pytest.raises(DatasetError, match="line 42"):
        make_digits(10, np.random.default_rng(0), path)
    truncated = tmp_path / "cut.csv.gz"
    truncated.write_bytes(DIGITS_PATH.read_bytes()[:20_000])
    with pytest.raises(DatasetError, match="damaged"):
        make_digits(10, np.random.default_rng(0), truncated)


def test_train_digits_as_the_issue_writes_it_reaches_95_percent(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--dataset", "digits", "--layers", "64,32,10", "--epochs", "30"])
    out = capsys.readouterr().out
    assert code == 0, out
    header, summary = out.splitlines()[0], out.splitlines()[-1]
    assert "1348 train, 449 test" in header and "softmax" in header
    assert "cross_entropy" in header and "batch size 32" in header
    accuracy = float(summary.split("test accuracy ")[1].split("%")[0])
    assert accuracy >= 95.0, summary


def test_the_window_settings_for_digits_fit_it() -> None:
    config = suited_to_dataset(TrainingConfig(), "digits")
    assert (config.output_activation, config.loss) == ("softmax", "cross_entropy")
    assert config.test_ratio == DATASET_INFO["digits"].test_ratio > 0
    assert [layer.size for layer in config.hidden] == [32]
    assert suited_to_dataset(TrainingConfig(), "circle") == TrainingConfig()
    back = suited_to_dataset(config, "circle")  # softmax cannot work for one target column
    assert (back.output_activation, back.loss) == ("sigmoid", "bce")
    regression = suited_to_dataset(config, "reg-plane")
    assert (regression.output_activation, regression.loss) == ("linear", "mse")
    kept = TrainingConfig(output_activation="tanh", loss="mse")  # works for two classes
    assert suited_to_dataset(kept, "gauss") == kept


def test_image_shapes_from_text_and_from_pixel_column_names() -> None:
    assert parse_image_shape("8x8") == (8, 8) and parse_image_shape(" 2 X 3 ") == (2, 3)
    for bad in ("8", "8x", "axb", "0x4"):
        with pytest.raises(ConfigError):
            parse_image_shape(bad)
    assert shape_from_pixel_names(pixel_names((2, 3))) == (2, 3)
    assert shape_from_pixel_names(("x1", "x2")) is None
    with pytest.raises(ConfigError, match="column 2 is 'px_1_0'"):
        shape_from_pixel_names(("px_0_0", "px_1_0", "px_0_1", "px_1_1"))
    with pytest.raises(ConfigError, match="'size' is not a pixel name"):
        shape_from_pixel_names(("px_0_0", "size"))


def _write_csv(path: Path, names: list[str], rows: int = 12) -> None:
    rng = np.random.default_rng(0)
    lines = [",".join([*names, "label"])]
    for index in range(rows):
        lines.append(",".join(f"{v:.3f}" for v in rng.random(len(names))) + f",{index % 2}")
    path.write_text("\n".join(lines) + "\n")


def test_train_takes_an_image_shape_for_a_csv_and_stores_it_in_the_weights(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "tiny.csv"
    _write_csv(csv, [f"c{k}" for k in range(6)])
    out = tmp_path / "w.json"
    code = main(["--data", str(csv), "--image-shape", "2x3", "--epochs", "2", "--quiet",
                 "--export", str(out)])
    assert code == 0, capsys.readouterr().err
    assert json.loads(out.read_text())["image_shape"] == [2, 3]
    assert load_weights(out).image_shape == (2, 3)
    assert main(["--data", str(csv), "--image-shape", "4x4", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "--image-shape" in err and "16 pixels" in err and "6 input columns" in err
    named = tmp_path / "named.csv"
    _write_csv(named, list(pixel_names((3, 2))))
    code = main(["--data", str(named), "--epochs", "1", "--quiet", "--export", str(out)])
    assert code == 0 and load_weights(out).image_shape == (3, 2)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_weight_files_keep_the_image_shape_and_old_files_have_none(
        tmp_path: Path, suffix: str) -> None:
    network = Network([6, 3, 1], ["tanh", "sigmoid"])
    path = tmp_path / f"w{suffix}"
    save_weights(path, network, "bce", (2, 3))
    assert load_weights(path).image_shape == (2, 3)
    save_weights(path, network, "bce")
    assert load_weights(path).image_shape is None
    with pytest.raises(ConfigError, match="6 input columns"):
        save_weights(path, network, "bce", (4, 4))


def test_a_weights_file_with_a_wrong_image_shape_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    save_weights(path, Network([6, 1], ["sigmoid"]), "bce", (2, 3))
    document = json.loads(path.read_text())
    document["image_shape"] = [3, 3]
    path.write_text(json.dumps(document))
    with pytest.raises(Exception, match="image_shape.*9 pixels"):
        load_weights(path)


def test_sessions_keep_the_image_shape_of_csv_data_and_digits_by_recipe(tmp_path: Path) -> None:
    digits_config = suited_to_dataset(TrainingConfig(dataset="digits", samples=200), "digits")
    digits = make_dataset("digits", 200, None, seed_streams(0).data)
    path = tmp_path / "d.deltascope"
    save_session(path, digits_config, digits, build_trainer(digits_config, digits))
    saved = json.loads(path.read_text())["dataset"]
    assert saved["source"] == "builtin" and saved["name"] == "digits"
    assert load_session(path).dataset.image_shape == (8, 8)
    rng = np.random.default_rng(1)
    data = Dataset(rng.random((10, 6)), (rng.random((10, 1)) > 0.5).astype(float),
                   "classification", tuple("abcdef"), ("y",), ("0", "1"), "pix", (3, 2))
    config = TrainingConfig(dataset="pix")
    save_session(path, config, data, build_trainer(config, data))
    assert json.loads(path.read_text())["dataset"]["image_shape"] == [3, 2]
    assert load_session(path).dataset.image_shape == (3, 2)
    document = json.loads(path.read_text())
    del document["dataset"]["image_shape"]  # a file from before image shapes
    path.write_text(json.dumps(document))
    assert load_session(path).dataset.image_shape is None
    document["dataset"]["image_shape"] = [2, 2]
    path.write_text(json.dumps(document))
    with pytest.raises(Exception, match="dataset.image_shape"):
        load_session(path)
