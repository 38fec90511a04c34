"""Per-second aggregates of one action's recent times, for windows of time.

A ``SecondRing`` keeps, for each of the last ``RING_SECONDS`` seconds that had times,
their count, exact sum, min, max and variance terms, and (for the "running" strategy)
their sketch bucket counts. Every figure merges exactly, so a window's count, mean, min
and max are exact, and its percentiles are the sketch's over exactly the window's times.

The figures live in one float64 table (10 numbers a second, the exact sum among them
as three 30-bit limbs), the bucket counts in one matrix whose integer type widens only
when a count needs it: a busy action's five minutes stay within 64 KiB
(bench/windows.py measures it). Seconds are only appended or, for the newest, added to;
a new second drops those that fell out of the longest window.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from core.exactsum import MAX_EXACT_INT, Number
from core.moments import Moments, combined_terms
from core.sketch import MAX_BINS, Counted, LogSketch, bucket_counts
from core.strategy import Distribution

RING_SECONDS = 300
"""The longest window, in seconds: rows older than this behind the newest are dropped."""
_SLACK = 10  # columns allocated past RING_SECONDS: compaction every 10 new seconds

# The table is figure by second: one row per figure below, one column per second, so
# that each figure of consecutive seconds is contiguous for numpy.
_SECOND, _COUNT, _MIN, _MAX, _KIND, _MEAN, _M2, _SUM0, _SUM1, _SUM2 = range(10)
_FIGURES = 10
RING_FIGURES = _FIGURES
"""Figures kept per second (rows of the table; sessions save it whole)."""
_MIN_IS_INT, _MAX_IS_INT = 1, 2  # _KIND holds scale_exp * 4 + these bits
_LIMB_BITS = 30
_LIMB_MASK = (1 << _LIMB_BITS) - 1
_SUM_BITS = 3 * _LIMB_BITS
"""A second's sum, shifted right by the ring's ``shift``, is kept in three 30-bit limbs
(exact in float64, and so are their sums over 300 seconds) when it fits in 90 bits;
larger ones go to ``big_sums``."""
_COUNT_TYPES = (np.uint8, np.uint16, np.uint32, np.int64)
_COUNT_LIMITS: dict[np.dtype[Any], int] = {
    np.dtype(kind): int(np.iinfo(kind).max) for kind in _COUNT_TYPES
}


class SecondRing:
    """The per-second aggregates of one action in one stripe (``buckets``: with sketch
    bucket counts). Changed under the stripe's lock; readers copy columns under it."""

    __slots__ = (
        "big_sums",
        "buckets",
        "end",
        "exotic",
        "folded",
        "offset",
        "shift",
        "start",
        "table",
    )

    def __init__(self, buckets: bool) -> None:
        self.table: npt.NDArray[np.float64] = np.zeros((_FIGURES, 0))
        self.start = 0  # columns before it fell out of the ring
        self.end = 0  # columns from it on are free
        self.shift = 2 * 1074
        """Every second's exact sum (times 2**1074) has at least this many low zero
        bits; the limbs hold the sums shifted right by it, so they take a few bits."""
        self.big_sums: dict[int, int] = {}
        """Exact sums (times 2**1074) of seconds whose shifted sum passes 90 bits."""
        self.buckets: npt.NDArray[np.integer] | None = (
            np.zeros((0, 1), dtype=np.uint8) if buckets else None
        )
        """Row per second: column 0 counts zeros, column i the bucket ``offset + i - 1``."""
        self.offset = 0
        self.folded = False
        self.exotic: dict[int, tuple[Number, Number]] = {}
        """Min and max of the seconds where one is an int beyond 2**53 (float64 would
        round it), by second."""

    @property
    def nbytes(self) -> int:
        """Bytes held by the table and the bucket matrix (the rare big sums and exotic
        extremes aside)."""
        held = int(self.table.nbytes)
        if self.buckets is not None:
            held += int(self.buckets.nbytes)
        return held

    def fold(
        self,
        second: int,
        batch: Moments,
        array: npt.NDArray[np.float64],
        counted: Counted | None = None,
    ) -> None:
        """Add a batch (its ``Moments``, the times as float64 and, when known, their
        counts by bucket) to ``second``'s column."""
        column = self._column(second)
        self._add_moments(column, batch)
        if self.buckets is not None:
            zeros, low, counts = counted if counted is not None else bucket_counts(array)
            self._add_buckets(column, zeros, low, counts)

    def fold_aggregate(self, second: int, moments: Moments, kept: Distribution | None) -> None:
        """Add already aggregated times (a merged state) to ``second``'s column; ``kept``,
        their distribution, gives the bucket counts when this ring keeps them (a sketch).
        """
        if not moments.count:
            return
        column = self._column(second)
        self._add_moments(column, moments)
        if self.buckets is not None:
            if not isinstance(kept, LogSketch):
                raise TypeError("a ring with buckets needs the times' sketch")
            self._add_buckets(column, kept.zeros, kept.offset, kept.bins)
            self.folded |= kept.folded

    def all_rows(self) -> RingRows | None:
        """A private copy of every second kept, or None when there is none (caller holds
        the stripe lock)."""
        return self._rows(self.start) if self.end > self.start else None

    def _rows(self, begin: int) -> RingRows:
        end = self.end
        table = self.table[:, begin:end].copy()
        exotic: dict[int, tuple[Number, Number]] = {}
        big: dict[int, int] = {}
        if self.exotic or self.big_sums:
            first = int(table[_SECOND, 0])
            exotic = {second: pair for second, pair in self.exotic.items() if second >= first}
            big = {second: total for second, total in self.big_sums.items() if second >= first}
        buckets = None if self.buckets is None else self.buckets[begin:end].copy()
        return RingRows(table, self.shift, big, buckets, self.offset, self.folded, exotic)

    def copy(self) -> SecondRing:
        """A ring holding the same seconds, sharing nothing that changes."""
        rows = self.all_rows()
        clone = SecondRing(self.buckets is not None)
        if rows is not None:
            clone.load(rows)
        return clone

    def load(self, rows: RingRows) -> None:
        """Take ``rows`` as this (empty) ring's seconds."""
        self.table = rows.table.copy()
        self.start, self.end = 0, rows.table.shape[1]
        self.shift = rows.shift
        self.big_sums = dict(rows.big_sums)
        self.exotic = dict(rows.exotic)
        self.folded = rows.folded
        if self.buckets is not None and rows.buckets is not None:
            top = int(rows.buckets.max()) if rows.buckets.size else 0
            narrow = next(t for t in _COUNT_TYPES if np.iinfo(t).max >= top)
            self.buckets = rows.buckets.astype(narrow)
            self.offset = rows.offset

    @classmethod
    def merged(cls, rings: Iterable[SecondRing], buckets: bool) -> SecondRing:
        """One ring holding every second of ``rings``, equal seconds merged; seconds too
        old for the newest are dropped."""
        parts = [rows for ring in rings if (rows := ring.all_rows()) is not None]
        result = cls(buckets)
        if len(parts) == 1:
            result.load(parts[0])
            return result
        joined = _joined(parts) if parts else None
        if joined is not None:
            result.load(joined)
            return result
        for second in sorted({s for rows in parts for s in rows.seconds()}):
            for rows in parts:
                index = rows.index_of(second)
                if index is not None:
                    result.fold_aggregate(second, rows.moments_of(index), rows.sketch(index))
        return result

    # --- inside ----------------------------------------------------------------------

    def _column(self, second: int) -> int:
        """The column of ``second``, added when new. A second older than the newest one
        (the clock went back) is counted in the newest: seconds only go forward."""
        end = self.end
        if end > self.start and second <= self.table[_SECOND, end - 1]:
            return end - 1
        oldest = second - RING_SECONDS + 1
        seconds = self.table[_SECOND, self.start : end]
        self.start += int(np.searchsorted(seconds, oldest, side="left"))
        if self.exotic:
            self.exotic = {s: pair for s, pair in self.exotic.items() if s >= oldest}
        if self.big_sums:
            self.big_sums = {s: total for s, total in self.big_sums.items() if s >= oldest}
        if end == self.table.shape[1]:
            self._compact()
            end = self.end
        self.table[:, end] = 0.0
        self.table[_SECOND, end] = second
        if self.buckets is not None:
            self.buckets[end] = 0
        self.end = end + 1
        return end

    def _compact(self) -> None:
        """Move the kept seconds to the front of new arrays with room for more."""
        start, end = self.start, self.end
        live = end - start
        capacity = max(min(max(4, 2 * live), RING_SECONDS + _SLACK), live + 1)
        table = np.zeros((_FIGURES, capacity))
        table[:, :live] = self.table[:, start:end]
        self.table = table
        if self.buckets is not None:
            buckets = np.zeros((capacity, self.buckets.shape[1]), dtype=self.buckets.dtype)
            buckets[:live] = self.buckets[start:end]
            self.buckets = buckets
        self.start, self.end = 0, live

    def _add_moments(self, column: int, batch: Moments) -> None:
        table = self.table
        low, high = batch.minimum, batch.maximum
        second = int(table[_SECOND, column])
        count = int(table[_COUNT, column])
        if count:
            old_low, old_high = _extremes_of(table[:, column], self.exotic.get(second))
            low, high = min(old_low, low), max(old_high, high)
            exp, mean, m2 = combined_terms(
                (count, _exp_of(table[_KIND, column]), float(table[_MEAN, column]),
                 float(table[_M2, column])),
                (batch.count, batch.scale_exp, batch.scaled_mean, batch.scaled_m2),
            )  # fmt: skip
        else:
            exp, mean, m2 = batch.scale_exp, batch.scaled_mean, batch.scaled_m2
        bits = (_MIN_IS_INT if type(low) is int else 0) | (_MAX_IS_INT if type(high) is int else 0)
        table[_COUNT, column] = count + batch.count
        table[_MIN, column], table[_MAX, column] = low, high
        table[_KIND, column] = exp * 4 + bits
        table[_MEAN, column], table[_M2, column] = mean, m2
        if (type(low) is int and low > MAX_EXACT_INT) or (
            type(high) is int and high > MAX_EXACT_INT
        ):
            self.exotic[second] = (low, high)
        else:
            self.exotic.pop(second, None)
        if batch.total_scaled:
            self._set_sum(column, self._sum_of(column) + batch.total_scaled)

    def _sum_of(self, column: int) -> int:
        """The exact sum (times 2**1074) of ``column``'s second."""
        table = self.table
        big = self.big_sums.get(int(table[_SECOND, column]))
        if big is not None:
            return big
        return (
            _from_limbs(table[_SUM0, column], table[_SUM1, column], table[_SUM2, column])
            << self.shift
        )

    def _set_sum(self, column: int, total: int) -> None:
        zeros = (total & -total).bit_length() - 1
        if zeros < self.shift:  # finer than every sum so far: shift them all
            totals = {c: self._sum_of(c) for c in range(self.start, self.end) if c != column}
            self.shift = zeros
            for other, value in totals.items():
                self._store_sum(other, value)
        self._store_sum(column, total)

    def _store_sum(self, column: int, total: int) -> None:
        second = int(self.table[_SECOND, column])
        shifted = total >> self.shift
        if shifted >> _SUM_BITS:
            self.big_sums[second] = total
            shifted = 0
        else:
            self.big_sums.pop(second, None)
        self.table[_SUM0, column] = shifted & _LIMB_MASK
        self.table[_SUM1, column] = (shifted >> _LIMB_BITS) & _LIMB_MASK
        self.table[_SUM2, column] = shifted >> (2 * _LIMB_BITS)

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
        top = int(line.max())
        if top > _COUNT_LIMITS[buckets.dtype]:
            wider = next(t for t in _COUNT_TYPES if np.iinfo(t).max >= top)
            buckets = buckets.astype(wider)
            self.buckets = buckets
        buckets[row] = line


