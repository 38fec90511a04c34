"""A listener's receiving and parsing in a process of its own.

In one process, the receiver thread, the parser and whatever else runs there (a
window's GUI thread and its snapshot poller) share one GIL: the parser's CPU is taken
from the window, and whenever the window holds the GIL the receiver cannot read, so the
system's socket buffer overflows. Here a worker process receives and parses (the same
``LinePipeline`` as in-process), gathers the timings by action (``BatchFeeder``) and
sends a ``LiveBatch`` every ``BATCH_SECONDS``; a thread of the owner merges each one
into the tracker, at a cost in proportion to the actions in it, not to the lines.

The owner binds the socket (so port 0, ``.address`` and a port in use behave as
in-process) and hands it to the worker. The worker is a child interpreter
(``core.childproc``: ``python -c`` calling ``main``), which imports neither the owner's
``__main__`` nor Qt. Batches and the stop request travel over a socket pair, pickled:
both ends are this program.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import core.tcpreceiver
import core.tracker
from core.childproc import Framing, start_child, wait_or_kill
from core.livebatch import BatchFeeder, LiveBatch, apply_batch
from core.livecounts import SourceTally
from core.livepipeline import LinePipeline
from core.strategy import Strategy, check_strategy
from core.tracker import ActionTracker

BATCH_SECONDS = 0.04
"""How often the worker hands on what it parsed: the table sees a line this much later
at most, and the owner merges this many times a second."""
SWITCH_INTERVAL = 0.0005
"""The worker's GIL switch interval: its receiver waits at most this long for the
parser to let go, so short stalls do not fill the socket buffer (the default is 5 ms)."""
_WORKER_MAIN = "import sys, core.liveworker as w; w.main(sys.argv[1:])"
"""Not ``-m core.liveworker``: as ``__main__`` its classes would not be the ones the
owner pickles."""
_FRAMING = Framing(struct.Struct("!I"))
_STOP = b"stop"
_GO = b"go"
_READY = b"ready"
_WORDS = frozenset({_STOP, _GO, _READY})
"""Control words, sent as they are; anything else is pickled (and never equals one)."""


@dataclass(frozen=True)
class WorkerSettings:
    """What the worker needs from its owner, including the tunables tests may patch in
    the owner's modules (the worker imports its own copies)."""

    protocol: str
    strategy: Strategy
    name: str
    max_queued: int
    max_actions: int
    max_connections: int
    idle_seconds: float


