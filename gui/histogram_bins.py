"""The distribution view's bins, in plain Python and numpy (no Qt): where the edges go,
and the counts per bin from the tracker's cumulative counts. Run on the poller's thread."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core import ActionTracker, Snapshot
from gui.plot_scale import nice_ceiling

BINS = 40
"""Bins of a histogram: enough to show a shape, few enough to read each bar."""
LOG_RATIO = 1000.0
"""Times spread over this ratio (largest / smallest) or more get log-spaced bins: over
three decades, linear bins put nearly all samples of a skewed distribution (latencies,
lognormal) in the first few. Below it linear bins read better: a normal distribution of
many samples has a rare outlier a hundred times below its mean."""
MAX_SHOWN = 6
"""Actions overlaid at once: beyond that the bars hide one another."""


@dataclass(frozen=True)
class Histograms:
    """The selected actions' bins for one snapshot.

    ``edges`` are the bins' bounds, ascending; bin ``i`` holds the times ``t`` with
    ``edges[i] < t <= edges[i + 1]`` (as Prometheus's ``le`` buckets), the first one
    ``edges[0]`` itself too. ``counts`` has, per action in table order, one count per bin.
    """

    edges: tuple[float, ...]
    log: bool
    counts: dict[str, tuple[int, ...]]
    window: int | None


def bin_edges(low: float, high: float, bins: int = BINS) -> tuple[tuple[float, ...], bool]:
    """Edges of about ``bins`` bins (at most) covering ``low`` to ``high`` (the selected
    actions' min and max), and whether they are log-spaced (when ``high / low >=
    LOG_RATIO``). The edges are round numbers (1, 2 or 5 times a power of ten apart;
    log-spaced ones a whole fraction of a decade apart), so they stay put while the
    extremes drift, and the axis and its bins read well."""
    if not high > low:  # one value (or none): one bar around it
        half = abs(low) / 2 or 0.5
        return tuple(np.linspace(low - half, low + half, bins + 1).tolist()), False
    if low > 0 and high / low >= LOG_RATIO:
        first, last = math.log10(low), math.log10(high)
        # Less two bins, which rounding out to whole fractions of a decade may add.
        per_decade = max(1, (bins - 2) // math.ceil(last - first))
        steps = np.arange(math.floor(first * per_decade), math.ceil(last * per_decade) + 1)
        with np.errstate(over="ignore"):
            edges = 10.0 ** (steps / per_decade)
        edges[0], edges[-1] = min(edges[0], low), max(edges[-1], high)
        if not np.isfinite(edges[-1]):  # a decade beyond the largest double
            edges[-1] = high
        return tuple(edges.tolist()), True
    step = nice_ceiling((high - low) / (bins - 1))  # one less: the start rounds down
    start = math.floor(low / step) * step
    count = max(1, math.ceil((high - start) / step))
    with np.errstate(over="ignore"):
        linear = start + step * np.arange(count + 1, dtype=np.float64)
    if not np.all(np.isfinite(linear)) or linear[-1] < high:  # at the double range's end
        linear = np.linspace(low / 2, high / 2, bins + 1) * 2
        linear[0], linear[-1] = low, high
    return tuple(linear.tolist()), False


def bins_from_cumulative(cumulative: Sequence[int]) -> tuple[int, ...]:
    """Counts per bin from counts of times <= each edge: the first bin takes the times at
    the lowest edge (the minimum) as well, so every time from min to max is counted."""
    counts = np.diff(np.asarray(cumulative, dtype=np.int64))
    if len(counts):
        counts[0] += cumulative[0]
    return tuple(int(count) for count in counts)


def histograms_for(
    tracker: ActionTracker, snapshot: Snapshot, actions: Sequence[str]
) -> Histograms | None:
    """The bins of ``actions`` (those of them in ``snapshot``, the first MAX_SHOWN in its
    order) over the snapshot's window; None when none of them is in it."""
    wanted = set(actions)
    shown = [stats for stats in snapshot.actions if stats.action in wanted][:MAX_SHOWN]
    if not shown:
        return None
    low = float(min(stats.min for stats in shown))
    high = float(max(stats.max for stats in shown))
    edges, log = bin_edges(low, high)
    names = [stats.action for stats in shown]
    if snapshot.window is None:
        cumulative = tracker.histograms(edges, names)
    else:
        cumulative = tracker.histograms(edges, names, window=snapshot.window)
    counts = {name: bins_from_cumulative(cumulative[name]) for name in names if name in cumulative}
    return Histograms(edges, log, counts, snapshot.window)