def _from_limbs(low: float, middle: float, high: float) -> int:
    return (int(high) << (2 * _LIMB_BITS)) + (int(middle) << _LIMB_BITS) + int(low)


def _exp_of(kind: float) -> int:
    return (int(kind) - (int(kind) & 3)) // 4


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
    column: npt.NDArray[np.float64], exotic: tuple[Number, Number] | None
) -> tuple[Number, Number]:
    """A second's min and max as they were given (int or float)."""
    if exotic is not None:
        return exotic
    bits = int(column[_KIND]) & 3
    low: Number = float(column[_MIN])
    high: Number = float(column[_MAX])
    if bits & _MIN_IS_INT:
        low = int(low)
    if bits & _MAX_IS_INT:
        high = int(high)
    return low, high


@dataclass(frozen=True, slots=True)
class RingRows:
    """A private copy of consecutive seconds of a ring (a window's part in one stripe)."""

    table: npt.NDArray[np.float64]
    shift: int
    big_sums: dict[int, int]
    buckets: npt.NDArray[np.integer] | None
    offset: int
    folded: bool
    exotic: dict[int, tuple[Number, Number]]

    @property
    def count(self) -> int:
        return int(self.table[_COUNT].sum())

    def seconds(self) -> list[int]:
        return [int(second) for second in self.table[_SECOND].tolist()]

    def index_of(self, second: int) -> int | None:
        seconds = self.table[_SECOND]
        index = int(np.searchsorted(seconds, second))
        return index if index < len(seconds) and seconds[index] == second else None

    def moments_of(self, index: int) -> Moments:
        """The ``Moments`` of one second."""
        column = self.table[:, index]
        second = int(column[_SECOND])
        low, high = _extremes_of(column, self.exotic.get(second))
        big = self.big_sums.get(second)
        total = (
            big
            if big is not None
            else _from_limbs(column[_SUM0], column[_SUM1], column[_SUM2]) << self.shift
        )
        return Moments(
            int(column[_COUNT]),
            total,
            low,
            high,
            _exp_of(column[_KIND]),
            float(column[_MEAN]),
            float(column[_M2]),
        )

    def extremes(self) -> tuple[Number, Number]:
        """Min and max over these seconds, as given (int or float)."""
        pairs = [
            _extremes_of(self.table[:, index], self.exotic.get(second))
            for index, second in enumerate(self.seconds())
        ]
        return min(low for low, _ in pairs), max(high for _, high in pairs)

    def distribution(self, latest: Distribution) -> Distribution:
        """The distribution of these seconds' times, given ``latest``, the times as the
        action's distribution keeps them (``Distribution.latest``): itself, or for a
        ring with buckets a sketch of the seconds' counts with ``latest``'s exact values."""
        sketch = self.sketch()
        if sketch is None:
            return latest
        if not isinstance(latest, LogSketch):
            raise TypeError(f"a ring with buckets goes with a sketch, not {type(latest).__name__}")
        sketch.exact = latest.exact
        return sketch

    def sketch(self, index: int | None = None) -> LogSketch | None:
        """The bucket counts of these seconds together (or of second ``index``), as a
        sketch without exact values; None for a ring without buckets."""
        if self.buckets is None:
            return None
        rows = self.buckets if index is None else self.buckets[index : index + 1]
        counts = rows.sum(axis=0, dtype=np.int64)
        sketch = LogSketch()
        sketch.zeros = int(counts[0])
        filled = np.flatnonzero(counts[1:])
        if len(filled):
            first, last = int(filled[0]), int(filled[-1])
            sketch.bins = counts[1 + first : 2 + last]
            sketch.offset = self.offset + first
        sketch.folded = self.folded
        sketch.exact = None
        return sketch


