"""The one place the window takes snapshots: a poller run by a ``Worker`` on a thread of
its own, so the GUI thread never does the engine's folding and merging while producers
keep the GIL busy (on the GUI thread, the wait for the GIL would stall every timer and
paint)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from core import ActionTracker, Snapshot

POLL_MS = 66
"""About 15 Hz; a poll that finds the version unchanged costs next to nothing."""


@dataclass(frozen=True)
class TrackerSnapshot:
    """A snapshot with the tracker it was taken of, so a late one for a session no longer
    shown is recognised and dropped."""

    tracker: ActionTracker
    snapshot: Snapshot


class SnapshotPoller:
    """Polls one tracker and yields each new snapshot (``polls``, run by a Worker).

    The next snapshot is taken only after the receiver called ``consumed()``, so a busy
    GUI never piles them up. ``show`` and ``poll_now`` may be called from any thread.
    """

    def __init__(self, tracker: ActionTracker) -> None:
        self._lock = threading.Condition()
        self._tracker = tracker
        self._last: tuple[ActionTracker | None, int] = (None, -1)
        self._latest: TrackerSnapshot | None = None
        self._requested = False
        self._wake = threading.Event()
        self._consumed = threading.Event()
        self._consumed.set()

    @property
    def tracker(self) -> ActionTracker:
        return self._tracker

    def show(self, tracker: ActionTracker) -> None:
        """Poll ``tracker`` from now on, starting at once, even if its version was
        polled before (its rows were cleared when it stopped being shown)."""
        with self._lock:
            self._tracker = tracker
            self._last = (None, -1)
        self.poll_now()

    def poll_now(self) -> None:
        """Poll at the next chance, without waiting for the poll interval (a snapshot is
        taken only if the version moved)."""
        with self._lock:
            self._requested = True
        self._wake.set()

    def consumed(self) -> None:
        """The last snapshot was shown; the next one may be taken."""
        self._consumed.set()
        with self._lock:
            requested = self._requested
        if requested:
            self._wake.set()

    def wait_for_current(self, timeout: float) -> TrackerSnapshot | None:
        """Ask for a snapshot now and wait for it, at most ``timeout`` seconds: one at
        least as new as the tracker's version at the call. The snapshot is still taken
        on the poller's thread; the caller only waits."""
        with self._lock:
            tracker = self._tracker
            target = tracker.version
            self._requested = True
            self._consumed.set()  # the caller takes this one itself
            self._wake.set()
            self._lock.wait_for(
                lambda: (
                    self._latest is not None
                    and self._latest.tracker is tracker
                    and self._latest.snapshot.version >= target
                ),
                timeout,
            )
            latest = self._latest
        return latest if latest is not None and latest.tracker is tracker else None

    def polls(self, stop: threading.Event) -> Iterator[TrackerSnapshot]:
        """The poll loop: a snapshot whenever the polled tracker's version moved (or one
        was asked for), until ``stop`` is set."""
        while not stop.is_set():
            self._wake.wait(POLL_MS / 1000)
            self._wake.clear()
            if stop.is_set() or not self._consumed.is_set():
                continue
            with self._lock:
                tracker = self._tracker
                self._requested = False
                if self._last == (tracker, tracker.version):
                    continue
            snapshot = tracker.snapshot()  # outside the lock: it may wait for the GIL
            taken = TrackerSnapshot(tracker, snapshot)
            with self._lock:
                self._last = (tracker, snapshot.version)
                self._latest = taken
                self._lock.notify_all()
            self._consumed.clear()
            yield taken
