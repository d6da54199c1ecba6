"""`python main.py train ...`: train a network headless and optionally export the weights.

Never imports Qt. Every mistake a person can make (a bad file, a bad value, divergence)
prints one line `deltascope: error: <message>` on stderr and exits with status 2.
stdout gets a header line, ~10 per-epoch lines and a final summary; stderr gets a progress
bar when it is a terminal (otherwise a progress line every 10 s on long runs).

Why this is long: the `train` command's options, their checks and the run's report belong
together; `check` is engine/check_command.py.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from engine.core.activations import ACTIVATIONS
from engine.core.errors import ConfigError, DeltascopeError
from engine.core.features import FEATURE_IDS, check_raw_width, parse_features
from engine.core.initializers import INITIALIZERS, initialize
from engine.core.losses import LOSSES, REDUCTIONS
from engine.core.metrics import r_squared
from engine.core.network import Network
from engine.core.optimizers import OPTIMIZERS
from engine.core.seeding import seed_streams
from engine.core.standardization import Standardization
from engine.data.csv_data import load_csv
from engine.data.dataset import Dataset, split_dataset
from engine.data.datasets import DATASET_INFO, make_dataset
from engine.data.image_shape import with_image_shape
from engine.data.learnability import (
    CannotLearnError,
    loss_for_output,
    noise_problems,
    output_problems,
    rate_problems,
    refuse,
)
from engine.data.tasks import TASK_CHOICES, describe, for_output
from engine.io.onnx_export import ONNX_EXTENSION, require_onnx
from engine.io.weights_io import EXTENSIONS, export_network, load_weights
from engine.training.config import (
    CSV_TEST_RATIO,
    FULL_BATCH_LIMIT,
    SMALL_DATASET,
    default_batch_size,
    default_output_for,
    default_test_ratio,
    network_features,
)
from engine.training.trainer import REGULARIZATIONS, Trainer

DEFAULT_LEARNING_RATE = 0.03
DEFAULT_EPOCHS = 1000
DEFAULT_HIDDEN = (4,)
DEFAULT_REG_RATE = 0.001
PLAYGROUND_TEST_RATIO = 0.5  # --dataset: TensorFlow Playground holds out half
REPORT_LINES = 10
SLOW_PROGRESS_SECONDS = 10.0


def program_name(argv0: str | None = None) -> str:
    """How the person started Deltascope, to name in messages: `deltascope` (the installed
    command) or `python main.py`."""
    name = Path(sys.argv[0] if argv0 is None else argv0).stem
    return "deltascope" if name == "deltascope" else "python main.py"


def build_parser() -> argparse.ArgumentParser:
    """The `train` command's flags."""
    parser = argparse.ArgumentParser(
        prog=f"{program_name()} train",
        description="Train a multilayer perceptron without a window.",
        epilog="Example: python main.py train --dataset xor --epochs 2000 --export xor.json",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", metavar="NAME", help="a built-in dataset, e.g. xor, circle")
    source.add_argument("--data", metavar="FILE.csv", help="a CSV file with a header row")
    parser.add_argument("--targets", metavar="COL[,COL]",
                        help="target column(s) of --data (default: the last column)")
    parser.add_argument("--task", choices=TASK_CHOICES,
                        help="take the targets of --data as classes or numbers (default: "
                        "text or up to 20 distinct whole numbers are classes, else regression)")
    parser.add_argument("--standardize", action=argparse.BooleanOptionalAction,
                        help="standardize the inputs with the training split's mean and std "
                        "(default: on for --data, off for --dataset)")
    parser.add_argument("--samples", type=int, help="points to generate (--dataset only)")
    parser.add_argument("--noise", type=float,
                        help="noise 0..0.5, a fraction: Playground's 25%% is 0.25 (--dataset only)")
    parser.add_argument("--image-shape", metavar="ROWSxCOLS",
                        help="the input columns of --data are the pixels of an image, row by "
                        "row, e.g. 8x8 (columns named px_<row>_<col> give it without the flag)")
    parser.add_argument("--features", metavar="F,F,...",
                        help="input features of 2-D data instead of the raw inputs, any of "
                        f"{','.join(FEATURE_IDS)} (quote it in a shell: sin(x1) has brackets)")
    parser.add_argument("--layers", metavar="N,N,...",
                        help="every layer's size, input to output (default: inputs,4,outputs; "
                        "with --features the first size is the number of features)")
    parser.add_argument("--activation", metavar="NAME[,NAME]",
                        help="hidden activation, or one per hidden layer (default: tanh)")
    parser.add_argument("--output-activation", choices=sorted(ACTIVATIONS),
                        help="default: sigmoid (2 classes), softmax (more), linear (regression)")
    parser.add_argument("--loss", choices=LOSSES,
                        help="default: bce (2 classes), cross_entropy (more), mse (regression); "
                        "with --output-activation: the loss that goes with it")
    parser.add_argument("--reduction", choices=REDUCTIONS, default="mean",
                        help="cost over a batch: mean or sum of per-sample costs (default: mean)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="default: adam")
    parser.add_argument("--lr", type=float, default=DEFAULT_LEARNING_RATE,
                        help=f"learning rate (default: {DEFAULT_LEARNING_RATE})")
    parser.add_argument("--batch-size", type=int, metavar="N",
                        help=f"0 = full batch (default: 0 for <= {FULL_BATCH_LIMIT} training "
                        "rows, else 10; digits: 32)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=int, help=f"default: {DEFAULT_EPOCHS}")
    length.add_argument("--steps", type=int, help="train for this many updates instead")
    parser.add_argument("--no-shuffle", action="store_true",
                        help="keep file order: no shuffled split, batches in row order")
    parser.add_argument("--test-ratio", type=float, metavar="R",
                        help=f"fraction held out for testing (default: 0 below {SMALL_DATASET} "
                        f"rows, e.g. xor, else {PLAYGROUND_TEST_RATIO} as in TensorFlow "
                        "Playground for --dataset (digits: 0.25), "
                        f"{CSV_TEST_RATIO} for --data)")
    parser.add_argument("--seed", type=int, default=0, help="drives data, split, init, shuffling")
    parser.add_argument("--init", choices=INITIALIZERS,
                        help="default: xavier (biases 0); uniform is TensorFlow Playground's: "
                        "U(-0.5, 0.5) weights, biases 0.1")
    parser.add_argument("--regularization", choices=REGULARIZATIONS, default="none")
    parser.add_argument("--reg-rate", type=float, metavar="X",
                        help=f"regularization rate (default: {DEFAULT_REG_RATE})")
    parser.add_argument("--weights", metavar="FILE",
                        help="start from these weights (.json/.npz); their layers and "
                        "activations win over --layers/--activation, their loss unless --loss")
    parser.add_argument("--export", metavar="FILE",
                        help="write the trained weights (.json/.npz), or the model as .onnx "
                        "(needs the onnx extra)")
    parser.add_argument("--quiet", action="store_true", help="print only the final summary")
    return parser


def main(argv: Sequence[str]) -> int:
    """Run the train command; returns the exit status (0 ok, 2 for any person-caused error)."""
    try:
        args = build_parser().parse_args(list(argv))
    except SystemExit as exit_request:  # argparse: usage error (2) or --help (0)
        return exit_request.code if isinstance(exit_request.code, int) else 2
    try:
        # NaN / Inf are reported once, as divergence by the trainer, not as numpy warnings.
        with np.errstate(all="ignore"):
            return _run(args, sys.stdout, sys.stderr)
    except DeltascopeError as error:
        _Progress.clear_line(sys.stderr)
        print(f"deltascope: error: {_one_line(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        _Progress.clear_line(sys.stderr)
        print("deltascope: interrupted", file=sys.stderr)
        return 130


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _load_dataset(args: argparse.Namespace, rng: np.random.Generator) -> Dataset:
    """The --dataset generated with `rng`, or the --data CSV file."""
    if args.data is not None:
        for flag, value in (("--samples", args.samples), ("--noise", args.noise)):
            if value is not None:
                raise ConfigError(f"{flag} applies to --dataset only, not to --data")
        targets = None if args.targets is None else args.targets.split(",")
        return with_image_shape(load_csv(args.data, targets, task=args.task),
                                args.image_shape, "--image-shape")
    for flag, value in (("--targets", args.targets), ("--task", args.task),
                        ("--image-shape", args.image_shape)):
        if value is not None:
            raise ConfigError(f"{flag} applies to --data only, not to --dataset")
    return make_dataset(args.dataset, args.samples, args.noise, rng)


def _features(args: argparse.Namespace, dataset: Dataset) -> tuple[str, ...]:
    """The --features, canonically ordered (() for none, or exactly x1,x2: the raw inputs)."""
    if args.features is None:
        return ()
    try:
        features = network_features(parse_features(args.features))
        check_raw_width(dataset.inputs.shape[1])
    except ConfigError as error:
        raise ConfigError(f"--features: {error}") from None
    return features


def _parse_layers(text: str | None, inputs: int, outputs: int, features: bool = False,
                  two_classes: bool = False) -> list[int]:
    if text is None:
        return [inputs, *DEFAULT_HIDDEN, outputs]
    sizes: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise ConfigError(f"--layers: {part!r} is not a positive whole number (e.g. 2,4,1)")
        sizes.append(int(part))
    if len(sizes) < 2:
        raise ConfigError(f"--layers needs at least the input and output sizes, got {text!r}")
    if sizes[0] != inputs:
        what = "input feature" if features else "feature column"
        raise ConfigError(f"--layers starts with {sizes[0]} inputs but the "
                          f"{'--features give' if features else 'data has'} "
                          f"{inputs} {what}{'s' * (inputs != 1)}")
    if sizes[-1] != outputs:
        raise ConfigError(f"--layers ends with {sizes[-1]} output{'s' * (sizes[-1] != 1)} but "
                          f"the data has "
                          f"{outputs} target column{'s' * (outputs != 1)} for this output "
                          f"activation: end --layers with {outputs}"
                          + ("; two classes take 1 sigmoid output or 2 with "
                             "--output-activation softmax" if two_classes else ""))
    return sizes


def _build_network(
    args: argparse.Namespace, dataset: Dataset, output_activation: str, err: TextIO
) -> tuple[Network, str | None]:
    """The network to train (uninitialized, without standardization, unless it comes from
    --weights) and, when it comes from --weights, that file's loss. `dataset` is encoded for
    the output activation (engine/data/tasks.py for_output)."""
    inputs, outputs = dataset.inputs.shape[1], dataset.targets.shape[1]
    if args.weights is not None:
        loaded = load_weights(args.weights)
        network = loaded.network
        if network.input_width != inputs:  # outputs: engine/data/learnability.py, in _run
            raise ConfigError(
                f"{args.weights}: the network takes {network.input_width} inputs and gives "
                f"{network.sizes[-1]} outputs, but the data has {inputs} feature and "
                f"{outputs} target columns"
            )
        ignored = [flag for flag, given in (
            ("--features", args.features is not None),
            ("--layers", args.layers is not None), ("--activation", args.activation is not None),
            ("--output-activation", args.output_activation is not None),
            ("--init", args.init is not None),
            ("--standardize/--no-standardize", args.standardize is not None)) if given]
        if ignored and not args.quiet:
            print(f"deltascope: note: {', '.join(ignored)} ignored: the network comes from "
                  f"{args.weights}", file=err)
        return network, loaded.loss
    features = _features(args, dataset)
    sizes = _parse_layers(args.layers, len(features) or inputs, outputs, bool(features),
                          dataset.task == "classification" and dataset.class_count == 2)
    hidden = [name.strip() for name in (args.activation or "tanh").split(",")]
    if len(hidden) == 1:
        hidden *= len(sizes) - 2
    elif len(hidden) != len(sizes) - 2:
        raise ConfigError(f"--activation lists {len(hidden)} activations for "
                          f"{len(sizes) - 2} hidden layers")
    for name in hidden:
        if name not in ACTIVATIONS or not ACTIVATIONS[name].elementwise:
            known = ", ".join(n for n, a in ACTIVATIONS.items() if a.elementwise)
            raise ConfigError(f"--activation: {name!r} is not a hidden activation (known: {known})")
    return Network(sizes, [*hidden, output_activation], features=features or None), None


def _check_values(args: argparse.Namespace) -> None:
    """Flag values argparse cannot check by type alone."""
    for flag, value in (("--epochs", args.epochs), ("--steps", args.steps),
                        ("--batch-size", args.batch_size), ("--seed", args.seed)):
        if value is not None and value < 0:
            raise ConfigError(f"{flag} must be >= 0, got {value}")
    for problem in rate_problems(args.lr, 0.0 if args.reg_rate is None else args.reg_rate):
        flag = "--lr" if problem.startswith("learning") else "--reg-rate"
        raise CannotLearnError(f"{flag}: {problem}")
    if args.test_ratio is not None and not (math.isfinite(args.test_ratio)
                                            and args.test_ratio >= 0.0):
        raise ConfigError(f"--test-ratio must be a finite number >= 0, got {args.test_ratio}")
    for problem in noise_problems(args.noise):
        raise CannotLearnError(f"--noise: {problem}")
    if args.reg_rate is not None and args.regularization == "none":
        raise ConfigError("--reg-rate needs --regularization l1 or l2")
    if args.export is not None:
        extension = os.path.splitext(args.export)[1].lower()
        if extension == ONNX_EXTENSION:
            require_onnx()  # fail before training, not after it
        elif extension not in EXTENSIONS:
            raise ConfigError(f"--export: {args.export}: unknown weights file type "
                              f"{extension or '(none)'!r} (use .json, .npz or .onnx)")


def prepare_trainer(args: argparse.Namespace, err: TextIO) -> tuple[Dataset, Trainer, str]:
    """The dataset, a trainer at step 0 and the loss the flags describe (shared with
    `check`, engine/check_command.py)."""
    _check_values(args)
    streams = seed_streams(args.seed)
    loaded = _load_dataset(args, streams.data)
    default_activation, default_loss = default_output_for(loaded)
    output_activation = args.output_activation or default_activation
    if args.weights is not None:
        output_activation = load_weights(args.weights).network.activations[-1]
    dataset = for_output(loaded, output_activation)
    network, file_loss = _build_network(args, dataset, output_activation, err)
    loss = args.loss or file_loss or loss_for_output(output_activation, default_loss)
    refuse(output_problems(network.activations[-1], loss, network.sizes[-1], dataset))
    builtin = DATASET_INFO.get(args.dataset) if args.data is None else None
    test_ratio = args.test_ratio
    if test_ratio is None and builtin is not None and builtin.test_ratio is not None:
        test_ratio = builtin.test_ratio
    if test_ratio is None:
        test_ratio = default_test_ratio(dataset, generated=False) if args.data is not None \
            else 0.0 if len(dataset) < SMALL_DATASET else PLAYGROUND_TEST_RATIO
    shuffle = not args.no_shuffle
    split = split_dataset(dataset, test_ratio, streams.split if shuffle else None)
    standardize = args.data is not None if args.standardize is None else args.standardize
    if args.weights is None:
        if standardize:
            network = Network(network.sizes, network.activations, features=network.features,
                              standardization=Standardization.fit(split.train.inputs))
        initialize(network, args.init or "xavier", streams.init)
    batch_size = args.batch_size
    if batch_size is None and builtin is not None:
        batch_size = builtin.batch_size
    if batch_size is None:
        batch_size = default_batch_size(0, len(split.train))
    trainer = Trainer(
        network, split, loss=loss, reduction=args.reduction, optimizer=args.optimizer,
        learning_rate=args.lr, batch_size=batch_size, shuffle=shuffle,
        regularization=args.regularization,
        regularization_rate=0.0 if args.regularization == "none"
        else (DEFAULT_REG_RATE if args.reg_rate is None else args.reg_rate),
        shuffle_rng=streams.shuffle,
    )
    return dataset, trainer, loss


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    dataset, trainer, loss = prepare_trainer(args, err)
    network = trainer.network
    if args.steps is not None:
        total_steps = args.steps
    else:
        total_steps = (DEFAULT_EPOCHS if args.epochs is None else args.epochs) * (
            trainer.steps_per_epoch)
    total_epochs = math.ceil(total_steps / trainer.steps_per_epoch)
    if not args.quiet:
        print(_header(dataset, trainer, loss, total_steps, total_epochs), file=out, flush=True)
        print(_decision(dataset, network, loss, args), file=out, flush=True)
    _train(trainer, total_steps, total_epochs, out, err, quiet=args.quiet)
    if args.export is not None:
        export_network(args.export, network, loss, dataset.image_shape)
    print(_summary(trainer, args.export), file=out, flush=True)
    return 0


def _decision(dataset: Dataset, network: Network, loss: str, args: argparse.Namespace) -> str:
    """The announced line: what the targets were taken as, and whether inputs are scaled."""
    line = describe(dataset, network.activations[-1], loss, network.sizes[-1])
    source = f" (from {args.weights})" if args.weights is not None else ""
    if network.standardization is not None:
        return (line + f"; inputs standardized with the training split's mean and std{source}"
                + ("" if source else " (--no-standardize keeps them raw)"))
    return line + f"; inputs raw{source}" + (
        " (--standardize scales them)" if not source and args.data is not None else "")


def _header(dataset: Dataset, trainer: Trainer, loss: str, steps: int, epochs: int) -> str:
    network = trainer.network
    batch = "full batch" if trainer.batch_size == 0 else f"batch size {trainer.batch_size}"
    return (
        f"{dataset.name or 'data'}: {len(dataset)} samples ({len(trainer.data.train)} train, "
        f"{len(trainer.data.test)} test), {dataset.task}; network "
        f"{'-'.join(map(str, network.sizes))} ({', '.join(network.activations)})"
        f"{'; features ' + ', '.join(network.features) if network.features else ''}; "
        f"loss {loss} ({trainer.reduction}); {trainer.optimizer.name} lr {trainer.learning_rate:g}"
        f", {batch}; {steps} steps ({epochs} epochs)"
    )


def _train(
    trainer: Trainer, total_steps: int, total_epochs: int, out: TextIO, err: TextIO,
    *, quiet: bool,
) -> None:
    interval = max(1, round(total_epochs / REPORT_LINES))
    progress = _Progress(err, total_steps, enabled=not quiet)
    for _ in range(total_steps):
        epoch = trainer.epoch
        trainer.step()
        if trainer.epoch != epoch and not quiet:
            done = trainer.epoch
            if done == 1 or done % interval == 0 or trainer.step_count == total_steps:
                progress.clear()
                print(_epoch_line(trainer), file=out, flush=True)
        progress.update(trainer.step_count, trainer.epoch)
    progress.finish()


def _epoch_line(trainer: Trainer) -> str:
    history = trainer.history
    metric = _metric_label(trainer.metric_name)
    parts = [f"epoch {history.epochs[-1]:>6}", f"step {history.steps[-1]:>7}",
             f"train cost {history.train_cost[-1]:<11.6g}",
             f"train {metric} {_metric(trainer.metric_name, history.train_metric[-1])}"]
    if len(trainer.data.test):
        parts += [f"test cost {history.test_cost[-1]:<11.6g}",
                  f"test {metric} {_metric(trainer.metric_name, history.test_metric[-1])}"]
    return "  ".join(parts)


def _r_squared(trainer: Trainer, data: Dataset) -> str:
    """', R² 0.987' beside a regression's RMSE at the current weights (averaged over the
    outputs; the summary's), '' for classes."""
    if trainer.task == "classification" or not len(data):
        return ""
    return f", R² {r_squared(trainer.network.predict(data.inputs), data.targets):.6g}"


def _metric_label(name: str) -> str:
    """How a metric is written: accuracy, or RMSE (its usual capitals, as the window writes it)."""
    return "RMSE" if name == "rmse" else name


def _metric(name: str, value: float) -> str:
    return f"{100.0 * value:.1f}%" if name == "accuracy" else f"{value:.6g}"


def _summary(trainer: Trainer, export: str | None) -> str:
    """The final line: costs and metrics at the final weights."""
    name = trainer.metric_name
    metric = _metric_label(name)
    train = trainer.evaluate(trainer.data.train)
    text = (f"done: {trainer.step_count} steps, {trainer.epoch} epochs; final train cost "
            f"{train.cost:.6g}, train {metric} {_metric(name, train.metric)}"
            f"{_r_squared(trainer, trainer.data.train)}")
    if len(trainer.data.test):
        test = trainer.evaluate(trainer.data.test)
        text += (f"; test cost {test.cost:.6g}, test {metric} {_metric(name, test.metric)}"
                 f"{_r_squared(trainer, trainer.data.test)}")
    return text + (f"; weights written to {export}" if export is not None else "")


class _Progress:
    """A text progress bar on a terminal; elsewhere a line every SLOW_PROGRESS_SECONDS."""

    WIDTH = 30

    def __init__(self, stream: TextIO, total: int, *, enabled: bool) -> None:
        self.stream, self.total = stream, max(total, 1)
        self.tty = enabled and _isatty(stream)
        self.enabled = enabled
        self.started = self.last = time.monotonic()
        self.shown = False

    def update(self, step: int, epoch: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty and (now - self.last >= 0.1 or step == self.total):
            filled = self.WIDTH * step // self.total
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {100 * step // self.total:3d}%  step {step}/"
                              f"{self.total}  epoch {epoch}")
            self.stream.flush()
            self.last, self.shown = now, True
        elif not self.tty and now - self.last >= SLOW_PROGRESS_SECONDS:
            print(f"deltascope: progress {100 * step // self.total}% (step {step}/{self.total}, "
                  f"{now - self.started:.0f} s)", file=self.stream, flush=True)
            self.last = now

    def clear(self) -> None:
        if self.shown:
            self.clear_line(self.stream)
            self.shown = False

    def finish(self) -> None:
        self.clear()

    @staticmethod
    def clear_line(stream: TextIO) -> None:
        if _isatty(stream):
            stream.write("\r\x1b[K")
            stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
