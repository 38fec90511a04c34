"""The poller is the only place the window takes snapshots: switching sessions, typing,
resetting, exporting and opening a session never take one on the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from core import ActionTracker, Snapshot
from gui import MainWindow
from gui.menus import BENCHMARK_SESSION, USER_SESSION


@pytest.fixture
def snapshot_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads that call ``ActionTracker.snapshot`` (any tracker)."""
    threads: list[str] = []
    original = ActionTracker.snapshot

    def recording_snapshot(tracker: ActionTracker) -> Snapshot:
        threads.append(threading.current_thread().name)
        return original(tracker)

    monkeypatch.setattr(ActionTracker, "snapshot", recording_snapshot)
    return threads


def test_no_snapshot_on_the_gui_thread(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    snapshot_threads: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window(ActionTracker(), '{"action": "jump", "time": 100}')
    gui_thread = threading.current_thread().name
    saved = ActionTracker()
    saved.add_action('{"action": "saved", "time": 1}')
    saved.save(tmp_path / "saved.atsession")

    def agree(_parent: object, title: str, *_args: object) -> QMessageBox.StandardButton:
        if title == "Open session":
            return QMessageBox.StandardButton.Open
        return QMessageBox.StandardButton.Reset

    monkeypatch.setattr(QMessageBox, "question", agree)
    snapshot_threads.clear()

    def rows() -> int:
        return window.proxy.rowCount()

    window.benchmark.tracker.add_action('{"action": "walk", "time": 1}')
    window.show_session(BENCHMARK_SESSION)  # Ctrl+2
    qtbot.waitUntil(lambda: window.proxy.index(0, 0).data() == "walk", timeout=2000)
    window.show_session(USER_SESSION)  # Ctrl+1
    qtbot.waitUntil(lambda: window.proxy.index(0, 0).data() == "jump", timeout=2000)

    window.tracker.add_action('{"action": "run", "time": 5}')
    assert window.export_csv(tmp_path / "stats.csv")
    assert "run" in (tmp_path / "stats.csv").read_text(encoding="utf-8")

    with qtbot.waitSignal(window.user.changed, timeout=5000):
        window.open_session(tmp_path / "saved.atsession", confirm=True)  # asks: it holds some
    qtbot.waitUntil(lambda: window.proxy.index(0, 0).data() == "saved", timeout=2000)

    window.confirm_reset()
    qtbot.waitUntil(lambda: rows() == 0, timeout=2000)

    assert snapshot_threads, "the poller took the snapshots"
    assert gui_thread not in snapshot_threads
