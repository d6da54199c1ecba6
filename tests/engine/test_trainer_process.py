"""The trainer process's loop over a real pipe (run in a thread here): commands in order,
coalesced requests, cancel during a check, unreadable bytes, and the end of the pipe."""

from __future__ import annotations

import threading
from multiprocessing import Pipe

from engine.process import trainer_protocol as protocol
from engine.process.trainer_process import _Inbox, serve
from engine.process.wire import decode, encode
from tests.engine.test_trainer_service import _new_trainer


def _events_until(connection, kind: type) -> list[object]:  # type: ignore[no-untyped-def]
    events: list[object] = []
    while not events or not isinstance(events[-1], kind):
        assert connection.poll(10), f"no {kind.__name__} within 10 s"
        events.append(decode(connection.recv_bytes()))
    return events


def test_serve_carries_out_commands_in_order_and_stops() -> None:
    window, trainer_end = Pipe()
    thread = threading.Thread(target=serve, args=(trainer_end,))
    thread.start()
    for command in (_new_trainer(), protocol.Step(3), protocol.Fence(1), protocol.Stop()):
        window.send_bytes(encode(command))
    events = _events_until(window, protocol.Stopped)
    thread.join(5)
    assert not thread.is_alive()
    kinds = [type(event) for event in events]
    assert kinds.index(protocol.TrainerReplaced) < kinds.index(protocol.Fenced)
    steps = [event.snapshot.step for event in events if isinstance(event, protocol.SnapshotReady)]
    assert steps == [0, 3]


def test_serve_ends_when_the_window_end_closes_even_while_playing() -> None:
    window, trainer_end = Pipe()
    thread = threading.Thread(target=serve, args=(trainer_end,))
    thread.start()
    window.send_bytes(encode(_new_trainer()))
    window.send_bytes(encode(protocol.Play()))
    _events_until(window, protocol.PlayingChanged)
    window.close()
    thread.join(5)
    assert not thread.is_alive()


def test_unreadable_bytes_are_answered_with_failed() -> None:
    window, trainer_end = Pipe()
    thread = threading.Thread(target=serve, args=(trainer_end,))
    thread.start()
    window.send_bytes(b"\x00\x00\x00\x00\x00\x00\x00\x05{oops")
    failed = _events_until(window, protocol.Failed)[-1]
    assert "could not be read" in failed.message
    window.send_bytes(encode(protocol.Stop()))
    thread.join(5)


def test_the_inbox_keeps_order_coalesces_requests_and_finds_a_cancel() -> None:
    window, trainer_end = Pipe()
    inbox = _Inbox(trainer_end)
    for command in (protocol.RequestHistorySnapshot(1), protocol.Step(1),
                    protocol.RequestHistorySnapshot(2), protocol.RequestHistorySnapshot(3),
                    protocol.CancelGradientCheck(), protocol.Fence(5)):
        window.send_bytes(encode(command))
    assert inbox.cancel_requested()
    received = []
    while (command := inbox.next(0)) is not None:
        received.append(command)
    assert received == [protocol.Step(1), protocol.RequestHistorySnapshot(3), protocol.Fence(5)]
