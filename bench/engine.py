"""Steps per second of the engine's `Trainer.step` against a hand-written NumPy loop and PyTorch.

    python bench/engine.py            # full run (about a minute)
    python bench/engine.py --quick    # a few seconds, rougher numbers

Three cases, float64, mean-reduced cost, the same initial parameters everywhere:

1. XOR: 2-4-1 tanh/sigmoid, bce, the 4 points as one full batch;
2. circle: 2-8-8-1 tanh/tanh/sigmoid, bce, 500 random points labelled by a circle, batch 10;
3. mnist-like: 784-128-64-10 relu/relu/softmax, cross_entropy, 2048 random samples with
   random one-hot labels, batch 64.

Mini-batches are reshuffled every epoch in all three implementations (the engine and the
hand loop draw the same permutations from the same seed). The engine row is the real
`Trainer.step`, with everything it does per step: the cost, the divergence check, the
`BatchResult` for the views, the epoch's cost and accuracy, the history at each epoch end.
The test split is empty, so nobody evaluates a test set. The hand loop is a plain per-layer
NumPy loop as a tutorial writes it: forward, the cost, backward, the optimizer per array.
PyTorch (optional, imported only if installed) uses nn.Linear layers, the loss on logits,
torch.optim and its default thread count.

Timing: after a warm-up, the implementations take turns running short bursts of the same
fixed number of steps, many times over; each one's fastest burst counts. On a shared machine
other processes slow some bursts down, so many short bursts find a fair best for everyone
where a few long ones do not. Training continues across bursts, so the learning rates are
ones that stay finite for a long time. Before timing, the bench checks that the engine and
the hand loop compute the same thing: from the same initial parameters, their parameters
after the same steps agree to 1e-10. Every ratio printed comes from this one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

if __package__ in (None, ""):  # run as a script: python bench/engine.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.core.initializers import initialize  # noqa: E402
from engine.core.network import Network  # noqa: E402
from engine.core.optimizers import make_optimizer  # noqa: E402
from engine.core.seeding import seed_streams  # noqa: E402
from engine.data.dataset import Dataset, split_dataset  # noqa: E402
from engine.training.trainer import Trainer  # noqa: E402

try:  # PyTorch is a benchmark reference only, never a dependency of Deltascope
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

Array = NDArray[np.float64]

SEED = 7
CHECK_STEPS = 120
CHECK_TOLERANCE = 1e-10
ADAM = {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}


@dataclass(frozen=True)
class Case:
    """One benchmark problem; `steps` is how many steps each timed burst makes."""

    label: str
    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    batch_size: int  # 0 = the whole training set
    initializer: str
    inputs: Array
    targets: Array
    steps: int
    learning_rate: dict[str, float]


def make_cases() -> list[Case]:
    rng = seed_streams(SEED).data
    xor_inputs = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    xor_targets = np.array([[0.0], [1.0], [1.0], [0.0]])
    circle_inputs = rng.uniform(-1.0, 1.0, size=(500, 2))
    circle_targets = (np.sum(circle_inputs**2, axis=1, keepdims=True) < 0.5).astype(np.float64)
    digit_inputs = rng.random((2048, 784))
    digit_targets = np.eye(10)[rng.integers(0, 10, size=2048)]
    return [
        Case("1 xor 2-4-1 full", (2, 4, 1), ("tanh", "sigmoid"), "bce", 0, "xavier",
             xor_inputs, xor_targets, 400, {"sgd": 0.1, "adam": 0.01}),
        Case("2 circle 2-8-8-1 b10", (2, 8, 8, 1), ("tanh", "tanh", "sigmoid"), "bce", 10,
             "xavier", circle_inputs, circle_targets, 300, {"sgd": 0.1, "adam": 0.01}),
        Case("3 784-128-64-10 b64", (784, 128, 64, 10), ("relu", "relu", "softmax"),
             "cross_entropy", 64, "he", digit_inputs, digit_targets, 12,
             {"sgd": 0.01, "adam": 0.0001}),
    ]


def initial_network(case: Case) -> Network:
    network = Network(case.sizes, case.activations)
    initialize(network, case.initializer, seed_streams(SEED).init)
    return network


class Implementation(Protocol):
    name: str

    def run(self, steps: int) -> None: ...

    def flat_params(self) -> Array: ...


# -- the engine -------------------------------------------------------------------------


class EngineRun:
    name = "engine"

    def __init__(self, case: Case, optimizer: str) -> None:
        names = tuple(f"x{i}" for i in range(case.sizes[0]))
        if case.sizes[-1] == 1:
            target_names, class_names = ("y",), ("0", "1")
        else:
            target_names = tuple(f"class {i}" for i in range(case.sizes[-1]))
            class_names = target_names
        dataset = Dataset(case.inputs, case.targets, "classification", names, target_names,
                          class_names, case.label)
        settings = ADAM if optimizer == "adam" else {}
        self.trainer = Trainer(
            initial_network(case), split_dataset(dataset, 0.0), loss=case.loss,
            optimizer=make_optimizer(optimizer, **settings),
            learning_rate=case.learning_rate[optimizer], batch_size=case.batch_size,
            shuffle=True, shuffle_rng=np.random.default_rng(SEED),
        )

    def run(self, steps: int) -> None:
        step = self.trainer.step
        for _ in range(steps):
            step()

    def flat_params(self) -> Array:
        return self.trainer.network.params.copy()


# -- a hand-written NumPy loop, the way a tutorial writes one ------------------------------


def _sigmoid(z: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-z))


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _softmax(z: Array) -> Array:
    exp = np.exp(z - z.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


# sigma'(z) written with the layer's output a (relu: a > 0 exactly when z > 0)
_FORWARD: dict[str, Callable[[Array], Array]] = {
    "tanh": np.tanh, "relu": _relu, "sigmoid": _sigmoid, "softmax": _softmax,
}
_DERIVATIVE: dict[str, Callable[[Array], Array]] = {
    "tanh": lambda a: 1.0 - a * a, "relu": lambda a: a > 0.0, "sigmoid": lambda a: a * (1.0 - a),
}


class HandLoop:
    name = "hand loop"

    def __init__(self, case: Case, optimizer: str) -> None:
        network = initial_network(case)
        self.weights = [w.copy() for w in network.weights]
        self.biases = [b.copy() for b in network.biases]
        self.activations = [_FORWARD[name] for name in case.activations]
        self.derivatives = [_DERIVATIVE.get(name) for name in case.activations]
        self.loss = case.loss
        self.inputs, self.targets = case.inputs, case.targets
        self.batch_size = case.batch_size
        self.optimizer = optimizer
        self.learning_rate = case.learning_rate[optimizer]
        self.rng = np.random.default_rng(SEED)
        self.order = np.arange(len(case.inputs))
        self.position = len(case.inputs)  # reshuffle before the first batch
        self.adam_step = 0
        self.first = [np.zeros_like(p) for p in self.weights + self.biases]
        self.second = [np.zeros_like(p) for p in self.weights + self.biases]
        self.cost = 0.0

    def run(self, steps: int) -> None:
        weights, biases = self.weights, self.biases
        activations, derivatives = self.activations, self.derivatives
        inputs, targets, count = self.inputs, self.targets, len(self.inputs)
        batch_size = self.batch_size
        depth = len(weights)
        learning_rate = self.learning_rate
        for _ in range(steps):
            # the batch
            if batch_size == 0:
                x, t = inputs, targets
            else:
                if self.position >= count:
                    self.order = self.rng.permutation(count)
                    self.position = 0
                rows = self.order[self.position : self.position + batch_size]
                self.position += batch_size
                x, t = inputs[rows], targets[rows]
            size = len(x)

            # forward
            outputs = [x]
            z = x
            for m in range(depth):
                z = outputs[-1] @ weights[m].T + biases[m]
                outputs.append(activations[m](z))
            a = outputs[-1]

            # the cost, mean over the batch, computed stably from the output layer's z
            if self.loss == "bce":
                losses = t * np.logaddexp(0.0, -z) + (1.0 - t) * np.logaddexp(0.0, z)
                self.cost = np.sum(losses) / size
            else:
                shifted = z - z.max(axis=1, keepdims=True)
                log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
                self.cost = -np.sum(t * log_probs) / size

            # backward: sigmoid + bce and softmax + cross_entropy both give delta = a - t
            delta = a - t
            weight_grads: list[Array] = [a] * depth
            bias_grads: list[Array] = [a] * depth
            for m in range(depth - 1, -1, -1):
                weight_grads[m] = delta.T @ outputs[m] / size
                bias_grads[m] = delta.sum(axis=0) / size
                if m > 0:
                    delta = (delta @ weights[m]) * derivatives[m - 1](outputs[m])

            # update
            if self.optimizer == "sgd":
                for param, grad in zip(weights + biases, weight_grads + bias_grads, strict=True):
                    param -= learning_rate * grad
            else:
                self.adam_step += 1
                beta1, beta2, epsilon = ADAM["beta1"], ADAM["beta2"], ADAM["epsilon"]
                step_size = (learning_rate * np.sqrt(1.0 - beta2**self.adam_step)
                             / (1.0 - beta1**self.adam_step))
                for param, grad, first, second in zip(
                    weights + biases, weight_grads + bias_grads, self.first, self.second,
                    strict=True,
                ):
                    first *= beta1
                    first += (1.0 - beta1) * grad
                    second *= beta2
                    second += (1.0 - beta2) * (grad * grad)
                    param -= step_size * first / (np.sqrt(second) + epsilon)

    def flat_params(self) -> Array:
        return np.concatenate([
            part for w, b in zip(self.weights, self.biases, strict=True) for part in (w.ravel(), b)
        ])


# -- PyTorch --------------------------------------------------------------------------------


class TorchRun:
    name = "torch"

    def __init__(self, case: Case, optimizer: str) -> None:
        assert torch is not None
        network = initial_network(case)
        modules: list[Any] = []
        hidden = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}
        for m, (weights, biases) in enumerate(zip(network.weights, network.biases, strict=True)):
            linear = torch.nn.Linear(weights.shape[1], weights.shape[0], dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(weights))
                linear.bias.copy_(torch.from_numpy(biases))
            modules.append(linear)
            if m < len(network.weights) - 1:
                modules.append(hidden[case.activations[m]]())
        self.model = torch.nn.Sequential(*modules)  # the output activation is in the loss
        self.inputs = torch.from_numpy(case.inputs.copy())
        if case.loss == "bce":
            self.loss = torch.nn.BCEWithLogitsLoss()
            self.targets = torch.from_numpy(case.targets.copy())
        else:
            self.loss = torch.nn.CrossEntropyLoss()
            self.targets = torch.from_numpy(np.argmax(case.targets, axis=1))
        learning_rate = case.learning_rate[optimizer]
        if optimizer == "sgd":
            self.optimizer = torch.optim.SGD(self.model.parameters(), lr=learning_rate)
        else:
            self.optimizer = torch.optim.Adam(
                self.model.parameters(), lr=learning_rate,
                betas=(ADAM["beta1"], ADAM["beta2"]), eps=ADAM["epsilon"],
            )
        self.batch_size = case.batch_size
        self.generator = torch.Generator().manual_seed(SEED)
        self.order = torch.arange(len(case.inputs))
        self.position = len(case.inputs)
        self.cost: Any = None

    def run(self, steps: int) -> None:
        model, loss, optimizer = self.model, self.loss, self.optimizer
        inputs, targets, count = self.inputs, self.targets, len(self.inputs)
        batch_size = self.batch_size
        for _ in range(steps):
            if batch_size == 0:
                x, t = inputs, targets
            else:
                if self.position >= count:
                    self.order = torch.randperm(count, generator=self.generator)
                    self.position = 0
                rows = self.order[self.position : self.position + batch_size]
                self.position += batch_size
                x, t = inputs[rows], targets[rows]
            optimizer.zero_grad(set_to_none=True)
            cost = loss(model(x), t)
            cost.backward()
            optimizer.step()
            self.cost = cost

    def flat_params(self) -> Array:
        return np.concatenate([p.detach().numpy().ravel() for p in self.model.parameters()])


# -- measuring ------------------------------------------------------------------------------


def implementations(case: Case, optimizer: str) -> list[Implementation]:
    runs: list[Implementation] = [EngineRun(case, optimizer), HandLoop(case, optimizer)]
    if torch is not None:
        runs.append(TorchRun(case, optimizer))
    return runs


def check_same_math(case: Case, optimizer: str, steps: int) -> dict[str, float]:
    """Largest |parameter difference| to the engine after `steps` steps from the same start."""
    runs = implementations(case, optimizer)
    for run in runs:
        run.run(steps)
    reference = runs[0].flat_params()
    return {run.name: float(np.max(np.abs(run.flat_params() - reference))) for run in runs[1:]}


def steps_per_second(case: Case, optimizer: str, bursts: int) -> dict[str, float]:
    """Steps/s of each implementation's fastest of `bursts` bursts of `case.steps` steps,
    the implementations taking turns."""
    runs = implementations(case, optimizer)
    steps = case.steps
    for run in runs:
        run.run(2 * steps)  # warm-up
    best = {run.name: float("inf") for run in runs}
    for burst in range(bursts):
        shift = burst % len(runs)  # rotate who goes first: no implementation always runs cold
        for run in runs[shift:] + runs[:shift]:
            start = time.perf_counter()
            run.run(steps)
            best[run.name] = min(best[run.name], time.perf_counter() - start)
    return {name: steps / seconds for name, seconds in best.items()}


def _ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or denominator is None:
        return "-"
    return f"{numerator / denominator:.2f}x"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


HAND_TARGET = 0.9  # the engine may be at most 10% slower than the hand loop


def print_targets(ratios: list[tuple[str, float, float | None]]) -> None:
    """Which targets the rows just measured meet: every row (case and optimizer) counts."""
    rows = ", ".join(label for label, _, _ in ratios)
    label, worst = min(((label, hand) for label, hand, _ in ratios), key=lambda item: item[1])
    met = worst >= HAND_TARGET
    print(f"\ntargets, over all rows ({rows}):")
    print(f"  engine >= {HAND_TARGET}x the hand loop: {'met' if met else 'NOT met'} "
          f"(worst {worst:.2f}x, {label})")
    torch_ratios = [(label, ratio) for label, _, ratio in ratios if ratio is not None]
    if len(torch_ratios) < len(ratios):
        print("  ahead of PyTorch CPU: not measured (PyTorch is not installed)")
        return
    label, worst = min(torch_ratios, key=lambda item: item[1])
    print(f"  ahead of PyTorch CPU: {'met' if worst > 1.0 else 'NOT met'} "
          f"(worst {worst:.2f}x, {label})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short, rougher run")
    parser.add_argument("--no-adam", action="store_true", help="only the SGD rows")
    args = parser.parse_args(argv)
    bursts = 10 if args.quick else 60
    optimizers = ["sgd"] if args.no_adam else ["sgd", "adam"]

    torch_text = "not installed"
    if torch is not None:
        torch_text = f"{torch.__version__}, {torch.get_num_threads()} threads"
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, PyTorch {torch_text}, "
          f"{os.cpu_count()} CPUs; float64; the best of {bursts} bursts per implementation"
          f"{' (--quick)' if args.quick else ''}")

    cases = make_cases()
    print(f"\nsame math: max |params - engine params| after {CHECK_STEPS} steps "
          f"from the same start (tolerance {CHECK_TOLERANCE:g} for the hand loop)")
    all_same = True
    for case in cases:
        for optimizer in optimizers:
            differences = check_same_math(case, optimizer, CHECK_STEPS)
            same = differences["hand loop"] <= CHECK_TOLERANCE
            all_same = all_same and same
            torch_note = ""
            if "torch" in differences:
                torch_note = f", torch {differences['torch']:.1e}"
                if optimizer == "adam":
                    torch_note += " (torch.optim.Adam adds epsilon after the bias correction)"
            print(f"  {case.label:<22} {optimizer:<5} hand loop {differences['hand loop']:.1e} "
                  f"{'ok' if same else 'DIFFERENT'}{torch_note}")

    header = (f"{'case':<22} {'opt':<5} | {'engine steps/s':>14} | {'hand loop steps/s':>17} | "
              f"{'engine/hand':>11} | {'torch steps/s':>13} | {'engine/torch':>12}")
    print()
    print(header)
    print("-" * len(header))
    # (row label, engine/hand, engine/torch or None), every row measured in this run
    ratios: list[tuple[str, float, float | None]] = []
    for case in cases:
        for optimizer in optimizers:
            rates = steps_per_second(case, optimizer, bursts)
            engine, hand, torch_rate = rates["engine"], rates["hand loop"], rates.get("torch")
            short_label = " ".join(case.label.split()[:2])  # "1 xor"
            ratios.append((f"{short_label} {optimizer}", engine / hand,
                           None if torch_rate is None else engine / torch_rate))
            print(f"{case.label:<22} {optimizer:<5} | {_rate(engine):>14} | {_rate(hand):>17} | "
                  f"{_ratio(engine, hand):>11} | {_rate(torch_rate):>13} | "
                  f"{_ratio(engine, torch_rate):>12}")
    print_targets(ratios)
    print(f"same math as the hand loop: {'yes' if all_same else 'NO'}")
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main())
