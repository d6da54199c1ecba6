"""Everything needed to build a Trainer from scratch, as one immutable value.

The window keeps a TrainingConfig; Reset builds a fresh Trainer from it, so the same seed
and settings always give the same starting weights, data split and batch order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from engine.core.errors import ConfigError
from engine.core.features import RAW_FEATURES, RAW_WIDTH, canonical_features, check_raw_width
from engine.core.initializers import initialize
from engine.core.network import Network
from engine.core.optimizers import make_optimizer
from engine.core.seeding import seed_streams
from engine.core.standardization import Standardization
from engine.data.dataset import Dataset, split_dataset
from engine.data.tasks import for_output
from engine.training.trainer import Trainer

# The largest values the window's controls offer, so also the largest a session file, a
# weights file or a command line may ask for (checked before anything is allocated).
MAX_LAYER_SIZE = 512
MAX_HIDDEN_LAYERS = 16
MAX_SAMPLES = 100_000
MAX_BATCH_SIZE = 100_000
MAX_SEED = 2**31 - 1
# Steps, epochs and other counters: beyond 2**53 a float64 (and JSON) loses whole numbers.
MAX_COUNT = 2**53
INTEGER_LIMITS: dict[str, tuple[int, int]] = {
    "samples": (1, MAX_SAMPLES),
    "batch_size": (0, MAX_BATCH_SIZE),
    "seed": (0, MAX_SEED),
}


@dataclass(frozen=True)
class HiddenLayer:
    size: int
    activation: str = "tanh"


@dataclass(frozen=True)
class TrainingConfig:
    """Data source, architecture and hyperparameters. `dataset` names a built-in generator;
    a CSV dataset is passed to `build_trainer` directly and `dataset` holds its label."""

    dataset: str = "xor"
    samples: int | None = None
    noise: float | None = None
    test_ratio: float = 0.0
    hidden: tuple[HiddenLayer, ...] = (HiddenLayer(4, "tanh"),)
    output_activation: str = "sigmoid"
    loss: str = "bce"
    reduction: str = "mean"
    optimizer: str = "adam"
    learning_rate: float = 0.03
    batch_size: int = 0
    shuffle: bool = True
    regularization: str = "none"
    regularization_rate: float = 0.0
    initializer: str = "xavier"
    seed: int = 0
    features: tuple[str, ...] = ()  # input feature ids (engine/core/features.py); () = raw inputs
    standardize: bool = False  # standardize inputs with the training split's mean and std

    def with_changes(self, **changes: object) -> TrainingConfig:
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """Every setting as JSON-ready values (hidden layers as {"size", "activation"};
        features as a list, present only when some are chosen)."""
        data = asdict(self)
        data["hidden"] = [{"size": layer.size, "activation": layer.activation}
                          for layer in self.hidden]
        # Written only when chosen, so raw-input settings stay as they were before features.
        if self.features:
            data["features"] = list(self.features)
        else:
            del data["features"]
        if not self.standardize:  # likewise: files without it mean raw inputs
            del data["standardize"]
        return data


def network_features(features: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The features a network is built with: canonical ids, or () for the raw inputs (no
    features, or exactly X1 and X2, which are the raw inputs themselves).

    ConfigError for an unknown or repeated id.
    """
    if not features:
        return ()
    chosen = canonical_features(features)
    return () if chosen == RAW_FEATURES else chosen


def default_output_for(dataset: Dataset) -> tuple[str, str]:
    """(output activation, loss) that fit a dataset's task and number of classes."""
    if dataset.task == "regression":
        return "linear", "mse"
    if dataset.class_count == 2 or dataset.targets.shape[1] == 1:
        return "sigmoid", "bce"
    return "softmax", "cross_entropy"


SMALL_DATASET = 20  # below this many rows nothing is held out by default
GENERATED_TEST_RATIO = 0.3  # the window's default for built-in data
CSV_TEST_RATIO = 0.2  # for a CSV: real tables are often small (iris: 150 rows); see README


def default_test_ratio(dataset: Dataset, generated: bool) -> float:
    """What to hold out for testing by default: nothing from a tiny dataset (xor), else
    GENERATED_TEST_RATIO of built-in data, CSV_TEST_RATIO of a CSV."""
    if len(dataset) < SMALL_DATASET:
        return 0.0
    return GENERATED_TEST_RATIO if generated else CSV_TEST_RATIO


FULL_BATCH_LIMIT = 64  # up to this many training rows the default is full-batch
DEFAULT_BATCH_SIZE = 10  # mini-batches of larger data, as TensorFlow Playground's default


def default_batch_size(current: int, training_rows: float) -> int:
    """The batch size for new data: a default (full batch, or DEFAULT_BATCH_SIZE) follows the
    data's size as `train` chooses it; any other size the person chose stays."""
    if current not in (0, DEFAULT_BATCH_SIZE):
        return current
    return 0 if training_rows <= FULL_BATCH_LIMIT else DEFAULT_BATCH_SIZE


