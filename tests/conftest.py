"""Shared fixtures: headless Qt, isolated settings, and a check that no test leaves a
worker thread running."""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # Qt is imported only by the tests that open windows
    from pytestqt.qtbot import QtBot

    from core import ActionTracker
    from gui import MainWindow

# Headless unless a display is wanted: ACTION_TRACKER_TEST_DISPLAY=1 shows the windows.
if not os.environ.get("ACTION_TRACKER_TEST_DISPLAY"):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """QSettings and platform folders point into a temporary folder, per test."""
    home = tmp_path_factory.mktemp("home")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ["XDG_STATE_HOME"] = str(home / "state")
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")
    if "PySide6" not in sys.modules:  # engine tests never load Qt
        return
    from PySide6.QtCore import QCoreApplication, QSettings

    QCoreApplication.setOrganizationName("ActionTrackerTests")
    QCoreApplication.setApplicationName("action-tracker-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(home / "ini"))


@pytest.fixture(autouse=True)
def _no_threads_left() -> object:
    """Fail any test that leaves a worker QThread or a producer thread running."""
    before = set(threading.enumerate())
    yield
    leftovers: list[str] = []
    if "gui.workers" in sys.modules:
        from gui.workers import running_threads

        leftovers += [f"QThread {thread!r}" for thread in running_threads()]
    leftovers += [
        thread.name
        for thread in threading.enumerate()
        if thread not in before and thread.is_alive() and thread.name.startswith("load-producer")
    ]
    assert not leftovers, f"test left threads running: {leftovers}"
    if "PySide6" in sys.modules:
        # A closed window's wrappers form reference cycles. Collected here, on the GUI
        # thread; left for later, a collection that happens to run on a worker thread
        # of the next test deletes its widgets from there, and Qt deadlocks.
        gc.collect()


@pytest.fixture
def make_window(qtbot: QtBot) -> Iterator[Callable[..., MainWindow]]:
    """Opens main windows for a test, and shuts each one down (threads joined) after it.

    ``make_window(tracker, *payloads, shown=True, active=False)`` adds the payloads to
    the tracker first; ``active`` waits until the window has keyboard focus.
    """
    from gui import MainWindow

    opened: list[MainWindow] = []

    def open_window(
        tracker: ActionTracker, *payloads: str, shown: bool = True, active: bool = False
    ) -> MainWindow:
        window = MainWindow(tracker)
        opened.append(window)
        qtbot.addWidget(window)
        for payload in payloads:
            window.tracker.add_action(payload)
        window.refresh()
        if shown:
            window.show()
            qtbot.waitExposed(window)
        if active:
            window.activateWindow()
            qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        return window

    yield open_window
    for window in opened:
        window.shutdown()
        window.close()
