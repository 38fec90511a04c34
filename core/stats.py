"""Immutable results handed to callers: one ``ActionStats`` per action in a ``Snapshot``."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.exactsum import Number
from core.sketch import Accuracy
from core.strategy import Strategy


@dataclass(frozen=True, slots=True)
class ActionStats:
    """Figures of one action, all describing the same set of samples."""

    action: str
    count: int
    mean: Number
    min: Number
    max: Number
    stdev: float
    p50: Number
    p90: Number
    p99: Number
    percentile_accuracy: Accuracy = "exact"
    """"exact"; "approximate" (the sketch's 1%, past EXACT_LIMIT times of "running"); or
    "folded" (a range beyond 6.2e17 : 1 folded the sketch's low buckets: the low
    percentiles read high by more than 1%)."""
    total: Number = 0
    """The sum of the times, exact as long as a double holds it (correctly rounded past
    2**53, ``inf`` past the double range): what Prometheus calls ``_sum``."""
    rate: float = field(default=0.0, compare=False)
    """Times added per second: over the snapshot's window, or since the action's first
    time for an all-time snapshot (see ``ActionTracker.snapshot``). It changes as time
    passes with no add, so it is not compared: equal figures of the same samples are
    equal, whenever taken (a viewer showing rates compares them itself)."""

    @property
    def percentiles_exact(self) -> bool:
        """Whether p50, p90 and p99 are the true figures, not estimates."""
        return self.percentile_accuracy == "exact"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A consistent view of a tracker; ``version`` grows with every change, so a reader
    can skip work when it has not moved."""

    version: int
    actions: tuple[ActionStats, ...]
    strategy: Strategy = "running"
    resets: int = field(default=0, compare=False)
    """Changes when, and only when, the tracker is reset or actions are removed or
    restored (``remove``, ``restore``: undo), so that a viewer knows when rows it shows
    describe samples that are gone. Not compared: equal figures are equal
    snapshots, whatever the tracker's history."""
    window: int | None = None
    """The seconds the figures cover (``snapshot(window=...)``), or None for all time.
    Windowed figures and every ``rate`` change as time passes without any add, so
    ``version`` alone does not tell a poller when to ask again: ask at least once a
    second while showing them."""
    total_count: int = field(init=False, repr=False, compare=False)
    """Samples across all actions; summed once, as windows read it on every refresh."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "total_count", sum(stats.count for stats in self.actions))

    def get(self, action: str) -> ActionStats | None:
        """The figures for ``action``, or None if it has no samples."""
        for stats in self.actions:
            if stats.action == action:
                return stats
        return None
