"""The window's error paths: each gets a clear message and changes nothing; sessions
are autosaved, restored, and set aside when damaged."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

import core.loading
from core import ActionTracker
from gui import MainWindow

pytestmark = pytest.mark.window('{"action": "jump", "time": 100}', shown=False)


def _message(qtbot: QtBot, window: MainWindow, name: str) -> QMessageBox:
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, name) is not None, timeout=5000)
    box = window.findChild(QMessageBox, name)
    assert box is not None
    return box


def _load_and_expect_error(qtbot: QtBot, window: MainWindow, path: Path) -> str:
    before = window.tracker.get_stats(), window.tracker.version
    window.open_file(path)
    qtbot.waitUntil(lambda: not window.loading, timeout=5000)
    text = _message(qtbot, window, "loadError").text()
    assert (window.tracker.get_stats(), window.tracker.version) == before
    return text


def test_missing_file_is_reported_by_name(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    text = _load_and_expect_error(qtbot, window, tmp_path / "nowhere.json")
    assert "nowhere.json" in text
    assert "No such file" in text


def test_directory_is_reported(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    text = _load_and_expect_error(qtbot, window, tmp_path)
    assert "directory" in text.lower()


def test_unreadable_file_is_reported(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "secret.json"
    path.write_text('{"action": "a", "time": 1}\n')
    path.chmod(0)

    def denied(*_args: object, **_kwargs: object) -> object:
        # Root reads anything whatever its mode, so the refusal is simulated.
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(core.loading, "open", denied, raising=False)
    text = _load_and_expect_error(qtbot, window, path)
    assert "Permission denied" in text


def test_binary_file_is_refused_whole(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "picture.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    text = _load_and_expect_error(qtbot, window, path)
    assert "not a JSON actions file" in text


def test_export_into_a_read_only_folder_fails_cleanly(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    target = tmp_path / "missing-folder" / "stats.csv"
    assert not window.export_csv(target)
    assert "Could not write" in _message(qtbot, window, "exportError").text()
    assert not target.exists()


def test_save_session_into_a_missing_folder_fails_cleanly(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    assert window.save_session_as(tmp_path / "missing-folder" / "s.atsession")  # started
    assert "Could not write" in _message(qtbot, window, "saveError").text()


def test_session_save_as_and_open_round_trip(
    qtbot: QtBot, window: MainWindow, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    path = tmp_path / "mine.atsession"
    with qtbot.waitSignal(window.session_files.saved, timeout=5000):
        assert window.save_session_as(path)
    other = make_window(shown=False)
    with qtbot.waitSignal(other.user.changed, timeout=5000):
        assert other.open_session(path, confirm=False)
    assert other.tracker.get_stats() == window.tracker.get_stats()
    assert other.entry.tracker is other.tracker


def test_opening_a_damaged_session_keeps_the_current_one(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "bad.atsession"
    path.write_bytes(b"not a session at all")
    before = window.tracker
    assert window.open_session(path, confirm=False)  # started; the read fails
    assert "not an Action Tracker session" in _message(qtbot, window, "openSessionError").text()
    assert window.tracker is before


def test_autosave_restores_entries_on_next_start(
    make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    path = tmp_path / "data" / "session.atsession"
    first = make_window(session_path=path, shown=False)
    first.tracker.add_action('{"action": "typed", "time": 42}')
    assert first.autosaver is not None
    assert first.autosaver.save_if_changed()  # what the 3 s timer does
    first.tracker.add_action('{"action": "typed", "time": 58}')
    first.shutdown()  # saves once more on exit
    second = make_window(session_path=path, shown=False)
    assert second.tracker.get_stats() == '[{"action":"typed","avg":50}]'


def test_damaged_session_is_set_aside_and_the_user_told(
    qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    path = tmp_path / "session.atsession"
    path.write_bytes(b'{"format":"action-tracker-session","format_version":1')
    shown = make_window(session_path=path, shown=False)
    box = _message(qtbot, shown, "restoreError")
    assert "could not be opened" in box.text()
    assert shown.tracker.get_stats() == "[]"
    kept = list(tmp_path.glob("session.atsession.corrupt-*"))
    assert len(kept) == 1
    assert kept[0].read_bytes().startswith(b'{"format"')
    assert not path.exists()


def test_benchmark_load_is_never_autosaved(
    qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    from core.loadgen import LoadSpec

    path = tmp_path / "session.atsession"
    shown = make_window(session_path=path, shown=False)
    shown.tracker.add_action('{"action": "mine", "time": 1}')
    shown.benchmark.set_spec(LoadSpec(duration=None, count=2000, producers=2))
    shown.benchmark.start()
    qtbot.waitUntil(lambda: not shown.benchmark.busy, timeout=10000)
    shown.shutdown()  # saves on exit, as on closing
    assert ActionTracker.open(path).get_stats() == '[{"action":"mine","avg":1}]'


def test_a_failing_benchmark_producer_is_reported(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gui.benchmark_panel
    from core.loadgen import LoadSpec

    class FailingTracker(ActionTracker):
        def add_action(self, payload: str | bytes) -> None:
            raise RuntimeError("engine fault")

    monkeypatch.setattr(gui.benchmark_panel, "ActionTracker", FailingTracker)
    window.benchmark.set_spec(LoadSpec(duration=30.0, producers=2))
    window.benchmark.start()
    box = _message(qtbot, window, "benchmarkError")
    assert box.text() == "a producer thread failed: engine fault"
    assert "RuntimeError" in box.detailedText()
    qtbot.waitUntil(lambda: not window.benchmark.busy, timeout=5000)
    assert window.tracker.get_stats() == '[{"action":"jump","avg":100}]'


def test_autosave_writes_on_a_background_thread(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from gui.autosave import Autosaver
    from gui.user_session import UserSession

    path = tmp_path / "session.atsession"
    tracker = ActionTracker()
    session = UserSession(tracker)
    saver = Autosaver(session, path)
    saving_threads: list[str] = []
    save = tracker.save

    def recording_save(target: Path) -> None:
        saving_threads.append(threading.current_thread().name)
        save(target)

    monkeypatch.setattr(tracker, "save", recording_save)
    try:
        assert saver.save_in_background() is None  # nothing changed yet
        tracker.add_action('{"action": "typed", "time": 1}')
        worker = saver.save_in_background()
        assert worker is not None
        with qtbot.waitSignal(worker.finished, timeout=5000):
            pass
        assert len(saving_threads) == 1
        assert saving_threads[0] != threading.main_thread().name
        assert not saver.unsaved
        assert ActionTracker.open(path).get_stats() == tracker.get_stats()

        replacement = ActionTracker()  # a session opened from a file, say
        session.set_tracker(replacement)
        assert saver.unsaved  # even at the same version as the last save
    finally:
        saver.stop()
    assert saver.save_if_changed()
    assert ActionTracker.open(path).get_stats() == "[]"


def test_a_worker_that_will_not_stop_is_logged_by_what_it_does_not_destroyed(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    import threading

    from gui import workers

    release = threading.Event()

    def blocked_read(_stop: threading.Event) -> None:
        release.wait(10)  # ignores the stop, like a read blocked on a pipe

    worker = workers.Worker(blocked_read, "reading a pipe")
    worker.start()
    assert not workers.stop_all([worker], timeout_ms=100)
    assert "reading a pipe did not stop within 100 ms" in caplog.text
    assert workers.stuck_workers() == [worker]
    release.set()
    with qtbot.waitSignal(worker.finished, timeout=5000):
        pass
    assert workers.stuck_workers() == []


def test_restore_removes_temporaries_left_by_a_killed_save(tmp_path: Path) -> None:
    import os
    import time

    from gui.autosave import STALE_SECONDS, restore

    path = tmp_path / "session.atsession"
    ActionTracker().save(path)
    stale = tmp_path / ".session.atsession.k1ll3d.tmp"
    fresh = tmp_path / ".session.atsession.s4v1ng.tmp"  # perhaps another window saving now
    other = tmp_path / ".other.atsession.k1ll3d.tmp"
    for leftover in (stale, fresh, other):
        leftover.write_bytes(b"partial")
    old = time.time() - STALE_SECONDS - 5
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    _, message = restore(path)
    assert message is None
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, fresh.name, other.name])
