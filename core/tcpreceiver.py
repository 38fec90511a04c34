"""The TCP side of a ``Listener``: many clients on one thread, each with its own
unfinished line, limited in number and in idle time."""

from __future__ import annotations

import selectors
import socket
import threading
import time
from collections.abc import Callable

from core.linefeed import TOO_LONG, LineSplitter, describe_peer
from core.livecounts import SourceTally

MAX_CONNECTIONS = 64
"""Clients connected at once; one more is closed as it arrives, and listed in errors."""
IDLE_SECONDS = 60.0
"""A client silent this long is disconnected, freeing its place."""
POLL_SECONDS = 0.1
"""Longest a wait for clients lasts before looking at the stop flag and idle clients."""
READ_BYTES = 65_536

CUT_OFF = "the connection closed before the end of the line"
RESET = "the connection was reset before the end of the line"
IDLE = "the client was idle for too long and was disconnected before the end of the line"
STOPPED = "the listener stopped before the end of the line"


class _Client:
    __slots__ = ("last_active", "peer", "socket", "splitter")

    def __init__(self, sock: socket.socket, peer: object) -> None:
        self.socket = sock
        self.peer = peer
        self.splitter = LineSplitter()
        self.last_active = time.monotonic()


class TcpReceiver:
    """Accepts clients on a listening socket and reads whole lines from each until
    ``stopping`` is set; a client that sends garbage, half a line or vanishes affects
    only its own lines."""

    def __init__(
        self,
        sock: socket.socket,
        enqueue: Callable[[bytes, object], None],
        tally: SourceTally,
        stopping: threading.Event,
    ) -> None:
        self._server = sock
        self._enqueue = enqueue
        self._tally = tally
        self._stopping = stopping
        self._clients: dict[socket.socket, _Client] = {}
        sock.setblocking(False)

    def run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._server, selectors.EVENT_READ, None)
        swept = time.monotonic()
        try:
            while not self._stopping.is_set():
                for key, _ in selector.select(timeout=POLL_SECONDS):
                    client = key.data
                    if client is None:
                        self._accept(selector)
                    else:
                        self._read(selector, client)
                now = time.monotonic()
                if now - swept >= POLL_SECONDS:
                    swept = now
                    for client in list(self._clients.values()):
                        if now - client.last_active > IDLE_SECONDS:
                            self._close(selector, client, IDLE)
        finally:
            for client in list(self._clients.values()):
                self._close(selector, client, STOPPED)
            selector.close()

    def _accept(self, selector: selectors.BaseSelector) -> None:
        try:
            sock, peer = self._server.accept()
        except OSError:
            return  # gone before we took it, or the server socket closed
        if len(self._clients) >= MAX_CONNECTIONS:
            sock.close()
            self._tally.note(
                "",
                f"connection refused: {MAX_CONNECTIONS} clients are connected already",
                describe_peer(peer),
            )
            return
        sock.setblocking(False)
        client = _Client(sock, peer)
        self._clients[sock] = client
        selector.register(sock, selectors.EVENT_READ, client)

    def _read(self, selector: selectors.BaseSelector, client: _Client) -> None:
        try:
            data = client.socket.recv(READ_BYTES)
        except BlockingIOError:
            return
        except OSError:
            self._close(selector, client, RESET)
            return
        if not data:
            self._close(selector, client, CUT_OFF)
            return
        client.last_active = time.monotonic()
        block, too_long = client.splitter.feed(data)
        for start in too_long:
            shown = start.decode("utf-8", "replace")
            self._tally.reject(shown, TOO_LONG, describe_peer(client.peer))
        if block:
            self._enqueue(block, client.peer)

    def _close(self, selector: selectors.BaseSelector, client: _Client, why: str) -> None:
        """Disconnect ``client``; an unfinished line it leaves is rejected, with ``why``."""
        del self._clients[client.socket]
        selector.unregister(client.socket)
        client.socket.close()
        held = client.splitter.discard()
        if held:
            self._tally.reject(held.decode("utf-8", "replace"), why, describe_peer(client.peer))