def _joined(parts: list[RingRows]) -> RingRows | None:
    """The seconds of ``parts`` in one ``RingRows``, put in order by numpy, when no second
    is in two parts (the usual case: each column is then taken as it is); None when
    some are, for ``SecondRing.merged`` to merge them one by one."""
    shift = min(rows.shift for rows in parts)
    tables = []
    for rows in parts:
        table = rows.table
        if rows.shift != shift:  # the sums of this part, at the finer shift
            table = table.copy()
            for index, second in enumerate(rows.seconds()):
                if second not in rows.big_sums:
                    total = _from_limbs(*table[_SUM0 : _SUM2 + 1, index]) << rows.shift
                    shifted = total >> shift
                    if shifted >> _SUM_BITS:
                        return None
                    table[_SUM0, index] = shifted & _LIMB_MASK
                    table[_SUM1, index] = (shifted >> _LIMB_BITS) & _LIMB_MASK
                    table[_SUM2, index] = shifted >> (2 * _LIMB_BITS)
        tables.append(table)
    table = np.concatenate(tables, axis=1)
    order = np.argsort(table[_SECOND], kind="stable")
    seconds = table[_SECOND, order]
    if (np.diff(seconds) == 0).any():
        return None
    order = order[seconds >= seconds[-1] - RING_SECONDS + 1]
    buckets = None
    offset = 0
    with_buckets = [rows for rows in parts if rows.buckets is not None]
    if with_buckets:
        offset = min(rows.offset for rows in with_buckets)
        end = max(rows.offset + rows.buckets.shape[1] - 1 for rows in with_buckets)  # type: ignore[union-attr]
        if end - offset > MAX_BINS:
            return None
        aligned = []
        for rows in parts:
            cells = rows.buckets
            assert cells is not None
            placed = np.zeros((cells.shape[0], end - offset + 1), dtype=np.int64)
            placed[:, 0] = cells[:, 0]
            first = rows.offset - offset + 1
            placed[:, first : first + cells.shape[1] - 1] = cells[:, 1:]
            aligned.append(placed)
        buckets = np.concatenate(aligned)[order]
    big = {second: total for rows in parts for second, total in rows.big_sums.items()}
    exotic = {second: pair for rows in parts for second, pair in rows.exotic.items()}
    folded = any(rows.folded for rows in parts)
    return RingRows(table[:, order], shift, big, buckets, offset, folded, exotic)


