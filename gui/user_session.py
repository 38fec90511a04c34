"""The one owner of the user's own tracker ("My actions")."""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, Signal

from core import ActionTracker


class UserSession(QObject):
    """Holds the tracker that the user's entries, loaded files and autosave go into.

    Everything that works on the user's session reads ``tracker`` here when it acts, so
    opening another session is one assignment, seen by all.

    Signals
    -------
    changed(object)
        The new ``ActionTracker`` after ``set_tracker`` replaced the old one.
    """

    changed = Signal(object)

    def __init__(self, tracker: ActionTracker) -> None:
        super().__init__()
        self._tracker = tracker

    @property
    def tracker(self) -> ActionTracker:
        return self._tracker

    def set_tracker(self, tracker: ActionTracker) -> None:
        if tracker is not self._tracker:
            self._tracker = tracker
            self.changed.emit(tracker)


def freeze_long_lived() -> None:
    """Move every object alive now (an opened session's aggregates above all) out of
    the collector's reach: they live as long as the window, and a full collection would
    otherwise scan them all, pausing the GUI thread (``bench/gc_pause.py``). Collected
    first, so no garbage is frozen with them. ``gui/app.py`` does the same at start."""
    gc.collect()
    gc.freeze()
