"""Per-thread storage inside an ``ActionTracker``: stripes of per-action tallies.

Each writing thread owns a stripe, so busy producers share no lock: under the GIL a
shared lock convoys. A writer only appends to a tally's list (atomic) and bumps its
stripe's counter; the lists are folded into the aggregates in batches, by numpy, under
the stripe's lock, which only folding and readers take.
"""

from __future__ import annotations

import struct
import threading
from array import array as packed_array
from collections import deque
from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np
import numpy.typing as npt

from core.exactsum import Number
from core.moments import Moments
from core.ring import SecondRing
from core.sketch import Counted, LogSketch, whole_bucket_counts
from core.strategy import Distribution

FLUSH_AT = 4096
"""Buffered times per action and thread before they are folded into the aggregates by
numpy; larger batches spread numpy's fixed cost per call, and the fewer calls let the GIL
go less often between producers (bench/fold_gil.py). The buffers hold no more than a
second's times whatever this is: each new second folds them."""


class Tally:
    """One action's figures inside one stripe: times waiting to be folded (``pending``),
    the all-time aggregates they are folded into, and the per-second ones (``ring``)."""

    __slots__ = ("distribution", "moments", "pending", "ring")

    def __init__(self, distribution: Distribution, ring: SecondRing) -> None:
        self.pending: list[Number] = []  # appended to by the owner thread without a lock
        self.moments = Moments()
        self.distribution = distribution
        self.ring = ring

    def fold(
        self,
        values: Sequence[Number],
        second: int,
        array: npt.NDArray[np.float64] | None = None,
    ) -> None:
        """Fold a batch that came in ``second`` into the aggregates, ``array`` being the
        same as float64 when the caller has it (caller holds the stripe lock, and has
        flushed the buffer first so that order is kept). A batch of ints converted here
        is summed in int64 and counted by bucket from a table: the same figures, quicker."""
        whole = None
        if array is None:
            array, whole = float64_and_whole(values)
        batch = Moments()  # figured once, for all time and for its second
        batch.add(values, array, whole)
        self.moments.absorb(batch)
        distribution = self.distribution
        counted: Counted | None
        if whole is not None and type(distribution) is LogSketch:
            low, high = int(batch.minimum), int(batch.maximum)  # ints already
            counted = distribution.add(array, whole_bucket_counts(whole, low, high))
        else:
            counted = distribution.add(array)
        self.ring.fold(second, batch, array, counted)

    def flush(self, second: int) -> None:
        """Fold the buffered times, which came in ``second``, into the aggregates (caller
        holds the stripe lock).

        Slicing and deleting a list prefix are single operations under the GIL, so the
        owner may keep appending meanwhile: what it appends stays for the next fold.
        """
        pending = self.pending
        count = len(pending)
        if count:
            values = pending[:count]
            del pending[:count]
            self.fold(values, second)

    def copy(self, with_distribution: bool, with_ring: bool = False) -> Tally:
        """A private copy of a flushed tally, so merging can happen outside the locks.
        Without ``with_distribution`` the distribution is shared, not copied: for callers
        that read only the moments; likewise the ring without ``with_ring``."""
        clone = Tally.__new__(Tally)  # not __init__: its fresh Moments would be thrown away
        clone.pending = []
        clone.moments = self.moments.copy()
        distribution = self.distribution
        clone.distribution = distribution.frozen() if with_distribution else distribution
        clone.ring = self.ring.copy() if with_ring else self.ring
        return clone


def as_float64(values: Sequence[Number]) -> npt.NDArray[np.float64]:
    """``values`` as float64, packed by ``struct``: quicker than numpy's own conversion
    of a list or an ``array.array`` (both parse each item's type in turn), and the same
    numbers. Ints go through int64 when they all fit, quicker still. Anything ``struct``
    refuses (an int beyond float64) goes through ``array.array``, which raises
    ``OverflowError`` for it (checked times never hold one). The array is read-only:
    folds read it, and a writer would fail on some batches only if it were not."""
    return float64_and_whole(values)[0]


def float64_and_whole(
    values: Sequence[Number],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64] | None]:
    """``as_float64`` of ``values`` and, when they are all ints that fit int64, the same
    as int64 (made on the way), which sums and counts by bucket quicker; else None."""
    count = len(values)
    if count and type(values[0]) is int:
        try:
            packed = struct.pack(f"{count}q", *values)
        except struct.error:  # a float among them, or an int past int64
            pass
        else:
            whole = np.frombuffer(packed, dtype=np.int64)
            array = whole.astype(np.float64)
            array.flags.writeable = False
            return array, whole
    try:
        return np.frombuffer(struct.pack(f"{count}d", *values), dtype=np.float64), None
    except struct.error:
        return np.frombuffer(packed_array("d", values), dtype=np.float64), None


