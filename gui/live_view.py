"""What the table, charts and totals show: one session at a time, fed by the poller.

The poller is the only place the window takes snapshots; the live view asks it to poll
now when the shown session changes or the user acted, and applies what it yields.
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QStatusBar

from core import ActionTracker, Snapshot
from gui.average_history import AverageHistory
from gui.charts import ChartsPanel
from gui.snapshots import SnapshotPoller, TrackerSnapshot
from gui.stats_model import StatsModel
from gui.stats_view import StatsView
from gui.workers import Worker

REFRESH_MS = 66
"""The charts redraw and the rate updates at about 15 Hz; snapshots arrive from the
poller at the same rate, only when the data changed."""
RATE_WINDOW = 1.0
"""Seconds over which the status bar's rate is measured."""
CURRENT_TIMEOUT = 5.0
"""Seconds ``refresh`` waits for the poller before giving up."""


class RateMeter:
    """Actions per second from (time, total count) samples, over at least RATE_WINDOW."""

    def __init__(self) -> None:
        self._counts: deque[tuple[float, int]] = deque()

    def clear(self) -> None:
        self._counts.clear()

    def add(self, now: float, total: int) -> None:
        self._counts.append((now, total))

    def decay(self, now: float) -> bool:
        """Record that nothing arrived for a whole window; True when the rate changed."""
        if self._counts and now - self._counts[-1][0] > RATE_WINDOW:
            self._counts.append((now, self._counts[-1][1]))
            return True
        return False

    def rate(self, now: float) -> float:
        counts = self._counts
        while len(counts) > 2 and now - counts[1][0] > RATE_WINDOW:
            counts.popleft()
        if len(counts) < 2:
            return 0.0
        (first_time, first), (_, last) = counts[0], counts[-1]
        # Over at least a whole window, up to now: one typed entry is 1/s, not the 40/s
        # that dividing by the 25 ms between two snapshots would claim.
        return max(0.0, (last - first) / max(now - first_time, RATE_WINDOW))


class LiveView(QObject):
    """Owns the shown session's tracker, the snapshot poller and the refresh timer, and
    drives the table's model, the charts and ``totals`` (a label: count, distinct
    actions and rate) from them.

    Signals
    -------
    shown(object)
        A ``TrackerSnapshot`` just applied to the table and charts.
    """

    shown = Signal(object)

    def __init__(
        self,
        tracker: ActionTracker,
        session_name: str,
        model: StatsModel,
        table: StatsView,
        charts: ChartsPanel,
    ) -> None:
        super().__init__()
        self._tracker = tracker
        self._session_name = session_name
        self._model, self._table, self._charts = model, table, charts
        self.totals = QLabel()
        self.totals.setObjectName("totalsLabel")
        self._shown_version = -1
        self._latest: Snapshot | None = None
        self._totals_text = ""
        self._rate = RateMeter()
        self._histories: dict[str, AverageHistory] = {}
        self._show_history()
        self.poller = SnapshotPoller(tracker)
        self.worker = Worker(self.poller.polls, "snapshot poller")
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(REFRESH_MS)

        self.worker.yielded.connect(self._on_poller_yielded)
        self.refresh_timer.timeout.connect(self._on_refresh_timer)

    @property
    def tracker(self) -> ActionTracker:
        """The tracker shown now."""
        return self._tracker

    def place_totals(self, status_bar: QStatusBar) -> QLabel:
        """Put ``totals`` at the right of ``status_bar``; returns it."""
        # Permanent, so that passing messages ("Copied 2 rows") show beside the totals
        # instead of hiding them.
        status_bar.addPermanentWidget(self.totals)
        self.totals.setContentsMargins(16, 0, 0, 0)  # a gap after a long passing message
        return self.totals

    def start(self) -> None:
        self.worker.start()
        self.refresh_timer.start()
        self.poller.poll_now()

    def stop(self) -> Worker:
        """Stop the timer and ask the poller to end; returns its worker to wait for."""
        self.refresh_timer.stop()
        self.worker.quit()
        self.poller.poll_now()  # wakes it from its wait between polls
        return self.worker

    def show(self, tracker: ActionTracker, session_name: str) -> None:
        """Show ``tracker`` (cleared until its first snapshot arrives), or bring the one
        shown up to date."""
        if tracker is self._tracker and session_name == self._session_name:
            self.poller.poll_now()
            return
        self._tracker, self._session_name = tracker, session_name
        self._shown_version = -1
        self._latest = None
        self._rate.clear()
        self._model.clear_rows()
        self._show_history()
        self._totals_text = f"{session_name}: …"
        self._show_totals()
        self.poller.show(tracker)

    def _show_history(self) -> None:
        """Chart the shown session's averages: kept while its tab is away, so switching
        back draws them again; begun anew for a new tracker (a run, an opened session)."""
        history = self._histories.get(self._session_name)
        if history is None or history.tracker is not self._tracker:
            history = AverageHistory(self._tracker, time.monotonic())
            self._histories[self._session_name] = history
        self._charts.show_history(history)

    def poll_now(self) -> None:
        """Bring the shown figures up to date soon, without waiting for the next poll."""
        self.poller.poll_now()

    def refresh(self) -> None:
        """Show the shown session's current figures before returning (for scripts and
        tests). The snapshot is still taken on the poller's thread, but the caller waits
        for it, so the window itself never calls this: it uses ``poll_now``."""
        if self.worker.running:
            self.current_snapshot()
            self._charts.redraw()

    def current_snapshot(self) -> Snapshot:
        """The shown session's current figures: as shown when they are current, else as
        the poller takes them now (the caller waits, at most CURRENT_TIMEOUT)."""
        if self._latest is None or self._tracker.version != self._shown_version:
            if not self.worker.running:
                raise RuntimeError("the window is closed: its snapshot poller has stopped")
            taken = self.poller.wait_for_current(CURRENT_TIMEOUT)
            if taken is not None:
                self._apply(taken)
        if self._latest is None:
            raise TimeoutError("the snapshot poller did not answer")
        return self._latest

    def _on_poller_yielded(self, taken: TrackerSnapshot) -> None:
        try:
            self._apply(taken)
        finally:
            self.poller.consumed()

    def _on_refresh_timer(self) -> None:
        """Decay the rate when nothing arrives; redraw the charts."""
        if self._rate.decay(time.monotonic()):
            self._show_totals()
        self._charts.redraw()

    def _apply(self, taken: TrackerSnapshot) -> None:
        """Show ``taken``, unless it is of another session or not newer than the shown."""
        snapshot = taken.snapshot
        if taken.tracker is not self._tracker or snapshot.version <= self._shown_version:
            return
        self._shown_version = snapshot.version
        self._latest = snapshot
        now = time.monotonic()
        self._model.update(snapshot)
        self._table.fit_columns(*self._model.take_widened())
        self._charts.add_snapshot(now, snapshot)
        self._rate.add(now, snapshot.total_count)
        count, distinct = snapshot.total_count, len(snapshot.actions)
        self._totals_text = (
            f"{self._session_name}: {count:,} action{'' if count == 1 else 's'} · "
            f"{distinct:,} distinct"
        )
        self._show_totals()
        self.shown.emit(taken)

    def _show_totals(self) -> None:
        rate = self._rate.rate(time.monotonic())
        self.totals.setText(f"{self._totals_text} · {rate:,.0f}/s")
