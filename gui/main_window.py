"""The main window: places the panels and connects the pieces that each own one job."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMainWindow, QMenu

from core import ActionTracker, Follower, Listener, LoadReport
from core.loadgen import LoadResult
from core.metrics import DEFAULT_QUANTILE_WINDOW, MetricsServer
from gui.benchmark_panel import BenchmarkPanel
from gui.charts import ChartsPanel
from gui.edit_commands import EditCommands
from gui.entry_panel import EntryPanel
from gui.exports import copy_rows
from gui.field_keys import let_window_shortcuts_through
from gui.file_commands import FileCommands, accept_local_files
from gui.file_loads import FileLoads
from gui.filter_status import FilterStatus
from gui.layout import build_layout, with_panel_below
from gui.live_view import LiveView
from gui.load_feedback import LoadFeedback
from gui.low_window import LowWindowFit
from gui.menus import BENCHMARK_SESSION, LIVE_SESSION, STRATEGY_MENU, USER_SESSION, build_menus
from gui.messages import show_about, warn
from gui.metrics_dialog import MetricsDialog
from gui.recent_files import RecentFiles
from gui.resources import app_icon, app_version
from gui.saved_sessions import open_sessions
from gui.session_commands import SessionCommands
from gui.session_files import SessionFiles, SessionOpened
from gui.shown_session import SESSION_NAMES, ShownSession
from gui.snapshots import TrackerSnapshot
from gui.source_commands import SourceCommands
from gui.sources_panel import ListenDialog, SourcesPanel
from gui.stats_model import StatsModel, StatsProxy
from gui.stats_view import StatsView
from gui.strategy_choice import StrategyChoice
from gui.user_session import freeze_long_lived
from gui.window_choice import WindowSelector
from gui.window_settings import (
    restore_layout,
    restore_sort,
    save_spec,
    save_window_choice,
    save_window_settings,
    saved_history,
    saved_spec,
    saved_window_choice,
)
from gui.workers import stop_all

log = logging.getLogger(__name__)

__all__ = ["BENCHMARK_SESSION", "LIVE_SESSION", "USER_SESSION", "MainWindow"]


class MainWindow(QMainWindow):
    """Action Tracker's window around ``tracker`` (a new one when None).

    The user's own entries and loaded files go into ``tracker``; the benchmark feeds a
    tracker of its own, shown as a separate session, so the two never mix.
    """

    def __init__(
        self, tracker: ActionTracker | None = None, session_path: Path | None = None
    ) -> None:
        super().__init__()
        self.settings = QSettings()
        opened = open_sessions(tracker, session_path, self.settings)
        self.user, self.autosaver = opened.user, opened.autosaver
        self.sources, self.live_autosaver = opened.sources, opened.live_autosaver
        # Only the application's window (the one keeping the user's session on disk)
        # freezes the collector's view of the process, as gui/app.py does at start.
        self._freeze_when_shown = self.user.tracker if session_path is not None else None
        self.setWindowTitle("Action Tracker")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)

        self.entry = EntryPanel(self.user)
        self.model = StatsModel()
        self.proxy = StatsProxy(self.model)
        self.table = StatsView()
        self.table.setModel(self.proxy)
        restore_sort(self.settings, self.table)  # first-seen order on a first run
        self.benchmark = BenchmarkPanel(saved_spec(self.settings))
        self.benchmark.restore_history(saved_history(self.settings))
        self.charts = ChartsPanel()
        self.sources_panel = SourcesPanel(self.sources)
        table_area = with_panel_below(self.table, self.sources_panel)
        self.window_selector = WindowSelector()
        layout = build_layout(
            self.entry,
            SESSION_NAMES,
            table_area,
            self.benchmark,
            self.charts,
            window_selector=self.window_selector,
        )
        self.setCentralWidget(layout.central)
        self.sessions, self.filter, self.splitter = layout.sessions, layout.filter, layout.splitter
        self._splitters = (*layout.splitters, table_area)
        self._low_fit = LowWindowFit(
            layout.central, self.entry, self.sources_panel, self.table, self.settings
        )
        self.filter_status = FilterStatus(layout.filter_status, self.filter, self.proxy)
        self.live = LiveView(self.tracker, SESSION_NAMES[0], self.model, self.table, self.charts)
        self.totals = self.live.place_totals(self.statusBar())
        self.shown = ShownSession(self.sessions, self.live, self.user, self.benchmark, self.sources)
        self.loads = FileLoads(self.user)
        self.recent = RecentFiles(
            self.settings, build_menus(self, self, self.table, self.benchmark)
        )
        self.recent_menu = self.recent.menu
        strategy_menu = self.findChild(QMenu, STRATEGY_MENU)
        assert strategy_menu is not None  # made by build_menus
        self.strategy_choice = StrategyChoice(strategy_menu, self, self.user, self.set_user_tracker)
        undo_action = self.findChild(QAction, "undoAction")
        assert undo_action is not None  # made by build_menus
        self.edits = EditCommands(
            self,
            self.user,
            table=self.table,
            proxy=self.proxy,
            sessions=self.sessions,
            undo_action=undo_action,
            show_session=self.show_session,
            poll_now=self.live.poll_now,
            clear_form=self.entry.clear_messages,
        )
        self.source_commands = SourceCommands(
            self, self.sources, self.recent, lambda: self.show_session(LIVE_SESSION)
        )
        self.files = FileCommands(self, self.loads, self.recent)
        self.session_commands = SessionCommands(
            self, self.shown, self.live, user=self.user, entry=self.entry, recent=self.recent
        )
        self.load_feedback = LoadFeedback(self, self.loads, self.recent)
        self.session_files = SessionFiles(self, self.user, self.recent)
        self._closing = False
        restore_layout(self.settings, self, self._splitters)
        self._field_keys = let_window_shortcuts_through(self)

        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.entry.added.connect(self._on_entry_added)
        self.live.shown.connect(self._on_live_shown)
        self.sessions.currentChanged.connect(self._on_session_tab_changed)
        self.recent.chosen.connect(self.open_file)
        self.loads.started.connect(self._on_load_started)
        self.loads.ended.connect(self.live.poll_now)
        self.session_files.opened.connect(self._on_session_opened)
        self.benchmark.started.connect(self._on_benchmark_started)
        self.benchmark.progressed.connect(self.charts.show_run_status)
        self.benchmark.run_finished.connect(self.charts.show_run_ended)
        self.benchmark.run_finished.connect(self._on_benchmark_finished)
        self.benchmark.spec_changed.connect(partial(save_spec, self.settings))
        self.window_selector.window_chosen.connect(self.live.set_window)
        self.window_selector.window_chosen.connect(partial(save_window_choice, self.settings))
        self.window_selector.set_window(saved_window_choice(self.settings))
        # The poller's thread starts last: a window that fails to build must not leave a
        # running thread behind (Qt aborts the process when its QThread is destroyed).
        self.live.start()
        for title, text in opened.problems:
            QTimer.singleShot(0, partial(warn, self, title, text, "restoreError"))
        if session_path is not None:  # the application's window: the user's own settings
            QTimer.singleShot(0, self.source_commands.restart_remembered)

    # --- sessions shown ------------------------------------------------------------

    def _on_session_tab_changed(self, index: int) -> None:
        self.sources_panel.set_live_shown(index == LIVE_SESSION)

    @property
    def tracker(self) -> ActionTracker:
        """The user's session ("My actions")."""
        return self.user.tracker

    @property
    def shown_tracker(self) -> ActionTracker:
        """The tracker the table shows: the user's, the benchmark's or the Live session's."""
        return self.shown.tracker

    def show_session(self, index: int) -> None:
        self.shown.show(index)

    def refresh(self) -> None:
        """Show the shown session's current figures before returning, for scripts and
        tests; see ``LiveView.refresh``."""
        self.shown.follow()
        self.live.refresh()

    def _on_entry_added(self, _name: str) -> None:
        self.show_session(USER_SESSION)
        self.live.poll_now()

    def _on_live_shown(self, taken: TrackerSnapshot) -> None:
        if taken.tracker is self.user.tracker:
            self.entry.set_known_names([stats.action for stats in taken.snapshot.actions])
        if taken.tracker is self._freeze_when_shown:  # a session restored or opened
            self._freeze_when_shown = None
            freeze_long_lived()  # with its rows: they live as long as it is shown

    # --- files ---------------------------------------------------------------------

    def open_file(self, path: str | Path) -> None:
        """Load ``path`` into the user's session in the background (queued behind any
        load in progress); the outcome is summarized when it ends."""
        self.files.open(path)

    def cancel_load(self) -> list[Path]:
        """Cancel the load in progress and any queued behind it; returns the queued
        files, which were not started."""
        return self.load_feedback.cancel()

    @property
    def loading(self) -> bool:
        return self.loads.loading

    @property
    def last_load_report(self) -> LoadReport | None:
        """The report of the last load that ended (None before any)."""
        return self.load_feedback.last_report

    def choose_file(self) -> None:
        self.files.choose()

    def _on_load_started(self, _path: Path) -> None:
        self.show_session(USER_SESSION)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        accept_local_files(event)

    def dropEvent(self, event: QDropEvent) -> None:
        for path in accept_local_files(event):
            self.open_file(path)

    # --- sessions on disk -----------------------------------------------------------

    def save_session_as(self, path: str | Path | None = None) -> bool:
        """Save the user's session (to a file the user picks when ``path`` is None) in
        the background; True when the save started."""
        return self.session_files.save_as(path)

    def open_session(self, path: str | Path | None = None, confirm: bool = True) -> bool:
        """Read a saved session in the background, then make it the user's (asking first
        when ``confirm`` and the user's holds actions); True when the read started."""
        return self.session_files.open(path, confirm)

    def set_user_tracker(self, tracker: ActionTracker) -> None:
        """Make ``tracker`` the user's session (shown in "My actions", autosaved); loads
        into the one it replaces are abandoned."""
        self.loads.abandon()
        self.user.set_tracker(tracker)
        self.show_session(USER_SESSION)

    def _on_session_opened(self, opened: SessionOpened) -> None:
        self.set_user_tracker(opened.tracker)
        if self.autosaver is not None:  # the application's window (see __init__)
            self._freeze_when_shown = opened.tracker

    # --- benchmark -----------------------------------------------------------------

    def _on_benchmark_started(self, _tracker: ActionTracker) -> None:
        self.charts.show_run_started(self.benchmark.spec.duration)
        self.show_session(BENCHMARK_SESSION)
        self.shown.follow()  # a new tracker, perhaps on the tab shown already

    def _on_benchmark_finished(self, result: LoadResult) -> None:
        log.info("benchmark: %s adds in %.2f s", result.added, result.seconds)
        self.live.poll_now()

    # --- live sources --------------------------------------------------------------

    def listen(self, address: str, protocol: str = "udp") -> Listener:
        """Listen for StatsD timings on ``address`` (``[HOST:]PORT``, 127.0.0.1 unless a
        host is named) into the Live session, and show it. Raises ``ValueError`` for a bad
        address, ``PortInUseError`` (an ``OSError``) when the port is taken."""
        return self.source_commands.listen(address, protocol)

    def follow(self, path: str | Path, from_start: bool = True) -> Follower:
        """Follow the file at ``path`` by name, like ``tail -F``, into the Live session,
        and show it. Raises ``OSError`` when it exists but cannot be read."""
        return self.source_commands.follow(path, from_start)

    def serve_metrics(
        self, address: str, quantile_window: int | None = DEFAULT_QUANTILE_WINDOW
    ) -> MetricsServer:
        """Serve the Live session's figures to Prometheus at ``http://address/metrics``
        (``[HOST:]PORT``, 127.0.0.1 unless a host is named), the summary's percentiles
        covering the last ``quantile_window`` seconds (None: all time), and show the
        session. Raises ``ValueError`` for a bad address or window, ``PortInUseError``
        when the port is taken."""
        return self.source_commands.serve_metrics(address, quantile_window)

    def stop_sources(self) -> None:
        """Stop every live source and the metrics server (the Live session keeps what
        they added)."""
        self.sources.stop_all()

    def choose_listen(self) -> ListenDialog:
        return self.source_commands.choose_listen()

    def choose_follow(self) -> None:
        self.source_commands.choose_follow()

    def choose_metrics(self) -> MetricsDialog:
        return self.source_commands.choose_metrics()

    # --- everyday commands ---------------------------------------------------------

    def export_json(self, path: str | Path | None = None) -> bool:
        """Write the shown session's ``get_stats()`` exactly; True on success."""
        return self.session_commands.export_json(path)

    def export_all_json(self, path: str | Path | None = None) -> bool:
        """Write every column of the shown session as JSON, full precision; True on
        success. (``export_json`` stays exactly ``get_stats()``.)"""
        return self.session_commands.export_all_json(path)

    def export_csv(self, path: str | Path | None = None) -> bool:
        """Write every column of the shown session, as shown, as CSV; True on success."""
        return self.session_commands.export_csv(path)

    def copy_selection(self) -> None:
        """Copy the selected rows (all columns, with a header) as tab-separated text."""
        copy_rows(self, self.table, self.proxy)

    def focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def confirm_reset(self) -> None:
        """Reset the shown session, if the user confirms."""
        self.session_commands.confirm_reset()

    def undo(self) -> None:
        """Take back the newest change to "My actions" (an add, a file, a deletion)."""
        self.edits.undo()

    def delete_selected(self) -> None:
        """Delete the actions selected in "My actions", if the user confirms."""
        self.edits.delete_selected()

    def show_about(self) -> None:
        show_about(self, app_version())

    # --- closing -------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the timers and every background job, waiting (bounded) for their
        threads, and save the window's settings. Safe to call more than once."""
        if self._closing:
            return
        self._closing = True
        self.source_commands.close()  # first: the Live session's last lines are then saved
        autosavers = [s for s in (self.autosaver, self.live_autosaver) if s is not None]
        stop_all(
            [
                self.live.stop(),
                self.loads.stop(),
                self.benchmark.shutdown(),
                *(saver.stop() for saver in autosavers),
                *self.session_files.stop(),
            ]
        )
        for saver in autosavers:
            saver.save_if_changed()
        save_window_settings(self.settings, self, self._splitters, self.table, self.benchmark)
