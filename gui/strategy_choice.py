"""The strategy of *My actions*: a choice that starts the user's session afresh.

A tracker's strategy is fixed when it is made (a sketch cannot become the samples it no
longer holds), so choosing one means a new, empty session kept that way; the session
file then carries the choice across restarts.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from core import STRATEGIES, ActionTracker, Strategy
from gui.user_session import UserSession

LABELS: dict[Strategy, str] = {
    "running": "&Running: exact up to 1,000 times an action, then within 1%",
    "samples": "&Samples: every time kept, exact percentiles",
}
OBJECT_NAMES: dict[Strategy, str] = {"running": "strategyRunning", "samples": "strategySamples"}
SHORTCUTS: dict[Strategy, str] = {"running": "Ctrl+Alt+R", "samples": "Ctrl+Alt+S"}


def confirm_new_session(parent: QWidget, strategy: Strategy) -> bool:
    """Whether the user agrees to start *My actions* afresh with ``strategy``."""
    answer = QMessageBox.question(
        parent,
        "Change strategy",
        f"Start “My actions” afresh, keeping times by the “{strategy}” strategy? Every "
        "action and time in it now is forgotten. This cannot be undone.",
        QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Reset


class StrategyChoice(QObject):
    """Fills ``menu`` with one checkable entry per strategy, checked as the user's
    session keeps its times; choosing another replaces the session by an empty one of
    that strategy through ``replace``, asking first unless nothing was ever added."""

    def __init__(
        self,
        menu: QMenu,
        parent: QWidget,
        session: UserSession,
        replace: Callable[[ActionTracker], None],
    ) -> None:
        super().__init__(parent)
        self._parent, self._session, self._replace = parent, session, replace
        self.group = QActionGroup(menu)
        self.group.setExclusive(True)
        self.actions: dict[Strategy, QAction] = {}
        for strategy in STRATEGIES:
            action = QAction(LABELS[strategy], menu)
            action.setObjectName(OBJECT_NAMES[strategy])
            action.setCheckable(True)
            action.setShortcut(QKeySequence(SHORTCUTS[strategy]))
            self.group.addAction(action)
            menu.addAction(action)
            self.actions[strategy] = action
        self._check(session.tracker)

        self.group.triggered.connect(self._on_group_triggered)
        session.changed.connect(self._check)

    def choose(self, strategy: Strategy) -> bool:
        """Make *My actions* a new, empty session of ``strategy`` (asking first when it
        ever held anything); True when it changed."""
        tracker = self._session.tracker
        if strategy == tracker.strategy:
            return False
        # version is 0 only for a session that never held anything: a cheap test that
        # needs no snapshot on the GUI thread.
        if tracker.version and not confirm_new_session(self._parent, strategy):
            self._check(tracker)
            return False
        self._replace(ActionTracker(strategy))
        return True

    def _on_group_triggered(self, action: QAction) -> None:
        for strategy, known in self.actions.items():
            if known is action:
                self.choose(strategy)

    def _check(self, tracker: ActionTracker) -> None:
        self.actions[tracker.strategy].setChecked(True)
