"""Save Session As and Open Session: the disk work runs on a Worker, never on the GUI
thread; each outcome comes back as a signal carrying its file."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core import ActionTracker
from gui.workers import Worker


@dataclass(frozen=True)
class SessionSaved:
    path: Path


@dataclass(frozen=True)
class SessionOpened:
    """A session read from ``path``; ``replaces_actions`` says whether the session it
    would replace holds any action (then the user is asked first)."""

    path: Path
    tracker: ActionTracker
    replaces_actions: bool


def save_session(tracker: ActionTracker, path: Path, _stop: threading.Event) -> SessionSaved:
    tracker.save(path)
    return SessionSaved(path)


def open_session(path: Path, current: ActionTracker, _stop: threading.Event) -> SessionOpened:
    tracker = ActionTracker.open(path)
    return SessionOpened(path, tracker, bool(current.snapshot().actions))


class SessionFiles(QObject):
    """Saves and opens session files in the background, one job at a time each.

    Signals
    -------
    saved(object)
        A ``SessionSaved``.
    opened(object)
        A ``SessionOpened``: not yet shown; the window decides.
    failed(object, object, str)
        The ``Path``, the ``Exception`` (an ``OSError`` or ``SessionError``), and
        "save" or "open".
    """

    saved = Signal(object)
    opened = Signal(object)
    failed = Signal(object, object, str)

    def __init__(self) -> None:
        super().__init__()
        self._jobs: dict[Worker, tuple[Path, str]] = {}

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def save(self, tracker: ActionTracker, path: Path) -> None:
        self._start(Worker(partial(save_session, tracker, path), f"saving {path}"), path, "save")

    def open(self, path: Path, current: ActionTracker) -> None:
        job = partial(open_session, path, current)
        self._start(Worker(job, f"opening {path}"), path, "open")

    def stop(self) -> list[Worker]:
        """The running jobs, to wait for (they are short, and a save is not cut short:
        stopped half-way, it would leave the old file, which is what it replaces)."""
        return list(self._jobs)

    def _start(self, worker: Worker, path: Path, kind: str) -> None:
        self._jobs[worker] = (path, kind)
        worker.returned.connect(self._on_worker_returned)
        worker.errored.connect(self._on_worker_errored)
        worker.finished.connect(self._on_worker_finished)
        worker.start()

    def _on_worker_returned(self, result: SessionSaved | SessionOpened) -> None:
        if isinstance(result, SessionSaved):
            self.saved.emit(result)
        else:
            self.opened.emit(result)

    def _on_worker_errored(self, error: Exception) -> None:
        worker = self.sender()
        if isinstance(worker, Worker) and worker in self._jobs:
            path, kind = self._jobs[worker]
            self.failed.emit(path, error, kind)

    def _on_worker_finished(self) -> None:
        worker = self.sender()
        if isinstance(worker, Worker):
            self._jobs.pop(worker, None)
