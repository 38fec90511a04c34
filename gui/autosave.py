"""Keeps the user's session on disk: restored at start, saved a few seconds after
changes and on exit, so a crash loses at most the last few seconds of entries."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from core import ActionTracker, SessionError

log = logging.getLogger(__name__)

AUTOSAVE_MS = 3000
"""How often unsaved changes are written: the most a crash can lose."""


def restore(path: Path) -> tuple[ActionTracker, str | None]:
    """The tracker saved at ``path`` (a new one if there is none), and a message for the
    user when the file was unusable: it is then renamed ``.corrupt-<timestamp>`` and kept."""
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


class Autosaver(QObject):
    """Saves ``tracker`` to ``path`` every AUTOSAVE_MS when its version moved."""

    def __init__(self, tracker: ActionTracker, path: Path) -> None:
        super().__init__()
        self.tracker = tracker
        self.path = path
        self.saved_version = tracker.version
        self.last_error: str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_if_changed)
        self._timer.start()

    def set_tracker(self, tracker: ActionTracker) -> None:
        self.tracker = tracker
        self.saved_version = -1  # the new tracker's state is not on disk yet

    def save_if_changed(self) -> bool:
        """Save when something changed since the last save; True when it wrote."""
        version = self.tracker.version
        if version == self.saved_version:
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.tracker.save(self.path)
        except OSError as error:
            if str(error) != self.last_error:  # log a persistent failure once
                log.error("autosave to %s failed: %s", self.path, error)
            self.last_error = str(error)
            return False
        self.saved_version = version
        self.last_error = None
        return True

    def stop(self) -> None:
        """Stop the timer and save a last time."""
        self._timer.stop()
        self.save_if_changed()
