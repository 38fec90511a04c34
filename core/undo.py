"""Taking changes back: an undo history over one ``ActionTracker``.

Each change made through the history (one add, a whole file, a deletion) keeps the state
of the actions it touched, as ``capture`` took it just before, and the counts it left
them with. Undo puts that state back with ``restore``, but only while those actions
still hold exactly those counts: when something else (a live source, another thread)
added to them meanwhile, putting the old state back would silently drop those times, so
undo refuses and says so. The tracker's hot path is untouched: the history captures one
action's state before a single add, never more than what a change touches.

A history is meant for one thread (the window's): its list is not locked.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from core.session import TrackerState
from core.tracker import ActionTracker
from core.validation import parse_payload

UNDO_LIMIT = 100
"""Changes kept for undo; older ones are forgotten (a loaded file's state can be large)."""


class UndoError(ValueError):
    """Undo is not possible; the message says why, in the user's words."""


@dataclass(frozen=True, slots=True)
class Change:
    """One change that can be taken back: what it was (``description``, e.g. "add
    jump: 5"), the state of the actions it touched before it, and their counts after."""

    description: str
    before: TrackerState
    names: frozenset[str]
    counts_after: dict[str, int]


class UndoHistory:
    """The changes made to ``tracker`` through this object, newest last."""

    def __init__(self, tracker: ActionTracker, limit: int = UNDO_LIMIT) -> None:
        self.tracker = tracker
        self._limit = limit
        self._changes: list[Change] = []

    @property
    def next_undo(self) -> Change | None:
        """The change that ``undo`` would take back, or None."""
        return self._changes[-1] if self._changes else None

    def add_action(self, payload: str | bytes, description: str | None = None) -> str:
        """``tracker.add_action(payload)``, recorded; returns the action's name. Raises
        as ``add_action`` does, recording nothing then."""
        name, time = parse_payload(payload)
        before = self.tracker.capture([name])
        self.tracker.add_action(payload)
        self._record(description or f"add {name}: {time}", before, {name: 1})
        return name

    def merge(self, staged: TrackerState, description: str) -> None:
        """``tracker.merge(staged)``, recorded as one change (a whole file)."""
        names = [action.name for action in staged.actions]
        before = self.tracker.capture(names)
        self.tracker.merge(staged)
        self._record(description, before, {a.name: a.moments.count for a in staged.actions})

    def remove(self, names: Collection[str], description: str | None = None) -> None:
        """``tracker.remove(names)``, recorded."""
        before = self.tracker.capture(names)
        self.tracker.remove(names)
        held = {action.name for action in before.actions}
        counts_after = dict.fromkeys(names, 0)
        self._record(
            description or f"delete {len(held):,} actions", before, counts_after, added=False
        )

    def undo(self) -> Change | None:
        """Take back the newest change; returns it, or None when there is none. Raises
        ``UndoError`` (and forgets every change) when its actions changed since."""
        if not self._changes:
            return None
        change = self._changes.pop()
        now = {
            action.name: action.moments.count
            for action in self.tracker.capture(change.names).actions
        }
        if any(now.get(name, 0) != count for name, count in change.counts_after.items()):
            self._changes.clear()
            raise UndoError(
                f"cannot undo {change.description}: its actions changed since (times were "
                "added to them from elsewhere), and undoing would lose those times too"
            )
        self.tracker.restore(change.before, change.names)
        return change

    def clear(self) -> None:
        """Forget every change (after a reset, say)."""
        self._changes.clear()

    def _record(
        self,
        description: str,
        before: TrackerState,
        counts: dict[str, int],
        added: bool = True,
    ) -> None:
        if added:  # counts are what the change added: after = before + added
            held = {action.name: action.moments.count for action in before.actions}
            counts = {name: held.get(name, 0) + count for name, count in counts.items()}
        names = frozenset(counts) | {action.name for action in before.actions}
        self._changes.append(Change(description, before, names, counts))
        del self._changes[: -self._limit]
