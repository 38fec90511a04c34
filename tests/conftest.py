"""Shared fixtures: headless Qt, isolated settings, and a check that no test leaves a
worker thread running."""

from __future__ import annotations

import os
import sys
import threading

import pytest

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
