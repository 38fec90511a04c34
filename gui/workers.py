"""Background work for the window: worker objects moved to QThreads.

Each worker has the same signals (``progress``, ``finished``, ``failed``) and a
thread-safe ``cancel()``. ``start_worker`` wires the usual teardown; every started thread
is recorded so that the window, and the test suite, can check that none is left running.
"""

from __future__ import annotations

import logging
import threading
import traceback
import weakref
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from core import ActionTracker, LoadReport
from core.errors import reason
from core.loadgen import LoadGenerator, LoadSpec, compare_strategies

PROGRESS_INTERVAL = 0.1
"""Seconds between progress signals of a benchmark: 10 Hz, never one per action."""

_threads: weakref.WeakSet[QThread] = weakref.WeakSet()
_stuck: list[tuple[Worker, QThread]] = []
log = logging.getLogger(__name__)


def running_threads() -> list[QThread]:
    """Background threads (workers and registered others) that are still running."""
    return [thread for thread in list(_threads) if thread.isRunning()]


def register_thread(thread: QThread) -> None:
    """Count ``thread`` in ``running_threads``, so that tests see it if it is left running."""
    _threads.add(thread)


class Worker(QObject):
    """Base worker.

    Signals
    -------
    progress(object)
        A payload of the subclass's choosing, at most about 10 times a second.
    finished(object)
        The result; emitted once, also after ``cancel()``.
    failed(str)
        A message for people; emitted instead of ``finished``.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop soon; safe from any thread."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @Slot()
    def run(self) -> None:
        try:
            result = self.work()
        except Exception as error:  # reported to the window, never lost in the thread
            message = reason(error)
            self.failed.emit(f"{message}\n\n{traceback.format_exc(limit=3)}")
        else:
            self.finished.emit(result)

    def work(self) -> object:
        raise NotImplementedError


class FileLoadWorker(Worker):
    """Loads one file into a tracker; progress carries ``core.LoadProgress``."""

    def __init__(self, tracker: ActionTracker, path: Path) -> None:
        super().__init__()
        self.tracker = tracker
        self.path = path

    def work(self) -> LoadReport:
        job = self.tracker.start_load(self.path)
        for step in job:
            self.progress.emit(step)
            if self._cancel.is_set():
                job.cancel()
        return job.report


class BenchmarkWorker(Worker):
    """Feeds ``tracker`` from ``spec.producers`` threads; progress carries LoadStatus."""

    def __init__(self, tracker: ActionTracker, spec: LoadSpec) -> None:
        super().__init__()
        self.tracker = tracker
        self.spec = spec

    def work(self) -> object:
        generator = LoadGenerator(self.tracker, self.spec)
        generator.start()
        try:
            while generator.running:
                if self._cancel.wait(PROGRESS_INTERVAL):
                    generator.stop()
                self.progress.emit(generator.status())
        except BaseException:
            generator.stop()  # never leave producers running behind an error
            generator.join()
            raise
        # Stopped only if asked to: a run that reached its duration or count is complete.
        return generator.join()


class CompareWorker(Worker):
    """Runs the same load into each strategy; finished carries a list of LoadResult."""

    def __init__(self, spec: LoadSpec) -> None:
        super().__init__()
        self.spec = spec

    def work(self) -> object:
        return compare_strategies(self.spec, self._cancel)


def start_worker(worker: Worker) -> QThread:
    """Move ``worker`` to a new thread and start it; the thread quits when the worker is
    done. The caller keeps references to both until ``thread.finished``."""
    thread = QThread()
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    worker.failed.connect(thread.quit)
    register_thread(thread)
    thread.start()
    return thread


def stop_and_wait(worker: Worker, thread: QThread, timeout_ms: int = 5000) -> bool:
    """Cancel the worker and wait for its thread; True when it ended in time. A thread
    that did not (a read blocked on a pipe, say) is logged, and kept referenced so that
    it is not destroyed while running."""
    worker.cancel()
    thread.quit()
    if thread.wait(timeout_ms):
        return True
    log.error("%s did not stop within %d ms", type(worker).__name__, timeout_ms)
    _stuck.append((worker, thread))
    return False
