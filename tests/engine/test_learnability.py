"""Settings that cannot learn are refused with the fix in the message: by `train` (exit 2,
one line), by the rules module itself, and when a session file is opened."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.core.network import Network
from engine.data.datasets import make_dataset
from engine.data.learnability import noise_problems, output_problems, problems, rate_problems
from engine.io.session import SessionFileError, load_session, save_session
from engine.io.weights_io import save_weights
from engine.training.config import TrainingConfig, build_trainer


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--dataset", "reg-plane", "--output-activation", "softmax", "--loss", "mse"],
         ["softmax over one output is always 1", "linear output with mse"]),
        (["--dataset", "circle", "--loss", "cross_entropy"],
         ["cross_entropy after a sigmoid output", "softmax output with cross_entropy"]),
        (["--dataset", "circle", "--output-activation", "tanh", "--loss", "bce"],
         ["bce needs each output to be a probability from a sigmoid"]),
        (["--dataset", "reg-plane", "--output-activation", "tanh", "--loss", "mse"],
         ["tanh output only gives values in [-1, 1]", "use a linear output"]),
        (["--dataset", "reg-gauss", "--output-activation", "sigmoid", "--loss", "bce"],
         ["bce needs targets in [0, 1]"]),
        (["--dataset", "spiral3", "--layers", "2,4,2"],
         ["--layers ends with 2", "end --layers with 3"]),
        (["--dataset", "xor", "--layers", "2,4,2"],
         ["--layers ends with 2", "2 with --output-activation softmax"]),
        (["--dataset", "circle", "--noise", "25"],
         ["--noise", "outside 0..0.5", "25% is noise 0.25"]),
        (["--dataset", "circle", "--noise", "-0.1"], ["--noise", "outside 0..0.5"]),
        (["--dataset", "xor", "--lr", "0"], ["--lr", "learning rate 0", "> 0"]),
        (["--dataset", "xor", "--lr", "-0.1"], ["--lr", "> 0"]),
        (["--dataset", "xor", "--lr", "inf"], ["--lr", "> 0"]),
        (["--dataset", "xor", "--regularization", "l2", "--reg-rate", "-1"],
         ["--reg-rate", ">= 0"]),
        (["--dataset", "xor", "--regularization", "l2", "--reg-rate", "nan"], ["--reg-rate"]),
        (["--dataset", "circle", "--samples", "0"], ["samples"]),
    ],
)
def test_train_refuses_with_the_fix(
    argv: list[str], fragments: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "out.json"
    code, out, err = run([*argv, "--epochs", "1", "--export", str(export)], capsys)
    assert code == 2 and out == "" and not export.exists()
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("deltascope: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_weights_whose_output_cannot_learn_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "soft1.json"
    save_weights(path, Network([2, 3, 1], ["tanh", "softmax"]), "cross_entropy")
    code, _, err = run(["--dataset", "circle", "--weights", str(path)], capsys)
    assert code == 2 and "softmax over one output" in err


def test_zero_regularization_rate_is_fine(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--dataset", "xor", "--regularization", "l2", "--reg-rate", "0",
                        "--epochs", "1"], capsys)
    assert code == 0, err
    assert rate_problems(0.03, 0.0) == []


def test_learnable_defaults_have_no_problems() -> None:
    for name, output, loss in (("circle", "sigmoid", "bce"), ("reg-gauss", "tanh", "mse"),
                               ("reg-plane", "linear", "mse")):
        dataset = make_dataset(name, 50)
        assert problems(output_activation=output, loss=loss, outputs=1, dataset=dataset,
                        learning_rate=0.03) == []
    assert output_problems("relu", "mse", 1, make_dataset("reg-gauss", 200))  # y < 0


def test_session_that_cannot_learn_is_refused_on_opening(tmp_path: Path) -> None:
    config = TrainingConfig(dataset="circle", samples=40, test_ratio=0.25)
    good = tmp_path / "good.deltascope"
    save_session(good, config, make_dataset("circle", 40, rng=_data_rng(0)),
                 build_trainer(config, make_dataset("circle", 40, rng=_data_rng(0))))
    assert load_session(good).trainer.loss.name == "bce"
    data = json.loads(good.read_text())
    data["trainer"]["loss"] = "cross_entropy"
    data["config"]["loss"] = "cross_entropy"
    bad = tmp_path / "bad.deltascope"
    bad.write_text(json.dumps(data))
    with pytest.raises(SessionFileError, match="bad.deltascope: this session cannot learn: "
                                               "cross_entropy after a sigmoid"):
        load_session(bad)
    data["config"]["loss"] = data["trainer"]["loss"] = "bce"
    data["trainer"]["learning_rate"] = 0.0
    bad.write_text(json.dumps(data))
    with pytest.raises(SessionFileError, match="learning rate 0"):
        load_session(bad)


def _data_rng(seed: int) -> np.random.Generator:
    from engine.core.seeding import seed_streams

    return seed_streams(seed).data


def test_session_with_percentage_noise_is_refused(tmp_path: Path) -> None:
    config = TrainingConfig(dataset="circle", samples=40, noise=0.25, test_ratio=0.25)
    dataset = make_dataset("circle", 40, 0.25, rng=_data_rng(0))
    path = tmp_path / "noisy.deltascope"
    save_session(path, config, dataset, build_trainer(config, dataset))
    data = json.loads(path.read_text())
    data["dataset"]["noise"] = data["config"]["noise"] = 25
    path.write_text(json.dumps(data))
    with pytest.raises(SessionFileError, match="noise 25 is outside 0..0.5.*25% is noise 0.25"):
        load_session(path)


def test_an_output_chosen_alone_brings_its_loss(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--dataset", "circle", "--output-activation", "tanh", "--epochs", "1"],
                         capsys)
    assert code == 0, err
    assert out.splitlines()[1].startswith("y: 2 classes (0, 1) → 1 tanh output + mse")
    code, out, _ = run(["--dataset", "spiral3", "--output-activation", "sigmoid", "--epochs",
                        "1"], capsys)
    assert code == 0 and "3 sigmoid outputs + bce" in out.splitlines()[1]


def test_noise_just_above_the_range_is_not_read_as_a_percentage() -> None:
    [message] = noise_problems(0.6)
    assert "0..0.5" in message and "%" not in message
    [message] = noise_problems(25)
    assert "25% is noise 0.25" in message


def test_a_learning_rate_that_cannot_learn_says_why() -> None:
    assert "uphill" in rate_problems(-1.0)[0]
    assert "undefined" in rate_problems(float("nan"))[0]
    assert "nothing changes" in rate_problems(0.0)[0]


def test_the_window_names_losses_as_its_loss_box_does() -> None:
    from engine.core.option_names import with_readable_losses

    text = with_readable_losses("use cross_entropy with softmax, or a sigmoid output with bce")
    assert text == ("use cross_entropy (Cross-entropy) with softmax, or a sigmoid output with "
                    "bce (Binary cross-entropy)")
    assert with_readable_losses("half_sse, not sse") == (
        "half_sse (Half squared error), not sse (Squared error)")
