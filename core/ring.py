"""Per-second aggregates of one action's recent times, for windows of time.

A ``SecondRing`` keeps, for each of the last ``RING_SECONDS`` seconds that had times,
their count, exact sum, min, max and variance terms, and (for the "running" strategy)
their sketch bucket counts. Every figure merges exactly, so a window's count, mean, min
and max are exact, and its percentiles are the sketch's over exactly the window's times.

Rows live in one float64 table (8 numbers a second), the sums in a list of ints, the
bucket counts in one matrix whose integer type widens only when a count needs it: a
busy action's five minutes stay within tens of KiB (bench/windows.py measures it).
Rows are only appended or, for the newest second, added to; a new second drops the
rows that fell out of the longest window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from core.exactsum import MAX_EXACT_INT, Number
from core.moments import Moments, combined_terms
from core.sketch import MAX_BINS, LogSketch, bucket_counts
from core.strategy import Distribution

RING_SECONDS = 300
"""The longest window, in seconds: rows older than this behind the newest are dropped."""
_SLACK = 30  # rows allocated past RING_SECONDS, so compaction happens every 30 new seconds

# Columns of the table.
_SECOND, _COUNT, _MIN, _MAX, _INTS, _EXP, _MEAN, _M2 = range(8)
_COLUMNS = 8
_MIN_IS_INT, _MAX_IS_INT = 1, 2  # bits of the _INTS column: min/max were given as ints
_COUNT_TYPES = (np.uint8, np.uint16, np.uint32, np.int64)


class SecondRing:
    """The per-second aggregates of one action in one stripe (``buckets``: with sketch
    bucket counts). Changed under the stripe's lock; readers copy rows under it."""

    __slots__ = ("buckets", "exotic", "folded", "offset", "shift", "start", "sums", "table")

    def __init__(self, buckets: bool) -> None:
        self.table: npt.NDArray[np.float64] = np.zeros((0, _COLUMNS))
        self.start = 0  # rows before it fell out of the ring
        self.sums: list[int] = []
        """Each row's exact sum times 2**1074, shifted right by ``shift`` bits (all of
        them zero): a sum of ordinary times takes a few bytes, not 140."""
        self.shift = 2 * 1074
        self.buckets: npt.NDArray[np.integer] | None = (
            np.zeros((0, 1), dtype=np.uint8) if buckets else None
        )
        """Column 0 counts zeros, column i the sketch bucket ``offset + i - 1``."""
        self.offset = 0
        self.folded = False
        self.exotic: dict[int, tuple[Number, Number]] = {}
        """Min and max of the seconds where one is an int beyond 2**53 (float64 would
        round it), by second."""

    @property
    def end(self) -> int:
        return len(self.sums)

    @property
    def nbytes(self) -> int:
        """Bytes held: the table, the bucket matrix and the sums (ints and list)."""
        held = int(self.table.nbytes) + 8 * len(self.sums)
        held += sum(value.__sizeof__() for value in self.sums[self.start :])
        if self.buckets is not None:
            held += int(self.buckets.nbytes)
        return held

    @property
    def newest(self) -> int | None:
        """The newest second with times, or None."""
        return int(self.table[self.end - 1, _SECOND]) if self.end > self.start else None

    def fold(self, second: int, batch: Moments, array: npt.NDArray[np.float64]) -> None:
        """Add a batch (its ``Moments`` and the times as float64) to ``second``'s row."""
        row = self._row(second)
        self._add_moments(row, batch)
        if self.buckets is not None:
            zeros, low, counts = bucket_counts(array)
            self._add_buckets(row, zeros, low, counts)

    def fold_aggregate(self, second: int, moments: Moments, kept: Distribution | None) -> None:
        """Add already aggregated times (a merged state) to ``second``'s row; ``kept``,
        their distribution, gives the bucket counts when this ring keeps them (a sketch).
        """
        if not moments.count:
            return
        row = self._row(second)
        self._add_moments(row, moments)
        if self.buckets is not None:
            if not isinstance(kept, LogSketch):
                raise TypeError("a ring with buckets needs the times' sketch")
            self._add_buckets(row, kept.zeros, kept.offset, kept.bins)
            self.folded |= kept.folded

    def since(self, first: int) -> RingRows | None:
        """A private copy of the rows from second ``first`` on, or None when there are
        none (caller holds the stripe lock)."""
        seconds = self.table[self.start : self.end, _SECOND]
        begin = self.start + int(np.searchsorted(seconds, first, side="left"))
        if begin >= self.end:
            return None
        return self._rows(begin)

    def all_rows(self) -> RingRows | None:
        """Every row kept, as ``since`` copies them."""
        return self._rows(self.start) if self.end > self.start else None

    def _rows(self, begin: int) -> RingRows:
        end = self.end
        table = self.table[begin:end].copy()
        exotic = {}
        if self.exotic:
            wanted = set(table[:, _SECOND].astype(np.int64).tolist())
            exotic = {second: pair for second, pair in self.exotic.items() if second in wanted}
        buckets = None if self.buckets is None else self.buckets[begin:end].copy()
        return RingRows(
            table, self.sums[begin:end], self.shift, buckets, self.offset, self.folded, exotic
        )

    def copy(self) -> SecondRing:
        """A ring holding the same rows, sharing nothing that changes."""
        rows = self.all_rows()
        clone = SecondRing(self.buckets is not None)
        if rows is not None:
            clone.load(rows)
        return clone

    def load(self, rows: RingRows) -> None:
        """Take ``rows`` as this (empty) ring's rows."""
        self.table = rows.table.copy()
        self.sums = list(rows.sums)
        self.shift = rows.shift
        self.start = 0
        self.exotic = dict(rows.exotic)
        self.folded = rows.folded
        if self.buckets is not None and rows.buckets is not None:
            self.buckets = rows.buckets.copy()
            self.offset = rows.offset

    @classmethod
    def merged(cls, rings: Iterable[SecondRing], buckets: bool) -> SecondRing:
        """One ring holding every second of ``rings``, the rows of equal seconds merged;
        seconds too old for the newest are dropped."""
        parts = [rows for ring in rings if (rows := ring.all_rows()) is not None]
        result = cls(buckets)
        for second in sorted({s for rows in parts for s in rows.seconds()}):
            for rows in parts:
                index = rows.index_of(second)
                if index is not None:
                    result.fold_aggregate(second, rows.moments(index), rows.sketch(index))
        return result

    # --- inside ----------------------------------------------------------------------

    def _row(self, second: int) -> int:
        """The row of ``second``, appended when new. A second older than the newest row
        (the clock went back) is counted in the newest: rows only go forward."""
        end = self.end
        if end > self.start and second <= self.table[end - 1, _SECOND]:
            return end - 1
        oldest = second - RING_SECONDS + 1
        seconds = self.table[self.start : end, _SECOND]
        self.start += int(np.searchsorted(seconds, oldest, side="left"))
        if self.exotic:
            self.exotic = {s: pair for s, pair in self.exotic.items() if s >= oldest}
        if end == len(self.table):
            self._compact()
            end = self.end
        self.table[end] = 0.0
        self.table[end, _SECOND] = second
        if self.buckets is not None:
            self.buckets[end] = 0
        self.sums.append(0)
        return end

    def _compact(self) -> None:
        """Move the kept rows to the front of new arrays with room for more."""
        start, end = self.start, self.end
        live = end - start
        capacity = max(min(max(4, 2 * live), RING_SECONDS + _SLACK), live + 1)
        table = np.zeros((capacity, _COLUMNS))
        table[:live] = self.table[start:end]
        self.table = table
        self.sums = self.sums[start:end]
        if self.buckets is not None:
            buckets = np.zeros((capacity, self.buckets.shape[1]), dtype=self.buckets.dtype)
            buckets[:live] = self.buckets[start:end]
            self.buckets = buckets
        self.start = 0

    def _add_moments(self, row: int, batch: Moments) -> None:
        line = self.table[row]
        low, high = batch.minimum, batch.maximum
        second = int(line[_SECOND])
        if line[_COUNT]:
            old_low, old_high = _extremes_of(line, self.exotic.get(second))
            low, high = min(old_low, low), max(old_high, high)
            exp, mean, m2 = combined_terms(
                (int(line[_COUNT]), int(line[_EXP]), float(line[_MEAN]), float(line[_M2])),
                (batch.count, batch.scale_exp, batch.scaled_mean, batch.scaled_m2),
            )
        else:
            exp, mean, m2 = batch.scale_exp, batch.scaled_mean, batch.scaled_m2
        line[_COUNT] += batch.count
        line[_MIN], line[_MAX] = low, high
        line[_INTS] = (_MIN_IS_INT if type(low) is int else 0) | (
            _MAX_IS_INT if type(high) is int else 0
        )
        line[_EXP], line[_MEAN], line[_M2] = exp, mean, m2
        if (type(low) is int and low > MAX_EXACT_INT) or (
            type(high) is int and high > MAX_EXACT_INT
        ):
            self.exotic[second] = (low, high)
        else:
            self.exotic.pop(second, None)
        total = batch.total_scaled
        if total:
            zeros = (total & -total).bit_length() - 1
            if zeros < self.shift:  # finer than every sum so far: widen them all
                widen = self.shift - zeros
                self.sums = [value << widen for value in self.sums]
                self.shift = zeros
            self.sums[row] += total >> self.shift

    def _add_buckets(self, row: int, zeros: int, low: int, counts: npt.NDArray[np.integer]) -> None:
        buckets = self.buckets
        assert buckets is not None
        if len(counts):
            width = buckets.shape[1] - 1
            if width == 0:
                begin, end = low, low + len(counts)
            else:
                begin = min(self.offset, low)
                end = max(self.offset + width, low + len(counts))
            if end - begin > MAX_BINS:
                begin = end - MAX_BINS
                self.folded = True
            if begin != self.offset or end - begin != width:
                # Folding columns together may pass a narrow type's range: widen it then.
                kind = buckets.dtype if begin <= self.offset or not width else np.int64
                grown = np.zeros((len(buckets), end - begin + 1), dtype=kind)
                grown[:, 0] = buckets[:, 0]
                if width:
                    _fold_columns(grown, begin, buckets[:, 1:], self.offset)
                buckets, self.buckets, self.offset = grown, grown, begin
        line = buckets[row].astype(np.int64)
        line[0] += zeros
        if len(counts):
            skip = self.offset - low
            if skip > 0:  # below the kept range: folded into its lowest bucket
                line[1] += int(counts[:skip].sum())
                counts, low = counts[skip:], self.offset
            first = low - self.offset + 1
            line[first : first + len(counts)] += counts
        if int(line.max()) > np.iinfo(buckets.dtype).max:
            wider = next(t for t in _COUNT_TYPES if np.iinfo(t).max >= int(line.max()))
            buckets = buckets.astype(wider)
            self.buckets = buckets
        buckets[row] = line


