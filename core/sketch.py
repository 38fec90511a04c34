"""A bounded-memory quantile sketch with 1% relative accuracy (DDSketch's log buckets),
exact while an action has few times.

Written for batches: a numpy ``log`` and ``bincount`` per batch, where the ``ddsketch``
package adds one value at a time, paying a Python call for each.
Counts are exact integers, so merging is exact and independent of batching.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from core.exactsum import Number
from core.orderstats import linear_quantiles

RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LN_GAMMA = math.log(GAMMA)
_INV_LN_GAMMA = 1 / _LN_GAMMA
_LN_ESTIMATE = math.log(2 / (GAMMA + 1))
"""A bucket's estimate is GAMMA**key times 2 / (GAMMA + 1): the log of that factor."""
MAX_BINS = 2048
"""Bins kept per sketch; past this the lowest ones fold together. GAMMA**2048 spans a
6.2e17 : 1 range, so ordinary data never folds."""
EXACT_LIMIT = 1000
"""Times a sketch also keeps exactly (8 bytes each); its percentiles are exact up to this
many times, so a person checking a few typed values sees the true figures, and memory
stays bounded."""

Accuracy = Literal["exact", "approximate", "folded"]
"""How a distribution's percentiles relate to the true ones: exact; within the sketch's
1%; or with the lowest buckets folded together (a range beyond 6.2e17 : 1), where the
low percentiles read high by more than 1%."""


