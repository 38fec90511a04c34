"""The one place the window takes snapshots: a poller run by a ``Worker`` on a thread of
its own, so the GUI thread never does the engine's folding and merging while producers
keep the GIL busy (on the GUI thread, the wait for the GIL would stall every timer and
paint). The selected actions' histograms are taken there too, with each snapshot."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from core import ActionTracker, Snapshot
from gui.histogram_bins import Histograms, histograms_for

POLL_MS = 66
"""About 15 Hz; a poll that finds the version unchanged costs next to nothing."""
REPOLL_SECONDS = 1.0
"""A snapshot is taken again this often even when nothing was added: rates change as time
passes, and a window's figures as old adds leave it (it moves in whole seconds). Shown
only when its figures differ from the last one's."""
HISTOGRAM_SECONDS = 1.0
"""The selected actions' histograms are taken again at most this often (the distribution
view redraws no more often): under load each costs tens of milliseconds of this thread's
time, and of the GIL the window's thread waits for."""


@dataclass(frozen=True)
class TrackerSnapshot:
    """A snapshot with the tracker it was taken of, so a late one for a session no longer
    shown is recognised and dropped; ``sequence`` grows with every snapshot the poller
    takes (a windowed one may change with the same version); ``histograms`` are the
    selected actions' bins taken with it (None when none is selected)."""

    tracker: ActionTracker
    snapshot: Snapshot
    sequence: int = 0
    histograms: Histograms | None = None

    @property
    def window(self) -> int | None:
        return self.snapshot.window


class SnapshotPoller:
    """Polls one tracker over one window and yields each new snapshot (``polls``, run by a
    Worker).

    The next snapshot is taken only after the receiver called ``consumed()``, so a busy
    GUI never piles them up. ``show``, ``set_window``, ``set_histogram_actions`` and
    ``poll_now`` may be called from any thread.
    """

    def __init__(self, tracker: ActionTracker, window: int | None = None) -> None:
        self._lock = threading.Condition()
        self._tracker = tracker
        self._window = window
        self._histogram_actions: tuple[str, ...] = ()
        # What the last snapshot was taken of: tracker, version, window, histogram actions.
        self._last: tuple[object, ...] = ()
        self._last_taken = 0.0
        self._last_figures: object = None
        self._histograms: Histograms | None = None
        # When the last histograms were taken, of what, at which version.
        self._histograms_taken: tuple[float, object, int] = (0.0, None, -1)
        self._sequence = 0
        self._latest: TrackerSnapshot | None = None
        self._requested = False
        self._forced = False
        self._waiting = 0  # callers of wait_for_current
        self._wake = threading.Event()
        self._consumed = threading.Event()
        self._consumed.set()

    @property
    def tracker(self) -> ActionTracker:
        return self._tracker

    @property
    def window(self) -> int | None:
        return self._window

    def show(self, tracker: ActionTracker) -> None:
        """Poll ``tracker`` from now on, starting at once, even if its version was
        polled before (its rows were cleared when it stopped being shown)."""
        with self._lock:
            self._tracker = tracker
            self._last = ()
        self.poll_now()

    def set_window(self, window: int | None) -> None:
        """Take snapshots over the last ``window`` seconds (None: all time), from now."""
        with self._lock:
            self._window = window
            self._last = ()
        self.poll_now()

    def set_histogram_actions(self, actions: Sequence[str]) -> None:
        """Take the histograms of ``actions`` with each snapshot (none when empty)."""
        with self._lock:
            if tuple(actions) == self._histogram_actions:
                return
            self._histogram_actions = tuple(actions)
            self._last = ()
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
        least as new as the tracker's version at the call, over the window chosen (a
        fresh one when windowed: its figures age). The snapshot is still taken on the
        poller's thread; the caller only waits."""
        with self._lock:
            tracker, window = self._tracker, self._window
            target = tracker.version
            sequence = self._sequence if window is not None else -1
            if window is not None:
                self._forced = True  # a fresh one, even with figures as the last's
            self._requested = True
            # The caller takes the next one itself: the poller must not wait for the GUI
            # to consume the one before (the GUI thread is the caller, waiting here).
            self._waiting += 1
            self._consumed.set()
            self._wake.set()

            def current() -> bool:
                latest = self._latest
                return (
                    latest is not None
                    and latest.tracker is tracker
                    and latest.window == window
                    and latest.snapshot.version >= target
                    and latest.sequence > sequence
                )

            self._lock.wait_for(current, timeout)
            self._waiting -= 1
            latest = self._latest
        if latest is None or latest.tracker is not tracker or latest.window != window:
            return None
        return latest

    def _histograms_due(self, snapshot: Snapshot, actions: tuple[str, ...]) -> bool:
        """Whether to take the histograms of ``actions`` with ``snapshot``: at once for a
        new selection, window, tracker or reset, else at most every HISTOGRAM_SECONDS
        (the view draws them no more often) and only if they may have changed."""
        if not actions:
            return False
        taken, key, version = self._histograms_taken
        if key != (self._tracker, snapshot.window, actions, snapshot.resets):
            return True
        moved = snapshot.version != version or snapshot.window is not None
        return moved and time.monotonic() - taken >= HISTOGRAM_SECONDS

    def polls(self, stop: threading.Event) -> Iterator[TrackerSnapshot]:
        """The poll loop: a snapshot whenever the polled tracker's version moved (or one
        was asked for, or a second passed), until ``stop`` is set."""
        while not stop.is_set():
            self._wake.wait(POLL_MS / 1000)
            self._wake.clear()
            if stop.is_set() or not (self._consumed.is_set() or self._waiting):
                continue
            with self._lock:
                tracker, window, actions = self._tracker, self._window, self._histogram_actions
                self._requested = False
                key = (tracker, tracker.version, window, actions)
                aged = time.monotonic() - self._last_taken >= REPOLL_SECONDS
                if self._last == key and not aged and not self._forced:
                    continue
                changed = self._last != key or self._forced
                self._forced = False
            # Outside the lock: these may wait for the GIL.
            snapshot = tracker.snapshot() if window is None else tracker.snapshot(window=window)
            with self._lock:
                self._last_taken = time.monotonic()
                self._last = key
            figures = (snapshot.actions, [stats.rate for stats in snapshot.actions])
            histograms_due = self._histograms_due(snapshot, actions)
            if not changed and figures == self._last_figures and not histograms_due:
                continue  # no rate moved, nothing left the window: nothing to show
            self._last_figures = figures
            if histograms_due:
                self._histograms = histograms_for(tracker, snapshot, actions)
                self._histograms_taken = (
                    time.monotonic(),
                    (tracker, window, actions, snapshot.resets),
                    snapshot.version,
                )
            histograms = self._histograms if actions else None
            with self._lock:
                self._sequence += 1
                taken = TrackerSnapshot(tracker, snapshot, self._sequence, histograms)
                self._latest = taken
                self._lock.notify_all()
            self._consumed.clear()
            yield taken