def window_tally(moments: Moments, distribution: Distribution) -> Tally:
    """A private tally of (part of) a window's times; it is read, never folded into."""
    tally = Tally.__new__(Tally)
    tally.pending = []
    tally.moments = moments
    tally.distribution = distribution
    tally.ring = _DETACHED
    return tally


_DETACHED = SecondRing(buckets=False)
"""The ring of window tallies, which nothing folds into."""


class Stripe:
    """The state one thread writes; its lock serializes folding and reading. New tallies
    are inserted under the tracker's names lock instead, so read ``tallies`` as a whole
    only through ``ActionTracker._contents``."""

    __slots__ = ("adds", "lock", "second", "second_ends", "tallies")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tallies: dict[str, Tally] = {}
        self.adds = 0  # written only by the owner, never reset: versions are built on it
        self.second = 0
        """The clock's second in which the times now buffered came; moved on only by the
        owner (``ActionTracker._roll``), after folding them."""
        self.second_ends = 0.0
        """When ``second`` ends: an add at or after it rolls the stripe over first."""


class StripeClaim:
    """Held in a thread's local storage; when the thread ends, its stripe is freed for
    the next new thread, so the number of stripes follows the threads alive at once."""

    __slots__ = ("pool", "stripe")

    def __init__(self, stripe: Stripe, pool: deque[Stripe]) -> None:
        self.stripe, self.pool = stripe, pool

    def __del__(self) -> None:
        self.pool.append(self.stripe)  # deque.append is atomic: no lock in a finalizer


def flush_all(contents: list[tuple[str, Tally]], second: int) -> None:
    """Fold the buffers of ``contents``, a copy of one stripe's tallies, whose times came
    in ``second`` (the stripe's; caller holds that stripe's lock)."""
    for _, tally in contents:
        if tally.pending:  # tested here: a call per idle tally adds up over 10,000 actions
            tally.flush(second)


Group = tuple[Sequence[Number], "npt.NDArray[np.float64] | None"]
"""One name's times from a batch, in arrival order, and the same as float64 when known."""


def group_by_name(
    names: list[str],
    times: Sequence[Number],
    distinct: list[str],
    array: npt.NDArray[np.float64] | None = None,
) -> dict[str, Group]:
    """Times grouped by name, keeping arrival order within each name; ``array``, the
    times as float64, saves converting them again when the caller has it."""
    if len(distinct) == 1:
        return {distinct[0]: (times, array)}
    try:
        if array is None:
            array = np.array(times, dtype=np.float64)
    except OverflowError:  # an int beyond float64: grouped in Python, folded exactly
        grouped: dict[str, list[Number]] = {name: [] for name in distinct}
        for name, time in zip(names, times, strict=True):
            grouped[name].append(time)
        return {name: (values, None) for name, values in grouped.items()}
    # One stable sort by name code puts each name's times together, in arrival order;
    # the Python values and the float64 copy are both cut from it.
    code_of = {name: code for code, name in enumerate(distinct)}
    codes = np.fromiter(map(code_of.__getitem__, names), dtype=np.intp, count=len(names))
    order = np.argsort(codes, kind="stable")
    sorted_array = array[order]
    ends = np.cumsum(np.bincount(codes, minlength=len(distinct))).tolist()
    groups: dict[str, Group] = {}
    start = 0
    for name, end in zip(distinct, ends, strict=True):
        groups[name] = (Picked(times, order[start:end]), sorted_array[start:end])
        start = end
    return groups


class Picked(Sequence[Number]):
    """``times[positions[i]]`` for each i, looked up when asked: a fold reads only the
    smallest and largest of a batch's Python values (the float64 copy does the rest), so
    a grouped batch need not copy every value into a list of its own."""

    __slots__ = ("_positions", "_times")

    def __init__(self, times: Sequence[Number], positions: npt.NDArray[np.intp]) -> None:
        self._times, self._positions = times, positions

    def __len__(self) -> int:
        return len(self._positions)

    @overload
    def __getitem__(self, index: int) -> Number: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Number]: ...

    def __getitem__(self, index: int | slice) -> Number | Sequence[Number]:
        if isinstance(index, slice):
            return Picked(self._times, self._positions[index])
        return self._times[int(self._positions[index])]

    def __iter__(self) -> Iterator[Number]:
        return map(self._times.__getitem__, self._positions.tolist())
