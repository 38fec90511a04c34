"""Every time of one action, kept in a growable float64 array (at most 12 bytes a sample)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from core.exactsum import Number
from core.orderstats import linear_quantiles, needed_ranks

_GROWTH = 1.5  # capacity stays within 1.5x the size: 8 bytes a sample, 12 at worst
_MIN_CAPACITY = 64


class SampleStore:
    """Append-only: a view of the filled prefix never changes, so readers may keep one
    without a lock while more samples arrive."""

    __slots__ = ("_data", "size")

    def __init__(self) -> None:
        self._data: npt.NDArray[np.float64] = np.empty(0, dtype=np.float64)
        self.size = 0

    def add(self, array: npt.NDArray[np.float64]) -> None:  # keeps no bucket counts
        """Append a batch, reallocating when full (old views stay valid)."""
        end = self.size + len(array)
        if end > len(self._data):
            capacity = max(end, int(len(self._data) * _GROWTH), _MIN_CAPACITY)
            grown = np.empty(capacity, dtype=np.float64)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : end] = array
        self.size = end

    def view(self) -> npt.NDArray[np.float64]:
        """A read-only view of the samples added so far."""
        view = self._data[: self.size]
        view.flags.writeable = False
        return view

    def frozen(self) -> SampleStore:
        """A store sharing this one's samples so far; it is never written to."""
        clone = SampleStore()
        clone._data, clone.size = self.view(), self.size
        return clone

    def merged_with(self, others: Sequence[SampleStore]) -> SampleStore:
        """A new store holding this one's samples, then the others'."""
        merged = SampleStore()
        merged._data = np.concatenate([self.view(), *(other.view() for other in others)])
        merged.size = len(merged._data)
        return merged

    def accuracy(self, others: Sequence[SampleStore] = ()) -> Literal["exact"]:
        """Always "exact": every sample is kept."""
        return "exact"

    def values(self) -> npt.NDArray[np.float64]:
        """Every sample in arrival order (a read-only view; see ``view``)."""
        return self.view()

    def quantiles(
        self,
        qs: Sequence[float],
        minimum: Number,
        maximum: Number,
        others: Sequence[SampleStore] = (),
    ) -> tuple[Number, ...]:
        """Exact quantiles (numpy's default interpolation) of this store's samples and the
        ``others``', within [minimum, maximum]."""
        # One private copy, partitioned in place: a fresh array for a merge and another
        # inside np.quantile would double the cost, which is mostly touching new memory.
        data = np.concatenate([self.view(), *(other.view() for other in others)])
        # A partition at just the order statistics read, then numpy's own arithmetic:
        # np.quantile's checks cost more than the work for a window of a few thousand.
        data.partition(needed_ranks(len(data), qs))
        exact = linear_quantiles(data, qs)
        return tuple(min(max(float(value), minimum), maximum) for value in exact)

    def cumulative_counts(
        self,
        bounds: Sequence[float],
        minimum: Number,
        maximum: Number,
        others: Sequence[SampleStore] = (),
    ) -> tuple[int, ...]:
        """How many of this store's samples and the ``others``' are <= each of ``bounds``
        (ascending): exact, by one sort and a binary search per bound."""
        data = np.sort(np.concatenate([self.view(), *(other.view() for other in others)]))
        found = np.searchsorted(data, np.asarray(bounds, dtype=np.float64), side="right")
        return tuple(found.tolist())

    def latest(self, count: int) -> SampleStore:
        """A store of the last ``count`` samples added (sharing them, never written to)."""
        clone = SampleStore.__new__(SampleStore)  # no empty array made, to be replaced
        latest = self._data[self.size - count : self.size]
        latest.flags.writeable = False
        clone._data, clone.size = latest, count
        return clone

    def kept(self) -> npt.NDArray[np.float64]:
        """Every sample in arrival order (a read-only view)."""
        return self.view()

    def with_kept(self, values: npt.NDArray[np.float64]) -> SampleStore:
        """A store of ``values`` (these samples in another order)."""
        return SampleStore.of(values)

    @classmethod
    def of(cls, array: npt.NDArray[np.float64]) -> SampleStore:
        """A store holding ``array``'s values."""
        store = cls()
        store.add(array)
        return store

    @property
    def nbytes(self) -> int:
        """Bytes held, spare capacity included."""
        return int(self._data.nbytes)


