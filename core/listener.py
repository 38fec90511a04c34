"""``Listener``: StatsD timings (and JSON payloads) over UDP or TCP into a tracker.

A receiver thread only reads the socket and queues what it read; a parser thread parses
(``core.livepipeline``). By default both run in a worker process of their own
(``core.liveworker``), which hands the tracker per-action batches a few tens of times a
second, so that neither the receiving nor the parsing competes with the owner's threads
(a window) for its GIL. In-process, the parser adds each line to the tracker itself.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
import threading
import time
from types import TracebackType

import core.tcpreceiver
import core.tracker
from core.childproc import can_start_children
from core.errors import reason
from core.linefeed import LineFeeder
from core.livecounts import LineError, SourceCounts, SourceTally
from core.livepipeline import LinePipeline
from core.liveworker import WorkerProcess, WorkerSettings
from core.tracker import ActionTracker
from core.udpreceiver import RECEIVE_BUFFER_BYTES

PROTOCOLS = ("udp", "tcp")
MAX_QUEUED_BYTES = 32 * 1024 * 1024
"""Bytes read but not yet parsed; past this the receiver drops and counts."""
STOP_SECONDS = 0.45
"""``stop`` returns within this (the contract's half second), a worker killed if need be."""
WORKER_PROCESS = True
"""Whether a listener receives and parses in a worker process unless told otherwise
(see ``Listener``)."""


class PortInUseError(OSError):
    """The port is taken by another program (or another listener)."""


class Listener:
    """Receives StatsD lines on ``host:port`` and adds their timings to ``tracker``.

    ``protocol`` is "udp" or "tcp". Binds 127.0.0.1 unless told otherwise: any other
    address opens the port to the network. ``start()`` binds and returns at once (port 0
    picks a free port; ``.address`` is then the bound one), ``stop()`` joins every thread
    within half a second; also a context manager. ``counts()`` and ``errors()`` say what
    arrived and what was refused.

    ``in_process`` chooses where lines are received and parsed; by default (None) in a
    worker process (``WORKER_PROCESS``) when the tracker is a plain ``ActionTracker``
    with the "running" strategy, otherwise in this process: merging a batch into a
    "samples" tracker copies every time the action holds, a subclass may watch
    ``add``, and a frozen build (PyInstaller) cannot start ``python -c``.
    """

    def __init__(
        self,
        tracker: ActionTracker,
        host: str = "127.0.0.1",
        port: int = 8125,
        protocol: str = "udp",
        *,
        in_process: bool | None = None,
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be 'udp' or 'tcp', got {protocol!r}")
        if type(port) is not int or not 0 <= port <= 65535:
            raise ValueError(f"port must be a whole number from 0 to 65535, got {port!r}")
        self._tracker = tracker
        self._protocol = protocol
        self._address: tuple[str, int] = (host, port)
        if in_process is None:
            in_process = not (
                WORKER_PROCESS
                and type(tracker) is ActionTracker
                and tracker.strategy == "running"
                and "add" not in vars(tracker)
                and can_start_children()
            )
        self._in_process = in_process
        self._tally = SourceTally()
        self._socket: socket.socket | None = None
        self._name = ""
        self._pipelines: list[LinePipeline] = []
        self._reading_here = False  # whether the latest pipeline receives
        self._worker: WorkerProcess | None = None
        self._lock = threading.Lock()  # the state, against hand-over from the merger
        self._state = "new"

    @property
    def address(self) -> tuple[str, int]:
        """The bound ``(host, port)`` once started; the requested one before."""
        return self._address

    @property
    def protocol(self) -> str:
        return self._protocol

    @property
    def in_process(self) -> bool:
        """Whether lines are received and parsed in this process (not a worker's)."""
        return self._in_process

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
        self._name = f"live-{self.description.replace(' ', '-')}"
        try:
            # A worker takes a moment to start: meanwhile (UDP) this process reads.
            if self._in_process or self._protocol == "udp":
                self._read_here()
            if not self._in_process:
                self._start_worker(sock)
        except BaseException:
            self._state = "stopped"
            for pipeline in self._pipelines:
                pipeline.stop()
            sock.close()
            raise

    def stop(self) -> None:
        """Stop receiving, parse what was queued (for a moment at most), close the socket
        and join the threads (and end the worker process). Safe to call twice or before
        ``start``."""
        deadline = time.monotonic() + STOP_SECONDS
        with self._lock:
            if self._state != "running":
                self._state = "stopped"
                return
            self._state = "stopped"
        if self._worker is not None:
            self._worker.request_stop()  # it stops meanwhile
        for pipeline in self._pipelines:
            pipeline.stop()
        if self._worker is not None:
            self._worker.stop(deadline)
        if self._socket is not None:
            self._socket.close()

    def _read_here(self) -> None:
        """Receive and parse in this process (from now on, or until a worker is ready)."""
        assert self._socket is not None
        pipeline = LinePipeline(
            self._socket,
            self._protocol,
            LineFeeder(self._tracker, self._tally).feed,
            self._tally,
            name=self._name,
            max_queued=MAX_QUEUED_BYTES,
        )
        pipeline.start()
        self._pipelines.append(pipeline)
        self._reading_here = True

    def _start_worker(self, sock: socket.socket) -> None:
        settings = WorkerSettings(
            self._protocol,
            self._tracker.strategy,
            self._name,
            MAX_QUEUED_BYTES,
            core.tracker.MAX_ACTIONS,
            core.tcpreceiver.MAX_CONNECTIONS,
            core.tcpreceiver.IDLE_SECONDS,
        )
        try:
            self._worker = WorkerProcess(
                sock,
                settings,
                self._tracker,
                self._tally,
                on_ready=self._hand_over,
                on_gone=self._worker_gone,
            )
        except OSError as error:  # no interpreter to start, say: this process parses
            self._in_process = True
            self._tally.note(
                "", f"the worker process could not start ({reason(error)})", self.description
            )
            if not self._reading_here:
                self._read_here()

    def _hand_over(self) -> bool:
        """The worker is ready (called on its merger thread): stop reading here (UDP) and
        let it start, unless the listener is stopping."""
        with self._lock:
            if self._state != "running":
                return False
            if self._reading_here:
                self._pipelines[-1].hand_over()
                self._reading_here = False
            return True

    def _worker_gone(self) -> None:
        """The worker ended unasked (called on its merger thread): this process reads
        from now on, and the errors say so."""
        with self._lock:
            if self._state != "running":
                return
            self._in_process = True
            ended = "the worker process ended; lines are parsed in this process"
            self._tally.note("", ended, self.description)
            if not self._reading_here:
                self._read_here()

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
        if protocol == "udp":
            # Set before anything is read: packets wait here while a worker starts. The
            # system's default buffer still works when refused, it only absorbs less.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
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