def config_for_data(config: TrainingConfig, dataset: Dataset, generated: bool) -> TrainingConfig:
    """`config` adapted to a newly chosen dataset: the output activation and loss of its task
    and class count, the default test ratio, standardization on for a CSV and off for
    built-in data, no input features unless the data is 2-D, and what a built-in dataset
    declares (suited_to_dataset); a default batch size follows the data's size (full batch
    for XOR, mini-batches of 10 for spiral3). (The output count follows from the data and
    the output activation when the network is built.)"""
    output, loss = default_output_for(dataset)
    features = config.features if dataset.inputs.shape[1] == RAW_WIDTH else ()
    test_ratio = default_test_ratio(dataset, generated)
    adapted = config.with_changes(dataset=dataset.name if not generated else config.dataset,
                                  output_activation=output, loss=loss, test_ratio=test_ratio,
                                  batch_size=default_batch_size(config.batch_size,
                                                                len(dataset) * (1 - test_ratio)),
                                  standardize=not generated, features=features)
    # A built-in dataset's own settings (digits: its test ratio, hidden size, batch, ...) win.
    return suited_to_dataset(adapted, adapted.dataset) if generated else adapted


def suited_to_dataset(config: TrainingConfig, name: str) -> TrainingConfig:
    """`config` with the settings the built-in dataset `name` declares (engine/data/datasets.py
    DatasetInfo: test ratio, hidden sizes, batch size, learning rate, L2 rate; the window's
    digits weight images are smooth strokes with a little L2) and, when it declares any or
    the output cannot work for it (softmax for one target column, sigmoid for ten), the
    output and loss that fit it; unchanged otherwise."""
    from engine.data.datasets import DATASET_INFO, make_dataset  # datasets imports data, not config

    info = DATASET_INFO.get(name)
    if info is None:
        return config
    changes: dict[str, object] = {}
    if info.test_ratio is not None:
        changes["test_ratio"] = info.test_ratio
    if info.hidden is not None:
        activation = config.hidden[0].activation if config.hidden else "tanh"
        changes["hidden"] = tuple(HiddenLayer(size, activation) for size in info.hidden)
    if info.batch_size is not None:
        changes["batch_size"] = info.batch_size
    if info.learning_rate is not None:
        changes["learning_rate"] = info.learning_rate
    if info.l2 is not None:
        changes.update(regularization="l2", regularization_rate=info.l2)
    output, loss = default_output_for(make_dataset(name, samples=min(20, info.default_samples)))
    if changes or not _output_fits(config, output):
        changes.update(output_activation=output, loss=loss)
    return config.with_changes(**changes)


def _output_fits(config: TrainingConfig, default_output: str) -> bool:
    """Whether the config's output and loss can work where `default_output` is the usual."""
    multi_class = config.output_activation == "softmax" or config.loss == "cross_entropy"
    if default_output == "softmax":
        return config.output_activation == "softmax" and config.loss == "cross_entropy"
    if default_output == "sigmoid":
        return not multi_class
    return not multi_class and config.loss != "bce"  # regression


def make_network(config: TrainingConfig, inputs: int, outputs: int,
                 standardization: Standardization | None = None) -> Network:
    """An uninitialized network for this config (all parameters zero) on data with `inputs`
    input columns; with input features, the data must have 2 (ConfigError otherwise)."""
    features = network_features(config.features)
    if features:
        check_raw_width(inputs)
    first = len(features) if features else inputs
    sizes = [first, *(layer.size for layer in config.hidden), outputs]
    activations = [layer.activation for layer in config.hidden] + [config.output_activation]
    return Network(sizes, activations, features=features or None,
                   standardization=standardization)


def build_trainer(config: TrainingConfig, dataset: Dataset) -> Trainer:
    """A freshly initialized Trainer: the seed drives the split, the weights and the shuffling.

    Two classes are encoded for the output (engine/data/tasks.py for_output: two columns for
    softmax); with `standardize`, the inputs' mean and std come from the training split."""
    if not 0.0 <= config.test_ratio < 1.0:
        raise ConfigError(f"the test ratio must be in [0, 1), got {config.test_ratio}")
    streams = seed_streams(config.seed)
    dataset = for_output(dataset, config.output_activation)
    split = split_dataset(dataset, config.test_ratio, streams.split if config.shuffle else None)
    standardization = Standardization.fit(split.train.inputs) if config.standardize else None
    network = make_network(config, dataset.inputs.shape[1], dataset.targets.shape[1],
                           standardization)
    initialize(network, config.initializer, streams.init)
    return Trainer(
        network,
        split,
        loss=config.loss,
        reduction=config.reduction,
        optimizer=make_optimizer(config.optimizer),
        learning_rate=config.learning_rate,
        batch_size=config.batch_size,
        shuffle=config.shuffle,
        regularization=config.regularization,
        regularization_rate=config.regularization_rate,
        shuffle_rng=streams.shuffle,
    )


def apply_hyperparameters(trainer: Trainer, config: TrainingConfig) -> None:
    """Change what may change between steps without a reset; weights stay as they are.

    A different optimizer starts with fresh state (no momentum/moments carried across).
    """
    trainer.learning_rate = config.learning_rate
    trainer.batch_size = config.batch_size
    trainer.regularization = config.regularization
    trainer.regularization_rate = config.regularization_rate
    if trainer.optimizer.name != config.optimizer:
        trainer.optimizer = make_optimizer(config.optimizer)
