"""Neuron maps in the snapshot: every layer's activations over the 2-D grid, from one pass."""

from __future__ import annotations

import numpy as np
import pytest

from engine.core.network import Network, parameter_count
from engine.training.config import HiddenLayer, TrainingConfig
from engine.training.snapshot import GridOutputs, grid_outputs, take_snapshot
from engine.training.step_history import StepHistory, rebuild_snapshot
from tests.engine.test_history import make_trainer

CIRCLE = TrainingConfig(dataset="circle", samples=80, test_ratio=0.25, batch_size=10,
                        optimizer="adam", learning_rate=0.03,
                        hidden=(HiddenLayer(5, "tanh"), HiddenLayer(3, "relu")))


def grid_points(grid: GridOutputs) -> np.ndarray:
    """(ny * nx, 2) the grid's points, row by row: point [j, i] is (x[i], y[j])."""
    grid_x, grid_y = np.meshgrid(grid.x, grid.y)
    return np.column_stack([grid_x.ravel(), grid_y.ravel()])


def test_maps_are_a_forward_pass_of_the_grid_layer_by_layer() -> None:
    trainer = make_trainer(CIRCLE)
    for _ in range(20):
        trainer.step()
    snapshot = take_snapshot(trainer, grid_resolution=25)
    grid = snapshot.grid
    assert grid is not None
    assert len(grid.activations) == len(snapshot.sizes) == 4
    forward = trainer.network.forward(grid_points(grid))
    for m, (maps, expected) in enumerate(zip(grid.activations, forward.activations,
                                             strict=True)):
        assert maps.shape == (snapshot.sizes[m], 25, 25)
        for i in range(snapshot.sizes[m]):  # neuron i's map, row j = y[j], column = x[i]
            np.testing.assert_array_equal(maps[i], expected[:, i].reshape(25, 25))
        assert not maps.flags.writeable
        with pytest.raises(ValueError):
            maps[0, 0, 0] = 1.0
    np.testing.assert_array_equal(grid.activations[0][0][3], grid.x)  # a^0_0 = x1 along a row
    np.testing.assert_array_equal(grid.activations[0][1][:, 7], grid.y)  # a^0_1 = x2 up a column
    np.testing.assert_array_equal(grid.activations[-1][0], grid.values)
    assert np.ptp(grid.activations[1][0]) > 0.1  # a hidden map is not flat


def test_grid_outputs_keeps_values_and_classes_and_adds_the_maps() -> None:
    network = Network((2, 3, 3), ["tanh", "softmax"])
    network.params[:] = np.linspace(-1.0, 1.0, network.params.size)
    grid = grid_outputs(network, (-2.0, 2.0), (-1.0, 1.0), 9)
    outputs = network.predict(grid_points(grid))
    np.testing.assert_array_equal(grid.values, outputs[:, 0].reshape(9, 9))
    np.testing.assert_array_equal(grid.classes, outputs.argmax(axis=1).reshape(9, 9))
    np.testing.assert_array_equal(
        grid.activations[2], outputs.T.reshape(3, 9, 9))
    assert [maps.shape[0] for maps in grid.activations] == [2, 3, 3]


def test_scrubbing_the_history_rebuilds_the_same_maps() -> None:
    trainer = make_trainer(CIRCLE)
    history = StepHistory(parameter_count(trainer.network.sizes), 10)
    live = {}
    for _ in range(6):
        snapshot = take_snapshot(trainer)
        live[snapshot.step] = snapshot
        history.record_step(trainer)
    for step in (0, 3, 5):
        rebuilt = rebuild_snapshot(trainer, history.stored(step))
        assert rebuilt.grid is not None and live[step].grid is not None
        for mine, theirs in zip(rebuilt.grid.activations, live[step].grid.activations,
                                strict=True):
            np.testing.assert_array_equal(mine, theirs)
        assert not any(maps.flags.writeable for maps in rebuilt.grid.activations)
    assert not np.array_equal(live[0].grid.activations[1], live[5].grid.activations[1])

