"""What the averages and percentiles charts draw for one session: each frequent action's
average over time, and the p50/p90/p99 of the frequent and the selected actions, as the
snapshots shown in the table gave them (plain Python, no Qt)."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
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


@dataclass(frozen=True)
class PercentileSteps:
    """One action's p50, p90 and p99 as steps over ``edges``, as ``Steps`` holds means."""

    edges: tuple[float, ...]
    p50: tuple[float, ...]
    p90: tuple[float, ...]
    p99: tuple[float, ...]


_Percentiles = tuple[deque[float], deque[float], deque[float], deque[float]]


class AverageHistory:
    """The averages of one session's most frequent actions over time.

    Fed every snapshot the table shows, it draws, after any of them, exactly the table's
    averages: an action that leaves the snapshot (a reset, a removal) leaves the chart,
    and a reset starts the time axis again. Each action keeps only the moments its
    average changed, since an average changes in one step when an action is added.
    The percentiles are kept the same way for the frequent actions and the ``watched``
    ones (those selected in the table), so a frequent action's come with their past.
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
        self._snapshot: Snapshot | None = None
        self._watched: tuple[str, ...] = ()
        # Per action: when its percentiles changed, and to what (times, p50, p90, p99).
        self._percentiles: dict[str, _Percentiles] = {}
        self._changes = 0

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
        last = self._snapshot
        if (
            last is not None
            and snapshot.version == self._version
            and snapshot.resets == self._resets
            # A windowed snapshot changes with no add, as old adds leave the window.
            and (snapshot.window is None or snapshot.actions == last.actions)
        ):
            return
        self._version = snapshot.version
        self._snapshot = snapshot
        self._changes += 1
        if snapshot.resets != self._resets:
            if self._resets is not None:  # the samples drawn so far are gone
                self.origin = now
            self._resets = snapshot.resets
            self._series.clear()
            self._percentiles.clear()
        seconds = max(0.0, now - self.origin)
        frequent = sorted(snapshot.actions, key=lambda stats: -stats.count)[:MAX_LINES]
        drawn = {stats.action for stats in frequent}
        self._shown = tuple(stats.action for stats in snapshot.actions if stats.action in drawn)
        for name in [name for name in self._series if name not in drawn]:
            del self._series[name]
        self._record_percentiles(seconds, snapshot, drawn)
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

    @property
    def changes(self) -> int:
        """Grows whenever what the history holds may have changed (a snapshot, a watch)."""
        return self._changes

    @property
    def watched(self) -> tuple[str, ...]:
        return self._watched

    def watch(self, names: Collection[str]) -> None:
        """Keep the percentiles of ``names`` (the selected actions) from now on, besides
        the frequent ones'; those not kept yet start at the latest snapshot's figures."""
        self._watched = tuple(names)
        self._changes += 1
        if self._snapshot is not None:
            drawn = set(self._shown)
            self._record_percentiles(self._latest, self._snapshot, drawn)

    def percentile_steps(self, name: str) -> PercentileSteps | None:
        """The p50/p90/p99 steps of ``name``; None when it is neither frequent nor
        watched, or not in the latest snapshot."""
        series = self._percentiles.get(name)
        if series is None:
            return None
        times, p50, p90, p99 = series
        return PercentileSteps((*times, self._latest), tuple(p50), tuple(p90), tuple(p99))

    def _record_percentiles(self, seconds: float, snapshot: Snapshot, drawn: set[str]) -> None:
        kept = drawn | set(self._watched)
        for name in [name for name in self._percentiles if name not in kept]:
            del self._percentiles[name]
        for stats in snapshot.actions:
            if stats.action not in kept:
                continue
            figures = (float(stats.p50), float(stats.p90), float(stats.p99))
            series = self._percentiles.get(stats.action)
            if series is None:
                series = self._percentiles[stats.action] = (
                    deque(maxlen=HISTORY),
                    deque(maxlen=HISTORY),
                    deque(maxlen=HISTORY),
                    deque(maxlen=HISTORY),
                )
            times, p50, p90, p99 = series
            if not times or (p50[-1], p90[-1], p99[-1]) != figures:
                times.append(seconds)
                p50.append(figures[0])
                p90.append(figures[1])
                p99.append(figures[2])
        gone = {stats.action for stats in snapshot.actions}
        for name in [name for name in self._percentiles if name not in gone]:
            del self._percentiles[name]
