"""Classes or regression: detected from a CSV's targets, announced by `train`, overridable;
two classes as one sigmoid output or two softmax outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.core.errors import DatasetError
from engine.data.csv_data import load_csv
from engine.data.datasets import make_dataset
from engine.data.tasks import as_task, describe, for_output
from engine.training.config import TrainingConfig, build_trainer


def write_csv(path: Path, header: str, rows: list[tuple[object, ...]]) -> Path:
    path.write_text(header + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows))
    return path


def three_blobs(path: Path, rows_per_class: int = 30, label: str = "{k}") -> Path:
    """Three well-separated 2-D blobs labelled 0, 1, 2 (as pandas writes classes)."""
    rng = np.random.default_rng(0)
    rows = []
    for k, centre in enumerate(((0.0, 0.0), (4.0, 0.0), (0.0, 4.0))):
        for x, y in rng.normal(centre, 0.5, size=(rows_per_class, 2)):
            rows.append((round(x, 4), round(y, 4), label.format(k=k)))
    return write_csv(path, "a,b,label", rows)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- detection ------------------------------------------------------------------------------


def test_whole_number_labels_are_classes(tmp_path: Path) -> None:
    dataset = load_csv(three_blobs(tmp_path / "blobs.csv"))
    assert dataset.task == "classification"
    assert dataset.class_names == ("0", "1", "2")
    assert dataset.target_names == ("label=0", "label=1", "label=2")
    assert dataset.targets.sum(axis=0).tolist() == [30.0, 30.0, 30.0]


def test_labels_in_numeric_order_and_two_classes_one_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "two.csv", "x,y", [(0.1, 10), (0.2, 2), (0.3, 10), (0.4, 2)])
    dataset = load_csv(path)
    assert dataset.class_names == ("2", "10")  # numeric, not text, order
    assert dataset.targets[:, 0].tolist() == [1.0, 0.0, 1.0, 0.0]


def test_more_than_twenty_values_or_fractions_are_regression(tmp_path: Path) -> None:
    many = write_csv(tmp_path / "many.csv", "x,y", [(i, i) for i in range(21)])
    assert load_csv(many).task == "regression"
    twenty = write_csv(tmp_path / "twenty.csv", "x,y", [(i, i % 20) for i in range(40)])
    assert load_csv(twenty).class_count == 20
    fractions = write_csv(tmp_path / "f.csv", "x,y", [(i, i / 2) for i in range(6)])
    assert load_csv(fractions).task == "regression"


def test_override_both_ways_and_refusals(tmp_path: Path) -> None:
    path = three_blobs(tmp_path / "blobs.csv")
    numbers = load_csv(path, task="regression")
    assert numbers.task == "regression" and numbers.targets.shape == (90, 1)
    assert sorted(set(numbers.targets[:, 0].tolist())) == [0.0, 1.0, 2.0]
    assert as_task(numbers, "classification").class_names == ("0", "1", "2")
    text = three_blobs(tmp_path / "text.csv", label="kind{k}")
    assert load_csv(text).class_names == ("kind0", "kind1", "kind2")
    with pytest.raises(DatasetError, match="not numbers .* can only be classes"):
        load_csv(text, task="regression")
    many = write_csv(tmp_path / "many.csv", "x,y", [(i, i / 7) for i in range(150)])
    with pytest.raises(DatasetError, match="150 distinct values"):
        load_csv(many, task="classification")


def test_two_classes_encode_for_either_output() -> None:
    circle = make_dataset("circle", samples=40)
    two = for_output(circle, "softmax")
    assert two.targets.shape == (40, 2)
    np.testing.assert_array_equal(two.targets[:, 1], circle.targets[:, 0])
    np.testing.assert_array_equal(two.class_labels(), circle.class_labels())
    np.testing.assert_array_equal(for_output(two, "sigmoid").targets, circle.targets)
    assert describe(two, "softmax", "cross_entropy", 2) == \
        "y: 2 classes (0, 1) → 2 softmax outputs + cross-entropy"


@pytest.mark.parametrize(("output", "loss"), [("sigmoid", "bce"), ("softmax", "cross_entropy")])
def test_two_classes_learn_with_either_output(output: str, loss: str) -> None:
    config = TrainingConfig(dataset="gauss", samples=200, test_ratio=0.3, batch_size=10,
                            output_activation=output, loss=loss, learning_rate=0.03)
    trainer = build_trainer(config, make_dataset("gauss", 200))
    assert trainer.network.sizes[-1] == (2 if output == "softmax" else 1)
    for _ in range(400):
        trainer.step()
    assert trainer.evaluate(trainer.data.test).metric >= 0.95


# -- train: the announced line and --task ---------------------------------------------------


def test_train_announces_classes_and_learns_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["--data", str(three_blobs(tmp_path / "blobs.csv")), "--epochs", "150"],
                         capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].startswith("label: 3 classes (0, 1, 2) → 3 softmax outputs + cross-entropy;")
    assert "2-4-3 (tanh, softmax)" in lines[0] and "(72 train, 18 test)" in lines[0]
    assert "test accuracy 100.0%" in lines[-1]


def test_train_task_override_and_two_softmax_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = three_blobs(tmp_path / "blobs.csv")
    code, out, _ = run(["--data", str(path), "--task", "regression", "--epochs", "2"], capsys)
    assert code == 0
    assert out.splitlines()[1].startswith("label: regression, numbers from 0 to 2 → "
                                          "1 linear output + mse")
    code, out, _ = run(["--dataset", "gauss", "--output-activation", "softmax", "--epochs", "20"],
                       capsys)
    assert code == 0
    assert out.splitlines()[1] == "y: 2 classes (0, 1) → 2 softmax outputs + cross-entropy; " \
        "inputs raw"
    assert "test accuracy 100.0%" in out.splitlines()[-1] or "test accuracy 9" in out


def test_task_flag_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = three_blobs(tmp_path / "text.csv", label="kind{k}")
    code, out, err = run(["--data", str(text), "--task", "regression"], capsys)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert "can only be classes" in err and str(text) in err
    code, _, err = run(["--dataset", "xor", "--task", "regression"], capsys)
    assert code == 2 and "--task applies to --data only" in err
