"""``Follower`` with real files: appends, half lines, truncation, rotation, delete and
recreate, each line counted once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import core.follower
from core import ActionTracker, Follower, SourceCounts
from livetools import live_threads, wait_until


@pytest.fixture(autouse=True)
def _no_live_threads_left() -> Iterator[None]:
    yield
    assert live_threads() == []


@pytest.fixture(autouse=True)
def _quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.follower, "POLL_SECONDS", 0.02)


@pytest.fixture
def tracker() -> ActionTracker:
    return ActionTracker("samples")


def _counts(tracker: ActionTracker) -> dict[str, int]:
    return {stats.action: stats.count for stats in tracker.snapshot().actions}


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def _lines(name: str, count: int, start: int = 0) -> str:
    return "".join(f"{name}:{start + number}|ms\n" for number in range(count))


def test_reads_what_is_there_then_what_is_appended(tracker: ActionTracker, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text(_lines("old", 3) + '{"action": "json", "time": 4}\n')
    with Follower(tracker, path) as follower:
        wait_until(lambda: follower.counts().accepted == 4)
        _append(path, _lines("new", 2) + "hits:1|c\nbad line\n")
        wait_until(lambda: follower.counts().received == 8)
    assert _counts(tracker) == {"old": 3, "json": 1, "new": 2}
    assert follower.counts() == SourceCounts(8, 6, 1, 1, 0)
    (error,) = follower.errors()
    assert (error.line, error.source) == ("bad line", str(path))
    assert follower.description == f"follow {path}"


def test_from_the_end_skips_what_was_there(tracker: ActionTracker, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text(_lines("old", 3) + "old:99")  # ends mid-line
    with Follower(tracker, path, from_start=False) as follower:
        _append(path, "|ms\n" + _lines("new", 2))
        wait_until(lambda: follower.counts().accepted == 2)
    assert _counts(tracker) == {"new": 2}
    assert follower.counts().rejected == 0  # the old line's end is not taken for a line


def test_a_partial_last_line_waits_for_its_newline(tracker: ActionTracker, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("first:1|ms\nsecond:2")
    with Follower(tracker, path) as follower:
        wait_until(lambda: follower.counts().accepted == 1)
        _append(path, "0|m")
        _append(path, "s\n")
        wait_until(lambda: follower.counts().accepted == 2)
    samples = {name: list(tracker.samples(name)) for name in ("first", "second")}
    assert samples == {"first": [1.0], "second": [20.0]}


def test_copytruncate_is_read_again_from_the_start(tracker: ActionTracker, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text(_lines("before", 5))
    with Follower(tracker, path) as follower:
        wait_until(lambda: follower.counts().accepted == 5)
        path.write_text(_lines("after", 2))  # truncated in place, then written: smaller
        wait_until(lambda: follower.counts().accepted == 7)
        _append(path, _lines("more", 1))
        wait_until(lambda: follower.counts().accepted == 8)
    assert _counts(tracker) == {"before": 5, "after": 2, "more": 1}


def test_truncation_to_the_same_size_is_noticed(tracker: ActionTracker, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text(_lines("aaaa", 4))
    size = path.stat().st_size
    with Follower(tracker, path) as follower:
        wait_until(lambda: follower.counts().accepted == 4)
        with path.open("r+b") as handle:  # same inode, same size, new lines
            handle.truncate(0)
            handle.write(_lines("bbbb", 4).encode())
        assert path.stat().st_size == size
        wait_until(lambda: follower.counts().accepted == 8)
    assert _counts(tracker) == {"aaaa": 4, "bbbb": 4}


def test_rename_rotation_reads_the_old_file_to_its_end_then_the_new(
    tracker: ActionTracker, tmp_path: Path
) -> None:
    path = tmp_path / "app.log"
    path.write_text(_lines("one", 2))
    with Follower(tracker, path) as follower:
        wait_until(lambda: follower.counts().accepted == 2)
        _append(path, _lines("tail", 3))  # written just before the rotation
        path.rename(tmp_path / "app.log.1")
        path.write_text(_lines("two", 4))
        wait_until(lambda: follower.counts().accepted == 9)
        _append(path, _lines("three", 1))
        wait_until(lambda: follower.counts().accepted == 10)
    assert _counts(tracker) == {"one": 2, "tail": 3, "two": 4, "three": 1}


def test_delete_and_recreate_is_picked_up(tracker: ActionTracker, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text(_lines("same", 3))
    with Follower(tracker, path) as follower:
        wait_until(lambda: follower.counts().accepted == 3)
        path.unlink()
        path.write_text(_lines("same", 5))  # same start, longer: still a new file
        wait_until(lambda: follower.counts().accepted == 8)
    assert _counts(tracker) == {"same": 8}


def test_a_missing_file_is_waited_for(tracker: ActionTracker, tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    with Follower(tracker, path) as follower:
        path.write_text(_lines("late", 2))
        wait_until(lambda: follower.counts().accepted == 2)


def test_a_line_cut_by_rotation_is_rejected_with_the_reason(
    tracker: ActionTracker, tmp_path: Path
) -> None:
    path = tmp_path / "app.log"
    path.write_text("whole:1|ms\ncut:2")
    with Follower(tracker, path) as follower:
        wait_until(lambda: follower.counts().accepted == 1)
        os.remove(path)
        wait_until(lambda: follower.counts().rejected == 1)
    (error,) = follower.errors()
    assert (error.line, error.reason) == ("cut:2", core.follower.ROTATED)


def test_lines_over_64_kib_are_rejected_without_being_held(
    tracker: ActionTracker, tmp_path: Path
) -> None:
    path = tmp_path / "app.log"
    path.write_text("x" * (70 * 1024))
    with Follower(tracker, path) as follower:
        wait_until(lambda: follower.counts().rejected == 1)
        _append(path, "x" * 1000 + "\nafter:1|ms\n" + "y" * (70 * 1024) + "\nlast:2|ms\n")
        wait_until(lambda: follower.counts().accepted == 2)
    assert follower.counts() == SourceCounts(4, 2, 2, 0, 0)
    assert _counts(tracker) == {"after": 1, "last": 1}


def test_stop_joins_within_half_a_second_and_a_folder_is_refused(
    tracker: ActionTracker, tmp_path: Path
) -> None:
    follower = Follower(tracker, tmp_path / "app.log")
    follower.start()
    assert len(live_threads()) == 1
    follower.stop()
    assert live_threads() == []
    with pytest.raises(IsADirectoryError):
        Follower(tracker, tmp_path).start()
