"""The window's Undo and Delete commands on the user's session, and the Undo menu entry
that names what it would take back."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QTabBar, QTableView

from core.undo import UndoError
from gui.menus import USER_SESSION
from gui.messages import confirm_delete, warn
from gui.stats_model import StatsProxy
from gui.user_session import UserSession

STATUS_MS = 5000
"""How long a command's note stays in the status bar."""


class EditCommands:
    """Undo and delete in ``user``'s session, as selected in ``table`` (through ``proxy``)
    while ``sessions`` shows it. ``show_session`` switches tabs, ``poll_now`` shows the
    change at once; ``undo_action`` is kept enabled and named as the next undo;
    ``clear_form`` clears the entry form's messages, which an undo makes out of date."""

    def __init__(
        self,
        window: QMainWindow,
        user: UserSession,
        *,
        table: QTableView,
        proxy: StatsProxy,
        sessions: QTabBar,
        undo_action: QAction,
        show_session: Callable[[int], None],
        poll_now: Callable[[], object],
        clear_form: Callable[[], None],
    ) -> None:
        self._window = window
        self._user = user
        self._table = table
        self._proxy = proxy
        self._sessions = sessions
        self._undo_action = undo_action
        self._show_session = show_session
        self._poll_now = poll_now
        self._clear_form = clear_form
        user.edited.connect(self._on_user_edited)

    def undo(self) -> None:
        """Take back the newest change to "My actions" (an add, a file, a deletion)."""
        try:
            change = self._user.undo()
        except UndoError as error:
            warn(self._window, "Cannot undo", str(error), "undoError")
            return
        if change is not None:
            self._show_session(USER_SESSION)
            self._window.statusBar().showMessage(f"Undone: {change.description}", STATUS_MS)
            self._clear_form()  # "Added jump: 5" would outlive the add it reports
            self._poll_now()

    def delete_selected(self) -> None:
        """Delete the actions selected in "My actions", if the user confirms."""
        if self._sessions.currentIndex() != USER_SESSION:
            self._window.statusBar().showMessage(
                "Only actions in “My actions” can be deleted", STATUS_MS
            )
            return
        rows = sorted({index.row() for index in self._table.selectionModel().selectedIndexes()})
        names = [str(self._proxy.index(row, 0).data()) for row in rows]
        if names and confirm_delete(self._window, names):
            self._user.remove(names)
            self._poll_now()

    def _on_user_edited(self) -> None:
        undo, change = self._undo_action, self._user.next_undo
        undo.setEnabled(change is not None)
        undo.setText(f"&Undo {change.description}" if change is not None else "&Undo")
