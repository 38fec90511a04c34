"""A listener's worker process, and the batches it hands on: the same lines give the same
counts, errors and figures as parsing in-process, and the contract holds."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
import statsd

import core.listener
import core.liveworker
import core.tracker
from core import ActionTracker, Listener, PortInUseError, SourceCounts
from core.linefeed import LineFeeder
from core.livebatch import BatchFeeder, apply_batch
from core.livecounts import SourceTally
from livetools import live_threads, wait_until

MIXED = (
    b"db.query:12.5|ms\n"
    b"db.query:1:2.5:30|ms|@0.5|#route:/a\n"
    b"  padded :4|h\r\n"
    b"padded:6|d\n"
    b'{"action": "padded", "time": 8}\n'
    b"hits:1|c\ngauge:3|g\nusers:joe|s\n_e{1,1}:a|b\n_sc|x|0\n"
    b"negative:-5|ms\n"
    b"packed.bad:1:x|ms\n"
    b"nocolon\n"
    b":3|ms\n"
    b"huge:" + b"9" * 400 + b".5|ms\n"
    b"big.int:" + b"7" * 20 + b"|ms\n"
    b'{"action": "", "time": 1}\n'
    b"n" * 300 + b":1|ms\n"
    b"\xff\xfe:1|ms\n"
    b"zero:0|ms\nzero:0.0|ms\n"
)


@pytest.fixture(autouse=True)
def _no_live_threads_left() -> Iterator[None]:
    yield
    assert live_threads() == []


def _figures(tracker: ActionTracker) -> dict[str, tuple[int, float, float, float]]:
    return {s.action: (s.count, s.mean, s.min, s.max, s.p50) for s in tracker.snapshot().actions}


@pytest.mark.parametrize("strategy", ["running", "samples"])
def test_a_batch_counts_and_adds_what_the_line_feeder_does(strategy: str) -> None:
    direct, batched = ActionTracker(strategy), ActionTracker(strategy)  # type: ignore[arg-type]
    direct_tally, batch_tally = SourceTally(), SourceTally()
    LineFeeder(direct, direct_tally).feed(MIXED, ("127.0.0.1", 9))
    feeder = BatchFeeder(batched.strategy, SourceTally())  # the worker's own tally
    feeder.feed(MIXED, ("127.0.0.1", 9))
    batch = feeder.take()
    assert batch is not None
    apply_batch(batch, batched, batch_tally)
    assert batch_tally.counts() == direct_tally.counts()
    assert sorted(map(repr, batch_tally.errors())) == sorted(map(repr, direct_tally.errors()))
    assert _figures(batched) == _figures(direct)
    assert feeder.take() is None  # nothing new since


def test_a_batch_past_the_limit_rejects_as_add_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.tracker, "MAX_ACTIONS", 10)
    direct, batched = ActionTracker(), ActionTracker()
    direct.add("held", 1)
    batched.add("held", 1)
    data = b"".join(b"name%d:1|ms\nname%d:2|ms\n" % (n, n) for n in range(20)) + b"held:3|ms\n"
    direct_tally, batch_tally = SourceTally(), SourceTally()
    LineFeeder(direct, direct_tally).feed(data, "here")
    feeder = BatchFeeder(batched.strategy, SourceTally())
    for start in range(0, len(data.splitlines()), 7):  # several batches, the limit met in one
        feeder.feed(b"\n".join(data.splitlines()[start : start + 7]), "here")
        batch = feeder.take()
        assert batch is not None
        apply_batch(batch, batched, batch_tally)
    assert batch_tally.counts() == direct_tally.counts() == SourceCounts(41, 19, 22, 0, 0)
    assert _figures(batched) == _figures(direct)
    assert {e.reason for e in batch_tally.errors()} == {e.reason for e in direct_tally.errors()}
    assert {e.line for e in batch_tally.errors()} <= {e.line for e in direct_tally.errors()}


def test_the_default_is_a_worker_process_for_a_plain_running_tracker() -> None:
    assert not Listener(ActionTracker()).in_process
    assert Listener(ActionTracker("samples")).in_process
    assert Listener(ActionTracker(), in_process=True).in_process

    class Watching(ActionTracker):
        pass

    assert Listener(Watching()).in_process


def test_a_statsd_client_through_the_worker() -> None:
    tracker = ActionTracker()
    with Listener(tracker, port=0, in_process=False) as listener:
        client = statsd.StatsClient(*listener.address)
        client.timing("db.query", 12)
        client.timing("db.query", 18.5)
        with client.pipeline() as pipe:
            pipe.timing("pipe.a", 1)
            pipe.incr("hits")
        client.timing("", 3)  # no name: rejected
        wait_until(lambda: listener.counts().received >= 5)
        client.close()
    assert _figures(tracker) == {"db.query": (2, 15.25, 12, 18.5, 15.25), "pipe.a": (1, 1, 1, 1, 1)}
    assert listener.counts() == SourceCounts(5, 3, 1, 1, 0)
    [error] = listener.errors()
    assert error.line == ":3.000000|ms"
    assert error.source.startswith("127.0.0.1:")


def test_tcp_through_the_worker_with_its_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.tracker, "MAX_ACTIONS", 3)  # the worker takes the owner's
    tracker = ActionTracker()
    listener = Listener(tracker, port=0, protocol="tcp", in_process=False)
    with listener, socket.create_connection(listener.address, timeout=5) as client:
        client.sendall(b"".join(b"n%d:1|ms\n" % n for n in range(5)) + b"half:1")
        wait_until(lambda: listener.counts().received >= 5)
    assert listener.counts() == SourceCounts(6, 3, 3, 0, 0)
    reasons = [error.reason for error in listener.errors()]
    assert sum("limit" in reason for reason in reasons) == 2
    assert reasons[-1] == "the connection closed before the end of the line"
    assert len(tracker.snapshot().actions) == 3


def test_a_port_in_use_is_said_before_any_worker_starts() -> None:
    with Listener(ActionTracker(), port=0, in_process=False) as first:
        second = Listener(ActionTracker(), port=first.address[1], in_process=False)
        with pytest.raises(PortInUseError):
            second.start()


def test_stop_ends_the_worker_and_counts_what_it_read(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def noting(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        process = popen(*args, **kwargs)  # type: ignore[call-overload]
        started.append(process)
        return process  # type: ignore[no-any-return]

    monkeypatch.setattr(core.liveworker.subprocess, "Popen", noting)
    tracker = ActionTracker()
    listener = Listener(tracker, port=0, in_process=False)
    listener.start()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for number in range(200):  # sent before the worker is up: they wait in the buffer
            sender.sendto(b"early:%d|ms" % number, listener.address)
    wait_until(lambda: listener.counts().received == 200, timeout=20)
    listener.stop()
    listener.stop()  # twice is fine
    [process] = started
    assert process.returncode is not None
    assert tracker.snapshot().actions[0].count == 200


def test_an_owner_that_vanishes_ends_its_worker() -> None:
    listener = Listener(ActionTracker(), port=0, in_process=False)
    listener.start()
    worker = listener._worker
    assert worker is not None
    worker._channel.shutdown(socket.SHUT_RDWR)  # as when the owner's process dies
    deadline = time.monotonic() + 20
    while worker._process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker._process.poll() == 0
    listener.stop()


def test_the_worker_default_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.listener, "WORKER_PROCESS", False)
    assert Listener(ActionTracker()).in_process


def test_zeros_from_two_threads_past_the_exact_limit_still_snapshot() -> None:
    # A worker's batches and the lines read while it started land in two stripes; an
    # action timed only at 0 ms then has no sketch bins in either.
    tracker = ActionTracker()
    both_added = threading.Barrier(2)  # alive together: each keeps a stripe of its own

    def add_zeros() -> None:
        for _ in range(600):
            tracker.add("zero", 0)
        both_added.wait(5)

    threads = [threading.Thread(target=add_zeros) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [stats] = tracker.snapshot().actions
    assert (stats.count, stats.max, stats.p99) == (1200, 0, 0)


def _udp_send(address: tuple[str, int], *packets: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for packet in packets:
            sender.sendto(packet, address)


def test_a_worker_that_dies_leaves_this_process_reading() -> None:
    tracker = ActionTracker()
    with Listener(tracker, port=0, in_process=False) as listener:
        worker = listener._worker
        assert worker is not None
        wait_until(lambda: worker._reading, timeout=30)
        _udp_send(listener.address, b"before:1|ms")
        wait_until(lambda: listener.counts().received == 1)
        worker._process.kill()
        wait_until(lambda: listener.in_process)
        _udp_send(listener.address, b"after:2|ms")
        wait_until(lambda: listener.counts().received == 2)
    assert {stats.action for stats in tracker.snapshot().actions} == {"before", "after"}
    [note] = listener.errors()
    assert note.reason == "the worker process ended; lines are parsed in this process"


@pytest.mark.parametrize("protocol", ["udp", "tcp"])
def test_a_worker_that_cannot_start_leaves_this_process_reading(
    monkeypatch: pytest.MonkeyPatch, protocol: str
) -> None:
    monkeypatch.setattr(core.liveworker.sys, "executable", "/nonexistent/python")
    tracker = ActionTracker()
    with Listener(tracker, port=0, protocol=protocol, in_process=False) as listener:
        assert listener.in_process
        if protocol == "udp":
            _udp_send(listener.address, b"here:1|ms")
        else:
            with socket.create_connection(listener.address, timeout=5) as client:
                client.sendall(b"here:1|ms\n")
        wait_until(lambda: listener.counts().received == 1)
    [note] = listener.errors()
    assert note.reason.startswith("the worker process could not start")
