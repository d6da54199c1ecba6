"""The step-through's phases: every number is the Snapshot's own, and the walk ends where
the next Step lands, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from engine.core.network import ParameterRef, parameter_views
from engine.core.seeding import seed_streams
from engine.data.datasets import make_dataset
from engine.explain.stepthrough import PHASE_KINDS, Phase, phase_count, phases, resulting_params
from engine.training.config import HiddenLayer, TrainingConfig, build_trainer
from engine.training.snapshot import Snapshot, take_snapshot
from engine.training.trainer import Trainer

DEEP = (HiddenLayer(5, "tanh"), HiddenLayer(3, "relu"))


def make_trainer(**changes: object) -> Trainer:
    config = TrainingConfig(**changes)  # type: ignore[arg-type]
    dataset = make_dataset(config.dataset, config.samples, config.noise,
                           seed_streams(config.seed).data)
    return build_trainer(config, dataset)


def snapshot_after(steps: int, **changes: object) -> tuple[Trainer, Snapshot]:
    """A trainer that made `steps` updates, and its snapshot (the next step's numbers)."""
    trainer = make_trainer(**changes)
    for _ in range(steps):
        trainer.step()
    return trainer, take_snapshot(trainer)


def of_kind(walk: list[Phase], kind: str) -> dict[int, Phase]:
    return {phase.layer: phase for phase in walk if phase.kind == kind}


@pytest.mark.parametrize("hidden", [(), (HiddenLayer(4, "tanh"),), DEEP])
def test_a_network_of_depth_l_has_4l_plus_1_phases_in_order(
        hidden: tuple[HiddenLayer, ...]) -> None:
    _, snapshot = snapshot_after(0, hidden=hidden)
    depth = len(hidden) + 1
    walk = phases(snapshot)
    assert len(walk) == phase_count(depth) == 4 * depth + 1
    order = [(phase.kind, phase.layer) for phase in walk]
    backward = [(kind, m) for m in range(depth, 0, -1) for kind in ("backward", "gradients")]
    assert order == ([("forward", m) for m in range(1, depth + 1)] + [("cost", 0)] + backward
                     + [("update", m) for m in range(1, depth + 1)])
    assert {phase.kind for phase in walk} == set(PHASE_KINDS)
    assert all(phase.title and phase.explanation for phase in walk)


def test_every_table_is_the_snapshots_own_array() -> None:
    _, snapshot = snapshot_after(3, hidden=DEEP, dataset="spiral", batch_size=7)
    walk = phases(snapshot)
    forward, backward = of_kind(walk, "forward"), of_kind(walk, "backward")
    gradients, updates = of_kind(walk, "gradients"), of_kind(walk, "update")
    weights, biases = parameter_views(snapshot.params, snapshot.sizes)
    update_weights, update_biases = parameter_views(snapshot.update, snapshot.sizes)
    assert np.array_equal(forward[1].tables["a⁰"], snapshot.batch_inputs)
    for m, layer in enumerate(snapshot.layers, start=1):
        assert forward[m].tables["z"] is layer.pre_activations
        assert forward[m].tables["a"] is layer.activations
        assert forward[m].tables["z"].shape == (len(snapshot.batch_rows), snapshot.sizes[m])
        assert backward[m].tables["delta"] is layer.deltas
        assert gradients[m].tables["dC/dW"] is layer.weight_gradients
        assert gradients[m].tables["dC/db"] is layer.bias_gradients
        assert np.array_equal(updates[m].tables["old W"], weights[m - 1])
        assert np.array_equal(updates[m].tables["old b"], biases[m - 1])
        assert np.array_equal(updates[m].tables["update W"], update_weights[m - 1])
        assert np.array_equal(updates[m].tables["update b"], update_biases[m - 1])
    cost = of_kind(walk, "cost")[0].tables
    assert cost["a"] is snapshot.layers[-1].activations
    assert cost["t"] is snapshot.batch_targets
    assert cost["C_s"] is snapshot.per_sample_costs
    assert float(cost["C"]) == snapshot.cost
    assert cost["C"].shape == ()


def test_tables_cannot_be_written() -> None:
    _, snapshot = snapshot_after(1, hidden=DEEP)
    for phase in phases(snapshot):
        for name, table in phase.tables.items():
            assert not table.flags.writeable, f"{phase.title}: {name}"


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_update_phases_show_new_equal_to_params_minus_update(optimizer: str) -> None:
    _, snapshot = snapshot_after(4, hidden=DEEP, optimizer=optimizer, batch_size=5)
    expected = snapshot.params - snapshot.update
    new_weights, new_biases = parameter_views(expected, snapshot.sizes)
    for m, phase in of_kind(phases(snapshot), "update").items():
        tables = phase.tables
        assert np.array_equal(tables["new W"], new_weights[m - 1])
        assert np.array_equal(tables["new b"], new_biases[m - 1])
        assert np.array_equal(tables["new W"], tables["old W"] - tables["update W"])
        assert np.array_equal(tables["new b"], tables["old b"] - tables["update b"])


@pytest.mark.parametrize("changes", [
    {"optimizer": "adam"},
    {"optimizer": "momentum", "batch_size": 3},
    {"optimizer": "sgd", "regularization": "l2", "regularization_rate": 0.01},
    {"dataset": "spiral", "reduction": "sum", "learning_rate": 0.001},
])
def test_resulting_params_are_exactly_what_the_next_step_makes(
        changes: dict[str, object]) -> None:
    trainer, snapshot = snapshot_after(2, hidden=DEEP, **changes)
    predicted = resulting_params(snapshot)
    trainer.step()
    assert np.array_equal(predicted, trainer.network.params)
    assert predicted.tobytes() == trainer.network.params.tobytes()
    assert not predicted.flags.writeable


def test_the_update_explanation_says_when_the_update_is_not_plain_gradient_descent() -> None:
    _, plain = snapshot_after(2, optimizer="sgd")
    _, adam = snapshot_after(2, optimizer="adam")
    assert "exactly η" in of_kind(phases(plain), "update")[1].explanation
    assert "not just η" in of_kind(phases(adam), "update")[1].explanation


def test_highlights_name_the_phases_layer() -> None:
    _, snapshot = snapshot_after(0, hidden=DEEP)
    sizes = snapshot.sizes
    walk = phases(snapshot)
    forward, backward = of_kind(walk, "forward"), of_kind(walk, "backward")
    assert forward[2].neurons == [(2, index) for index in range(sizes[2])]
    assert set(forward[2].edges) == {ParameterRef(2, "weight", row, column)
                                     for row in range(sizes[2]) for column in range(sizes[1])}
    # A hidden delta comes back through the weights of the layer above it.
    assert {ref.layer for ref in backward[1].edges} == {2}
    assert backward[3].edges == []
    assert of_kind(walk, "cost")[0].neurons == [(3, index) for index in range(sizes[3])]


def test_backward_titles_follow_the_output_and_loss() -> None:
    _, combined = snapshot_after(0)  # sigmoid + bce
    _, squared = snapshot_after(0, output_activation="sigmoid", loss="half_sse")
    _, softmax = snapshot_after(0, dataset="spiral3", output_activation="softmax",
                                 loss="sse")
    assert "a² − t" not in of_kind(phases(squared), "backward")[2].title
    assert "a² − t" in of_kind(phases(combined), "backward")[2].title
    assert "σ'(z²)" in of_kind(phases(squared), "backward")[2].title
    assert "Jacobian" in of_kind(phases(softmax), "backward")[2].title
