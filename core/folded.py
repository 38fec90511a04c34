"""Checked records folded into per-action aggregates away from the tracker: what a worker
process reading a piece of a file sends back, instead of the records themselves.

The aggregates are the tracker's own (``Moments`` and a ``Distribution`` per action,
folded as the tracker folds a batch), so merging them in file order
gives the counts, exact sums, minimum, maximum and percentiles that adding the records
would have given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from core.exactsum import MAX_EXACT_INT, Number
from core.moments import Moments
from core.report import LoadReport
from core.strategy import NEW_DISTRIBUTION, Distribution, Strategy
from core.stripes import group_by_name
from core.validation import CheckedRecords

MAX_FOLDED_ACTIONS = 10_000
"""Distinct actions one ``Folder`` takes; past this it gives up (and holds nothing), so a
piece with a flood of names costs no more memory than the tracker would allow."""
FOLD_AT = 1 << 17
"""Times a ``Folder`` gathers before folding them: about a worker's piece of a file in one
fold per action, where a fold per chunk paid its fixed costs (a dozen numpy calls for the
aggregates) for every action of every chunk; bounded so that the float64 times held
meanwhile stay near a MiB."""
_CODE_TYPE = np.uint16
"""Actions are numbered in this type: numpy sorts integers of 16 bits or fewer by radix,
in one pass, where wider ones take a comparison sort."""
assert np.iinfo(_CODE_TYPE).max >= MAX_FOLDED_ACTIONS
_BYTE_CODES = 256
"""Up to this many actions, their numbers fit in a byte each."""


@dataclass(frozen=True, slots=True)
class FoldedRecords:
    """Checked records, folded: ``names`` in first-seen order, each with the aggregates
    of its times (``moments[i]``, ``distributions[i]``); ``count`` records in all."""

    names: list[str]
    moments: list[Moments]
    distributions: list[Distribution]
    count: int


class _Gathered:
    """One action's times not folded yet: float64 runs in arrival order, and the
    smallest and largest as given (the first of equal ones, as a fold keeps them)."""

    __slots__ = ("high", "low", "runs")

    def __init__(self, run: npt.NDArray[np.float64], low: Number, high: Number) -> None:
        self.runs = [run]
        self.low, self.high = low, high

    def take(self, run: npt.NDArray[np.float64], low: Number, high: Number) -> None:
        self.runs.append(run)
        self.low, self.high = min(self.low, low), max(self.high, high)


class Folder:
    """A sink for checked records that folds them per action, as the tracker would.

    Call it like the tracker's checked entry; ``folded()`` returns what was folded, or
    None when more than ``MAX_FOLDED_ACTIONS`` distinct actions came (the records must
    then be added one by one, where the tracker's own limit decides).

    Each chunk's times are grouped by action at once (one radix sort of the actions'
    numbers, the extremes of every group in one numpy call each) and gathered as
    float64, each action's in arrival order with its extremes as given; they are folded
    FOLD_AT at a time, or when asked for. The aggregates are those of folding chunk by
    chunk (a variance may differ in its last bits, as with any batching). Of a chunk's
    records only the float64 times are kept (the caller does not change them after the
    call), no Python value: holding a piece's worth of those would cost more in memory
    traffic than the folds save."""

    def __init__(self, strategy: Strategy) -> None:
        self._new_distribution = NEW_DISTRIBUTION[strategy]
        # Per action, by number: its moments and distribution (no per-second ring: the
        # tracker files a merged piece under the second it merges it).
        self._codes: dict[str, int] | None = {}  # None once given up
        self._tallies: list[tuple[Moments, Distribution]] = []
        self._gathered: dict[int, _Gathered] = {}
        self._gathered_count = 0
        self._count = 0

    def __call__(self, records: CheckedRecords | FoldedRecords, report: LoadReport) -> bool:
        """Fold ``records`` (always taken; counted in ``folded()``, not in ``report``)."""
        codes = self._codes
        if codes is None or isinstance(records, FoldedRecords) or not records.names:
            return True
        distinct = records.distinct
        if distinct is None:
            distinct = list(dict.fromkeys(records.names))
        if not self._number(distinct):
            return True  # given up: the caller adds these records itself
        self._count += len(records.names)
        array = records.array
        if array is None or not array.max() < MAX_EXACT_INT:
            self._fold_now(records, distinct)  # no float64 copy, or times past 2**53
        elif len(distinct) == 1:
            self._gather_one(codes[distinct[0]], array, records.times.__getitem__)
        else:
            self._gather_grouped(records.names, records.times, array)
        if self._gathered_count >= FOLD_AT:
            self._fold_gathered()
        return True

    def take_columns(
        self,
        names: list[str],
        codes: npt.NDArray[np.uint16],
        times: npt.NDArray[np.float64],
        whole: npt.NDArray[np.bool_],
    ) -> None:
        """Fold checked records given as columns (``core.linecolumns``): record ``i`` is
        named ``names[codes[i]]`` (``names`` once each, in first-seen order) and took
        ``times[i]``, below 2**53, an integer where ``whole[i]``. The caller does not
        change the arrays after the call."""
        known = self._codes
        if known is None or not len(codes) or not self._number(names):
            return
        self._count += len(codes)

        def given(at: int) -> Number:
            return int(times[at]) if whole[at] else float(times[at])

        if len(names) == 1:
            self._gather_one(known[names[0]], times, given)
        else:
            # Numbers of a byte sort in one radix pass, of two bytes in two.
            small = len(known) <= _BYTE_CODES
            numbers = np.array([known[name] for name in names], np.uint8 if small else _CODE_TYPE)
            self._gather_numbered(numbers.take(codes), times, given)
        if self._gathered_count >= FOLD_AT:
            self._fold_gathered()

    def _number(self, names: list[str]) -> bool:
        """Number the ``names`` not seen yet, each with new aggregates; False, having given
        up, when they would pass MAX_FOLDED_ACTIONS."""
        codes = self._codes
        assert codes is not None
        new = [name for name in names if name not in codes]
        if len(codes) + len(new) > MAX_FOLDED_ACTIONS:
            self._give_up()
            return False
        for name in new:
            codes[name] = len(codes)
            self._tallies.append((Moments(), self._new_distribution()))
        return True

    def _gather_one(
        self, code: int, array: npt.NDArray[np.float64], given: Callable[[int], Number]
    ) -> None:
        """Gather times all of one action, its first smallest and first largest as given."""
        low_at, high_at = int(array.argmin()), int(array.argmax())
        self._gather(code, array, given(low_at), given(high_at))

    def _gather_grouped(
        self, names: list[str], times: list[Number], array: npt.NDArray[np.float64]
    ) -> None:
        """Gather a chunk of several actions, numbered by a pass over their names."""
        assert self._codes is not None
        numbering = map(self._codes.__getitem__, names)
        numbered: npt.NDArray[np.unsignedinteger[Any]]
        if len(self._codes) <= _BYTE_CODES:  # bytes() packs small ints cheaper than numpy
            numbered = np.frombuffer(bytes(numbering), dtype=np.uint8)
        else:
            numbered = np.fromiter(numbering, dtype=_CODE_TYPE, count=len(names))
        self._gather_numbered(numbered, array, times.__getitem__)

    def _gather_numbered(
        self,
        numbered: npt.NDArray[np.unsignedinteger[Any]],
        array: npt.NDArray[np.float64],
        given: Callable[[int], Number],
    ) -> None:
        """Gather times of several actions, by their actions' numbers: one stable sort
        puts each action's times together in arrival order; the first smallest and first
        largest of each group are found for all groups at once, and taken as given."""
        order = np.argsort(numbered, kind="stable")
        grouped = array[order]
        counts = np.bincount(numbered)
        present = np.flatnonzero(counts)
        sizes = counts[present]
        starts = np.cumsum(sizes) - sizes
        lows = _first_matches(grouped, np.minimum.reduceat(grouped, starts), sizes, starts)
        highs = _first_matches(grouped, np.maximum.reduceat(grouped, starts), sizes, starts)
        for code, start, end, low_at, high_at in zip(
            present.tolist(),
            starts.tolist(),
            (starts + sizes).tolist(),
            order[lows].tolist(),
            order[highs].tolist(),
            strict=True,
        ):
            self._gather(code, grouped[start:end], given(low_at), given(high_at))

    def _gather(self, code: int, run: npt.NDArray[np.float64], low: Number, high: Number) -> None:
        gathered = self._gathered.get(code)
        if gathered is None:
            self._gathered[code] = _Gathered(run, low, high)
        else:
            gathered.take(run, low, high)
        self._gathered_count += len(run)

    def _fold_gathered(self) -> None:
        """Fold every action's gathered times, each in one batch."""
        gathered, self._gathered, self._gathered_count = self._gathered, {}, 0
        for code, times in gathered.items():
            runs = times.runs
            array = runs[0] if len(runs) == 1 else np.concatenate(runs)
            moments, distribution = self._tallies[code]
            moments.add_exact(array, times.low, times.high)
            distribution.add(array)

    def _fold_now(self, records: CheckedRecords, distinct: list[str]) -> None:
        """Fold ``records`` at once, as the tracker folds a batch, after what was gathered
        (to keep the arrival order): for records without a float64 copy of their times
        (a JSON array's chunk that needed care, say), and times past 2**53, which need
        their Python values."""
        assert self._codes is not None
        self._fold_gathered()
        for name, (values, given) in group_by_name(
            records.names, records.times, distinct, records.array
        ).items():
            array = np.array(values, dtype=np.float64) if given is None else given
            moments, distribution = self._tallies[self._codes[name]]
            moments.add(values, array)
            distribution.add(array)

    @property
    def count(self) -> int:
        """Records taken so far."""
        return self._count

    def _give_up(self) -> None:
        self._codes = None
        self._tallies = []
        self._gathered, self._gathered_count = {}, 0

    def folded(self) -> FoldedRecords | None:
        """Everything folded so far, or None when there were too many actions."""
        codes = self._codes
        if codes is None:
            return None
        self._fold_gathered()
        return FoldedRecords(
            list(codes),
            [moments for moments, _ in self._tallies],
            # A frozen copy holds only what was added (no spare capacity to ship).
            [distribution.frozen() for _, distribution in self._tallies],
            self._count,
        )


def _first_matches(
    grouped: npt.NDArray[np.float64],
    targets: npt.NDArray[np.float64],
    sizes: npt.NDArray[np.intp],
    starts: npt.NDArray[np.intp],
) -> npt.NDArray[np.intp]:
    """For each group of ``grouped`` (``sizes`` long from ``starts``), the position of the
    first element equal to its ``target`` (each group holds its own)."""
    matches = np.flatnonzero(grouped == np.repeat(targets, sizes))
    return matches[np.searchsorted(matches, starts)]
