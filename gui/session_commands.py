"""The window's commands on the session shown: export it (three ways) and reset it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMainWindow

from gui.entry_panel import EntryPanel
from gui.exports import all_columns_json, csv_text, export
from gui.live_view import LiveView
from gui.messages import confirm_reset
from gui.recent_files import RecentFiles
from gui.shown_session import ShownSession
from gui.user_session import UserSession


class SessionCommands:
    """Exports and resets ``shown``'s session (as ``live`` shows it), over ``window``;
    resetting the user's also clears ``entry``'s messages and ``user``'s undo history."""

    def __init__(
        self,
        window: QMainWindow,
        shown: ShownSession,
        live: LiveView,
        *,
        user: UserSession,
        entry: EntryPanel,
        recent: RecentFiles,
    ) -> None:
        self._window = window
        self._shown = shown
        self._live = live
        self._user = user
        self._entry = entry
        self._recent = recent

    def export_json(self, path: str | Path | None = None) -> bool:
        """See ``MainWindow.export_json``."""
        tracker = self._shown.tracker
        return self._export(path, "json", lambda: tracker.get_stats() + "\n")

    def export_all_json(self, path: str | Path | None = None) -> bool:
        """See ``MainWindow.export_all_json``."""
        self._shown.follow()
        return self._export(path, "all-json", lambda: all_columns_json(self._live))

    def export_csv(self, path: str | Path | None = None) -> bool:
        """See ``MainWindow.export_csv``."""
        self._shown.follow()
        return self._export(path, "csv", lambda: csv_text(self._live))

    def confirm_reset(self) -> None:
        """Reset the shown session, if the user confirms."""
        if confirm_reset(self._window, self._shown.name):
            tracker = self._shown.tracker
            if tracker is self._user.tracker:
                self._entry.clear_messages()  # "Added alpha: 30" is gone with alpha
            tracker.reset()
            if tracker is self._user.tracker:
                self._user.forget_history()
            self._live.poll_now()

    def _export(self, path: str | Path | None, kind: str, render: Callable[[], str]) -> bool:
        return export(self._window, path, self._recent, kind, render)
