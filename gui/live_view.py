"""What the table, charts and totals show: one session at a time, over one window of
time, fed by the poller.

The poller is the only place the window takes snapshots; the live view asks it to poll
now when the shown session or window changes or the user acted, and applies what it
yields. The table's selection picks the actions whose distribution the charts show.
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QObject, QSortFilterProxyModel, QTimer, Signal
from PySide6.QtWidgets import QLabel, QStatusBar

from core import ActionTracker, Snapshot
from gui.average_history import AverageHistory
from gui.charts import ChartsPanel
from gui.empty_note import EmptyNote
from gui.snapshots import SnapshotPoller, TrackerSnapshot
from gui.stats_model import StatsModel, format_rate
from gui.stats_view import StatsView
from gui.window_choice import window_words
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
    """Owns the shown session's tracker, the window of time shown, the snapshot poller
    and the refresh timer, and drives the table's model, the charts and ``totals`` (a
    label: session, window, count, distinct actions and rate) from them.

    The window applies to every session: it is one choice above the table, as a filter
    is, so switching tabs never changes silently what the figures cover.

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
        self._shown_sequence = 0
        self._shown_resets: int | None = None
        self._window: int | None = None
        self._latest: Snapshot | None = None
        self._totals_text = ""
        self._rate = RateMeter()
        self._window_rate = 0.0
        self._histories: dict[str, AverageHistory] = {}
        self._selected: tuple[str, ...] = ()
        self.empty_note = EmptyNote(table)
        self._show_history()
        self.poller = SnapshotPoller(tracker)
        self.worker = Worker(self.poller.polls, "snapshot poller")
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(REFRESH_MS)

        self.worker.yielded.connect(self._on_poller_yielded)
        self.refresh_timer.timeout.connect(self._on_refresh_timer)
        table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        charts.currentChanged.connect(self._on_charts_current_changed)

    @property
    def tracker(self) -> ActionTracker:
        """The tracker shown now."""
        return self._tracker

    @property
    def window(self) -> int | None:
        """The window of time shown, in seconds; None for all time."""
        return self._window

    @property
    def selected(self) -> tuple[str, ...]:
        """The actions selected in the table, in its order: their distribution is shown."""
        return self._selected

    def set_window(self, window: int | None) -> None:
        """Show the figures of the last ``window`` seconds (None: all time), in every
        session; the charts start again, since their past covered another window."""
        if window == self._window:
            return
        self._window = window
        self._shown_version = -1
        self._shown_sequence = 0
        self._latest = None
        self._rate.clear()
        self._histories.clear()
        self._show_history()
        self._charts.set_window_words(window_words(window))
        self._totals_text = f"{self._heading()}: …"
        self._show_totals()
        self.poller.set_window(window)

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
        self._shown_sequence = 0  # the poller's latest of this tracker is new to the table
        self._shown_resets = None
        self._latest = None
        self._rate.clear()
        self._model.clear_rows()
        self._clear_selection()
        self._show_history()
        self._totals_text = f"{self._heading()}: …"
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
        stale = self._window is not None  # its figures age: always taken anew
        if stale or self._latest is None or self._tracker.version != self._shown_version:
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
        """Show ``taken``, unless it is of another session or window, or not newer than
        the shown."""
        snapshot = taken.snapshot
        if (
            taken.tracker is not self._tracker
            or taken.window != self._window
            or taken.sequence <= self._shown_sequence
        ):
            return
        self._shown_sequence = taken.sequence
        self._shown_version = snapshot.version
        self._latest = snapshot
        if self._shown_resets is not None and snapshot.resets != self._shown_resets:
            self._clear_selection()  # the selected actions' times are gone
        self._shown_resets = snapshot.resets
        now = time.monotonic()
        self._model.update(snapshot)
        self._table.fit_columns(*self._model.take_widened())
        self._charts.add_snapshot(now, snapshot)
        self._charts.show_histograms(taken.histograms)
        count, distinct = snapshot.total_count, len(snapshot.actions)
        if self._window is None:
            self._rate.add(now, snapshot.total_count)
        else:
            self._window_rate = float(sum(stats.rate for stats in snapshot.actions))
        self._totals_text = (
            f"{self._heading()}: {count:,} action{'' if count == 1 else 's'} · "
            f"{distinct:,} distinct"
        )
        self.empty_note.show_for(
            f"No actions in the {window_words(self._window)}"
            if self._window is not None and not snapshot.actions
            else None
        )
        self._show_totals()
        self.shown.emit(taken)

    def _heading(self) -> str:
        """The session, and the window when it is not all time: "Live, last minute"."""
        if self._window is None:
            return self._session_name
        return f"{self._session_name}, {window_words(self._window)}"

    def _show_totals(self) -> None:
        rate = self._rate.rate(time.monotonic()) if self._window is None else self._window_rate
        # As the table's Rate column writes rates, for all time as for a window.
        self.totals.setText(f"{self._totals_text} · {format_rate(rate)}")

    def _on_table_selection_changed(self, *_changed: object) -> None:
        proxy = self._table.model()
        assert isinstance(proxy, QSortFilterProxyModel)
        rows = sorted({index.row() for index in self._table.selectionModel().selectedRows()})
        names = []
        for row in rows:
            stats = self._model.stats_at(proxy.mapToSource(proxy.index(row, 0)).row())
            if stats is not None:
                names.append(stats.action)
        self._show_selected(tuple(names))

    def _clear_selection(self) -> None:
        self._table.clearSelection()
        self._show_selected(())

    def _show_selected(self, names: tuple[str, ...]) -> None:
        if names == self._selected:
            return
        self._selected = names
        self._charts.show_selected(names)
        self._ask_histograms()

    def _on_charts_current_changed(self, _index: int) -> None:
        self._ask_histograms()

    def _ask_histograms(self) -> None:
        """Have the poller take the selected actions' histograms while the distribution
        is the chart shown, and none otherwise (they cost the poller's thread, and the
        GIL, tens of milliseconds each under load)."""
        shown = self._charts.currentWidget() is self._charts.distribution
        self.poller.set_histogram_actions(self._selected if shown else ())
