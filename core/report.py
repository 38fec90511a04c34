"""What a batch or file load did: how many records went in, which were refused and why."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice

MAX_REJECTIONS_KEPT = 10_000
"""Rejections kept with their reasons; past this they are only counted, so a huge broken
file cannot exhaust memory through its report."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """One refused record: its 1-based line (newline-delimited) or element number."""

    record: int
    reason: str


@dataclass(frozen=True, slots=True)
class LoadProgress:
    """Yielded between chunks while loading, for progress bars."""

    done: int
    total: int | None
    """Bytes read (or elements, for arrays) of ``total``; None when the size is unknown."""
    accepted: int
    rejected: int


@dataclass(slots=True)
class LoadReport:
    """The outcome of ``add_actions`` or ``load``."""

    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rejected_count: int = 0
    """All refused records, including any past the ones kept in ``rejected``."""
    cancelled: bool = False
    format: str = "batch"
    """"array", "lines", "object", "empty" for files; "batch" for ``add_actions``."""

    def reject(self, record: int, reason: str) -> None:
        """Count a refused record, keeping its reason while under the cap."""
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTIONS_KEPT:
            self.rejected.append(Rejection(record, reason))

    def reject_all(self, records: Iterable[int], reasons: Sequence[str]) -> None:
        """``reject`` for many refused records at once: ``records`` (as many as
        ``reasons``, in order) with ``reasons[i]`` for the i-th."""
        self.rejected_count += len(reasons)
        room = MAX_REJECTIONS_KEPT - len(self.rejected)
        if room > 0:
            self.rejected.extend(map(Rejection, records, reasons[:room]))

    def where(self, rejection: Rejection) -> str:
        """Where a refused record sits, in the words of its format: 'line 12' for
        newline-delimited files, 'element 3' for arrays, 'record 2' otherwise."""
        unit = {"lines": "line", "array": "element"}.get(self.format, "record")
        return f"{unit} {rejection.record}"

    @property
    def summary(self) -> str:
        """One line for people, e.g. '1,000 accepted, 2 rejected'."""
        text = f"{self.accepted:,} accepted, {self.rejected_count:,} rejected"
        return text + " (cancelled)" if self.cancelled else text


@dataclass(slots=True)
class PieceReport(LoadReport):
    """A report that keeps its rejections as two plain lists, ``records`` and their
    ``reasons`` (each text once), instead of ``rejected``: what a worker process reading
    a piece of a file sends back, far faster than as many ``Rejection`` objects."""

    records: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    _texts: dict[str, str] = field(default_factory=dict)

    def reject(self, record: int, reason: str) -> None:
        self.reject_all((record,), (reason,))

    def reject_all(self, records: Iterable[int], reasons: Sequence[str]) -> None:
        self.rejected_count += len(reasons)
        room = MAX_REJECTIONS_KEPT - len(self.reasons)
        if room > 0:
            texts = self._texts
            self.records.extend(islice(records, room))
            self.reasons.extend(texts.setdefault(reason, reason) for reason in reasons[:room])