class WindowReader:
    """The seconds of a window, from ``first`` on, of many rings read at one instant: the
    caller holds the stripes' locks from the first ``read`` through ``finish``, and
    works out the figures from the ``WindowRows`` after letting them go.

    Only what a window's figures need is taken under the locks: the figures of its
    seconds, copied for every ring in one numpy call at ``finish``, and the sum of its
    seconds' bucket counts (a window's percentiles need no more)."""

    __slots__ = (
        "_big_sums",
        "_buckets",
        "_columns",
        "_exotic",
        "_folded",
        "_offsets",
        "_shifts",
        "first",
    )

    def __init__(self, first: int) -> None:
        self.first = first
        self._columns: list[npt.NDArray[np.float64]] = []  # views, until ``finish``
        self._shifts: list[int] = []
        self._buckets: list[npt.NDArray[np.integer] | None] = []
        self._offsets: list[int] = []
        self._folded: list[bool] = []
        self._big_sums: dict[int, dict[int, int]] = {}
        self._exotic: dict[int, dict[int, tuple[Number, Number]]] = {}

    def read(self, ring: SecondRing) -> int | None:
        """Take ``ring``'s seconds of the window; the number of this part (counted from
        0 in reading order), or None when the ring has none."""
        start, end = ring.start, ring.end
        if end == start:
            return None
        table = ring.table
        begin = start + int(table[_SECOND, start:end].searchsorted(self.first))
        if begin == end:
            return None
        part = len(self._columns)
        self._columns.append(table[:, begin:end])
        self._shifts.append(ring.shift)
        first = self.first
        if ring.exotic:
            exotic = {second: pair for second, pair in ring.exotic.items() if second >= first}
            if exotic:
                self._exotic[part] = exotic
        if ring.big_sums:
            big = {second: total for second, total in ring.big_sums.items() if second >= first}
            if big:
                self._big_sums[part] = big
        buckets = ring.buckets
        if buckets is None:
            self._buckets.append(None)
            self._offsets.append(0)
            self._folded.append(False)
        else:
            self._buckets.append(
                np.add.reduce(
                    buckets[begin:end], axis=0, dtype=_sum_type(buckets.dtype, end - begin)
                )
            )
            self._offsets.append(ring.offset)
            self._folded.append(ring.folded)
        return part

    def finish(self) -> WindowRows:
        """Every part read: the rings may change once this returns. The table is the
        calling thread's scratch table (``_scratch_table``), valid until this thread's
        next ``finish``: use the rows, and what ``part`` gives, before reading another
        window on the same thread, and keep only figures made from them."""
        columns = self._columns
        sizes = [part.shape[1] for part in columns]
        table = _scratch_table(sum(sizes))
        if len(columns) == 1:
            table[:] = columns[0]
        elif columns:
            np.concatenate(columns, axis=1, out=table)
        self._columns = []
        return WindowRows(
            table,
            np.cumsum([0, *sizes[:-1]]) if sizes else np.zeros(0, dtype=np.int64),
            sizes,
            self._shifts,
            self._buckets,
            self._offsets,
            self._folded,
            self._big_sums,
            self._exotic,
        )


