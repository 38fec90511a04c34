"""Loading files into the window: summaries and errors, background loading with progress
and cancel, drag and drop, the Open dialog and recent files.

Every outcome is compared with what the engine's own ``ActionTracker.load`` does with the
same file."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
)
from pytestqt.qtbot import QtBot

import core.loading
import gui.load_feedback
import gui.main_window
import gui.workers
from core import ActionTracker, InvalidFileError, LoadProgress
from gui import MainWindow
from gui.file_loads import FileLoaded
from widgets import menu_action

BIG_LINES = 200_000
LOAD_TIMEOUT_MS = 20_000


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def write_big_ndjson(path: Path, lines: int = BIG_LINES) -> Path:
    path.write_bytes(
        b"".join(
            b'{"action": "action%d", "time": %d.5}\n' % (index % 40, index % 997)
            for index in range(lines)
        )
    )
    return path


def boxes(window: MainWindow, name: str) -> list[QMessageBox]:
    return window.findChildren(QMessageBox, name)


def wait_for_load(qtbot: QtBot, window: MainWindow, name: str, count: int = 1) -> QMessageBox:
    """Wait until the load ended and ``count`` message boxes called ``name`` are open."""
    qtbot.waitUntil(
        lambda: not window.loading and len(boxes(window, name)) >= count,
        timeout=LOAD_TIMEOUT_MS,
    )
    return boxes(window, name)[-1]


def engine_load(path: Path) -> ActionTracker:
    reference = ActionTracker()
    reference.load(path)
    return reference


def recent_entries(window: MainWindow) -> list[str]:
    return [
        action.text()
        for action in window.recent_menu.actions()
        if not action.isSeparator() and action.text() != "&Clear Recent Files"
    ]


def test_good_ndjson_loads_and_is_summarized(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = write_lines(
        tmp_path / "good.ndjson",
        '{"action": "jump", "time": 100}',
        '{"action": "run", "time": 75.5}',
        '{"action": "jump", "time": 200}',
    )
    window.open_file(path)
    box = wait_for_load(qtbot, window, "loadSummary")

    assert window.tracker.snapshot().actions == engine_load(path).snapshot().actions
    assert "3 accepted, 0 rejected" in box.text()
    assert "good.ndjson" in box.text()
    assert box.detailedText() == ""
    assert box.icon() == QMessageBox.Icon.Information
    assert box.isVisible()
    report = window.last_load_report
    assert report is not None
    assert (report.accepted, report.rejected_count, report.format) == (3, 0, "lines")
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 2, timeout=2000)
    assert not window.findChild(QPushButton, "cancelLoadButton").isVisible()


def test_json_array_loads(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "array.json"
    path.write_text(
        '[{"action": "jump", "time": 1}, {"action": "swim", "time": 2.25},\n'
        ' {"action": "jump", "time": 3}]',
        encoding="utf-8",
    )
    window.open_file(path)
    box = wait_for_load(qtbot, window, "loadSummary")
    assert "3 accepted, 0 rejected" in box.text()
    assert window.last_load_report is not None
    assert window.last_load_report.format == "array"
    assert window.tracker.snapshot().actions == engine_load(path).snapshot().actions


def test_mixed_ndjson_lists_each_rejected_line(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = write_lines(
        tmp_path / "mixed.ndjson",
        '{"action": "jump", "time": 100}',
        "not json",
        '{"action": "jump", "time": -1}',
        "",
        '{"action": "", "time": 3}',
        '{"action": "run", "time": 5}',
    )
    reference = ActionTracker()
    expected = reference.load(path)
    window.open_file(path)
    box = wait_for_load(qtbot, window, "loadSummary")

    assert "2 accepted, 3 rejected" in box.text()
    assert expected.summary in box.text()
    assert box.icon() == QMessageBox.Icon.Warning
    details = box.detailedText().splitlines()
    assert details == [f"line {r.record}: {r.reason}" for r in expected.rejected]
    assert [line.split(":", 1)[0] for line in details] == ["line 2", "line 3", "line 5"]
    assert details[0].startswith("line 2: payload is not valid JSON")
    assert window.tracker.snapshot().actions == reference.snapshot().actions


def test_mixed_array_lists_rejected_records(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.json"
    path.write_text('[{"action": "a", "time": 1}, {"action": "a"}, 5]', encoding="utf-8")
    expected = ActionTracker().load(path)
    window.open_file(path)
    box = wait_for_load(qtbot, window, "loadSummary")
    assert "1 accepted, 2 rejected" in box.text()
    assert box.detailedText().splitlines() == [
        f"element {r.record}: {r.reason}" for r in expected.rejected
    ]


@pytest.mark.parametrize(
    "content",
    ["hello, this is not JSON\n", '[{"action": "a", "time": 1}', "\x00\x01binary"],
    ids=["text", "truncated-array", "binary"],
)
def test_broken_file_shows_load_error_and_adds_nothing(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, content: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidFileError) as engine_error:
        ActionTracker().load(path)
    window.open_file(path)
    box = wait_for_load(qtbot, window, "loadError")

    assert str(engine_error.value) in box.text()
    assert str(path) in box.text()
    assert "Traceback" not in box.text()
    assert window.tracker.version == 0
    assert window.last_load_report is None
    assert boxes(window, "loadSummary") == []


def test_missing_file_shows_load_error(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "nowhere.ndjson"
    window.open_file(path)
    box = wait_for_load(qtbot, window, "loadError")
    assert str(path) in box.text()
    assert "No such file" in box.text()
    assert "Errno" not in box.text()  # the system's words, not Python's
    assert window.tracker.version == 0


def test_a_file_of_no_records_or_only_rejected_ones_is_not_called_loaded(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.open_file(write_lines(tmp_path / "none.json", "[]"))
    box = wait_for_load(qtbot, window, "loadSummary")
    assert (box.windowTitle(), box.text()) == ("Nothing loaded", "none.json holds no records.")
    assert box.icon() == QMessageBox.Icon.Warning
    box.close()
    window.open_file(write_lines(tmp_path / "bad.ndjson", '{"action": "x", "time": -1}'))
    qtbot.waitUntil(lambda: not window.loading, timeout=LOAD_TIMEOUT_MS)
    box = boxes(window, "loadSummary")[-1]
    assert box.windowTitle() == "Nothing loaded"
    assert box.text().startswith("bad.ndjson: 0 accepted, 1 rejected.")


@pytest.mark.parametrize("content", [b"", b" \n\r\n\t"])
def test_empty_file_is_not_called_loaded(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(content)
    window.open_file(path)
    box = wait_for_load(qtbot, window, "loadSummary")
    assert box.windowTitle() == "Nothing loaded"
    assert box.text() == "empty.json is empty: it holds no records."
    assert box.icon() == QMessageBox.Icon.Warning


def test_large_file_loads_in_background_with_moving_progress(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.loading, "CHUNK_BYTES", 128 * 1024)
    path = write_big_ndjson(tmp_path / "big.ndjson")
    progress_bar = window.findChild(QProgressBar, "loadProgress")
    shown_while_loading: list[int] = []
    progress_bar.valueChanged.connect(
        lambda value: shown_while_loading.append(value) if window.loading else None
    )
    window.open_file(path)
    assert window.loading, "open_file returns while the load goes on"
    assert progress_bar.isVisible()
    assert window.findChild(QPushButton, "cancelLoadButton").isVisible()
    box = wait_for_load(qtbot, window, "loadSummary")

    # Each value was painted by the event loop while the worker was still loading.
    moving = [value for value in shown_while_loading if 0 < value < 1000]
    assert len(set(moving)) >= 3, shown_while_loading
    assert shown_while_loading == sorted(shown_while_loading), "progress never goes back"
    assert f"{BIG_LINES:,} accepted, 0 rejected" in box.text()
    assert window.tracker.snapshot().total_count == BIG_LINES
    assert not progress_bar.isVisible()


class PipeFeeder:
    """A named pipe fed by a thread: ``first`` as soon as the window opens it, ``rest``
    only after ``release()``. In between the window's load is stuck mid-file, waiting for
    data, which makes "during a load" a state the test controls instead of a race."""

    def __init__(self, path: Path, first: bytes, rest: bytes) -> None:
        os.mkfifo(path)
        self.path = path
        self._released = threading.Event()
        self._thread = threading.Thread(
            target=self._feed, args=(first, rest), name="pipe-feeder", daemon=True
        )
        self._thread.start()

    def _feed(self, first: bytes, rest: bytes) -> None:
        try:
            with open(self.path, "wb") as pipe:  # blocks until the reader opens the pipe
                pipe.write(first)
                pipe.flush()
                self._released.wait(timeout=30)
                pipe.write(rest)
        except BrokenPipeError:  # the reader stopped early: a cancelled load
            pass

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self.release()
        self._thread.join(timeout=5)
        if self._thread.is_alive():  # nobody opened the pipe: open it, so the feeder ends
            os.close(os.open(self.path, os.O_RDONLY | os.O_NONBLOCK))
            self._thread.join(timeout=5)
        assert not self._thread.is_alive()


def pipe_lines(start: int, stop: int) -> bytes:
    return b"".join(b'{"action": "piped", "time": %d}\n' % index for index in range(start, stop))


FIRST_LINES = 3000  # about 90 KiB: more than the first chunk the loader reads
ALL_LINES = 60_000


@pytest.fixture
def feeder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PipeFeeder]:
    if not hasattr(os, "mkfifo"):
        pytest.skip("named pipes need a POSIX system")
    monkeypatch.setattr(core.loading, "CHUNK_BYTES", 4096)
    pipe = PipeFeeder(
        tmp_path / "pipe.ndjson", pipe_lines(0, FIRST_LINES), pipe_lines(FIRST_LINES, ALL_LINES)
    )
    yield pipe
    pipe.close()


@pytest.fixture(autouse=True)
def cancelled_loads_asked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Answers the keep-or-discard question of a cancelled load (a test may answer
    otherwise), so no test waits on a dialog."""
    asked: list[int] = []
    monkeypatch.setattr(
        gui.load_feedback,
        "keep_cancelled_load",
        lambda _window, _name, read: asked.append(read) and False,
    )
    return asked


