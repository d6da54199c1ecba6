"""`python main.py check`: the gradient check without a window; exit 0 agree, 1 disagree,
2 bad input (one line, no traceback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.check_command import main
from engine.cli import main as train_main
from engine.core import network as network_module
from engine.core.network import Network

ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_main_py_check_agrees_after_long_training_and_exits_0() -> None:
    """Through main.py, as a person runs it: XOR trained far, where gradients are 1e-12."""
    done = subprocess.run(
        [sys.executable, "main.py", "check", "--dataset", "xor", "--lr", "1", "--steps",
         "30000"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("gradient check: network 2-4-1 (tanh, sigmoid), loss bce (mean), "
                               "after 30000 steps; a batch of 4 (the whole training set)")
    assert [line.split(":")[0] for line in lines[1:3]] == ["layer 1", "layer 2"]
    for line in lines[1:3]:
        assert "agree  worst |difference| " in line and "estimate " in line
    assert lines[-1].startswith("agree: ")
    assert done.stderr == ""


def test_weights_file_and_batch_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = tmp_path / "circle.json"
    assert train_main(["--dataset", "circle", "--samples", "60", "--layers", "2,5,3,1",
                       "--epochs", "20", "--export", str(weights), "--quiet"]) == 0
    capsys.readouterr()
    code, out, err = run(["--dataset", "circle", "--samples", "60", "--weights", str(weights),
                          "--batch-size", "10"], capsys)
    assert code == 0, err
    assert "network 2-5-3-1" in out and "after 0 steps; a batch of 10, " in out
    assert len([line for line in out.splitlines() if line.startswith("layer ")]) == 3
    code, out, _ = run(["--dataset", "circle", "--samples", "60", "--weights", str(weights),
                        "--batch-size", "0"], capsys)
    assert code == 0 and "a batch of 30 (the whole training set)" in out


def test_a_wrong_backprop_exits_1(monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """No weights file can make the engine wrong: break its backward pass in this process
    (the bias gradient summed over neurons instead of samples) and the check says so."""
    right = network_module.Network.gradients

    def bias_summed_over_neurons(self: Network, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        forward, gradients = right(self, *args, **kwargs)
        for bias in gradients.biases:  # views into gradients.flat
            bias[...] = bias.sum()
        return forward, gradients

    monkeypatch.setattr(network_module.Network, "gradients", bias_summed_over_neurons)
    code, out, err = run(["--dataset", "xor", "--layers", "2,3,1"], capsys)
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[1].startswith("layer 1: DISAGREE") and lines[2].startswith("layer 2: agree")
    assert lines[-1].startswith("DISAGREE: at b¹")


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--dataset", "nope"], "nope"),
    (["--dataset", "xor", "--lr", "nan"], "--lr"),
    (["--dataset", "xor", "--layers", "2,x,1"], "--layers"),
    (["--dataset", "xor", "--export", "w.json"], "--export applies to train"),
    (["--data", "missing.csv"], "missing.csv"),
])
def test_bad_input_exits_2_with_one_line(argv: list[str], fragment: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("deltascope: error: ") and fragment in err


def test_bad_weights_file_exits_2_through_main_py(tmp_path: Path) -> None:
    broken = tmp_path / "w.json"
    broken.write_text('{"format": "deltascope-weights", "version": 1, "layers": [')
    done = subprocess.run([sys.executable, "main.py", "check", "--dataset", "xor", "--weights",
                           str(broken)], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and str(broken) in done.stderr
    assert "Traceback" not in done.stderr


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dataset", "xor", "--no-such-flag"]) == 2
    assert "usage: python main.py check" in capsys.readouterr().err
