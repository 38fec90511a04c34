"""Loading files into the user's session, one at a time, in the background: the queue,
a ``Worker`` per file, and signals that say how each load ended (``gui.load_feedback``
shows them).

A file is read into a tracker of its own (staged) and added to the user's session all at
once when it was read to the end, or when the user keeps a cancelled load's records. So
the session never holds part of a file without the user's say: not on screen, not in an
autosave, not after a crash or kill mid-load. The whole file is one change for *Undo*.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core import ActionTracker, InvalidActionError, LoadProgress, LoadReport
from gui.user_session import UserSession
from gui.workers import Worker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileLoaded:
    """The end of one file's load: which file, for which session, its report, and the
    records read (``staged``, not yet in the session)."""

    path: Path
    tracker: ActionTracker
    report: LoadReport
    staged: ActionTracker


def load_file(
    tracker: ActionTracker, path: Path, stop: threading.Event
) -> Generator[LoadProgress, None, FileLoaded]:
    """Read ``path`` step by step into a new tracker of ``tracker``'s strategy, for
    ``tracker``; a stop cancels it, still returning the (cancelled) report and what was
    read until then."""
    staged = ActionTracker(tracker.strategy)
    job = staged.start_load(path)
    for step in job:
        yield step
        if stop.is_set():
            job.cancel()
    return FileLoaded(path, tracker, job.report, staged)


class FileLoads(QObject):
    """The file-load queue of the user's session.

    Signals
    -------
    started(object)
        The ``Path`` whose load begins.
    progressed(object)
        A ``LoadProgress`` of the running load, at most about 10 times a second.
    loaded(object)
        A ``FileLoaded`` for the session still shown as the user's: added to it when
        read to the end; when cancelled, added only by ``keep``.
    abandoned(object, list)
        A ``FileLoaded`` into a session that Open Session replaced meanwhile, and the
        queued files dropped with it.
    failed(object, object)
        The ``Path`` and the ``Exception`` that stopped its load (nothing was added).
    dropped(list)
        Queued files that Open Session dropped after the running load had reported.
    ended()
        A load's thread ended, whatever the outcome; the next queued load starts.
    """

    started = Signal(object)
    progressed = Signal(object)
    loaded = Signal(object)
    abandoned = Signal(object, list)
    failed = Signal(object, object)
    dropped = Signal(list)
    ended = Signal()

    def __init__(self, session: UserSession) -> None:
        super().__init__()
        self._session = session
        self._queue: deque[Path] = deque()
        self._worker: Worker | None = None
        self._dropped: list[Path] = []  # queued files that Open Session dropped
        self._path = Path()
        self._closed = False

    @property
    def loading(self) -> bool:
        return self._worker is not None

    def open(self, path: Path) -> None:
        """Load ``path`` after any load in progress."""
        self._queue.append(path)
        if self._worker is None:
            self._start_next()

    def keep(self, loaded: FileLoaded) -> None:
        """Add ``loaded``'s records to the user's session as one change, if it is still
        the session they were read for. Raises ``InvalidActionError`` when they would
        pass the limit of distinct actions; nothing is added then."""
        if loaded.tracker is self._session.tracker and loaded.report.accepted:
            self._session.merge(loaded.staged.capture(), f"load of {loaded.path.name}")

    def cancel(self) -> list[Path]:
        """Cancel the load in progress and any queued behind it; returns the queued
        files, which were not started."""
        dropped = list(self._queue)
        self._queue.clear()
        if self._worker is not None:
            self._worker.quit()
        return dropped

    def abandon(self) -> None:
        """Another session replaces the user's: cancel everything, and say later which
        queued files were dropped."""
        self._dropped = self.cancel()

    def stop(self) -> Worker | None:
        """No more loads, nor signals about them; returns the running one's worker
        (asked to stop) to wait for."""
        self._closed = True
        self._queue.clear()
        if self._worker is not None:
            self._worker.quit()
        return self._worker

    def _start_next(self) -> None:
        if not self._queue or self._closed:
            return
        path = self._queue.popleft()
        worker = Worker(partial(load_file, self._session.tracker, path), f"loading {path}")
        worker.yielded.connect(self._on_worker_yielded)
        worker.returned.connect(self._on_worker_returned)
        worker.errored.connect(self._on_worker_errored)
        worker.finished.connect(self._on_worker_finished)
        self._worker, self._path = worker, path
        worker.start()
        self.started.emit(path)

    def _on_worker_yielded(self, step: LoadProgress) -> None:
        self.progressed.emit(step)

    def _on_worker_returned(self, result: FileLoaded) -> None:
        log.info("loaded %s: %s", result.path, result.report.summary)
        if self._closed:
            return  # the window is closing: nobody to tell
        if result.tracker is self._session.tracker:
            if not result.report.cancelled:
                try:
                    self.keep(result)
                except InvalidActionError as error:
                    self._on_worker_errored(error)
                    return
            self.loaded.emit(result)
        else:
            dropped, self._dropped = self._dropped, []
            self.abandoned.emit(result, dropped)

    def _on_worker_errored(self, error: Exception) -> None:
        path = self._path  # the running load's: errored comes before finished
        log.warning("could not load %s: %s", path, error)
        if not self._closed:
            self.failed.emit(path, error)

    def _on_worker_finished(self) -> None:
        self._worker = None
        if self._dropped and not self._closed:  # Open Session came after this load's own report
            dropped, self._dropped = self._dropped, []
            self.dropped.emit(dropped)
        self.ended.emit()
        self._start_next()
