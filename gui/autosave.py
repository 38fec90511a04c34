"""Keeps the user's session on disk: restored at start, saved a few seconds after
changes and on exit, so a crash loses at most the last few seconds of entries."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from core import ActionTracker, SessionError

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


class Autosaver(QObject):
    """Saves ``tracker`` to ``path`` every AUTOSAVE_MS when its version moved.

    The timer runs on the GUI thread, but the save itself (about 250 ms with 10,000
    actions) runs on a single background thread, so typing never stalls on it. One save
    runs at a time; a tick that finds one still running waits for the next.
    """

    def __init__(self, tracker: ActionTracker, path: Path) -> None:
        super().__init__()
        self.tracker = tracker
        self.path = path
        self.last_error: str | None = None
        # (tracker, version) last on disk: a save of a replaced tracker must not count
        # for the new one.
        self._saved: tuple[ActionTracker, int] = (tracker, tracker.version)
        self._saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self._pending: Future[bool] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_in_background)
        self._timer.start()

    def set_tracker(self, tracker: ActionTracker) -> None:
        self.tracker = tracker  # not on disk yet: the next tick saves it

    @property
    def unsaved(self) -> bool:
        tracker = self.tracker
        return self._saved != (tracker, tracker.version)

    def save_in_background(self) -> Future[bool] | None:
        """Start a save on the background thread if something changed and no save is
        running; the future says whether it wrote."""
        if not self.unsaved or (self._pending is not None and not self._pending.done()):
            return None
        self._pending = self._saver.submit(self.save_if_changed)
        self._pending.add_done_callback(_log_crash)
        return self._pending

    def save_if_changed(self) -> bool:
        """Save now, on the calling thread, when something changed since the last save;
        True when it wrote."""
        tracker = self.tracker
        version = tracker.version
        if self._saved == (tracker, version):
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tracker.save(self.path)
        except OSError as error:
            if str(error) != self.last_error:  # log a persistent failure once
                log.error("autosave to %s failed: %s", self.path, error)
            self.last_error = str(error)
            return False
        self._saved = (tracker, version)
        self.last_error = None
        return True

    def stop(self) -> None:
        """Stop the timer, wait for a running save, and save a last time."""
        self._timer.stop()
        self._saver.shutdown(wait=True)
        self.save_if_changed()


def _log_crash(future: Future[bool]) -> None:
    """OSError is handled in the save; anything else is a bug, and must not vanish with
    the background thread."""
    error = future.exception()
    if error is not None:
        log.error("autosave failed unexpectedly", exc_info=error)