def stacked_quantiles(
    stores: Sequence[SampleStore],
    qs: Sequence[float],
    minimums: Sequence[Number],
    maximums: Sequence[Number],
) -> list[tuple[Number, ...]]:
    """``store.quantiles(qs, minimum, maximum)`` for each of many stores, those of one
    size stacked and partitioned in one numpy call (a window snapshot asks this of every
    action at once), with the very same results."""
    by_size: dict[int, list[int]] = {}
    for index, store in enumerate(stores):
        by_size.setdefault(store.size, []).append(index)
    results: list[tuple[Number, ...]] = [() for _ in stores]
    for size, indexes in by_size.items():
        if len(indexes) == 1 or not size:
            for index in indexes:
                results[index] = stores[index].quantiles(qs, minimums[index], maximums[index])
            continue
        data = _scratch(len(indexes), size)
        np.concatenate([stores[index]._data[:size] for index in indexes], out=data.reshape(-1))
        _select_ranks(data, needed_ranks(size, qs))
        # linear_quantiles' arithmetic, done on the columns of every row at once.
        found = np.array(linear_quantiles(data.T, qs)).T
        # Clamped by numpy where both ends are floats; an int end goes through Python's
        # min and max, which hand it back as the int it is.
        ends = [(minimums[index], maximums[index]) for index in indexes]
        floats = [type(low) is float and type(high) is float for low, high in ends]
        low_ends, high_ends = np.array(
            [pair if both else (0.0, 0.0) for pair, both in zip(ends, floats, strict=True)]
        ).T[:, :, None]
        clamped = np.minimum(np.maximum(found, low_ends), high_ends).tolist()
        for index, row in zip(indexes, clamped, strict=True):
            results[index] = tuple(row)
        for at, both in enumerate(floats):
            if not both:
                low, high = ends[at]
                exact = found[at].tolist()
                results[indexes[at]] = tuple(min(max(value, low), high) for value in exact)
    return results


_SCRATCH_LIMIT = 1 << 19
"""Values (4 MiB) of the array each thread keeps to stack windows in between snapshots."""
_scratch_of_thread = threading.local()


def _scratch(rows: int, size: int) -> npt.NDArray[np.float64]:
    """A ``rows`` by ``size`` array to work in, the calling thread's own, reused from one
    snapshot to the next up to _SCRATCH_LIMIT values: a fresh array of a few MiB each
    time would be faulted in page by page, which costs as much as the work in it."""
    count = rows * size
    if count > _SCRATCH_LIMIT:
        return np.empty((rows, size))
    kept: npt.NDArray[np.float64] | None = getattr(_scratch_of_thread, "array", None)
    if kept is None or len(kept) < count:
        kept = np.empty(max(count, 1 << 16))
        _scratch_of_thread.array = kept
    return kept[:count].reshape(rows, size)


def _select_ranks(rows: npt.NDArray[np.float64], ranks: list[int]) -> None:
    """Put in each row, at each of ``ranks`` (ascending), the order statistic of that
    rank, reordering the row in place.

    One partition per rank, each at a single place and over the part above the one
    before (numpy partitions many rows at one place with its vectorized selection, but
    at several places with a slower generic one), and a rank just above the one before
    found as the least value of the rest."""
    every = np.arange(len(rows))
    start = 0
    for rank in ranks:
        if rank == start:
            place = rows[:, start:].argmin(axis=1) + start
            least = rows[every, place]
            rows[every, place] = rows[:, start]
            rows[:, start] = least
        else:
            rows[:, start:].partition(rank - start, axis=1)
        start = rank + 1