class LogSketch:
    """Counts of positive values in buckets (GAMMA**(k-1), GAMMA**k], plus a zero count;
    and, while there are at most EXACT_LIMIT of them, the values themselves (``exact``).

    ``exact`` is replaced, never changed in place, so copies may share it."""

    __slots__ = ("bins", "exact", "folded", "offset", "zeros")

    def __init__(self) -> None:
        self.bins: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.offset = 0  # bucket key of bins[0]
        self.zeros = 0
        self.exact: npt.NDArray[np.float64] | None = _NO_VALUES
        """Every value counted, in arrival order; None once there were too many."""
        self.folded = False
        """Whether buckets below the range of MAX_BINS were folded into the lowest one."""

    @property
    def nbytes(self) -> int:
        """Bytes held by the bins and the exact values."""
        exact = self.exact
        return int(self.bins.nbytes) + (int(exact.nbytes) if exact is not None else 0)

    def add(self, array: npt.NDArray[np.float64], counted: Counted | None = None) -> Counted:
        """Count every value of a batch (all finite and >= 0); returns its counts by
        bucket, so that the ring can take them without working them out again.
        ``counted``, the batch's counts when the caller has them already (from
        ``whole_bucket_counts``), saves working them out here."""
        exact = self.exact
        if exact is not None:
            self.exact = (
                np.concatenate((exact, array)) if len(exact) + len(array) <= EXACT_LIMIT else None
            )
        if counted is None:
            counted = bucket_counts(array)
        zeros, low, counts = counted
        self.zeros += zeros
        if len(counts):
            self._add_counts(low, counts)
        return counted

    def latest(self, count: int) -> LogSketch:
        """The exact values of the last ``count`` values added, while this sketch keeps
        them, in a sketch whose buckets are left for the caller to fill (from a ring)."""
        window = LogSketch()
        exact = self.exact
        if exact is None or count > len(exact):
            window.exact = None
        elif count:
            window.exact = exact[len(exact) - count :]
        return window

    def kept(self) -> npt.NDArray[np.float64] | None:
        """The values kept in arrival order (the exact ones), or None."""
        return self.exact

    def with_kept(self, values: npt.NDArray[np.float64]) -> LogSketch:
        """This sketch with its kept values replaced by ``values`` (the same values in
        another order)."""
        clone = self.copy()
        clone.exact = values
        return clone

    def _add_counts(self, low: int, counts: npt.NDArray[np.int64]) -> None:
        """Add ``counts`` whose first element is bucket ``low``, folding the lowest buckets
        into one when the range exceeds MAX_BINS."""
        if not len(self.bins):
            start, end = low, low + len(counts)
        else:
            start = min(self.offset, low)
            end = max(self.offset + len(self.bins), low + len(counts))
        if start < end - MAX_BINS:
            start = end - MAX_BINS
            self.folded = True
        if start != self.offset or end - start != len(self.bins):
            grown = np.zeros(end - start, dtype=np.int64)
            _fold_into(grown, start, self.bins, self.offset)
            self.bins, self.offset = grown, start
        _fold_into(self.bins, self.offset, counts, low)

    def copy(self) -> LogSketch:
        clone = LogSketch()
        clone.bins, clone.offset, clone.zeros = self.bins.copy(), self.offset, self.zeros
        clone.exact, clone.folded = self.exact, self.folded
        return clone

    frozen = copy  # a sketch's bins change in place, so a reader's copy must own its own

    def merged_with(self, others: Sequence[LogSketch]) -> LogSketch:
        """A new sketch counting this one's values and the others'."""
        return LogSketch.merged([self, *others])

    def values(self) -> None:
        """None: a sketch keeps counts, not the values themselves."""

    @classmethod
    def merged(cls, parts: Iterable[LogSketch]) -> LogSketch:
        """Return one sketch that counts everything the parts count (a new one: the
        result may be changed without touching the parts)."""
        result = cls()
        parts = list(parts)
        for part in parts:
            result.zeros += part.zeros
            result.folded |= part.folded
            if len(part.bins):
                result._add_counts(part.offset, part.bins)
        result.exact = _exact_values(parts)
        return result

    def accuracy(self, others: Sequence[LogSketch] = ()) -> Accuracy:
        """How ``quantiles`` over this sketch and the ``others`` relates to the truth."""
        if _exact_values([self, *others]) is not None:
            return "exact"
        if self.folded or any(other.folded for other in others):
            return "folded"
        filled = [part for part in (self, *others) if len(part.bins)]
        if len(filled) > 1:  # no filled part at all when every value is 0
            low = min(part.offset for part in filled)
            high = max(part.offset + len(part.bins) for part in filled)
            if high - low > MAX_BINS:  # the parts fold only when merged
                return "folded"
        return "approximate"

    def quantiles(
        self,
        qs: Iterable[float],
        minimum: Number,
        maximum: Number,
        others: Sequence[LogSketch] = (),
    ) -> tuple[Number, ...]:
        """Estimate quantiles of this sketch's values and the ``others``', with the same
        linear interpolation between order statistics as numpy's default, each clamped to
        [minimum, maximum]; exact while every part still keeps its values."""
        exact = _exact_values([self, *others])
        if exact is not None:
            found = linear_quantiles(np.sort(exact).tolist(), qs)
            return tuple(min(max(value, minimum), maximum) for value in found)
        if others:
            return self.merged_with(others).quantiles(qs, minimum, maximum)
        cumulative = np.cumsum(self.bins)
        count = self.zeros + (int(cumulative[-1]) if len(cumulative) else 0)
        ranks = [q * (count - 1) for q in qs]
        # Every order statistic needed, looked up together: one numpy call per snapshot
        # of an action instead of one per statistic (the first snapshot of 10,000
        # actions spends most of its time here).
        needed = sorted({bound for rank in ranks for bound in (math.floor(rank), math.ceil(rank))})
        value_of = dict(
            zip(needed, self._values_at(needed, cumulative, minimum, maximum), strict=True)
        )
        return _interpolated(ranks, value_of, minimum, maximum)

    def cumulative_counts(
        self,
        bounds: Sequence[float],
        minimum: Number,
        maximum: Number,
        others: Sequence[LogSketch] = (),
    ) -> tuple[int, ...]:
        """How many of this sketch's values and the ``others``' are <= each of ``bounds``
        (ascending), as Prometheus counts histogram buckets. Exact while every part keeps
        its values; else a value counts as its bucket's estimate (the one ``quantiles``
        uses, within 1% of it), so each count lies between the true counts at
        bound / 1.01 and bound / 0.99, and is exact for bounds below ``minimum`` or from
        ``maximum`` up."""
        exact = _exact_values([self, *others])
        if exact is not None:
            found = np.searchsorted(
                np.sort(exact), np.asarray(bounds, dtype=np.float64), side="right"
            )
            return tuple(found.tolist())
        if others:
            return self.merged_with(others).cumulative_counts(bounds, minimum, maximum)
        below = np.concatenate(([0], np.cumsum(self.bins)))  # below[i]: bins[:i] together
        total = self.zeros + int(below[-1])
        counts: list[int] = []
        for bound in bounds:
            if bound >= maximum:
                counts.append(total)
            elif bound < minimum:
                counts.append(0)
            elif bound <= 0:
                counts.append(self.zeros)
            else:
                # The highest bucket whose estimate, 2 * GAMMA**k / (GAMMA + 1), is <= bound.
                key = math.floor((math.log(bound) - _LN_ESTIMATE) * _INV_LN_GAMMA)
                filled = min(max(key - self.offset + 1, 0), len(self.bins))
                counts.append(self.zeros + int(below[filled]))
        return tuple(counts)

    def _values_at(
        self, ranks: list[int], cumulative: npt.NDArray[np.int64], minimum: Number, maximum: Number
    ) -> list[Number]:
        """The estimated values of the order statistics ``ranks`` (0-based, ascending)."""
        zero = min(max(0, minimum), maximum)
        zeros = self.zeros
        indexes = np.searchsorted(cumulative, [rank - zeros for rank in ranks], side="right")
        last = len(cumulative) - 1
        values: list[Number] = []
        for rank, index in zip(ranks, indexes.tolist(), strict=True):
            if rank < zeros:
                values.append(zero)
                continue
            key = self.offset + min(index, last)
            try:
                estimate = math.exp(key * _LN_GAMMA) * (2 / (GAMMA + 1))
            except OverflowError:  # the top bucket of times near the largest double
                estimate = math.inf
            values.append(min(max(estimate, minimum), maximum))
        return values


