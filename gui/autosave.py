"""Keeps the user's session on disk: restored at start, saved a few seconds after
changes and on exit, so a crash loses at most the last few seconds of entries."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from core import ActionTracker, SessionError
from gui.user_session import UserSession
from gui.workers import Worker

log = logging.getLogger(__name__)

AUTOSAVE_MS = 3000
"""How often unsaved changes are written: the most a crash can lose."""


def restore(path: Path) -> tuple[ActionTracker, str | None]:
    """The tracker saved at ``path`` (a new one if there is none), and a message for the
    user when the file was unusable: it is then renamed ``.corrupt-<timestamp>`` and kept."""
    _remove_stale_temporaries(path)
    if not path.exists():
        return ActionTracker(), None
    try:
        return ActionTracker.open(path), None
    except (SessionError, OSError) as error:
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            path.rename(aside)
        except OSError as rename_error:
            log.error("could not set aside %s: %s", path, rename_error)
            aside = path
        log.error("could not restore session %s: %s", path, error)
        return ActionTracker(), (
            f"Your last session could not be opened: {error}.\n\n"
            f"It was kept as {aside} and Action Tracker started with an empty session."
        )


STALE_SECONDS = 60
"""A save's temporary file older than this was left by a process killed mid-save."""


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files that saves of ``path`` left behind when killed (a save
    writes ``.<name>.<random>.tmp`` beside it, then renames it over the session)."""
    now = time.time()
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            if now - stale.stat().st_mtime > STALE_SECONDS:
                stale.unlink()
                log.info("removed %s, left by an interrupted save", stale)
        except OSError as error:  # gone meanwhile, or not ours to remove: harmless
            log.warning("could not remove %s: %s", stale, error)


@dataclass(frozen=True)
class Saved:
    """What a save wrote: ``tracker`` as it was at ``version`` (or later)."""

    tracker: ActionTracker
    version: int


def save_session(tracker: ActionTracker, path: Path, _stop: threading.Event) -> Saved:
    """Write ``tracker`` to ``path``, creating its folder; a save is never cut short (the
    write is atomic: the old file stays until the new one is whole)."""
    version = tracker.version
    path.parent.mkdir(parents=True, exist_ok=True)
    tracker.save(path)
    return Saved(tracker, version)


class Autosaver(QObject):
    """Saves the user's session to ``path`` every AUTOSAVE_MS when its version moved.

    The timer runs on the GUI thread, but the save itself runs on a Worker, so typing
    never stalls on it. One save runs at a time; a tick that finds one still running
    waits for the next.
    """

    def __init__(self, session: UserSession, path: Path) -> None:
        super().__init__()
        self.session = session
        self.path = path
        self.last_error: str | None = None
        # (tracker, version) last on disk: a save of a replaced tracker must not count
        # for the new one.
        tracker = session.tracker
        self._saved: tuple[ActionTracker, int] = (tracker, tracker.version)
        self._worker: Worker | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_in_background)
        self._timer.start()

    @property
    def unsaved(self) -> bool:
        tracker = self.session.tracker
        return self._saved != (tracker, tracker.version)

    def save_in_background(self) -> Worker | None:
        """Start a save on a Worker if something changed and no save is running; returns
        the worker (its ``returned`` says what was written)."""
        if not self.unsaved or self._worker is not None:
            return None
        worker = Worker(
            partial(save_session, self.session.tracker, self.path), f"autosave to {self.path}"
        )
        worker.returned.connect(self._on_worker_returned)
        worker.errored.connect(self._on_worker_errored)
        worker.finished.connect(self._on_worker_finished)
        self._worker = worker
        worker.start()
        return worker

    def save_if_changed(self) -> bool:
        """Save now, on the calling thread, when something changed since the last save;
        True when it wrote."""
        if not self.unsaved:
            return False
        try:
            saved = save_session(self.session.tracker, self.path, threading.Event())
        except OSError as error:
            self._on_worker_errored(error)
            return False
        self._on_worker_returned(saved)
        return True

    def stop(self) -> Worker | None:
        """Stop the timer; returns a running save's worker to wait for (a save is never
        cut short). Call ``save_if_changed`` once it has ended, for the last changes."""
        self._timer.stop()
        return self._worker

    def _on_worker_returned(self, saved: Saved) -> None:
        self._saved = (saved.tracker, saved.version)
        self.last_error = None

    def _on_worker_errored(self, error: Exception) -> None:
        if not isinstance(error, OSError):  # a bug: never lost with the background thread
            log.error("autosave failed unexpectedly", exc_info=error)
        elif str(error) != self.last_error:  # log a persistent failure once
            log.error("autosave to %s failed: %s", self.path, error)
        self.last_error = str(error)

    def _on_worker_finished(self) -> None:
        self._worker = None
