"""What a live source did: line counts and its latest rejections, read from any thread."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

MAX_ERRORS_KEPT = 100
"""Latest rejections a source keeps with their lines; older ones are only counted."""
MAX_ERROR_LINE = 200
"""Characters of a rejected line kept for showing."""


@dataclass(frozen=True, slots=True)
class SourceCounts:
    """Lines a source has seen, by outcome.

    ``received`` counts lines (empty ones are skipped); each ends ``accepted``,
    ``rejected`` or ``ignored`` (valid StatsD metrics that are not timers). ``dropped``
    counts lines or packets known lost before they could be read: by the system's
    socket buffer where the platform reports it, or by a full queue.
    """

    received: int = 0
    accepted: int = 0
    rejected: int = 0
    ignored: int = 0
    dropped: int = 0


@dataclass(frozen=True, slots=True)
class TallyDelta:
    """What a tally counted since it was last taken (``SourceTally.take``), for another
    process's tally to ``absorb``; ``system_dropped`` is the system's running total."""

    received: int
    accepted: int
    rejected: int
    ignored: int
    dropped: int
    system_dropped: int
    errors: tuple[LineError, ...]


@dataclass(frozen=True, slots=True)
class LineError:
    """One rejected line: its text (cut to 200 characters), why, and where it came
    from (the peer's ``host:port``, or the followed file's path)."""

    line: str
    reason: str
    source: str


class SourceTally:
    """A source's counts and latest errors under one lock, so that a reader never sees
    a line counted as received but not yet as accepted, rejected or ignored."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received = self._accepted = self._rejected = self._ignored = 0
        self._dropped = 0
        self._system_dropped = 0
        self._errors: deque[LineError] = deque(maxlen=MAX_ERRORS_KEPT)

    def add(
        self, accepted: int, ignored: int, rejections: list[tuple[str, str]], source: str
    ) -> None:
        """Count a batch of lines; ``rejections`` are ``(line, reason)`` pairs."""
        errors = [LineError(line[:MAX_ERROR_LINE], reason, source) for line, reason in rejections]
        with self._lock:
            self._received += accepted + ignored + len(rejections)
            self._accepted += accepted
            self._ignored += ignored
            self._rejected += len(rejections)
            self._errors.extend(errors)

    def reject(self, line: str, reason: str, source: str) -> None:
        """Count one line rejected before parsing (too long, cut off)."""
        self.add(0, 0, [(line, reason)], source)

    def note(self, text: str, reason: str, source: str) -> None:
        """List an event that is not a line (a refused connection) among the errors,
        without counting it."""
        with self._lock:
            self._errors.append(LineError(text[:MAX_ERROR_LINE], reason, source))

    def drop(self, count: int) -> None:
        """Count lines or packets lost before they were read."""
        with self._lock:
            self._dropped += count

    def system_dropped(self, total: int) -> None:
        """Record the system's own running total of packets it dropped."""
        with self._lock:
            self._system_dropped = max(self._system_dropped, total)

    def take(self) -> TallyDelta:
        """What was counted since the last ``take`` (errors included), starting afresh;
        a worker process sends it to the tally its owner reads."""
        with self._lock:
            delta = TallyDelta(
                self._received,
                self._accepted,
                self._rejected,
                self._ignored,
                self._dropped,
                self._system_dropped,
                tuple(self._errors),
            )
            self._received = self._accepted = self._rejected = self._ignored = 0
            self._dropped = 0
            self._errors.clear()
        return delta

    def absorb(
        self, delta: TallyDelta, accepted: int = 0, rejections: Sequence[tuple[LineError, int]] = ()
    ) -> None:
        """Count what another tally took, plus ``accepted`` lines and ``rejections``
        (each error with the number of lines it stands for), all at once: a reader sees
        every line received already counted by its outcome."""
        rejected = sum(lines for _, lines in rejections)
        with self._lock:
            self._received += delta.received + accepted + rejected
            self._accepted += delta.accepted + accepted
            self._rejected += delta.rejected + rejected
            self._ignored += delta.ignored
            self._dropped += delta.dropped
            self._system_dropped = max(self._system_dropped, delta.system_dropped)
            self._errors.extend(delta.errors)
            self._errors.extend(error for error, _ in rejections)

    def counts(self) -> SourceCounts:
        with self._lock:
            return SourceCounts(
                self._received,
                self._accepted,
                self._rejected,
                self._ignored,
                self._dropped + self._system_dropped,
            )

    def errors(self) -> list[LineError]:
        """The latest rejections, oldest first."""
        with self._lock:
            return list(self._errors)
