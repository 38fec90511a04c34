"""What the averages chart draws for one session: each frequent action's average over
time, as the snapshots shown in the table gave it (plain Python, no Qt)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from core import ActionTracker, Snapshot

HISTORY = 1200
"""Changes of average kept per action; older ones are dropped first."""
MAX_LINES = 8
"""Actions drawn: the most frequent ones."""


@dataclass(frozen=True)
class Steps:
    """One action's average as steps: ``means[i]`` holds from ``edges[i]`` to
    ``edges[i + 1]`` (seconds since the history began), and the last one up to the
    latest snapshot, so ``edges`` has one more item than ``means``."""

    edges: tuple[float, ...]
    means: tuple[float, ...]


class AverageHistory:
    """The averages of one session's most frequent actions over time.

    Fed every snapshot the table shows, it draws, after any of them, exactly the table's
    averages: an action that leaves the snapshot (a reset, a removal) leaves the chart,
    and a reset starts the time axis again. Each action keeps only the moments its
    average changed, since an average changes in one step when an action is added.
    """

    def __init__(self, tracker: ActionTracker | None, origin: float) -> None:
        self.tracker = tracker
        """The tracker whose snapshots this history holds (None: not tied to one)."""
        self.origin = origin
        """The monotonic time at the start of the time axis."""
        self._resets: int | None = None
        self._version: int | None = None
        # Per action: when its average changed, and to what (kept apart, so drawing
        # copies each in one call).
        self._series: dict[str, tuple[deque[float], deque[float]]] = {}
        self._shown: tuple[str, ...] = ()
        self._latest = 0.0

    @property
    def names(self) -> tuple[str, ...]:
        """The actions drawn, in the table's first-seen order."""
        return self._shown

    @property
    def latest(self) -> float:
        """Seconds from ``origin`` to the latest snapshot."""
        return self._latest

    def add(self, now: float, snapshot: Snapshot) -> None:
        """Record ``snapshot``, shown at monotonic time ``now``. A snapshot with nothing
        new (the same tracker shown again after a tab switch) leaves the history as it
        is, so a finished run's curves keep ending where the run ended."""
        if snapshot.version == self._version and snapshot.resets == self._resets:
            return
        self._version = snapshot.version
        if snapshot.resets != self._resets:
            if self._resets is not None:  # the samples drawn so far are gone
                self.origin = now
            self._resets = snapshot.resets
            self._series.clear()
        seconds = max(0.0, now - self.origin)
        frequent = sorted(snapshot.actions, key=lambda stats: -stats.count)[:MAX_LINES]
        drawn = {stats.action for stats in frequent}
        self._shown = tuple(stats.action for stats in snapshot.actions if stats.action in drawn)
        for name in [name for name in self._series if name not in drawn]:
            del self._series[name]
        for stats in frequent:
            mean = float(stats.mean)
            series = self._series.get(stats.action)
            if series is None:
                series = self._series[stats.action] = (deque(maxlen=HISTORY), deque(maxlen=HISTORY))
            times, means = series
            if not means or means[-1] != mean:
                times.append(seconds)
                means.append(mean)
        self._latest = seconds

    def steps(self, name: str) -> Steps:
        """The drawn steps of ``name`` (one of ``names``)."""
        times, means = self._series[name]
        return Steps((*times, self._latest), tuple(means))