def _fold_columns(
    target: npt.NDArray[np.integer], target_offset: int, columns: npt.NDArray[np.integer], low: int
) -> None:
    """Add bucket ``columns`` (first bucket ``low``) into ``target``'s bucket columns
    (from column 1, first bucket ``target_offset``); lower ones land in the lowest."""
    skip = target_offset - low
    if skip > 0:
        target[:, 1] += columns[:, :skip].sum(axis=1, dtype=np.int64).astype(target.dtype)
        columns, low = columns[:, skip:], target_offset
    first = low - target_offset + 1
    target[:, first : first + columns.shape[1]] += columns


def _extremes_of(
    line: npt.NDArray[np.float64], exotic: tuple[Number, Number] | None
) -> tuple[Number, Number]:
    """A row's min and max as they were given (int or float)."""
    if exotic is not None:
        return exotic
    kinds = int(line[_INTS])
    low: Number = float(line[_MIN])
    high: Number = float(line[_MAX])
    if kinds & _MIN_IS_INT:
        low = int(low)
    if kinds & _MAX_IS_INT:
        high = int(high)
    return low, high


@dataclass(frozen=True, slots=True)
class RingRows:
    """A private copy of consecutive rows of a ring (a window's part in one stripe)."""

    table: npt.NDArray[np.float64]
    sums: list[int]
    shift: int
    buckets: npt.NDArray[np.integer] | None
    offset: int
    folded: bool
    exotic: dict[int, tuple[Number, Number]]

    @property
    def count(self) -> int:
        return int(self.table[:, _COUNT].sum())

    def seconds(self) -> list[int]:
        return [int(second) for second in self.table[:, _SECOND].tolist()]

    def index_of(self, second: int) -> int | None:
        index = int(np.searchsorted(self.table[:, _SECOND], second))
        return index if index < len(self.table) and self.table[index, _SECOND] == second else None

    def moments(self, index: int | None = None) -> Moments:
        """The ``Moments`` of every row together (or of row ``index`` alone)."""
        table = self.table if index is None else self.table[index : index + 1]
        sums = self.sums if index is None else self.sums[index : index + 1]
        exotic = self.exotic
        lows: list[Number] = []
        highs: list[Number] = []
        for line in table if exotic or len(table) == 1 else ():
            low, high = _extremes_of(line, exotic.get(int(line[_SECOND])))
            lows.append(low)
            highs.append(high)
        if not lows:  # no exotic ints: the float columns order them exactly
            low_row = table[int(np.argmin(table[:, _MIN]))]
            high_row = table[int(np.argmax(table[:, _MAX]))]
            lows.append(_extremes_of(low_row, None)[0])
            highs.append(_extremes_of(high_row, None)[1])
        counts = table[:, _COUNT]
        exps = table[:, _EXP]
        scale = int(exps.max())
        shifts = (exps - scale).astype(np.int64)
        means = np.ldexp(table[:, _MEAN], shifts)
        m2s = np.ldexp(table[:, _M2], 2 * shifts)
        count = int(counts.sum())
        mean = float(np.dot(counts, means)) / count
        deviations = means - mean
        m2 = float(m2s.sum()) + float(np.dot(counts, deviations * deviations))
        return Moments(
            count=count,
            total_scaled=sum(sums) << self.shift,
            minimum=min(lows),
            maximum=max(highs),
            scale_exp=scale,
            scaled_mean=mean,
            scaled_m2=max(m2, 0.0),
        )

    def distribution(self, latest: Distribution) -> Distribution:
        """The distribution of these rows' times, given ``latest``, the times as the
        action's distribution keeps them (``Distribution.latest``): itself, or for a
        ring with buckets a sketch of the rows' counts with ``latest``'s exact values."""
        sketch = self.sketch()
        if sketch is None:
            return latest
        if not isinstance(latest, LogSketch):
            raise TypeError(f"a ring with buckets goes with a sketch, not {type(latest).__name__}")
        sketch.exact = latest.exact
        return sketch

    def sketch(self, index: int | None = None) -> LogSketch | None:
        """The bucket counts of every row together (or of row ``index``), as a sketch
        without exact values; None for a ring without buckets."""
        if self.buckets is None:
            return None
        rows = self.buckets if index is None else self.buckets[index : index + 1]
        counts = rows.sum(axis=0, dtype=np.int64)
        sketch = LogSketch()
        sketch.zeros = int(counts[0])
        filled = np.flatnonzero(counts[1:])
        if len(filled):
            first, last = int(filled[0]), int(filled[-1])
            sketch.bins = counts[1 + first : 2 + last].copy()
            sketch.offset = self.offset + first
        sketch.folded = self.folded
        sketch.exact = None
        return sketch


