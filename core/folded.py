"""Checked records folded into per-action aggregates away from the tracker: what a worker
process reading a piece of a file sends back, instead of the records themselves.

The aggregates are the tracker's own (``Moments`` and a ``Distribution`` per action,
folded as the tracker folds a batch), so merging them in file order
gives the counts, exact sums, minimum, maximum and percentiles that adding the records
would have given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.moments import Moments
from core.report import LoadReport
from core.strategy import NEW_DISTRIBUTION, Distribution, Strategy
from core.stripes import group_by_name
from core.validation import CheckedRecords

MAX_FOLDED_ACTIONS = 10_000
"""Distinct actions one ``Folder`` takes; past this it gives up (and holds nothing), so a
piece with a flood of names costs no more memory than the tracker would allow."""


@dataclass(frozen=True, slots=True)
class FoldedRecords:
    """Checked records, folded: ``names`` in first-seen order, each with the aggregates
    of its times (``moments[i]``, ``distributions[i]``); ``count`` records in all."""

    names: list[str]
    moments: list[Moments]
    distributions: list[Distribution]
    count: int


class Folder:
    """A sink for checked records that folds them per action, as the tracker would.

    Call it like the tracker's checked entry; ``folded()`` returns what was folded, or
    None when more than ``MAX_FOLDED_ACTIONS`` distinct actions came (the records must
    then be added one by one, where the tracker's own limit decides)."""

    def __init__(self, strategy: Strategy) -> None:
        self._new_distribution = NEW_DISTRIBUTION[strategy]
        # Per action: its moments and distribution (no per-second ring: the tracker files
        # a merged piece under the second it merges it).
        self._tallies: dict[str, tuple[Moments, Distribution]] | None = {}
        self._count = 0

    def __call__(self, records: CheckedRecords | FoldedRecords, report: LoadReport) -> bool:
        """Fold ``records`` (always taken; counted in ``folded()``, not in ``report``)."""
        tallies = self._tallies
        if tallies is None or isinstance(records, FoldedRecords) or not records.names:
            return True
        distinct = records.distinct
        if distinct is None:
            distinct = list(dict.fromkeys(records.names))
        for name in distinct:
            if name not in tallies:
                if len(tallies) >= MAX_FOLDED_ACTIONS:
                    self._tallies = None  # given up: the caller adds these records itself
                    return True
                tallies[name] = (Moments(), self._new_distribution())
        for name, (values, given) in group_by_name(
            records.names, records.times, distinct, records.array
        ).items():
            moments, distribution = tallies[name]
            array = np.array(values, dtype=np.float64) if given is None else given
            moments.add(values, array)
            distribution.add(array)
        self._count += len(records.names)
        return True

    def folded(self) -> FoldedRecords | None:
        """Everything folded so far, or None when there were too many actions."""
        tallies = self._tallies
        if tallies is None:
            return None
        return FoldedRecords(
            list(tallies),
            [moments for moments, _ in tallies.values()],
            # A frozen copy holds only what was added (no spare capacity to ship).
            [distribution.frozen() for _, distribution in tallies.values()],
            self._count,
        )
