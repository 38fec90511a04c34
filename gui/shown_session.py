"""Which session the table, charts and totals show: the one whose tab is chosen."""

from __future__ import annotations

from PySide6.QtWidgets import QTabBar

from core import ActionTracker
from gui.benchmark_panel import BenchmarkPanel
from gui.live_view import LiveView
from gui.menus import BENCHMARK_SESSION, LIVE_SESSION
from gui.sources import LiveSources
from gui.user_session import UserSession

SESSION_NAMES = ("My actions", "Benchmark", "Live")
"""The sessions' tabs, in the order of ``USER_SESSION``, ``BENCHMARK_SESSION`` and
``LIVE_SESSION``."""


class ShownSession:
    """Keeps ``live`` showing the session of the tab chosen in ``tabs``: the user's, the
    benchmark's or the Live session's, following a change of tab or of the user's
    tracker."""

    def __init__(
        self,
        tabs: QTabBar,
        live: LiveView,
        user: UserSession,
        benchmark: BenchmarkPanel,
        sources: LiveSources,
    ) -> None:
        self._tabs = tabs
        self._live = live
        self._user = user
        self._benchmark = benchmark
        self._sources = sources
        tabs.currentChanged.connect(self.follow)
        user.changed.connect(self.follow)

    @property
    def index(self) -> int:
        return self._tabs.currentIndex()

    @property
    def name(self) -> str:
        return SESSION_NAMES[self.index]

    @property
    def tracker(self) -> ActionTracker:
        """The tracker of the session shown."""
        if self.index == BENCHMARK_SESSION:
            return self._benchmark.tracker
        if self.index == LIVE_SESSION:
            return self._sources.tracker
        return self._user.tracker

    def show(self, index: int) -> None:
        """Choose the tab of the session ``index`` (``USER_SESSION``...)."""
        self._tabs.setCurrentIndex(index)

    def follow(self, *_changed: object) -> None:
        """Show the session of the current tab (its tab, or its tracker, changed)."""
        self._live.show(self.tracker, self.name)