def window_start(now: float, window: int) -> int:
    """The first second of a ``window``-second window at clock ``now``: the window holds
    the current second and the ``window - 1`` before it."""
    return math.floor(now) - window + 1


def merged_in_time_order(
    parts: list[tuple[Distribution, SecondRing]], buckets: bool
) -> tuple[Distribution, SecondRing]:
    """One distribution and one ring holding every part's times, the kept times put in
    the order of their seconds, so that a window's times are still the last ones kept
    (the parts' older times, which no ring row holds any more, first)."""
    first, *others = (distribution for distribution, _ in parts)
    if not others:
        return first, parts[0][1].copy()
    merged = first.merged_with(others)
    ring = SecondRing.merged((part_ring for _, part_ring in parts), buckets)
    if merged.kept() is None:
        return merged, ring
    older: list[npt.NDArray[np.float64]] = []
    recent: list[npt.NDArray[np.float64]] = []
    seconds: list[npt.NDArray[np.float64]] = []
    for distribution, part_ring in parts:
        values = distribution.kept()
        assert values is not None  # the merged distribution keeps them only if all do
        rows = part_ring.all_rows()
        count = rows.count if rows is not None else 0
        older.append(values[: len(values) - count])
        recent.append(values[len(values) - count :])
        if rows is not None:
            repeats = rows.table[:, _COUNT].astype(np.int64)
            seconds.append(np.repeat(rows.table[:, _SECOND], repeats))
    order = np.argsort(np.concatenate(seconds), kind="stable") if seconds else None
    latest = np.concatenate(recent)
    ordered = np.concatenate([*older, latest[order] if order is not None else latest])
    return merged.with_kept(ordered), ring
