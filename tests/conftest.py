"""Shared fixtures: headless Qt, isolated settings, and a check that no test leaves a
worker thread running."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # Qt is imported only by the tests that open windows
    from pytestqt.qtbot import QtBot

    from core import ActionTracker
    from gui import MainWindow

# Headless unless a display is wanted: ACTION_TRACKER_TEST_DISPLAY=1 shows the windows.
if not os.environ.get("ACTION_TRACKER_TEST_DISPLAY"):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "window(*payloads, strategy=None, shown=True, active=False): how the window fixture"
        " opens the test's main window (on a module: for each of its tests)",
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Set aside, for the garbage collector, what collection built: the imported modules,
    the test functions and their parameters live to the end of the session. The full
    collection after each test (below) then walks only what tests made since."""
    gc.collect()
    gc.freeze()


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


SHUTDOWN_TIMEOUT_MS = 10_000
"""How long a window's threads may take to end once it is shut down, however slow CI is."""


@pytest.fixture
def make_window(qtbot: QtBot) -> Iterator[Callable[..., MainWindow]]:
    """Opens main windows for a test, and shuts every one down after it, threads joined.

    ``make_window(tracker=None, *payloads, session_path=None, shown=True, active=False)``
    builds ``MainWindow(tracker, session_path)`` and adds the payloads to its session;
    ``active`` waits until the window has keyboard focus. A test may shut a window down
    itself (to open the next one on its saved settings): shutting down twice is safe.
    """
    from gui import MainWindow
    from gui.workers import running_threads

    opened: list[MainWindow] = []

    def open_window(
        tracker: ActionTracker | None = None,
        *payloads: str,
        session_path: Path | None = None,
        shown: bool = True,
        active: bool = False,
    ) -> MainWindow:
        window = MainWindow(tracker, session_path=session_path)
        opened.append(window)
        qtbot.addWidget(window)
        for payload in payloads:
            window.tracker.add_action(payload)
        if payloads:
            window.refresh()
        if shown or active:
            window.show()
            qtbot.waitExposed(window)
        if active:
            window.activateWindow()
            qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        return window

    yield open_window
    with contextlib.ExitStack() as teardown:  # every window, even if one fails to shut down
        for window in opened:
            teardown.callback(window.close)
            teardown.callback(window.shutdown)  # callbacks run last-in first-out
    qtbot.waitUntil(lambda: not running_threads(), timeout=SHUTDOWN_TIMEOUT_MS)


@pytest.fixture
def window(make_window: Callable[..., MainWindow], request: pytest.FixtureRequest) -> MainWindow:
    """The test's main window, opened by ``make_window`` as the closest ``window`` marker
    says: ``pytest.mark.window(*payloads, strategy=None, shown=True, active=False)``.
    Without a marker: shown, around an empty tracker of the default strategy."""
    from core import ActionTracker

    marker = request.node.get_closest_marker("window")
    payloads, options = (marker.args, dict(marker.kwargs)) if marker else ((), {})
    strategy = options.pop("strategy", None)
    tracker = ActionTracker(strategy) if strategy is not None else None
    return make_window(tracker, *payloads, **options)
