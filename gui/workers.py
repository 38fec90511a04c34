"""Background work for the window: one worker pattern for every job.

Modelled on superqt's ``utils/_qthreading.py``: a ``Worker`` runs one job on a QThread of
its own and reports through the same five signals whatever the job is. A job is a
callable that takes the worker's stop event; it returns its result, or is a generator
whose items are ``yielded`` and whose return value is ``returned``. ``quit()`` sets the
stop event (no method of the job is named); the job checks it between steps, and waits
on it instead of sleeping. Results carry their own context (which file, which session),
so a late one is never mistaken for the current job's.

Every started worker is recorded until its thread has ended, so that the window's
shutdown, and the test suite, can check that none is left running.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterable
from functools import partial
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QThread, QTimer, Signal, Slot

log = logging.getLogger(__name__)

Job = Callable[[threading.Event], Any]
"""A callable given the stop event: returns a result, or a generator of progress items
that returns the result."""

JOIN_MS = 5000
"""How long shutdown waits for a worker that was asked to stop."""

_running: set[Worker] = set()
_stuck: list[Worker] = []


def running_threads() -> list[QThread]:
    """Threads of started workers that are still running (stuck ones included)."""
    return [worker.qthread for worker in list(_running) if worker.qthread.isRunning()]


def stuck_workers() -> list[Worker]:
    """Workers that did not stop in time when asked, and have not ended since (they stay
    referenced: Qt aborts the process when a running QThread is destroyed)."""
    return list(_stuck)


class Worker(QObject):
    """Runs ``job`` on a thread of its own; ``description`` names it in logs (for
    example "loading actions.ndjson").

    Signals
    -------
    started()
        The job began, on the worker's thread.
    yielded(object)
        One item of a generator job (its progress), in order.
    returned(object)
        The job's result; not emitted when it raised.
    errored(object)
        The ``Exception`` the job raised, traceback attached, instead of ``returned``.
    finished()
        Emitted on the thread that started the worker, after the worker's thread has
        ended; last, whatever the outcome.

    Connect the first four to methods of QObjects that live on the owner's thread: Qt
    queues the calls there. A plain function or lambda would run on the worker's thread.
    """

    started = Signal()
    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object)
    finished = Signal()

    def __init__(self, job: Job, description: str) -> None:
        super().__init__()
        self.description = description
        self._job = job
        self._stop = threading.Event()
        self.qthread = QThread()
        self.qthread.setObjectName(description)
        self._home = QThread.currentThread()

    @property
    def running(self) -> bool:
        """Started, and its thread has not ended."""
        return self.qthread.isRunning()

    @property
    def stopping(self) -> bool:
        """Whether ``quit()`` was called."""
        return self._stop.is_set()

    def start(self) -> None:
        """Start the job on the worker's thread."""
        self.moveToThread(self.qthread)
        self.qthread.started.connect(self._run)
        self.qthread.finished.connect(self._on_thread_finished)
        _running.add(self)
        self.qthread.start()

    def quit(self) -> None:
        """Ask the job to stop soon; safe from any thread. A generator job that stops
        early still returns its result (a cancelled load's report, say)."""
        self._stop.set()

    def stop_and_wait(self, timeout_ms: int = JOIN_MS) -> bool:
        """Ask the job to stop and wait for its thread; True when it ended in time. A
        worker that did not is logged by its description and kept referenced."""
        self.quit()
        if not self.qthread.isRunning() or self.qthread.wait(timeout_ms):
            return True
        log.error("%s did not stop within %d ms; left running", self.description, timeout_ms)
        _stuck.append(self)
        return False

    @Slot()
    def _run(self) -> None:
        self.started.emit()
        try:
            result = self._job(self._stop)
            if isinstance(result, Generator):
                result = self._drain(result)
        except Exception as error:  # reported to the owner, never lost in the thread
            self.errored.emit(error)
        else:
            self.returned.emit(result)
        finally:
            # Back home before the thread ends, so that ``finished`` is emitted by an
            # object of the owner's thread (a lambda connected to it runs there too).
            self.moveToThread(self._home)
            self.qthread.quit()

    @Slot()
    def _on_thread_finished(self) -> None:
        self.qthread.wait(JOIN_MS)  # QThread.finished comes just before the thread ends
        if self in _stuck:
            _stuck.remove(self)
        self.finished.emit()
        # Released on a later turn of the event loop: dropping the last reference here
        # would delete this object inside its own slot.
        QTimer.singleShot(0, partial(_running.discard, self))

    def _drain(self, steps: Generator[object, None, object]) -> object:
        while True:
            try:
                step = next(steps)
            except StopIteration as end:
                return end.value
            self.yielded.emit(step)


def stop_all(workers: Iterable[Worker | None], timeout_ms: int = JOIN_MS) -> bool:
    """Ask every worker to stop, then wait for each, at most ``timeout_ms`` in all (one
    stuck worker must not multiply the wait); True when all ended. Their last signals
    (``returned``, ``finished``...) are delivered before it returns, so their owners
    are idle after it."""
    started = [worker for worker in workers if worker is not None]
    for worker in started:
        worker.quit()
    end = time.monotonic() + timeout_ms / 1000
    ended = [
        worker.stop_and_wait(max(1, round((end - time.monotonic()) * 1000))) for worker in started
    ]
    # Their queued signals are delivered now (no user input is processed meanwhile).
    QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    return all(ended)