def _sum_type(kind: np.dtype[Any], rows: int) -> type[np.integer]:
    """The narrowest type that holds a sum of ``rows`` counts of type ``kind``: numpy
    sums into a narrow type faster, and the sums are widened in one go later."""
    if kind == np.uint8 and rows <= 257:  # 257 * 255 == 65535
        return np.uint16
    if kind in (np.uint8, np.uint16) and rows <= 65537:  # 65537 * 65535 < 2**32
        return np.uint32
    return np.int64


_SCRATCH_COLUMNS = 1 << 16
"""Columns (5 MiB) of the table each thread keeps to read windows into between reads."""
_scratch_of_thread = threading.local()


def _scratch_table(columns: int) -> npt.NDArray[np.float64]:
    """A table of ``columns`` columns to read a window into, the calling thread's own and
    reused by its next window read (up to _SCRATCH_COLUMNS): a fresh table of a few MiB
    each time would be faulted in page by page, which costs as much as the work on it."""
    if columns > _SCRATCH_COLUMNS:
        return np.empty((_FIGURES, columns))
    kept: npt.NDArray[np.float64] | None = getattr(_scratch_of_thread, "table", None)
    if kept is None or kept.shape[1] < columns:
        kept = np.empty((_FIGURES, max(columns, 1 << 10)))
        _scratch_of_thread.table = kept
    return kept[:, :columns]


