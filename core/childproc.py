"""Child interpreters of this program, and the framed messages they exchange with it.

Children are fresh interpreters (``subprocess`` runs ``python -c CODE``), never a bare
fork: a window's Qt threads hold locks that a forked copy would find taken. Unlike
``multiprocessing``'s spawn or fork server, nothing re-imports the caller's main
script, which in a script without a ``__main__`` guard (or with Qt at its top) would
run it again in every child. Both ends are this program, so messages are pickled, each
framed by its length, over a pipe or a socket (by its descriptor). What a child runs,
how it is told to stop and how long it is given are its owner's business
(``core.workerprocs``, ``core.liveworker``).
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Collection
from typing import Any

_READ_LIMIT = 1 << 20
"""Most bytes asked for in one read: asking for more allocates that much each time,
however little has arrived."""


def can_start_children() -> bool:
    """Whether this program can start a child interpreter: a standalone (frozen) build
    has no ``python -c``."""
    return not getattr(sys, "frozen", False) and bool(sys.executable)


def start_child(
    code: str,
    *arguments: str,
    stdin: int | None = None,
    stdout: int | None = None,
    pass_fds: Collection[int] = (),
) -> subprocess.Popen[bytes]:
    """A child interpreter running ``code`` with ``arguments`` (its ``sys.argv[1:]``),
    able to import this package wherever the caller found it. Raises ``OSError`` when
    it cannot be started (no interpreter, no processes left).

    The child ignores SIGINT from its first statement: Ctrl+C in a terminal reaches the
    whole process group, and the caller, not the child, decides what an interrupt ends
    (a child stopping on its own would print a traceback mid-import, or mid-task)."""
    return subprocess.Popen(
        [sys.executable, "-c", _IGNORE_INTERRUPT + code, *arguments],
        stdin=stdin,
        stdout=stdout,
        pass_fds=pass_fds,
        env=_child_environment(),
        bufsize=0,
    )


_IGNORE_INTERRUPT = "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)\n"


_WORKER_ENVIRONMENT = {
    # numpy's OpenBLAS starts a thread per core at import, which spins a while before it
    # sleeps: a third more CPU for a child's start, taken from the others on a machine
    # whose every core is busy loading. No child of ours does linear algebra large enough
    # to share out (the folds' dot products stay on the calling thread).
    "OPENBLAS_NUM_THREADS": "1",
}
"""Settings for a child's libraries, unless the caller's environment names its own."""


def _child_environment() -> dict[str, str]:
    """The caller's environment, with this package importable whatever the current
    folder, and ``_WORKER_ENVIRONMENT`` where the caller's does not say otherwise."""
    environment = {**_WORKER_ENVIRONMENT, **os.environ}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = environment.get("PYTHONPATH")
    environment["PYTHONPATH"] = root if not paths else os.pathsep.join((root, paths))
    return environment


def wait_or_kill(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait up to ``timeout`` seconds for ``process`` to end, then kill it (and reap it)."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Framing:
    """Messages framed by their length in a fixed ``header`` (a ``struct`` of one
    unsigned integer), written to and read from a descriptor (a pipe's or a socket's).
    A descriptor's writes must not interleave: a caller writing from several threads
    holds a lock around ``send``."""

    def __init__(self, header: struct.Struct) -> None:
        self._header = header

    def send(self, descriptor: int, payload: bytes) -> None:
        """Write ``payload`` as one frame; raises ``OSError`` when the other end is gone."""
        _write_all(descriptor, self._header.pack(len(payload)) + payload)

    def send_pickled(self, descriptor: int, message: object) -> None:
        """Write ``message``, pickled, as one frame."""
        self.send(descriptor, pickle.dumps(message, pickle.HIGHEST_PROTOCOL))

    def receive(self, descriptor: int) -> bytes:
        """The next frame's payload (blocks until it has come whole); raises
        ``EOFError`` when the input ends first."""
        (size,) = self._header.unpack(_read_exactly(descriptor, self._header.size))
        return _read_exactly(descriptor, size)

    def receive_pickled(self, descriptor: int) -> Any:
        """The next frame's message, unpickled (whatever the other end sent)."""
        return pickle.loads(self.receive(descriptor))


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _read_exactly(descriptor: int, size: int) -> bytes:
    """Exactly ``size`` bytes; raises ``EOFError`` when the input ends first."""
    parts = []
    while size:
        part = os.read(descriptor, min(size, _READ_LIMIT))
        if not part:
            raise EOFError("the other process closed its end")
        parts.append(part)
        size -= len(part)
    return b"".join(parts)
