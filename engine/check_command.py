"""`python main.py check ...`: the gradient check without a window.

The data and network flags of `train` (engine/cli.py), plus `--weights FILE` to check a
saved network (else a fresh one from the seed). `--steps N` / `--epochs N` train first
(default: none), then every parameter's backprop gradient on the next batch (`--batch-size
0`: the whole training set) is compared with central finite differences and their error
estimate (engine/explain/gradcheck.py). Prints one line per layer with its worst |difference| and
the estimate; exits 0 when everything agrees, 1 when something disagrees, 2 on bad input
(one line on stderr, as `train`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

import numpy as np

from engine.cli import build_parser as build_train_parser
from engine.cli import prepare_trainer, program_name
from engine.core.errors import ConfigError, DeltascopeError
from engine.explain.gradcheck import (
    PASS_THRESHOLD,
    TOLERANCE_FACTOR,
    GradientCheckResult,
    check_gradients,
)
from engine.training.trainer import Trainer

AGREE, DISAGREE, BAD_INPUT = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """`train`'s flags, described for the check (--export does not apply)."""
    parser = build_train_parser()
    parser.prog = f"{program_name()} check"
    parser.description = (
        "Check backprop's gradient against central finite differences on one batch (the "
        "whole training set with --batch-size 0), at the weights of --weights FILE or of a "
        "fresh network from --seed, after --steps/--epochs of training (default: none). "
        "Exit 0: every parameter agrees; 1: something disagrees; 2: bad input.")
    parser.epilog = "Example: python main.py check --dataset xor --steps 20000"
    return parser


def main(argv: Sequence[str]) -> int:
    try:
        args = build_parser().parse_args(list(argv))
    except SystemExit as exit_request:  # argparse: usage error (2) or --help (0)
        return exit_request.code if isinstance(exit_request.code, int) else BAD_INPUT
    try:
        with np.errstate(all="ignore"):
            return _run(args, sys.stdout, sys.stderr)
    except DeltascopeError as error:
        print(f"deltascope: error: {' '.join(str(error).split())}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        print("deltascope: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.export is not None:
        raise ConfigError("--export applies to train, not to check")
    _, trainer, _ = prepare_trainer(args, err)
    steps = args.steps if args.steps is not None else (args.epochs or 0) * trainer.steps_per_epoch
    for _ in range(steps):
        trainer.step()
    batch = trainer.pending_batch()
    result = check_gradients(trainer.network, batch.inputs, batch.targets, trainer.loss,
                             trainer.reduction)
    print(_header(trainer, len(batch.inputs), batch.gradients.cost, steps), file=out)
    for line in report_lines(result):
        print(line, file=out)
    return AGREE if result.passed else DISAGREE


def _header(trainer: Trainer, batch_size: int, cost: float, steps: int) -> str:
    network = trainer.network
    whole = " (the whole training set)" if batch_size == len(trainer.data.train) else ""
    return (f"gradient check: network {'-'.join(map(str, network.sizes))} "
            f"({', '.join(network.activations)}), loss {trainer.loss.name} ({trainer.reduction}), "
            f"after {steps} step{'s' * (steps != 1)}; a batch of {batch_size}{whole}, cost "
            f"{cost:.6g}; {network.params.size} parameters")


def report_lines(result: GradientCheckResult) -> list[str]:
    """One line per layer, then the verdict."""
    lines = []
    for layer in result.layers:
        lines.append(
            f"layer {layer.layer}: {'agree' if layer.passed else 'DISAGREE'}  worst "
            f"|difference| {layer.worst_difference:.3e} at {layer.worst.symbol} (backprop "
            f"{layer.worst_analytic:.10g}, finite difference {layer.worst_numeric:.10g}), "
            f"estimate {layer.worst_estimate:.3e}; max relative error "
            f"{layer.max_relative_error:.3e}")
    if result.passed:
        lines.append("agree: every difference is within what round-off and truncation explain "
                     f"({TOLERANCE_FACTOR:g} estimates), or below {PASS_THRESHOLD:.0e} relative")
    else:
        worst = max(result.layers, key=lambda layer: layer.score)
        lines.append(f"DISAGREE: at {worst.worst.symbol} the difference "
                     f"{worst.worst_difference:.3e} is {worst.score:.3g}x what round-off and "
                     "truncation can explain")
    return lines