@dataclass(frozen=True, slots=True)
class WindowRows:
    """A window's seconds of many rings (parts), their figures side by side in one table
    (each part's columns after the one before's) and, for rings with buckets, each
    part's bucket counts summed over the window (column 0 the zeros, column i the bucket
    ``offsets[part] + i - 1``). Its table is a thread's scratch table, overwritten by
    that thread's next window read (see ``WindowReader.finish``)."""

    table: npt.NDArray[np.float64]
    starts: npt.NDArray[np.integer]
    sizes: list[int]
    shifts: list[int]
    buckets: list[npt.NDArray[np.integer] | None]
    """By part, its counts summed over the window, in the narrowest type that holds them."""
    offsets: list[int]
    folded: list[bool]
    big_sums: dict[int, dict[int, int]]
    """By part, the exact sums of its seconds too big for the limbs (few parts have any)."""
    exotic: dict[int, dict[int, tuple[Number, Number]]]
    """By part, the extremes of its seconds that float64 does not hold (likewise)."""

    def counts(self) -> list[int]:
        """The number of times of each part."""
        if not self.sizes:
            return []
        return [int(n) for n in np.add.reduceat(self.table[_COUNT], self.starts).tolist()]

    def part(self, part: int) -> RingRows:
        """One part as ``RingRows`` (its buckets one summed row): a view of the scratch
        table, not a copy, so valid only as long as these rows are."""
        begin = int(self.starts[part])
        table = self.table[:, begin : begin + self.sizes[part]]
        buckets = self.buckets[part]
        return RingRows(
            table,
            self.shifts[part],
            self.big_sums.get(part, {}),
            None if buckets is None else buckets[None, :],
            self.offsets[part],
            self.folded[part],
            self.exotic.get(part, {}),
        )

    def moments(self, groups: Sequence[Sequence[int]]) -> list[Moments]:
        """The ``Moments`` of each group of parts (an action's, one per stripe), all
        groups worked out together by numpy: a window over many actions takes a few dozen
        numpy calls, not a few dozen per action."""
        if not groups:
            return []
        sizes = self.sizes
        table = self.table
        if len(groups) == len(sizes) and all(
            len(group) == 1 and group[0] == number for number, group in enumerate(groups)
        ):  # one part each, in order: the usual case, with one thread adding
            group_sizes: Sequence[int] = sizes
            group_starts = self.starts
        else:  # each group's columns brought together, for reduceat
            order = np.array([part for group in groups for part in group])
            part_sizes = np.asarray(sizes)[order]
            moved = self.starts[order] - (np.cumsum(part_sizes) - part_sizes)
            table = table[:, np.arange(int(part_sizes.sum())) + np.repeat(moved, part_sizes)]
            group_sizes = [sum(sizes[part] for part in group) for group in groups]
            group_starts = np.cumsum([0, *group_sizes[:-1]])
        group_of = np.repeat(np.arange(len(groups)), group_sizes)
        counts = table[_COUNT]
        totals = np.add.reduceat(counts, group_starts)
        lows = np.minimum.reduceat(table[_MIN], group_starts)
        highs = np.maximum.reduceat(table[_MAX], group_starts)
        kinds = table[_KIND].astype(np.int64)
        bits = kinds & 3
        exps = kinds >> 2
        low_ints = np.maximum.reduceat(
            (table[_MIN] == lows[group_of]) & (bits & _MIN_IS_INT > 0), group_starts
        ).tolist()
        high_ints = np.maximum.reduceat(
            (table[_MAX] == highs[group_of]) & (bits & _MAX_IS_INT > 0), group_starts
        ).tolist()
        scales = np.maximum.reduceat(exps, group_starts)
        shifts = exps - scales[group_of]
        means, m2s = table[_MEAN], table[_M2]
        if shifts.any():  # seconds of one action at different scales
            means, m2s = _times_power_of_two(means, shifts), _times_power_of_two(m2s, 2 * shifts)
        group_means = np.add.reduceat(counts * means, group_starts) / totals
        deviations = means - group_means[group_of]
        group_m2s = np.add.reduceat(m2s + counts * deviations * deviations, group_starts)
        # Each part's exact sum: its limbs summed, in the original order of the parts.
        limbs = np.add.reduceat(self.table[_SUM0 : _SUM2 + 1], self.starts, axis=1)
        low_limbs, middle_limbs, high_limbs = limbs.astype(np.int64).tolist()
        sums = [
            ((high << (2 * _LIMB_BITS)) + (middle << _LIMB_BITS) + low) << shift
            for low, middle, high, shift in zip(
                low_limbs, middle_limbs, high_limbs, self.shifts, strict=True
            )
        ]
        for part, big in self.big_sums.items():
            sums[part] += sum(big.values())
        if len(sums) == len(groups):  # one part each
            totals_exact = [sums[group[0]] for group in groups]
        else:
            totals_exact = [sum(sums[part] for part in group) for group in groups]
        low_values = [
            int(value) if is_int else value
            for value, is_int in zip(lows.tolist(), low_ints, strict=True)
        ]
        high_values = [
            int(value) if is_int else value
            for value, is_int in zip(highs.tolist(), high_ints, strict=True)
        ]
        result = [
            Moments(count, total, low, high, scale, mean, m2)
            for count, total, low, high, scale, mean, m2 in zip(
                totals.astype(np.int64).tolist(),
                totals_exact,
                low_values,
                high_values,
                scales.tolist(),
                group_means.tolist(),
                np.where(group_m2s < 0.0, 0.0, group_m2s).tolist(),  # as max(m2, 0.0)
                strict=True,
            )
        ]
        for number, group in enumerate(groups):
            if any(part in self.exotic for part in group):  # an int beyond float64
                pairs = [self.part(part).extremes() for part in group]
                result[number].minimum = min(pair[0] for pair in pairs)
                result[number].maximum = max(pair[1] for pair in pairs)
        return result


def _times_power_of_two(
    values: npt.NDArray[np.float64], exponents: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """``np.ldexp(values, exponents)`` (exponents <= 0), to the bit: a product by an exact
    power of two is rounded as ldexp rounds, and numpy multiplies many times faster."""
    if int(exponents.min()) < -1022:  # 2**exponent would not be a normal double
        return np.ldexp(values, exponents)
    powers = ((exponents + 1023) << 52).view(np.float64)
    return values * powers


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
            repeats = rows.table[_COUNT].astype(np.int64)
            seconds.append(np.repeat(rows.table[_SECOND], repeats))
    order = np.argsort(np.concatenate(seconds), kind="stable") if seconds else None
    latest = np.concatenate(recent)
    ordered = np.concatenate([*older, latest[order] if order is not None else latest])
    return merged.with_kept(ordered), ring