def wait_until_stuck_mid_load(qtbot: QtBot, window: MainWindow, feeder: PipeFeeder) -> None:
    read: list[int] = []
    window.loads.progressed.connect(lambda step: read.append(step.accepted))
    window.open_file(feeder.path)
    qtbot.waitUntil(lambda: max(read, default=0) >= FIRST_LINES // 2, timeout=LOAD_TIMEOUT_MS)
    assert window.loading


def test_a_load_abandoned_by_open_session_says_nothing_was_kept(
    qtbot: QtBot, window: MainWindow, feeder: PipeFeeder, tmp_path: Path
) -> None:
    session = tmp_path / "saved.atsession"
    saved = ActionTracker()
    saved.add_action('{"action": "from the session", "time": 5}')
    saved.save(session)
    wait_until_stuck_mid_load(qtbot, window, feeder)
    window.open_file(write_lines(tmp_path / "queued.ndjson", '{"action": "q", "time": 1}'))
    assert window.open_session(session, confirm=False)
    feeder.release()
    box = wait_for_load(qtbot, window, "loadSummary")
    assert box.windowTitle() == "Load abandoned"
    assert "nothing from this file is in the session now shown" in box.text()
    assert "queued behind it: queued.ndjson." in box.text()

    # Loads run in turn: had the queued file been kept, it would load before this one.
    window.open_file(write_lines(tmp_path / "after.ndjson", '{"action": "after", "time": 1}'))
    last = wait_for_load(qtbot, window, "loadSummary", count=2)
    assert boxes(window, "loadSummary") == [box, last]
    assert last.text().startswith("after.ndjson: ")
    assert window.tracker.snapshot().get("q") is None
    assert window.tracker.snapshot().get("from the session") is not None


def test_window_stays_responsive_during_a_load(
    qtbot: QtBot, window: MainWindow, feeder: PipeFeeder
) -> None:
    wait_until_stuck_mid_load(qtbot, window, feeder)
    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(lambda: ticks.append(time.monotonic()))
    heartbeat.start()
    try:
        qtbot.waitUntil(lambda: len(ticks) >= 10, timeout=3000)
    finally:
        heartbeat.stop()
    assert window.loading

    # People can keep working meanwhile; their entries go into the same session.
    json_input = window.findChild(QLineEdit, "jsonInput")
    qtbot.keyClicks(json_input, '{"action": "typed", "time": 5}')
    qtbot.keyClick(json_input, Qt.Key.Key_Return)
    assert window.tracker.snapshot().get("typed") is not None
    loaded_so_far = window.findChild(QLabel, "loadLabel").text()
    assert "loaded" in loaded_so_far, loaded_so_far

    feeder.release()
    box = wait_for_load(qtbot, window, "loadSummary")
    assert f"{ALL_LINES:,} accepted, 0 rejected" in box.text()
    piped = window.tracker.snapshot().get("piped")
    assert piped is not None
    assert piped.count == ALL_LINES


def test_cancel_button_stops_a_load_keeping_what_was_read_when_asked_to(
    qtbot: QtBot, window: MainWindow, feeder: PipeFeeder, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    monkeypatch.setattr(
        gui.load_feedback, "keep_cancelled_load", lambda _w, _n, read: asked.append(read) or True
    )
    wait_until_stuck_mid_load(qtbot, window, feeder)
    cancel = window.findChild(QPushButton, "cancelLoadButton")
    assert cancel.isVisible()
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    label = window.findChild(QLabel, "loadLabel")
    window.load_feedback.show_progress(LoadProgress(10, 100, 5, 0))  # a chunk under way
    assert label.text() == "Cancelling…"  # not overwritten by the late progress
    feeder.release()
    box = wait_for_load(qtbot, window, "loadSummary")

    report = window.last_load_report
    assert report is not None
    assert report.cancelled
    assert FIRST_LINES // 2 <= report.accepted < ALL_LINES
    assert window.tracker.snapshot().total_count == report.accepted
    assert box.windowTitle() == "Load cancelled"
    assert asked == [report.accepted]
    assert f"The {report.accepted:,} records read until then were kept" in box.text()
    assert not cancel.isVisible()


def test_cancel_also_drops_queued_files(
    qtbot: QtBot, window: MainWindow, feeder: PipeFeeder, tmp_path: Path
) -> None:
    small = write_lines(tmp_path / "small.ndjson", '{"action": "queued", "time": 1}')
    wait_until_stuck_mid_load(qtbot, window, feeder)
    window.open_file(small)
    window.cancel_load()
    feeder.release()
    wait_for_load(qtbot, window, "loadSummary")
    assert window.tracker.snapshot().get("queued") is None
    assert len(boxes(window, "loadSummary")) == 1
    assert window.last_load_report is not None
    assert window.last_load_report.cancelled


def test_files_opened_during_a_load_are_queued(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    first = write_lines(tmp_path / "first.ndjson", '{"action": "one", "time": 1}')
    second = write_lines(tmp_path / "second.json", '[{"action": "two", "time": 2}]')
    window.open_file(first)
    window.open_file(second)
    wait_for_load(qtbot, window, "loadSummary", count=2)
    snapshot = window.tracker.snapshot()
    assert [stats.action for stats in snapshot.actions] == ["one", "two"]


def drop_event(mime: QMimeData) -> QDropEvent:
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    event.ignore()
    return event


def drag_enter(window: MainWindow, mime: QMimeData) -> bool:
    """Send a drag-enter carrying ``mime`` to the window; True if it was accepted."""
    event = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    event.ignore()
    window.dragEnterEvent(event)
    return event.isAccepted()


def test_drag_enter_accepts_local_files_only(window: MainWindow, tmp_path: Path) -> None:
    assert window.acceptDrops()
    files = QMimeData()
    files.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.ndjson"))])
    assert drag_enter(window, files)

    web = QMimeData()
    web.setUrls([QUrl("https://example.com/a.ndjson")])
    assert not drag_enter(window, web)

    text = QMimeData()
    text.setText("just text")
    assert not drag_enter(window, text)


def test_dropping_files_loads_each_of_them(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    first = write_lines(tmp_path / "first.ndjson", '{"action": "dropped", "time": 10}')
    second = write_lines(tmp_path / "second.ndjson", '{"action": "dropped", "time": 30}')
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(first)), QUrl.fromLocalFile(str(second))])
    event = drop_event(mime)
    window.dropEvent(event)
    assert event.isAccepted()
    wait_for_load(qtbot, window, "loadSummary", count=2)
    stats = window.tracker.snapshot().get("dropped")
    assert stats is not None
    assert (stats.count, stats.mean) == (2, 20)


def test_dropping_a_web_link_loads_nothing(window: MainWindow) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/a.ndjson")])
    event = drop_event(mime)
    window.dropEvent(event)
    assert not event.isAccepted()
    assert not window.loading


def test_open_menu_uses_the_file_dialog(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_lines(tmp_path / "chosen.ndjson", '{"action": "chosen", "time": 1}')
    answers = [("", ""), (str(path), "JSON actions (*.json *.ndjson *.jsonl)")]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args, **_kw: answers.pop(0))
    open_action = menu_action(window, "&Open…")
    assert not open_action.shortcut().isEmpty()

    open_action.trigger()  # cancelled dialog: nothing happens
    assert not window.loading
    assert boxes(window, "loadSummary") == []

    open_action.trigger()
    wait_for_load(qtbot, window, "loadSummary")
    assert window.tracker.snapshot().get("chosen") is not None


def test_recent_files_menu_lists_and_reopens_files(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    first = write_lines(tmp_path / "first.ndjson", '{"action": "first", "time": 1}')
    second = write_lines(tmp_path / "second.ndjson", '{"action": "second", "time": 2}')
    window.open_file(first)
    wait_for_load(qtbot, window, "loadSummary")
    window.open_file(second)
    wait_for_load(qtbot, window, "loadSummary", count=2)

    assert recent_entries(window) == [f"&1 {second.resolve()}", f"&2 {first.resolve()}"]
    recent = [a for a in window.recent_menu.actions() if a.text().startswith("&2 ")]
    assert recent[0].shortcut().toString() == "Ctrl+Alt+2"

    recent[0].trigger()
    wait_for_load(qtbot, window, "loadSummary", count=3)
    stats = window.tracker.snapshot().get("first")
    assert stats is not None
    assert stats.count == 2
    assert recent_entries(window)[0] == f"&1 {first.resolve()}"  # most recent first


def test_a_recent_file_that_is_gone_leaves_the_menu(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    kept = write_lines(tmp_path / "kept.ndjson", '{"action": "kept", "time": 1}')
    gone = write_lines(tmp_path / "gone.ndjson", '{"action": "gone", "time": 2}')
    for path in (kept, gone):
        window.open_file(path)
    wait_for_load(qtbot, window, "loadSummary", count=2)
    gone.unlink()
    [entry] = [a for a in window.recent_menu.actions() if a.text().startswith("&1 ")]
    entry.trigger()
    qtbot.waitUntil(lambda: not window.loading, timeout=5000)
    assert window.findChild(QMessageBox, "loadError") is not None
    assert recent_entries(window) == [f"&1 {kept.resolve()}"]


def test_recent_files_are_remembered_and_can_be_cleared(
    qtbot: QtBot, window: MainWindow, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "kept.ndjson", '{"action": "kept", "time": 1}')
    window.open_file(path)
    wait_for_load(qtbot, window, "loadSummary")
    window.shutdown()

    later = make_window(shown=False)
    assert recent_entries(later) == [f"&1 {path.resolve()}"]
    clear = [a for a in later.recent_menu.actions() if a.text() == "&Clear Recent Files"]
    assert clear[0].isEnabled()
    clear[0].trigger()
    assert recent_entries(later) == []
    clear = [a for a in later.recent_menu.actions() if a.text() == "&Clear Recent Files"]
    assert not clear[0].isEnabled()
    later.shutdown()

    assert recent_entries(make_window(shown=False)) == []


def test_loading_shows_the_users_session(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "mine.ndjson", '{"action": "mine", "time": 1}')
    window.show_session(1)
    window.open_file(path)
    wait_for_load(qtbot, window, "loadSummary")
    assert window.sessions.currentIndex() == 0
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1, timeout=2000)


def test_queued_files_dropped_after_the_loads_own_summary_are_still_named(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Open Session can come between a load's summary and its thread's end (or after a
    failed load); the files it dropped from the queue must still be named."""

    def open_session_after(loaded: FileLoaded) -> None:
        if loaded.path.name == "a.ndjson":  # what Open Session does once the file is read
            window.set_user_tracker(ActionTracker.open(saved_session(tmp_path)))

    window.loads.loaded.connect(open_session_after)
    window.open_file(write_lines(tmp_path / "a.ndjson", '{"action": "a", "time": 1}'))
    window.open_file(write_lines(tmp_path / "b.ndjson", '{"action": "b", "time": 1}'))
    qtbot.waitUntil(
        lambda: (
            not window.loading
            and any("b.ndjson" in box.text() for box in boxes(window, "loadSummary"))
        ),
        timeout=LOAD_TIMEOUT_MS,
    )
    assert window.tracker.snapshot().get("b") is None


def saved_session(tmp_path: Path) -> Path:
    path = tmp_path / "other.atsession"
    ActionTracker().save(path)
    return path


def test_a_file_is_never_saved_in_part_mid_load_nor_at_exit(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    feeder: PipeFeeder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A crash or kill -9 mid-load leaves what the last autosave wrote: that must be the
    # session as it was before the load, never part of the file.
    # The load stays stuck on the pipe through the shutdown, which stops waiting for it
    # after stop_all's timeout: a short one does as well as the full JOIN_MS (the
    # feeder's teardown then ends the load, and make_window waits for its thread).
    monkeypatch.setattr(gui.main_window, "stop_all", partial(gui.workers.stop_all, timeout_ms=200))
    session = tmp_path / "session.atsession"
    window = make_window(session_path=session)
    window.user.add_action('{"action": "before", "time": 1}')
    wait_until_stuck_mid_load(qtbot, window, feeder)
    assert window.tracker.get_stats() == '[{"action":"before","avg":1}]'
    assert window.autosaver is not None
    assert window.autosaver.save_if_changed()
    assert ActionTracker.open(session).get_stats() == '[{"action":"before","avg":1}]'
    window.shutdown()  # closing mid-load: the user never said to keep part of the file
    assert ActionTracker.open(session).get_stats() == '[{"action":"before","avg":1}]'


def test_cancel_then_discard_adds_nothing(
    qtbot: QtBot, window: MainWindow, feeder: PipeFeeder, cancelled_loads_asked: list[int]
) -> None:
    window.user.add_action('{"action": "before", "time": 1}')
    wait_until_stuck_mid_load(qtbot, window, feeder)
    window.cancel_load()
    feeder.release()
    box = wait_for_load(qtbot, window, "loadSummary")
    report = window.last_load_report
    assert report is not None
    assert report.cancelled
    assert cancelled_loads_asked == [report.accepted]
    assert window.tracker.get_stats() == '[{"action":"before","avg":1}]'
    assert "discarded: nothing from this file was added" in box.text()


@pytest.mark.parametrize(
    "content", [b"\x00\x01binary", b"", b"hello"], ids=["binary", "empty", "not json"]
)
def test_a_refused_file_is_not_offered_in_open_recent(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, content: bytes
) -> None:
    kept = write_lines(tmp_path / "kept.ndjson", '{"action": "kept", "time": 1}')
    window.open_file(kept)
    wait_for_load(qtbot, window, "loadSummary")
    refused = tmp_path / "refused.json"
    refused.write_bytes(content)
    window.open_file(refused)
    qtbot.waitUntil(lambda: not window.loading, timeout=LOAD_TIMEOUT_MS)
    assert recent_entries(window) == [f"&1 {kept.resolve()}"]
