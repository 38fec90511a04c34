"""A bound socket's lines into a feeder: a receiver thread that only reads and queues,
and a parser thread that feeds what was queued.

The receiver never waits for the parser (or for a tracker busy with a reader): when
the queue is full it drops and counts, as Telegraf's StatsD input does, because a
receiver that stalls loses packets in the system's buffer without anyone knowing. Used
by a ``Listener`` in its own process, and by its worker process (``core.liveworker``).
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections import deque
from collections.abc import Callable

from core.livecounts import SourceTally
from core.tcpreceiver import TcpReceiver
from core.udpreceiver import UdpReceiver

IDLE_WAIT_SECONDS = 0.1
"""How long the idle parser sleeps before looking at the queue again; it is woken sooner
by the receiver, so this only bounds how long ``stop`` waits."""
DRAIN_SECONDS = 0.2
"""On ``stop``, time left to parse what was queued; the rest is counted as dropped, so
that ``stop`` returns within half a second whatever is queued."""
JOIN_BYTES = 32 * 1024
"""Small packets from one sender waiting together are parsed as one block up to this
size (below the longest line, so the block takes the feeder's fast path)."""
JOIN_SECONDS = 0.25
"""Longest ``stop`` waits for each thread."""

Feed = Callable[[bytes, object], None]


class LinePipeline:
    """Receives on ``sock`` (bound, listening for TCP) and hands whole lines to ``feed``
    on a parser thread. Past ``max_queued`` bytes read but not parsed, the receiver
    drops and counts. ``tick`` (when given) runs on the parser thread every
    ``tick_seconds``, busy or idle, so a batching feeder can hand its batch on."""

    def __init__(
        self,
        sock: socket.socket,
        protocol: str,
        feed: Feed,
        tally: SourceTally,
        *,
        name: str,
        max_queued: int,
        tick: Callable[[], None] | None = None,
        tick_seconds: float = IDLE_WAIT_SECONDS,
    ) -> None:
        self._feed = feed
        self._tally = tally
        self._tick = tick
        self._tick_seconds = tick_seconds
        self._max_queued = max_queued
        self._queue: deque[tuple[bytes, object]] = deque()
        self._queued_in = 0  # written by the receiver only
        self._queued_out = 0  # written by the parser only
        self._idle = False
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._draining = False
        self._drain_until = 0.0
        receiver: UdpReceiver | TcpReceiver
        if protocol == "udp":
            receiver = UdpReceiver(
                sock, self._enqueue_quietly, tally, self._stopping, self._wake_parser
            )
        else:
            receiver = TcpReceiver(sock, self._enqueue, tally, self._stopping)
        self._threads = [
            threading.Thread(target=receiver.run, name=f"{name}-receiver", daemon=True),
            threading.Thread(target=self._parse, name=f"{name}-parser", daemon=True),
        ]

    @property
    def started(self) -> bool:
        return self._threads[0].ident is not None

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def hand_over(self) -> None:
        """Stop receiving (another reader takes the socket over) and let the parser
        finish what was queued, however long that takes; ``stop`` still bounds it."""
        receiver, _ = self._threads
        self._stopping.set()
        receiver.join(timeout=JOIN_SECONDS)
        self._drain_until = math.inf
        self._draining = True
        self._wake.set()

    def stop(self) -> bool:
        """Stop receiving, parse what was queued (for ``DRAIN_SECONDS`` at most, the rest
        counted as dropped) and join both threads, each within ``JOIN_SECONDS``; whether
        both ended."""
        receiver, parser = self._threads
        self._stopping.set()
        receiver.join(timeout=JOIN_SECONDS)
        self._drain_until = time.monotonic() + DRAIN_SECONDS
        self._draining = True
        self._wake.set()
        parser.join(timeout=JOIN_SECONDS)
        return not (receiver.is_alive() or parser.is_alive())

    # --- threads -------------------------------------------------------------------

    def _enqueue(self, data: bytes, peer: object) -> None:
        """Called by the TCP receiver thread: queue ``data`` (or drop and count it) and
        wake the parser."""
        self._enqueue_quietly(data, peer)
        self._wake_parser()

    def _enqueue_quietly(self, data: bytes, peer: object) -> None:
        """Queue ``data``, or drop and count it when the queue is full; the UDP receiver
        wakes the parser itself, once per batch."""
        if self._queued_in - self._queued_out + len(data) > self._max_queued:
            self._tally.drop(line_count(data))
            return
        self._queued_in += len(data)
        self._queue.append((data, peer))

    def _wake_parser(self) -> None:
        """Wake the parser if it sleeps; it announces its sleep in ``_idle``."""
        if self._idle:
            self._wake.set()

    def _parse(self) -> None:
        """The parser thread: feed queued data until stopped, ticking on time."""
        queue = self._queue
        feed = self._feed
        tick = self._tick
        next_tick = time.monotonic() + self._tick_seconds
        while True:
            if tick is not None and time.monotonic() >= next_tick:
                tick()
                next_tick = time.monotonic() + self._tick_seconds
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
                    wait = IDLE_WAIT_SECONDS
                    if tick is not None:
                        wait = min(wait, max(0.0, next_tick - time.monotonic()))
                    self._wake.wait(wait)
                self._idle = False
                continue
            self._queued_out += len(data)
            if self._draining and time.monotonic() > self._drain_until:
                lost = line_count(data) + sum(line_count(item) for item, _ in queue)
                queue.clear()
                self._tally.drop(lost)
                return
            if queue and len(data) < JOIN_BYTES:
                data = self._join_following(data, peer)
            feed(data, peer)

    def _join_following(self, data: bytes, peer: object) -> bytes:
        """``data`` and the packets queued after it from the same sender, as one block of
        lines (up to ``JOIN_BYTES``): one call of the feeder for many small packets."""
        queue = self._queue
        parts = [data]
        size = len(data)
        while queue:
            following, source = queue[0]
            if source != peer or size + len(following) >= JOIN_BYTES:
                break
            queue.popleft()
            parts.append(following)
            size += len(following) + 1
            self._queued_out += len(following)
        return data if len(parts) == 1 else b"\n".join(parts)


def line_count(data: bytes) -> int:
    """Lines in a packet or block, counting a last one without its newline."""
    return data.count(b"\n") + (not data.endswith(b"\n"))
