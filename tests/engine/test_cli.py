"""The headless `train` command: training, export / reload, errors on one line, no Qt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.core.network import Network
from engine.data.csv_data import load_csv
from engine.io.weights_io import load_weights, save_weights

ROOT = Path(__file__).resolve().parents[2]

CSV_TEXT = """x1,x2,y
0.5,-1.0,1
-0.25,2.0,0
1.5,0.75,1
-2.0,-0.5,0
0.0,1.25,1
"""


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_error_line(err: str, *fragments: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("deltascope: error: ")
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def run_subprocess(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", "train", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=60, check=False,
    )


# -- training and export --------------------------------------------------------------------


def test_xor_trains_to_full_accuracy_and_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "xor.json"
    code, out, err = run(["--dataset", "xor", "--epochs", "400", "--export", str(export)], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("xor: 4 samples (4 train, 0 test)")
    assert "2-4-1 (tanh, sigmoid)" in lines[0] and "loss bce" in lines[0]
    assert lines[1] == "y: 2 classes (0, 1) → 1 sigmoid output + bce; inputs raw"
    assert lines[2].startswith("epoch      1")
    assert any(line.startswith("epoch    400") for line in lines)
    assert 10 <= len(lines) <= 22
    assert lines[-1].startswith("done: 400 steps, 400 epochs")
    assert "train accuracy 100.0%" in lines[-1] and str(export) in lines[-1]
    loaded = load_weights(export)
    assert loaded.loss == "bce" and loaded.network.sizes == (2, 4, 1)
    outputs = loaded.network.predict(np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]))
    assert ((outputs[:, 0] >= 0.5) == np.array([False, True, True, False])).all()


def test_same_seed_gives_identical_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [tmp_path / "a.npz", tmp_path / "b.npz", tmp_path / "c.npz"]
    for path, seed in zip(paths, ["3", "3", "4"], strict=True):
        argv = ["--dataset", "circle", "--samples", "60", "--epochs", "3", "--seed", seed,
                "--quiet", "--export", str(path)]
        assert run(argv, capsys)[0] == 0
    params = [load_weights(path).network.params for path in paths]
    assert np.array_equal(params[0], params[1])
    assert not np.array_equal(params[0], params[2])


def test_export_then_reload_gives_same_params(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.npz"
    argv = ["--dataset", "spiral3", "--samples", "60", "--layers", "2,5,3", "--epochs", "2",
            "--export", str(first)]
    assert run(argv, capsys)[0] == 0
    loaded = load_weights(first)
    assert loaded.loss == "cross_entropy" and loaded.network.activations == ("tanh", "softmax")
    code, out, _ = run(["--dataset", "spiral3", "--samples", "60", "--weights", str(first),
                        "--epochs", "0", "--export", str(second)], capsys)
    assert code == 0 and "0 steps" in out.splitlines()[-1]
    reloaded = load_weights(second)
    assert reloaded.loss == "cross_entropy"
    assert np.array_equal(reloaded.network.params, loaded.network.params)


def test_weights_file_wins_over_layers_and_its_loss_over_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = tmp_path / "start.json"
    network = Network([2, 3, 1], ["relu", "sigmoid"], np.linspace(-1.0, 1.0, 13))
    save_weights(start, network, "half_sse")
    out_path = tmp_path / "out.json"
    code, out, err = run(["--dataset", "xor", "--weights", str(start), "--layers", "2,8,1",
                          "--activation", "tanh", "--epochs", "1", "--export", str(out_path)],
                         capsys)
    assert code == 0
    assert "--layers, --activation ignored" in err
    assert "2-3-1 (relu, sigmoid)" in out and "loss half_sse" in out
    trained = load_weights(out_path)
    assert trained.network.sizes == (2, 3, 1) and trained.loss == "half_sse"
    assert not np.array_equal(trained.network.params, network.params)  # it did train
    code, out, _ = run(["--dataset", "xor", "--weights", str(start), "--loss", "bce",
                        "--epochs", "0", "--export", str(out_path)], capsys)
    assert code == 0 and load_weights(out_path).loss == "bce"


def test_file_order_without_shuffle_uses_row_zero_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_path = tmp_path / "points.csv"
    csv_path.write_text(CSV_TEXT)
    start, out_path = tmp_path / "start.json", tmp_path / "after.json"
    network = Network([2, 3, 1], ["tanh", "sigmoid"], np.linspace(-0.9, 0.8, 13))
    save_weights(start, network, "bce")
    code, _, _ = run(["--data", str(csv_path), "--weights", str(start), "--test-ratio", "0",
                      "--no-shuffle", "--batch-size", "1", "--steps", "1", "--optimizer", "sgd",
                      "--lr", "1", "--export", str(out_path)], capsys)
    assert code == 0
    after = load_weights(out_path).network.params
    data = load_csv(csv_path)
    expected = []
    for row in range(2):
        _, gradients = network.gradients(
            data.inputs[row : row + 1], data.targets[row : row + 1], network.loss("bce")
        )
        expected.append(network.params - gradients.flat)
    assert np.array_equal(after, expected[0])
    assert not np.allclose(after, expected[1])


def test_regression_defaults_and_test_split(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--dataset", "reg-plane", "--samples", "40", "--epochs", "2"], capsys)
    assert code == 0
    header = out.splitlines()[0]
    assert "40 samples (20 train, 20 test), regression" in header
    assert "2-4-1 (tanh, linear)" in header and "loss mse" in header and "full batch" in header
    assert "train RMSE" in out and "test RMSE" in out.splitlines()[-1]


def test_quiet_prints_only_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--dataset", "xor", "--steps", "5", "--quiet"], capsys)
    assert code == 0 and err == ""
    assert out.splitlines() == [out.strip()] and out.startswith("done: 5 steps, 5 epochs")


# -- errors ---------------------------------------------------------------------------------


def test_bad_csv_is_one_line_naming_file_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_path = tmp_path / "broken.csv"
    csv_path.write_text(CSV_TEXT.replace("1.5,0.75,1", "1.5,abc,1"))
    code, out, err = run(["--data", str(csv_path), "--epochs", "1"], capsys)
    assert code == 2 and out == ""
    assert_one_error_line(err, str(csv_path), "line 4", "x2")


def test_bad_weights_file_exits_2_without_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "deltascope-weights", "version": 1, "loss": "bce", "layers": []}')
    export = tmp_path / "out.json"
    code, _, err = run(["--dataset", "xor", "--weights", str(bad), "--export", str(export)],
                       capsys)
    assert code == 2
    assert_one_error_line(err, str(bad), "layers is empty")
    assert not export.exists()
    wrong_width = tmp_path / "wide.json"
    save_weights(wrong_width, Network([3, 1], ["sigmoid"]), "bce")
    code, _, err = run(["--dataset", "xor", "--weights", str(wrong_width)], capsys)
    assert code == 2
    assert_one_error_line(err, "takes 3 inputs", "2 feature")


def test_divergence_exits_2_names_the_step_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "diverged.json"
    code, _, err = run(["--dataset", "reg-plane", "--samples", "40", "--optimizer", "sgd",
                        "--lr", "1e6", "--epochs", "50", "--export", str(export)], capsys)
    assert code == 2
    assert_one_error_line(err, "diverged at step")
    assert not export.exists()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--dataset", "xor", "--layers", "2,x,1"], ["--layers", "'x'"]),
        (["--dataset", "xor", "--layers", "3,4,1"], ["--layers starts with 3", "2 feature"]),
        (["--dataset", "xor", "--layers", "2,4,2"], ["--layers ends with 2", "1 target"]),
        (["--dataset", "xor", "--layers", "2"], ["at least the input and output"]),
        (["--dataset", "xor", "--activation", "softmax"], ["--activation", "softmax"]),
        (["--dataset", "xor", "--layers", "2,3,3,1", "--activation", "tanh,relu,relu"],
         ["3 activations for 2 hidden layers"]),
        (["--dataset", "nope"], ["unknown dataset 'nope'", "xor"]),
        (["--dataset", "circle", "--samples", "0"], ["samples"]),
        (["--dataset", "xor", "--epochs", "-1"], ["--epochs must be >= 0"]),
        (["--dataset", "xor", "--lr", "nan"], ["--lr", "nan"]),
        (["--dataset", "xor", "--test-ratio", "1.0"], ["test ratio"]),
        (["--dataset", "xor", "--reg-rate", "0.1"], ["--reg-rate needs --regularization"]),
        (["--dataset", "xor", "--export", "out.txt"], ["--export", ".txt"]),
        (["--dataset", "xor", "--targets", "y"], ["--targets applies to --data only"]),
        (["--data", "missing.csv", "--samples", "3"], ["--samples applies to --dataset"]),
        (["--data", "missing-file.csv"], ["missing-file.csv"]),
        (["--dataset", "xor", "--weights", "missing-file.json"], ["missing-file.json"]),
    ],
)
def test_person_errors_are_one_line_exit_2(
    argv: list[str], fragments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert_one_error_line(err, *fragments)


@pytest.mark.parametrize(
    "argv", [[], ["--dataset", "xor", "--optimizer", "rmsprop"], ["--dataset", "xor",
             "--epochs", "ten"], ["--dataset", "xor", "--data", "x.csv"],
             ["--dataset", "xor", "--epochs", "2", "--steps", "2"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2 and out == "" and "error:" in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0 and "--dataset" in out and "--export" in out


# -- as a program ---------------------------------------------------------------------------


def test_subprocess_trains_and_exports_without_qt(tmp_path: Path) -> None:
    export = tmp_path / "xor.npz"
    result = run_subprocess("--dataset", "xor", "--epochs", "400", "--export", str(export))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "train accuracy 100.0%" in result.stdout.splitlines()[-1]
    assert load_weights(export).network.sizes == (2, 4, 1)


def test_subprocess_bad_weights_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    result = run_subprocess("--dataset", "xor", "--weights", str(bad))
    assert result.returncode == 2
    assert_one_error_line(result.stderr, str(bad), "npz")


def test_train_command_never_imports_qt() -> None:
    code = (
        "import sys, main\n"
        "status = main.main(['train', '--dataset', 'xor', '--steps', '2', '--quiet'])\n"
        "roots = ('PySide6', 'pyqtgraph', 'gui')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in roots)\n"
        "print(status, bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 []"
