"""``Listener``: StatsD timings (and JSON payloads) over UDP or TCP into a tracker.

A receiver thread only reads the socket and queues what it read; a parser thread parses
and adds. The receiver never waits for the parser (or for a tracker busy with a reader):
when the queue is full it drops and counts, as Telegraf's StatsD input does, because
a receiver that stalls loses packets in the system's buffer without anyone knowing.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import threading
import time
from collections import deque
from types import TracebackType

from core.errors import reason
from core.linefeed import LineFeeder
from core.livecounts import LineError, SourceCounts, SourceTally
from core.tcpreceiver import TcpReceiver
from core.tracker import ActionTracker
from core.udpreceiver import UdpReceiver

PROTOCOLS = ("udp", "tcp")
MAX_QUEUED_BYTES = 32 * 1024 * 1024
"""Bytes read but not yet parsed; past this the receiver drops and counts."""
IDLE_WAIT_SECONDS = 0.1
"""How long the idle parser sleeps before looking at the queue again; it is woken sooner
by the receiver, so this only bounds how long ``stop`` waits."""
DRAIN_SECONDS = 0.2
"""On ``stop``, time left to parse what was queued; the rest is counted as dropped, so
that ``stop`` returns within half a second whatever is queued."""


class PortInUseError(OSError):
    """The port is taken by another program (or another listener)."""


class Listener:
    """Receives StatsD lines on ``host:port`` and adds their timings to ``tracker``.

    ``protocol`` is "udp" or "tcp". Binds 127.0.0.1 unless told otherwise: any other
    address opens the port to the network. ``start()`` binds and returns at once (port 0
    picks a free port; ``.address`` is then the bound one), ``stop()`` joins every thread
    within half a second; also a context manager. ``counts()`` and ``errors()`` say what
    arrived and what was refused.
    """

    def __init__(
        self,
        tracker: ActionTracker,
        host: str = "127.0.0.1",
        port: int = 8125,
        protocol: str = "udp",
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be 'udp' or 'tcp', got {protocol!r}")
        if type(port) is not int or not 0 <= port <= 65535:
            raise ValueError(f"port must be a whole number from 0 to 65535, got {port!r}")
        self._tracker = tracker
        self._protocol = protocol
        self._address: tuple[str, int] = (host, port)
        self._tally = SourceTally()
        self._feeder = LineFeeder(tracker, self._tally)
        self._queue: deque[tuple[bytes, object]] = deque()
        self._queued_in = 0  # written by the receiver only
        self._queued_out = 0  # written by the parser only
        self._idle = False
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._draining = False
        self._drain_until = 0.0
        self._socket: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._state = "new"

    @property
    def address(self) -> tuple[str, int]:
        """The bound ``(host, port)`` once started; the requested one before."""
        return self._address

    @property
    def protocol(self) -> str:
        return self._protocol

    @property
    def open_to_network(self) -> bool:
        """Whether other machines can reach the port: the address is not a loopback one
        (judged by the bound address once started)."""
        host = self._address[0]
        if host == "localhost":
            return False
        try:
            return not ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return True  # a host name other than localhost may resolve to anything

    @property
    def description(self) -> str:
        """What this source is, for people: ``udp 127.0.0.1:8125``."""
        host, port = self._address
        shown = f"[{host}]" if ":" in host else host
        return f"{self._protocol} {shown}:{port}"

    def __repr__(self) -> str:
        return f"<Listener {self.description} ({self._state})>"

    def counts(self) -> SourceCounts:
        return self._tally.counts()

    def errors(self) -> list[LineError]:
        """The latest rejected lines (at most 100), oldest first."""
        return self._tally.errors()

    def start(self) -> None:
        """Bind and start receiving; returns at once. Raises ``PortInUseError`` when the
        port is taken, ``OSError`` for any other reason it cannot listen."""
        if self._state != "new":
            raise RuntimeError("a Listener starts once; make a new one to listen again")
        sock = _bind(*self._address, self._protocol)
        self._socket = sock
        bound = sock.getsockname()
        self._address = (str(bound[0]), int(bound[1]))
        self._state = "running"
        receiver: UdpReceiver | TcpReceiver
        if self._protocol == "udp":
            receiver = UdpReceiver(
                sock, self._enqueue_quietly, self._tally, self._stopping, self._wake_parser
            )
        else:
            receiver = TcpReceiver(sock, self._enqueue, self._tally, self._stopping)
        name = f"live-{self.description.replace(' ', '-')}"
        self._threads = [
            threading.Thread(target=receiver.run, name=f"{name}-receiver", daemon=True),
            threading.Thread(target=self._parse, name=f"{name}-parser", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop receiving, parse what was queued (for a moment at most), close the socket
        and join the threads. Safe to call twice or before ``start``."""
        if self._state != "running":
            self._state = "stopped"
            return
        self._state = "stopped"
        receiver, parser = self._threads
        self._stopping.set()
        receiver.join(timeout=0.25)
        self._drain_until = time.monotonic() + DRAIN_SECONDS
        self._draining = True
        self._wake.set()
        parser.join(timeout=0.25)
        if self._socket is not None:
            self._socket.close()

    def __enter__(self) -> Listener:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    # --- threads -------------------------------------------------------------------

    def _enqueue(self, data: bytes, peer: object) -> None:
        """Called by the TCP receiver thread: queue ``data`` (or drop and count it) and
        wake the parser."""
        self._enqueue_quietly(data, peer)
        self._wake_parser()

    def _enqueue_quietly(self, data: bytes, peer: object) -> None:
        """Queue ``data``, or drop and count it when the queue is full; the UDP receiver
        wakes the parser itself, once per batch."""
        if self._queued_in - self._queued_out + len(data) > MAX_QUEUED_BYTES:
            self._tally.drop(_line_count(data))
            return
        self._queued_in += len(data)
        self._queue.append((data, peer))

    def _wake_parser(self) -> None:
        """Wake the parser if it sleeps; it announces its sleep in ``_idle``."""
        if self._idle:
            self._wake.set()

    def _parse(self) -> None:
        """The parser thread: feed queued data to the tracker until stopped."""
        queue = self._queue
        feed = self._feeder.feed
        while True:
            try:
                data, peer = queue.popleft()
            except IndexError:
                if self._draining:
                    return
                # Announce sleep, then look again: data queued in between is seen either
                # by this second look or by the receiver, which then wakes us.
                self._idle = True
                self._wake.clear()
                if not queue:
                    self._wake.wait(IDLE_WAIT_SECONDS)
                self._idle = False
                continue
            self._queued_out += len(data)
            if self._draining and time.monotonic() > self._drain_until:
                lost = _line_count(data) + sum(_line_count(item) for item, _ in queue)
                queue.clear()
                self._tally.drop(lost)
                return
            feed(data, peer)


def _bind(host: str, port: int, protocol: str) -> socket.socket:
    """A socket bound to ``host:port``, listening for TCP; errors in people's words."""
    kind = socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
    try:
        family, *_, address = socket.getaddrinfo(host, port, type=kind, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as error:
        raise OSError(f"cannot listen on {host!r}: no such address ({error.strerror})") from None
    sock = socket.socket(family, kind)
    try:
        if protocol == "tcp":
            # Lets a restarted listener take its port back while old connections linger
            # in TIME_WAIT; two live listeners still cannot share it.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if protocol == "tcp":
            sock.listen(socket.SOMAXCONN)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"{protocol.upper()} port {port} on {host} is already in use by another "
                "program; stop that program or choose another port"
            ) from None
        raise OSError(f"cannot listen on {host}:{port} ({protocol}): {reason(error)}") from None
    return sock


def _line_count(data: bytes) -> int:
    """Lines in a packet or block, counting a last one without its newline."""
    return data.count(b"\n") + (not data.endswith(b"\n"))
