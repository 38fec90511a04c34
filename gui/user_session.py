"""The one owner of the user's own tracker ("My actions")."""

from __future__ import annotations

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