class WorkerProcess:
    """The owner's side: starts the worker on a bound socket and merges its batches
    into ``tracker`` on a thread, counting in ``tally``.

    The worker says when it is ready (its start takes a while: a fresh interpreter
    importing the engine), and ``on_ready`` is called on that thread; when it returns
    True (the owner, which may have read the socket meanwhile, has stopped), the worker
    is told to start reading. A worker stopped before that has read nothing, so it is
    ended at once. ``on_gone`` is called on that thread if the worker ends unasked."""

    def __init__(
        self,
        sock: socket.socket,
        settings: WorkerSettings,
        tracker: ActionTracker,
        tally: SourceTally,
        *,
        on_ready: Callable[[], bool] = lambda: True,
        on_gone: Callable[[], None] = lambda: None,
    ) -> None:
        self._tracker = tracker
        self._tally = tally
        self._on_ready = on_ready
        self._on_gone = on_gone
        self._sending = threading.Lock()
        self._stop_sent = False
        self._reading = False  # whether the worker was told to read the socket
        ours, theirs = socket.socketpair()
        ours.setblocking(True)  # even under a default timeout: framing reads its descriptor
        self._channel = ours
        try:
            self._process = start_child(
                _WORKER_MAIN,
                str(sock.fileno()),
                str(theirs.fileno()),
                stdin=subprocess.DEVNULL,
                pass_fds=(sock.fileno(), theirs.fileno()),
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        _send(ours, settings)
        self._merger = threading.Thread(
            target=self._merge, name=f"{settings.name}-merger", daemon=True
        )
        self._merger.start()

    def request_stop(self) -> None:
        """Ask the worker to stop; it hands on its last batch and exits."""
        self._say(_STOP)

    def stop(self, deadline: float) -> None:
        """Ask the worker to stop, merge its last batch and wait for it to exit, killing
        it at ``deadline`` (``time.monotonic()``); safe to call twice."""
        self.request_stop()
        with self._sending:
            reading = self._reading
        if not reading:  # still starting, or waiting for the word: it read nothing
            self._process.kill()
        self._merger.join(timeout=max(0.0, deadline - time.monotonic()))
        wait_or_kill(self._process, max(0.01, deadline - time.monotonic()))
        # The worker is gone: its end of the channel is closed, so the merger ends.
        with contextlib.suppress(OSError):
            self._channel.shutdown(socket.SHUT_RDWR)
        self._merger.join(timeout=max(0.05, deadline - time.monotonic()))
        # The merger reads the channel by its descriptor number: closed under a merger
        # still running, the number could be reused by another file and read from.
        # One stuck past the deadline leaves the socket to be closed with this object.
        if not self._merger.is_alive():
            self._channel.close()

    def _merge(self) -> None:
        """The merger thread: each batch into the tracker, until the worker's last."""
        self._merge_batches()
        with self._sending:
            asked = self._stop_sent
        if not asked:
            self._on_gone()

    def _merge_batches(self) -> None:
        while True:
            try:
                batch = _receive(self._channel)
            except (OSError, EOFError, pickle.UnpicklingError):
                return
            if batch is None:
                return
            if batch == _READY:
                if self._on_ready():
                    self._say(_GO)
                continue
            assert isinstance(batch, LiveBatch)
            apply_batch(batch, self._tracker, self._tally)

    def _say(self, word: bytes) -> None:
        """Send a control word (once the stop is sent, nothing more)."""
        with self._sending:
            if self._stop_sent:
                return
            self._stop_sent = word == _STOP
            self._reading = self._reading or word == _GO
            with contextlib.suppress(OSError):
                _FRAMING.send(self._channel.fileno(), word)


def _send(channel: socket.socket, message: object) -> None:
    _FRAMING.send_pickled(channel.fileno(), message)


def _receive(channel: socket.socket) -> object:
    """The next message; raises EOFError when the other end closed."""
    data = _FRAMING.receive(channel.fileno())
    return data if data in _WORDS else pickle.loads(data)


# --- the worker process ---------------------------------------------------------------


def run_worker(sock: socket.socket, channel: socket.socket) -> None:
    """The worker: receive and parse until the owner asks to stop (or is gone), sending
    a batch every ``BATCH_SECONDS``, then the last one and None."""
    settings = _receive(channel)
    assert isinstance(settings, WorkerSettings)
    core.tracker.MAX_ACTIONS = settings.max_actions
    core.tcpreceiver.MAX_CONNECTIONS = settings.max_connections
    core.tcpreceiver.IDLE_SECONDS = settings.idle_seconds
    tally = SourceTally()
    feeder = BatchFeeder(check_strategy(settings.strategy), tally)
    sending = threading.Lock()
    gone = threading.Event()

    def hand_on() -> None:
        batch = feeder.take()
        if batch is None or gone.is_set():
            return
        try:
            with sending:
                _send(channel, batch)
        except OSError:
            gone.set()  # the owner is gone: nothing to hand on to

    pipeline = LinePipeline(
        sock,
        settings.protocol,
        feeder.feed,
        tally,
        name=settings.name,
        max_queued=settings.max_queued,
        tick=hand_on,
        tick_seconds=BATCH_SECONDS,
    )
    with contextlib.suppress(OSError, EOFError):
        with sending:
            _FRAMING.send(channel.fileno(), _READY)
        if _receive(channel) != _GO:
            raise EOFError("stopped before it started")
        pipeline.start()
        while _receive(channel) != _STOP:
            pass
    if not pipeline.started:
        with contextlib.suppress(OSError), sending:
            _send(channel, None)
        return
    if pipeline.stop():
        hand_on()  # the parser has ended: this thread is the feeder's only user now
    with contextlib.suppress(OSError), sending:
        _send(channel, None)


def main(argv: list[str]) -> None:
    sys.setswitchinterval(SWITCH_INTERVAL)
    sock = socket.socket(fileno=int(argv[0]))
    channel = socket.socket(fileno=int(argv[1]))
    run_worker(sock, channel)
    sys.stdout.flush()
    # Skips the interpreter's teardown (numpy's among others): the owner is waiting.
    os._exit(0)
