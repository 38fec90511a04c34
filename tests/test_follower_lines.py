"""A followed file's refused lines: numbered by their line in the file, and, in a file of
JSON payloads, worded by the engine's payload rules rather than StatsD's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import core.follower
from core import ActionTracker, Follower, SourceCounts
from core.validation import parse_payload
from livetools import live_threads, wait_until


@pytest.fixture(autouse=True)
def _no_live_threads_left() -> Iterator[None]:
    yield
    assert live_threads() == []


@pytest.fixture(autouse=True)
def _quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.follower, "POLL_SECONDS", 0.02)


def _engine_reason(payload: str) -> str:
    with pytest.raises(core.InvalidActionError) as refused:
        parse_payload(payload)
    return str(refused.value)


def test_ndjson_errors_carry_the_line_number_and_the_engines_words(tmp_path: Path) -> None:
    path = tmp_path / "app.ndjson"
    path.write_text(
        '{"action": "jump", "time": 100}\nnot json at all\n\n{"action": "jump", "time": -1}\n'
    )
    tracker = ActionTracker()
    with Follower(tracker, path) as follower:
        wait_until(lambda: follower.counts().received == 3)
        with path.open("a") as handle:  # numbers go on across reads
            handle.write('{"action": "jump"}\njump:5|ms\n')
        wait_until(lambda: follower.counts().received == 5)
    assert follower.counts() == SourceCounts(5, 2, 3, 0, 0)
    assert [(error.line, error.reason) for error in follower.errors()] == [
        ("not json at all", f"line 2: {_engine_reason('not json at all')}"),
        ('{"action": "jump", "time": -1}', 'line 4: "time" must be a number >= 0, got -1'),
        ('{"action": "jump"}', 'line 5: "time" is missing'),
    ]
    assert "not valid JSON" in follower.errors()[0].reason


def test_a_statsd_file_keeps_statsd_words_with_numbers(tmp_path: Path) -> None:
    path = tmp_path / "timings.log"
    path.write_bytes(b"db:1|ms\r\nbad line\n\xff\xfe\ndb:x|ms\n")
    with Follower(ActionTracker(), path) as follower:
        wait_until(lambda: follower.counts().received == 4)
    reasons = [error.reason for error in follower.errors()]
    assert reasons[0] == "line 2: no ':' after the name (a timer looks like name:12.5|ms)"
    assert reasons[1].startswith("line 3: the line is not UTF-8 text")
    assert reasons[2] == "line 4: timer value 'x' is not a number"


def test_lines_after_a_truncation_are_numbered_from_the_start_again(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("a:1|ms\nb:2|ms\nbad one\n")
    with Follower(ActionTracker(), path) as follower:
        wait_until(lambda: follower.counts().received == 3)
        path.write_text("bad two\n")  # shorter: truncated in place
        wait_until(lambda: follower.counts().received == 4)
    assert [error.reason.split(":")[0] for error in follower.errors()] == ["line 3", "line 1"]


def test_from_the_end_lines_are_not_numbered(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("old:1|ms\n")
    with Follower(ActionTracker(), path, from_start=False) as follower:
        with path.open("a") as handle:
            handle.write("bad line\n")
        wait_until(lambda: follower.counts().received == 1)
    [error] = follower.errors()
    assert error.reason == "no ':' after the name (a timer looks like name:12.5|ms)"
