"""The UDP side of a ``Listener``: read datagrams as fast as they come, queue them, and
read the system's count of datagrams it dropped."""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import sys
import threading
from collections.abc import Callable

from core.livecounts import SourceTally

RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024
"""Asked of the system for the socket's buffer (it may grant less): bursts wait there
while the parser catches up. DogStatsD documents raising it for the same reason."""
POLL_SECONDS = 0.1
"""Longest a blocked read waits before looking at the stop flag."""
BATCH_PACKETS = 256
"""Packets read before the parser is woken even if more are waiting."""
MAX_DATAGRAM = 65_535

# Linux reports, with each datagram, how many the socket has dropped so far.
SO_RXQ_OVFL = 40
_DROPS = struct.Struct("=I")
_ANCILLARY_BYTES = socket.CMSG_SPACE(_DROPS.size) if hasattr(socket, "CMSG_SPACE") else 0


class UdpReceiver:
    """Reads a bound UDP socket until ``stopping`` is set; hands each datagram and its
    sender to ``enqueue``."""

    def __init__(
        self,
        sock: socket.socket,
        enqueue: Callable[[bytes, object], None],
        tally: SourceTally,
        stopping: threading.Event,
        wake: Callable[[], None],
    ) -> None:
        self._socket = sock
        self._enqueue = enqueue
        self._wake = wake
        self._tally = tally
        self._stopping = stopping
        # The system's default buffer still works when refused, it only absorbs less.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        self._counts_drops = enable_drop_count(sock)
        sock.setblocking(False)

    def run(self) -> None:
        """Read whatever is waiting, then wake the parser once and wait for more: one
        wake per batch, not per packet, as each hand-over of the GIL costs more than
        reading a packet."""
        sock, enqueue, stopping, wake = self._socket, self._enqueue, self._stopping, self._wake
        system_dropped = self._tally.system_dropped
        counts_drops = self._counts_drops
        waiting = select.poll() if hasattr(select, "poll") else None
        if waiting is not None:
            waiting.register(sock, select.POLLIN)
        batch = 0
        while not stopping.is_set():
            try:
                if counts_drops:
                    data, ancillary, _, peer = sock.recvmsg(MAX_DATAGRAM, _ANCILLARY_BYTES)
                    if ancillary:
                        system_dropped(drops_reported(ancillary))
                else:
                    data, peer = sock.recvfrom(MAX_DATAGRAM)
            except BlockingIOError:
                if batch:
                    batch = 0
                    wake()
                if waiting is not None:
                    waiting.poll(POLL_SECONDS * 1000)
                else:
                    select.select([sock], [], [], POLL_SECONDS)
                continue
            except OSError:
                return  # the socket was closed under us: nothing more will come
            if data:
                enqueue(data, peer)
                batch += 1
                if batch >= BATCH_PACKETS:
                    batch = 0
                    wake()


def enable_drop_count(sock: socket.socket) -> bool:
    """Ask the system to report dropped datagrams with each one read (Linux only)."""
    if not sys.platform.startswith("linux") or not _ANCILLARY_BYTES:
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
    except OSError:
        return False
    return True


def drops_reported(ancillary: list[tuple[int, int, bytes]]) -> int:
    """The socket's running total of dropped datagrams, from ``recvmsg``'s ancillary
    data (0 when it carries none)."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_RXQ_OVFL and len(data) >= _DROPS.size:
            return int(_DROPS.unpack_from(data)[0])
    return 0