Counted = tuple[int, int, "npt.NDArray[np.int64]"]
"""A batch's counts by bucket: (zeros, first bucket key, counts from it on)."""


def bucket_counts(array: npt.NDArray[np.float64]) -> Counted:
    """How many of a batch's values (finite, >= 0) are zero, and the counts of the others
    by bucket: (zeros, first bucket key, counts from it on)."""
    positive = array if array.min() > 0 else array[array > 0]
    zeros = len(array) - len(positive)
    if not len(positive):
        return zeros, 0, np.zeros(0, dtype=np.int64)
    keys = _bucket_keys(positive)
    low = int(keys.min())
    keys -= low
    return zeros, low, np.bincount(keys)


def _bucket_keys(positive: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """The bucket key of each value (all > 0), ceil(log(v) * _INV_LN_GAMMA)."""
    # In place after the log: the same numbers, without allocating a fresh array at each
    # step of every fold.
    scaled_logs = np.log(positive)
    scaled_logs *= _INV_LN_GAMMA
    np.ceil(scaled_logs, out=scaled_logs)
    return scaled_logs.astype(np.int64)


WHOLE_KEYS_LIMIT = 1 << 16
"""Whole times below this have their bucket keys looked up in a table (128 KiB, made on
first use) rather than worked out by a log each."""


@functools.cache
def _whole_keys() -> npt.NDArray[np.int16]:
    """The bucket key of each whole time below WHOLE_KEYS_LIMIT (0's unused)."""
    table = np.zeros(WHOLE_KEYS_LIMIT, dtype=np.int16)
    table[1:] = _bucket_keys(np.arange(1, WHOLE_KEYS_LIMIT, dtype=np.float64))
    return table


def whole_bucket_counts(whole: npt.NDArray[np.int64], lowest: int, highest: int) -> Counted | None:
    """``bucket_counts`` of a batch of whole times, given as int64 with their smallest and
    largest: the same counts, each time's key looked up in a table that ``_bucket_keys``
    made of 1 .. WHOLE_KEYS_LIMIT - 1 as float64 (so the very numbers a log per time
    gives), with no log per time. None when a time is past the table."""
    if highest >= WHOLE_KEYS_LIMIT or lowest < 0:
        return None
    positive = whole if lowest > 0 else whole[whole > 0]
    zeros = len(whole) - len(positive)
    if not len(positive):
        return zeros, 0, np.zeros(0, dtype=np.int64)
    keys = _whole_keys()[positive]
    low = int(keys.min())
    keys -= low
    return zeros, low, np.bincount(keys)


_NO_VALUES: npt.NDArray[np.float64] = np.empty(0, dtype=np.float64)
_NO_VALUES.flags.writeable = False


def _exact_values(parts: Sequence[LogSketch]) -> npt.NDArray[np.float64] | None:
    """The parts' exact values together, or None when one part no longer keeps them or
    together they are more than EXACT_LIMIT."""
    arrays = [part.exact for part in parts]
    if any(array is None for array in arrays):
        return None
    kept = [array for array in arrays if array is not None and len(array)]
    if sum(len(array) for array in kept) > EXACT_LIMIT:
        return None
    if len(kept) == 1:
        return kept[0]
    return np.concatenate(kept) if kept else _NO_VALUES


def _fold_into(
    target: npt.NDArray[np.int64], target_offset: int, counts: npt.NDArray[np.int64], low: int
) -> None:
    """Add ``counts`` (first bucket ``low``) into ``target``; buckets below the target's
    first one land in its first bin."""
    if not len(counts):
        return
    skip = target_offset - low
    if skip > 0:
        target[0] += counts[:skip].sum()
        counts, low = counts[skip:], target_offset
    start = low - target_offset
    target[start : start + len(counts)] += counts


def single_quantiles(
    sketches: Sequence[LogSketch],
    qs: Sequence[float],
    minimums: Sequence[Number],
    maximums: Sequence[Number],
) -> list[tuple[Number, ...]]:
    """``sketch.quantiles(qs, minimum, maximum)`` for each of many sketches that keep no
    exact values, the bucket search done for all of them in a few numpy calls, with the
    very same results. The window snapshot calls ``bucket_quantiles`` on summed rows
    directly; this form is what the tests hold to each sketch's own ``quantiles``."""
    rows = [np.concatenate(([sketch.zeros], sketch.bins)) for sketch in sketches]
    offsets = [sketch.offset for sketch in sketches]
    return bucket_quantiles(rows, offsets, qs, minimums, maximums)


def bucket_quantiles(
    rows: Sequence[npt.NDArray[np.integer]],
    offsets: Sequence[int],
    qs: Sequence[float],
    minimums: Sequence[Number],
    maximums: Sequence[Number],
) -> list[tuple[Number, ...]]:
    """What ``quantiles(qs, minimum, maximum)`` gives for each of many sketches keeping
    no exact values, each given as a row of counts: column 0 its zeros, column i its
    bucket ``offset + i - 1``. Empty buckets at either end change nothing, so a window's
    summed ring rows serve as they are. Every row is worked out together by numpy (a
    window snapshot asks this of every action at once), with the very same results."""
    if not rows:
        return []
    lengths = np.array([len(row) for row in rows], dtype=np.int64)
    # One running count over every row, each after the one before: a row's order
    # statistic of rank r is where the count passes the rows before it plus r.
    cumulative = np.cumsum(np.concatenate(rows), dtype=np.int64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    befores = np.concatenate(([0], cumulative[ends[:-1] - 1]))
    counts = cumulative[ends - 1] - befores
    zeros = cumulative[starts] - befores
    # Rows with zeros or an int min or max go one by one: Python's min and max hand
    # back the int itself, and a zero's value is worked out apart.
    apart = [
        row
        for row, (zero_count, minimum, maximum) in enumerate(
            zip(zeros.tolist(), minimums, maximums, strict=True)
        )
        if zero_count or type(minimum) is not float or type(maximum) is not float
    ]
    results: list[tuple[Number, ...]] = [()] * len(rows)
    if len(apart) < len(rows):
        low_ends = np.array([m if type(m) is float else 0.0 for m in minimums])
        high_ends = np.array([m if type(m) is float else 0.0 for m in maximums])
        ranks = np.asarray(qs, dtype=np.float64)[None, :] * (counts - 1).astype(np.float64)[:, None]
        lowers = np.floor(ranks)
        bounds = np.concatenate((lowers, np.ceil(ranks)), axis=1).astype(np.int64)
        found = np.searchsorted(cumulative, bounds + befores[:, None], "right")
        indexes = found - (starts + 1)[:, None]  # buckets from 0
        keys = np.asarray(offsets, dtype=np.int64)[:, None] + np.minimum(
            indexes, (lengths - 2)[:, None]
        )
        # math.exp, not numpy's: numpy's may differ in the last bit.
        unique, where = np.unique(keys, return_inverse=True)
        estimates = np.array([_estimate(key) for key in unique.tolist()])[where.reshape(-1)]
        low_end, high_end = low_ends[:, None], high_ends[:, None]
        values = np.minimum(np.maximum(estimates.reshape(keys.shape), low_end), high_end)
        low_values, high_values = np.split(values, 2, axis=1)
        between = low_values + (high_values - low_values) * (ranks - lowers)
        chosen = np.where(
            ranks == lowers, low_values, np.minimum(np.maximum(between, low_end), high_end)
        )
        results = [tuple(row) for row in chosen.tolist()]
    for row in apart:
        results[row] = _row_quantiles(
            rows[row],
            offsets[row],
            int(counts[row]),
            qs,
            minimum=minimums[row],
            maximum=maximums[row],
        )
    return results


def _row_quantiles(
    row: npt.NDArray[np.integer],
    offset: int,
    count: int,
    qs: Sequence[float],
    *,
    minimum: Number,
    maximum: Number,
) -> tuple[Number, ...]:
    """``bucket_quantiles`` of one row, in Python's arithmetic of mixed numbers."""
    zeros = int(row[0])
    ranks = [q * (count - 1) for q in qs]
    needed = sorted({bound for rank in ranks for bound in (math.floor(rank), math.ceil(rank))})
    cumulative = np.cumsum(row, dtype=np.int64)
    indexes = (np.searchsorted(cumulative, needed, "right") - 1).tolist()
    zero = min(max(0, minimum), maximum)
    last = len(row) - 2
    value_of: dict[int, Number] = {}
    for bound, index in zip(needed, indexes, strict=True):
        if bound < zeros:
            value_of[bound] = zero
            continue
        estimate = _estimate(offset + min(index, last))
        value_of[bound] = min(max(estimate, minimum), maximum)
    return _interpolated(ranks, value_of, minimum, maximum)


def _interpolated(
    ranks: Sequence[float], value_of: dict[int, Number], minimum: Number, maximum: Number
) -> tuple[Number, ...]:
    """Each fractional rank's value, between the order statistics either side of it
    (``value_of``, by whole rank), clamped to [minimum, maximum]: the one rule that
    ``LogSketch.quantiles`` and the batched searches share, so they agree to the bit."""
    result: list[Number] = []
    for rank in ranks:
        lower = math.floor(rank)
        low_value = value_of[lower]
        if rank == lower:
            result.append(low_value)
            continue
        high_value = value_of[lower + 1]
        value = low_value + (high_value - low_value) * (rank - lower)
        result.append(min(max(value, minimum), maximum))
    return tuple(result)


def _estimate(key: int) -> float:
    """The value bucket ``key`` stands for (as ``LogSketch._values_at`` works it out)."""
    try:
        return math.exp(key * _LN_GAMMA) * (2 / (GAMMA + 1))
    except OverflowError:  # the top bucket of times near the largest double
        return math.inf
