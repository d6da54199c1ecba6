"""Messages as bytes: every command and event round-trips exactly; nothing else gets through."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.network import ParameterRef
from engine.data.datasets import make_dataset
from engine.explain.gradcheck import check_gradients
from engine.process import trainer_protocol as protocol
from engine.process.wire import WireError, decode, encode
from engine.training.config import TrainingConfig, build_trainer
from engine.training.snapshot import take_snapshot


def _same(first: object, second: object) -> bool:
    """Equal, arrays bit for bit (NaN equal to NaN), types included."""
    if isinstance(first, np.ndarray):
        return (isinstance(second, np.ndarray) and first.dtype == second.dtype
                and first.shape == second.shape and first.tobytes() == second.tobytes())
    if isinstance(first, float) and math.isnan(first):
        return isinstance(second, float) and math.isnan(second)
    if type(first) is not type(second):
        return False
    if isinstance(first, list | tuple):
        return len(first) == len(second) and all(map(_same, first, second))  # type: ignore[arg-type]
    if isinstance(first, dict):
        return first.keys() == second.keys() and all(  # type: ignore[union-attr]
            _same(first[key], second[key]) for key in first)  # type: ignore[index]
    if hasattr(first, "__dataclass_fields__"):
        return all(_same(getattr(first, name), getattr(second, name))
                   for name in first.__dataclass_fields__)
    return first == second


def _trainer():  # type: ignore[no-untyped-def]
    config = TrainingConfig(dataset="circle", samples=40, batch_size=8)
    trainer = build_trainer(config, make_dataset("circle", 40))
    for _ in range(3):
        trainer.step()
    return trainer


def test_a_full_snapshot_round_trips_bit_for_bit_and_read_only() -> None:
    snapshot = take_snapshot(_trainer(), probe_row=3)
    back = decode(encode(protocol.SnapshotReady(snapshot))).snapshot
    assert _same(snapshot, back)
    assert not back.params.flags.writeable and not back.layers[0].weights.flags.writeable


def test_a_diverged_snapshot_keeps_its_nan_and_inf() -> None:
    snapshot = take_snapshot(_trainer())
    broken = protocol.Diverged("x")
    values = np.array([np.nan, np.inf, -np.inf, 1.0])
    message = (broken, values, float("nan"), snapshot.cost)
    assert _same(decode(encode(message)), message)


@pytest.mark.parametrize("command", [
    protocol.Play(), protocol.Pause(), protocol.Step(3), protocol.StepEpoch(),
    protocol.NewTrainer(b'{"config": {"dataset": "xor"}}'), protocol.NewTrainer(b""),
    ({"config": {"dataset": "xor", "hidden": [{"size": 4}]}, "n": None}, b"\x00\xff"),
    protocol.SetParameter(5, -0.25, 9), protocol.SetHyperparameters(0.1, 10, "l2", 1e-3, "sgd"),
    protocol.RunGradientCheck(), protocol.CancelGradientCheck(),
    protocol.RequestHistorySnapshot(17), protocol.RequestParameterSeries(2),
    protocol.SetHistoryCapacity(300), protocol.RequestHistoryInfo(), protocol.SetSpeed(None),
    protocol.SetSpeed(2.5), protocol.SetProbeRow(4), protocol.RequestSnapshot(),
    protocol.Fence(8), protocol.ReadSession(), protocol.ReadSession(3, False),
    protocol.FrameDrawn(), protocol.Stop(),
])
def test_every_command_round_trips(command: object) -> None:
    assert _same(decode(encode(command)), command)


def test_events_with_results_round_trip() -> None:
    trainer = _trainer()
    batch = trainer.pending_batch()
    result = check_gradients(trainer.network, batch.inputs, batch.targets, trainer.loss)
    for event in (protocol.CheckFinished(result), protocol.CheckFinished(None),
                  protocol.ParameterEdit(3, ParameterRef(1, "weight", 0, 2), 0.5, 1.5, 2),
                  protocol.RateMeasured(1234.5), protocol.Fenced(3), protocol.Stopped()):
        assert _same(decode(encode(event)), event)


@pytest.mark.parametrize("message", [
    lambda: 1, object(), {1: "not a string key"}, np.array(["text"]), {"set": {1, 2}},
    np.array([object()], dtype=object),
])
def test_anything_but_plain_data_is_refused(message: object) -> None:
    with pytest.raises(WireError):
        encode(message)


def test_unknown_types_and_broken_bytes_are_refused() -> None:
    data = encode(protocol.Step(1)).replace(b'"Step"', b'"Evil"')
    with pytest.raises(WireError, match="unknown message type"):
        decode(data)
    with pytest.raises(WireError):
        decode(b"\x01")
    with pytest.raises(WireError):
        decode(encode(np.arange(10.0))[:-8])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_escape_as_another_error(data: bytes) -> None:
    try:
        decode(data)
    except WireError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.text(max_size=5), children, max_size=4) | st.tuples(children, children),
    max_leaves=20))
def test_plain_values_round_trip(value: object) -> None:
    assert _same(decode(encode(value)), value)
