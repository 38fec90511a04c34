"""File → Save Session As… and Open Session…: the disk work runs on a Worker, never on
the GUI thread; each outcome comes back carrying its file."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMainWindow, QMessageBox

from core import ActionTracker
from core.errors import reason
from gui.messages import warn
from gui.recent_files import RecentFiles
from gui.user_session import UserSession
from gui.workers import Worker

SESSION_FILTER = "Action Tracker sessions (*.atsession);;All files (*)"


@dataclass(frozen=True)
class SessionSaved:
    path: Path


@dataclass(frozen=True)
class SessionOpened:
    """A session read from ``path``; ``ask_first`` when the session it would replace
    holds actions and the caller wanted a confirmation then."""

    path: Path
    tracker: ActionTracker
    ask_first: bool


def save_session(tracker: ActionTracker, path: Path, _stop: threading.Event) -> SessionSaved:
    tracker.save(path)
    return SessionSaved(path)


def open_session(
    path: Path, current: ActionTracker, confirm: bool, _stop: threading.Event
) -> SessionOpened:
    tracker = ActionTracker.open(path)
    return SessionOpened(path, tracker, confirm and bool(current.snapshot().actions))


class SessionFiles(QObject):
    """Saves the user's session to a file and opens one, in the background, over
    ``window`` (its dialogs, messages and status bar).

    Signals
    -------
    saved(object)
        A ``SessionSaved``.
    opened(object)
        A ``SessionOpened`` that the user agreed to (or was not asked about): the
        window makes its tracker the user's.
    """

    saved = Signal(object)
    opened = Signal(object)

    def __init__(self, window: QMainWindow, session: UserSession, recent: RecentFiles) -> None:
        super().__init__()
        self._window = window
        self._session = session
        self._recent = recent
        self._jobs: dict[Worker, tuple[Path, str]] = {}
        self._closed = False

    def save_as(self, path: str | Path | None = None) -> bool:
        """Save the user's session to ``path`` (asked for when None); True when the save
        started. Its outcome shows in the status bar, or in a message, when it ends."""
        if path is None:
            path = self._recent.ask_to_save(
                self._window, "Save session as", "actions.atsession", SESSION_FILTER
            )
            if not path:
                return False
        job = partial(save_session, self._session.tracker, Path(path))
        self._start(Worker(job, f"saving {path}"), Path(path), "save")
        return True

    def open(self, path: str | Path | None = None, confirm: bool = True) -> bool:
        """Read the session at ``path`` (asked for when None); True when the read
        started. When it ends, the user is asked first if ``confirm`` and their session
        holds actions."""
        if path is None:
            path = self._recent.ask_to_open(self._window, "Open session", SESSION_FILTER)
            if not path:
                return False
        job = partial(open_session, Path(path), self._session.tracker, confirm)
        self._start(Worker(job, f"opening {path}"), Path(path), "open")
        return True

    def stop(self) -> list[Worker]:
        """No more outcomes shown; returns the running jobs, to wait for (they are short,
        and a save is not cut short: stopped half-way, it would leave the old file)."""
        self._closed = True
        return list(self._jobs)

    def _start(self, worker: Worker, path: Path, kind: str) -> None:
        self._jobs[worker] = (path, kind)
        worker.returned.connect(self._on_worker_returned)
        worker.errored.connect(self._on_worker_errored)
        worker.finished.connect(self._on_worker_finished)
        worker.start()

    def _on_worker_returned(self, result: SessionSaved | SessionOpened) -> None:
        if self._closed:
            return
        if isinstance(result, SessionSaved):
            self._window.statusBar().showMessage(f"Session saved to {result.path}", 5000)
            self.saved.emit(result)
            return
        if result.ask_first:
            answer = QMessageBox.question(
                self._window,
                "Open session",
                "Replace the actions in “My actions” with this session's? "
                "Save them first with File → Save Session As… to keep them.",
                QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Open:
                return
        self.opened.emit(result)
        self._window.statusBar().showMessage(f"Opened session {result.path}", 5000)

    def _on_worker_errored(self, error: Exception) -> None:
        worker = self.sender()
        if self._closed or not isinstance(worker, Worker) or worker not in self._jobs:
            return
        path, kind = self._jobs[worker]
        if kind == "save":
            text = f"Could not write {path}:\n{reason(error)}"
            warn(self._window, "Could not save the session", text, "saveError")
        else:
            text = f"{path}\n\n{reason(error)}"
            warn(self._window, "Could not open the session", text, "openSessionError")

    def _on_worker_finished(self) -> None:
        worker = self.sender()
        if isinstance(worker, Worker):
            self._jobs.pop(worker, None)
