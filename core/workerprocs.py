"""Worker processes that run one kind of task sent to them, kept between uses.

Parsing holds the GIL, so a second core helps only from another process. These workers
are child interpreters running ``python -c CODE`` (``core.childproc``), talking over
their standard input and output. Starting one costs an interpreter and its imports
(numpy mostly), so idle workers are kept for the next use and end on their own after
``IDLE_SECONDS``, or when this process ends (their input closes).

Requests and replies are pickled, each framed by its length. A worker answers its
requests in the order they came, so a caller can hand one several at a time. A reply
larger than a pipe holds keeps its worker writing until it is read, so a caller waiting
for one worker reads the others' replies ahead (``ready``'s ``others``) and lets them
get on with their next requests.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import IO

from core.childproc import Framing, start_child, wait_or_kill

IDLE_SECONDS = 60.0
"""An idle worker ends after this long without a request."""
_REUSE_SECONDS = IDLE_SECONDS - 10  # reused only while well within its idle time
_FRAMING = Framing(struct.Struct("<Q"))
_STOP_WAIT_SECONDS = 2.0  # for a worker told to stop before it is killed


class WorkerError(Exception):
    """A worker process failed (it ended, or its pipe broke): its requests are lost."""


class Worker:
    """One worker process: ``send`` requests, ``receive`` the replies in order.

    A new worker takes a while to start (its imports); ``started()`` says, without
    waiting, whether it has, so a caller can do the work itself meanwhile."""

    def __init__(self, code: str) -> None:
        self.code = code
        self._process = start_child(code, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._input: IO[bytes] = self._process.stdin  # type: ignore[assignment]
        self._output: IO[bytes] = self._process.stdout  # type: ignore[assignment]
        self._started = False  # whether its greeting, sent once started, was read
        self._sent = 0  # requests sent, numbered from 1 (the greeting is reply 0)
        self._received = -1  # the number of the last reply read
        self._read_ahead: deque[tuple[bool, object]] = deque()  # (failed, reply), unasked
        self._ended = False  # its end was read ahead: nothing more to read
        self.idle_since = time.monotonic()

    @property
    def pid(self) -> int:
        return self._process.pid

    def alive(self) -> bool:
        return self._process.poll() is None

    def send(self, request: object) -> None:
        """Queue a request; raises ``WorkerError`` when the worker is gone."""
        data = pickle.dumps((self._sent + 1, request), pickle.HIGHEST_PROTOCOL)
        try:  # a request that cannot be pickled is the caller's error, not the worker's
            _FRAMING.send(self._input.fileno(), data)
        except (OSError, ValueError) as error:  # a broken pipe, or closed already
            raise WorkerError(f"worker {self.pid} is gone: {error}") from None
        self._sent += 1

    def started(self) -> bool:
        """Whether the worker has started and answers without delay (never waits)."""
        if not self._started and self._readable(0):
            try:
                self._reply()  # its greeting
            except WorkerError:
                return False  # it ended: send and receive say so
            self._started = True
        return self._started

    def ready(self, timeout: float, others: Sequence[Worker] = ()) -> bool:
        """Whether a reply (or the worker's end) can be read now, waiting up to ``timeout``;
        meanwhile the replies that come from ``others`` (started workers) are read ahead,
        for their own ``receive``."""
        deadline = time.monotonic() + timeout
        if self._read_ahead:
            return True
        if not self.started():
            if not self._readable(timeout):
                return False
            if not self.started():
                return True  # it ended: receive() says so
        while True:
            owing = [
                other._output
                for other in others
                if other is not self
                and other._started
                and not other._ended
                and other._sent > other._received
            ]
            readable, _, _ = select.select(
                [self._output, *owing], [], [], max(0.0, deadline - time.monotonic())
            )
            if self._output in readable:
                return True
            if not readable:
                return False
            for other in others:
                if other._output in readable:
                    other._read_one_ahead()

    def _read_one_ahead(self) -> None:
        """Read the next reply (its writing has begun) and keep it for ``receive``."""
        try:
            self._read_ahead.append(self._read_reply())
        except Exception as error:  # raised by receive, as when read there
            self._ended = isinstance(error, WorkerError)
            self._read_ahead.append((True, error))

    def _readable(self, timeout: float) -> bool:
        readable, _, _ = select.select([self._output], [], [], timeout)
        return bool(readable)

    def receive(self) -> object:
        """The reply to the oldest request not yet answered (blocks until it comes). An
        exception raised by the task is raised here; ``WorkerError`` when the worker
        ended instead."""
        if self._read_ahead:
            failed, reply = self._read_ahead.popleft()
            if failed:
                raise reply  # type: ignore[misc]
            return reply
        if not self._started:
            self._reply()  # its greeting
            self._started = True
        return self._reply()

    def _reply(self) -> object:
        failed, reply = self._read_reply()
        if failed:
            raise reply  # type: ignore[misc]  # an exception, pickled by serve()
        return reply

    def _read_reply(self) -> tuple[bool, object]:
        """The next reply from the pipe, and whether it is an exception the task raised;
        ``WorkerError`` when the worker ended instead."""
        try:
            number, failed, reply = _FRAMING.receive_pickled(self._output.fileno())
        except EOFError:
            wait_or_kill(self._process, _STOP_WAIT_SECONDS)
            raise WorkerError(
                f"worker {self.pid} ended (exit status {self._process.returncode})"
            ) from None
        if number != self._received + 1:  # never expected; a reply must not go astray
            self.kill()
            raise WorkerError(f"worker {self.pid} answered request {number} out of turn")
        self._received = number
        return failed, reply

    def stop(self) -> None:
        """End the worker: its input closes, and it is killed if it does not end soon."""
        self._close_pipes()
        wait_or_kill(self._process, _STOP_WAIT_SECONDS)

    def _close_pipes(self) -> None:
        for stream in (self._input, self._output):
            with contextlib.suppress(OSError):
                stream.close()

    def kill(self) -> None:
        """End the worker now, whatever it was doing."""
        self._process.kill()
        self._process.wait()
        self._close_pipes()


class WorkerPool:
    """Idle workers by the code they run, handed out and taken back; safe from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[Worker] = []
        atexit.register(self.stop_all)

    def take(self, code: str, count: int) -> list[Worker]:
        """``count`` workers running ``code``: idle ones first, new ones started for the
        rest. Raises ``OSError`` when one cannot be started (taking none then)."""
        now = time.monotonic()
        taken: list[Worker] = []
        stale: list[Worker] = []
        with self._lock:
            for worker in list(self._idle):
                if worker.code != code or len(taken) == count:
                    continue
                self._idle.remove(worker)
                if worker.alive() and now - worker.idle_since < _REUSE_SECONDS:
                    taken.append(worker)
                else:
                    stale.append(worker)
        for worker in stale:
            worker.stop()
        try:
            while len(taken) < count:
                taken.append(Worker(code))
        except OSError:  # none could start (no interpreter, no processes left)
            for worker in taken:
                worker.stop()
            raise
        return taken

    def give_back(self, workers: list[Worker], keep: int) -> None:
        """Take back workers with no request pending; at most ``keep`` of a code stay idle."""
        extra: list[Worker] = []
        with self._lock:
            for worker in workers:
                same = sum(idle.code == worker.code for idle in self._idle)
                if worker.alive() and same < keep:
                    worker.idle_since = time.monotonic()
                    self._idle.append(worker)
                else:
                    extra.append(worker)
        for worker in extra:
            worker.stop()

    def stop_all(self) -> None:
        """End every idle worker (at exit, and for tests)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    def has_idle(self, code: str) -> bool:
        """Whether a worker running ``code`` is idle and still fit for reuse, so that
        taking one costs no start."""
        now = time.monotonic()
        with self._lock:
            return any(
                worker.code == code and worker.alive() and now - worker.idle_since < _REUSE_SECONDS
                for worker in self._idle
            )

    def idle_pids(self) -> list[int]:
        with self._lock:
            return [worker.pid for worker in self._idle]


POOL = WorkerPool()
"""The process's workers."""


def serve(handle: Callable[[object], object]) -> None:
    """The worker's side: answer requests from standard input with ``handle``'s result
    (or the exception it raised) on standard output, in order, until the input closes
    or no request came for ``IDLE_SECONDS``."""
    source = sys.stdin.fileno()
    # Replies go to the real standard output; anything printed goes to standard error,
    # where it cannot break a reply's framing.
    sink = os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    if not _answer(sink, (0, False, None)):  # started: the caller may count on it now
        return
    while True:
        readable, _, _ = select.select([source], [], [], IDLE_SECONDS)
        if not readable:
            return
        try:
            number, task = _FRAMING.receive_pickled(source)
        except EOFError:
            return
        try:
            reply: tuple[int, bool, object] = (number, False, handle(task))
        except Exception as error:
            reply = (number, True, error)
        if not _answer(sink, reply):
            return


def _answer(sink: int, reply: tuple[int, bool, object]) -> bool:
    """Write one framed reply; False when the caller is gone (its end of the pipe closed)."""
    try:
        _FRAMING.send_pickled(sink, reply)
    except BrokenPipeError:
        return False
    return True
