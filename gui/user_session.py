"""The one owner of the user's own tracker ("My actions") and of its undo history."""

from __future__ import annotations

import gc
from collections.abc import Collection

from PySide6.QtCore import QObject, Signal

from core import ActionTracker
from core.session import TrackerState
from core.undo import Change, UndoHistory


class UserSession(QObject):
    """Holds the tracker that the user's entries, loaded files and autosave go into.

    Everything that works on the user's session reads ``tracker`` here when it acts, so
    opening another session is one assignment, seen by all. The user's own changes (an
    add, a whole file, a deletion) go through here, so that *Undo* can take them back.

    Signals
    -------
    changed(object)
        The new ``ActionTracker`` after ``set_tracker`` replaced the old one.
    edited()
        The undo history changed: a change made through here, an undo, or forgetting.
    """

    changed = Signal(object)
    edited = Signal()

    def __init__(self, tracker: ActionTracker) -> None:
        super().__init__()
        self._tracker = tracker
        self._history = UndoHistory(tracker)

    @property
    def tracker(self) -> ActionTracker:
        return self._tracker

    @property
    def next_undo(self) -> Change | None:
        """The change that ``undo`` would take back, or None."""
        return self._history.next_undo

    def set_tracker(self, tracker: ActionTracker) -> None:
        if tracker is not self._tracker:
            self._tracker = tracker
            self._history = UndoHistory(tracker)
            self.changed.emit(tracker)
            self.edited.emit()

    def add_action(self, payload: str | bytes) -> str:
        """Add one payload, undoably; returns the action's name. Raises as
        ``ActionTracker.add_action`` does."""
        name = self._history.add_action(payload)
        self.edited.emit()
        return name

    def merge(self, staged: TrackerState, description: str) -> None:
        """Add a whole loaded file's records at once, undoably."""
        self._history.merge(staged, description)
        self.edited.emit()

    def remove(self, names: Collection[str]) -> None:
        """Delete the actions ``names``, undoably."""
        self._history.remove(names, f"delete {len(names):,} action{'s' * (len(names) != 1)}")
        self.edited.emit()

    def undo(self) -> Change | None:
        """Take back the newest change (None when there is none); raises
        ``core.undo.UndoError`` when that is no longer possible."""
        try:
            return self._history.undo()
        finally:
            self.edited.emit()

    def forget_history(self) -> None:
        """Nothing before now can be undone (after a reset)."""
        self._history.clear()
        self.edited.emit()


def freeze_long_lived() -> None:
    """Move every object alive now (an opened session's aggregates above all) out of
    the collector's reach: they live as long as the window, and a full collection would
    otherwise scan them all, pausing the GUI thread (``bench/gc_pause.py``). Collected
    first, so no garbage is frozen with them. ``gui/app.py`` does the same at start."""
    gc.collect()
    gc.freeze()
