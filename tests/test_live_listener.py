"""``Listener`` on 127.0.0.1 fed by real StatsD clients (statsd, datadog) and by hostile
ones: counts, errors, limits and clean stops."""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Iterator

import pytest
import statsd
from datadog.dogstatsd import DogStatsd

import core.listener
import core.tcpreceiver
from core import ActionTracker, Listener, PortInUseError, SourceCounts
from core.udpreceiver import drops_reported, enable_drop_count
from livetools import live_threads, wait_until


@pytest.fixture(autouse=True)
def _no_live_threads_left() -> Iterator[None]:
    yield
    assert live_threads() == []


@pytest.fixture
def tracker() -> ActionTracker:
    return ActionTracker("samples")


def _averages(tracker: ActionTracker) -> dict[str, float]:
    return {stats.action: stats.mean for stats in tracker.snapshot().actions}


def _counts_reach(listener: Listener, received: int) -> bool:
    return listener.counts().received >= received


def _udp_send(address: tuple[str, int], *packets: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for packet in packets:
            sender.sendto(packet, address)


# --- real clients -------------------------------------------------------------------


def test_statsd_client_timing_timer_and_pipeline(tracker: ActionTracker) -> None:
    with Listener(tracker, port=0) as listener:
        client = statsd.StatsClient(*listener.address)
        client.timing("db.query", 12)
        client.timing("db.query", 18.5)
        with client.timer("render"):
            pass
        with client.pipeline() as pipe:
            pipe.timing("pipe.a", 1)
            pipe.timing("pipe.b", 2)
            pipe.incr("hits")
            pipe.gauge("load", 3)
        client.incr("hits")
        client.decr("hits")
        client.set("users", "joe")
        wait_until(lambda: _counts_reach(listener, 10))
        client.close()
    averages = _averages(tracker)
    assert averages["db.query"] == pytest.approx(15.25)
    assert set(averages) == {"db.query", "render", "pipe.a", "pipe.b"}
    assert averages["render"] >= 0
    assert listener.counts() == SourceCounts(
        received=10, accepted=5, rejected=0, ignored=5, dropped=0
    )
    assert listener.errors() == []


def test_statsd_tcp_client(tracker: ActionTracker) -> None:
    with Listener(tracker, port=0, protocol="tcp") as listener:
        client = statsd.TCPStatsClient(*listener.address)
        client.timing("tcp.call", 40)
        with client.timer("tcp.timed"):
            pass
        with client.pipeline() as pipe:
            for value in (10, 20, 30):
                pipe.timing("tcp.piped", value)
        wait_until(lambda: _counts_reach(listener, 5))
        client.close()
    averages = _averages(tracker)
    assert averages["tcp.call"] == 40
    assert averages["tcp.piped"] == 20
    assert listener.counts().accepted == 5


def test_datadog_client_tags_timed_and_distribution(tracker: ActionTracker) -> None:
    with Listener(tracker, port=0) as listener:
        host, port = listener.address
        dog = DogStatsd(host=host, port=port, disable_telemetry=True, use_ms=True)

        @dog.timed("dd.timed", tags=["route:/a"])
        def work() -> int:
            return 7

        assert work() == 7
        dog.timing("dd.api", 100, tags=["route:/a", "env:test"])
        dog.timing("dd.api", 300, tags=["route:/b"])
        dog.distribution("dd.size", 2.5, tags=["kind:x"])
        dog.histogram("dd.hist", 4)
        dog.increment("dd.count", tags=["a"])
        dog.gauge("dd.gauge", 1.5)
        dog.event("Deployed", "version 2")
        dog.service_check("dd.check", DogStatsd.OK)
        wait_until(lambda: _counts_reach(listener, 9))
        dog.close_socket()
    averages = _averages(tracker)
    # Tags do not split an action: both routes are timings of "dd.api".
    assert averages["dd.api"] == 200
    assert averages["dd.size"] == 2.5
    assert averages["dd.hist"] == 4
    assert "dd.timed" in averages
    counts = listener.counts()
    assert (counts.accepted, counts.ignored, counts.rejected) == (5, 4, 0)


# --- the contract ---------------------------------------------------------------------


def test_port_zero_binds_a_free_loopback_port(tracker: ActionTracker) -> None:
    listener = Listener(tracker, port=0)
    assert listener.address == ("127.0.0.1", 0)
    listener.start()
    try:
        host, port = listener.address
        assert host == "127.0.0.1"
        assert port > 0
        assert listener.description == f"udp 127.0.0.1:{port}"
    finally:
        listener.stop()


@pytest.mark.parametrize("protocol", ["udp", "tcp"])
def test_a_port_in_use_says_so_plainly(tracker: ActionTracker, protocol: str) -> None:
    with Listener(tracker, port=0, protocol=protocol) as first:
        second = Listener(tracker, port=first.address[1], protocol=protocol)
        with pytest.raises(PortInUseError, match=f"port {first.address[1]} .* already in use"):
            second.start()
        second.stop()  # harmless on a listener that never started


@pytest.mark.parametrize("protocol", ["udp", "tcp"])
def test_stop_joins_its_threads(tracker: ActionTracker, protocol: str) -> None:
    # How long stop() takes (the contract's 0.5 s) is measured in bench.live, not here.
    listener = Listener(tracker, port=0, protocol=protocol)
    listener.start()
    assert len(live_threads()) == 2
    listener.stop()
    assert live_threads() == []
    listener.stop()  # twice is fine
    with pytest.raises(RuntimeError, match="starts once"):
        listener.start()


def test_only_a_named_other_address_is_open_to_the_network(tracker: ActionTracker) -> None:
    assert not Listener(tracker).open_to_network
    assert not Listener(tracker, host="localhost").open_to_network
    assert not Listener(tracker, host="::1").open_to_network
    assert Listener(tracker, host="0.0.0.0").open_to_network
    assert Listener(tracker, host="192.168.1.10").open_to_network
    with Listener(tracker, host="localhost", port=0) as listener:
        assert listener.address[0] == "127.0.0.1"
        assert not listener.open_to_network


def test_bad_arguments_are_refused(tracker: ActionTracker) -> None:
    with pytest.raises(ValueError, match="protocol must be 'udp' or 'tcp'"):
        Listener(tracker, protocol="sctp")
    with pytest.raises(ValueError, match="port must be"):
        Listener(tracker, port=70000)
    # 192.0.2.1 is a documentation address, never this machine's.
    with pytest.raises(OSError, match=r"cannot listen on 192\.0\.2\.1:0 \(udp\): "):
        Listener(tracker, host="192.0.2.1", port=0).start()


def test_payload_lines_and_several_lines_per_packet(tracker: ActionTracker) -> None:
    with Listener(tracker, port=0) as listener:
        _udp_send(
            listener.address,
            b'{"action": "json", "time": 5}\nstats:1:2:3|ms|@0.5|#k:v\nhits:1|c\n\n',
            b"crlf:4|ms\r\nlast:6|ms",
        )
        wait_until(lambda: _counts_reach(listener, 5))
    assert _averages(tracker) == {"json": 5, "stats": 2, "crlf": 4, "last": 6}
    assert listener.counts() == SourceCounts(5, 4, 0, 1, 0)


def test_rejections_are_counted_listed_and_change_nothing(tracker: ActionTracker) -> None:
    with Listener(tracker, port=0) as listener:
        _udp_send(
            listener.address,
            b"ok:1|ms\nneg:-1|ms\n" + b"x" * 300 + b"\n{bad json\npacked:1:oops|ms",
        )
        wait_until(lambda: _counts_reach(listener, 5))
    assert _averages(tracker) == {"ok": 1}
    assert listener.counts() == SourceCounts(5, 1, 4, 0, 0)
    errors = listener.errors()
    assert [error.line for error in errors] == [
        "neg:-1|ms",
        "x" * 200,
        "{bad json",
        "packed:1:oops|ms",
    ]
    assert "negative" in errors[0].reason
    assert all(error.source.startswith("127.0.0.1:") for error in errors)


def test_only_the_latest_hundred_errors_are_kept(tracker: ActionTracker) -> None:
    with Listener(tracker, port=0) as listener:
        _udp_send(listener.address, *(f"bad{number}".encode() for number in range(150)))
        wait_until(lambda: _counts_reach(listener, 150))
    errors = listener.errors()
    assert len(errors) == 100
    assert errors[-1].line == "bad149"
    assert listener.counts().rejected == 150


# --- hostile input ---------------------------------------------------------------------


def test_random_bytes_are_rejected_not_raised(tracker: ActionTracker) -> None:
    packets = [os.urandom(size) for size in (1, 10, 100, 1000, 8000)] + [b"\xff\xfe\n", b"ok:1|ms"]
    with Listener(tracker, port=0) as listener:
        _udp_send(listener.address, *packets, b"after:2|ms")
        wait_until(lambda: "after" in _averages(tracker))
        counts = listener.counts()
    assert counts.received == counts.accepted + counts.rejected + counts.ignored
    assert counts.accepted >= 2
    assert any("not UTF-8" in error.reason for error in listener.errors())


def test_a_thousand_new_names_hit_the_limit_and_are_counted(
    tracker: ActionTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.tracker, "MAX_ACTIONS", 100)
    lines = [f"name{number}:1|ms".encode() for number in range(1000)]
    with Listener(tracker, port=0) as listener:
        for start in range(0, 1000, 50):
            _udp_send(listener.address, b"\n".join(lines[start : start + 50]))
        wait_until(lambda: _counts_reach(listener, 1000))
    assert len(tracker.snapshot().actions) == 100
    assert listener.counts() == SourceCounts(1000, 100, 900, 0, 0)
    assert "limit" in listener.errors()[-1].reason


def _tcp_client(address: tuple[str, int]) -> socket.socket:
    return socket.create_connection(address, timeout=5)


def test_tcp_half_lines_are_held_per_client(tracker: ActionTracker) -> None:
    with Listener(tracker, port=0, protocol="tcp") as listener:
        first, second = _tcp_client(listener.address), _tcp_client(listener.address)
        first.sendall(b"alpha:1")
        second.sendall(b"beta:2")
        second.sendall(b"|ms\n")
        first.sendall(b"0|ms\nalpha:")
        wait_until(lambda: _counts_reach(listener, 2))
        first.sendall(b"30|ms\n")
        wait_until(lambda: _counts_reach(listener, 3))
        first.close()
        second.close()
    assert _averages(tracker) == {"beta": 2, "alpha": 20}


def test_tcp_client_vanishing_mid_line_affects_only_its_own_line(
    tracker: ActionTracker,
) -> None:
    with Listener(tracker, port=0, protocol="tcp") as listener:
        steady = _tcp_client(listener.address)
        vanishing = _tcp_client(listener.address)
        vanishing.sendall(b"gone:1|ms\ngone:2")
        steady.sendall(b"steady:1|ms\n")
        vanishing.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        vanishing.close()  # linger 0: a reset, as when a client dies
        wait_until(lambda: listener.counts().rejected == 1)
        steady.sendall(b"steady:3|ms\n")
        wait_until(lambda: _averages(tracker).get("steady") == 2)
        steady.close()
    assert _averages(tracker) == {"gone": 1, "steady": 2}
    (error,) = listener.errors()
    assert error.line == "gone:2"
    assert "before the end of the line" in error.reason


def test_tcp_line_cut_by_a_clean_close_is_rejected(tracker: ActionTracker) -> None:
    with Listener(tracker, port=0, protocol="tcp") as listener:
        client = _tcp_client(listener.address)
        client.sendall(b"whole:5|ms\ncut:12")
        client.close()
        wait_until(lambda: listener.counts().rejected == 1)
    assert _averages(tracker) == {"whole": 5}
    assert listener.errors()[0].reason == core.tcpreceiver.CUT_OFF


def test_tcp_lines_over_64_kib_are_rejected_without_being_held(tracker: ActionTracker) -> None:
    long_line = b"long:" + b"9" * (70 * 1024) + b"|ms\n"
    with Listener(tracker, port=0, protocol="tcp") as listener:
        client = _tcp_client(listener.address)
        for offset in range(0, len(long_line), 4096):
            client.sendall(long_line[offset : offset + 4096])
        client.sendall(b"short:1|ms\n")
        client.sendall(b"x" * (70 * 1024) + b"\nafter:3|ms\n")
        wait_until(lambda: "after" in _averages(tracker))
        client.close()
    assert _averages(tracker) == {"short": 1, "after": 3}
    counts = listener.counts()
    assert (counts.rejected, counts.accepted) == (2, 2)
    assert all("longer than 65,536 bytes" in error.reason for error in listener.errors())
    assert all(len(error.line) <= 200 for error in listener.errors())


def test_tcp_connections_are_limited_in_number(
    tracker: ActionTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.tcpreceiver, "MAX_CONNECTIONS", 2)
    with Listener(tracker, port=0, protocol="tcp") as listener:
        first, second = _tcp_client(listener.address), _tcp_client(listener.address)
        first.sendall(b"a:1|ms\n")
        second.sendall(b"b:1|ms\n")
        wait_until(lambda: _counts_reach(listener, 2))
        third = _tcp_client(listener.address)
        wait_until(lambda: listener.errors() != [])
        assert third.recv(10) == b""  # closed by the listener
        assert "2 clients are connected already" in listener.errors()[0].reason
        for client in (first, second, third):
            client.close()


def test_tcp_idle_clients_are_disconnected(
    tracker: ActionTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.tcpreceiver, "IDLE_SECONDS", 0.2)
    with Listener(tracker, port=0, protocol="tcp") as listener:
        idle = _tcp_client(listener.address)
        idle.sendall(b"half")
        assert idle.recv(10) == b""  # the listener hung up on it
        wait_until(lambda: listener.counts().rejected == 1)
        idle.close()
    assert "idle" in listener.errors()[0].reason


# --- never blocking on the consumer -----------------------------------------------------


class _StalledTracker(ActionTracker):
    """A tracker whose adds wait until released, as one stuck behind a slow reader."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def add(self, action: str, time: float) -> None:
        self.release.wait(5)
        super().add(action, time)


def test_a_stalled_consumer_makes_the_receiver_drop_and_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core.listener, "MAX_QUEUED_BYTES", 1000)
    stalled = _StalledTracker()
    with Listener(stalled, port=0) as listener:
        packet = b"stuck:1|ms\n" * 10  # 110 bytes, 10 lines
        _udp_send(listener.address, *[packet] * 30)
        wait_until(lambda: listener.counts().dropped > 0)
        stalled.release.set()
        wait_until(lambda: listener.counts().received + listener.counts().dropped == 300)
    counts = listener.counts()
    assert counts.dropped % 10 == 0  # whole packets, counted in lines
    assert counts.accepted == counts.received


def test_linux_reports_datagrams_the_socket_dropped() -> None:
    if not hasattr(socket, "CMSG_SPACE") or not sys.platform.startswith("linux"):
        pytest.skip("the drop counter is Linux's")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        receiver.bind(("127.0.0.1", 0))
        assert enable_drop_count(receiver)
        _udp_send(receiver.getsockname(), *[b"x" * 1000] * 200)  # far more than the buffer
        receiver.setblocking(False)
        reported = []
        for _ in range(200):  # empty the buffer: these were queued before any drop
            try:
                _, ancillary, _, _ = receiver.recvmsg(65535, socket.CMSG_SPACE(4))
            except BlockingIOError:
                break
            reported.append(drops_reported(ancillary))
        _udp_send(receiver.getsockname(), b"after")  # queued after the drops: it tells
        receiver.settimeout(5)
        _, ancillary, _, _ = receiver.recvmsg(65535, socket.CMSG_SPACE(4))
    assert set(reported) == {0}
    assert 0 < drops_reported(ancillary) < 200
