"""Cutting streams into lines and feeding them to a tracker, without sockets or files."""

from __future__ import annotations

import pytest

from core import ActionTracker, SourceCounts
from core.linefeed import MAX_LINE_BYTES, TOO_LONG, LineFeeder, LineSplitter, describe_peer
from core.livecounts import SourceTally


def _feed(splitter: LineSplitter, *chunks: bytes) -> tuple[list[bytes], list[bytes]]:
    lines: list[bytes] = []
    too_long: list[bytes] = []
    for chunk in chunks:
        block, long_starts = splitter.feed(chunk)
        if block:
            lines += block.split(b"\n")
        too_long += long_starts
    return lines, too_long


def test_lines_are_cut_at_newlines_and_a_half_line_is_held() -> None:
    splitter = LineSplitter()
    assert _feed(splitter, b"a:1|ms\nb:", b"2|ms\nc:3", b"|ms\n") == (
        [b"a:1|ms", b"b:2|ms", b"c:3|ms"],
        [],
    )
    assert not splitter.holding


def test_a_line_arriving_a_byte_at_a_time() -> None:
    splitter = LineSplitter()
    line = b"slow:12.5|ms\n"
    lines, _ = _feed(splitter, *(line[index : index + 1] for index in range(len(line))))
    assert lines == [b"slow:12.5|ms"]


def test_a_line_growing_past_the_limit_is_reported_once_and_skipped() -> None:
    splitter = LineSplitter()
    chunks = [b"ok:1|ms\n" + b"x" * 40_000] + [b"x" * 40_000] * 3 + [b"x\nafter:2|ms\n"]
    lines, too_long = _feed(splitter, *chunks)
    assert lines == [b"ok:1|ms", b"after:2|ms"]
    assert len(too_long) == 1
    assert too_long[0].startswith(b"xxx")
    assert len(too_long[0]) <= 800


def test_discard_returns_the_unfinished_line() -> None:
    splitter = LineSplitter()
    splitter.feed(b"done:1|ms\nhalf:")
    assert splitter.discard() == b"half:"
    assert splitter.discard() is None
    splitter.skip_line()
    assert _feed(splitter, b"rest of a line\nnext:1|ms\n") == ([b"next:1|ms"], [])


def test_feeder_counts_every_outcome_and_rejects_long_and_non_utf8_lines() -> None:
    tracker = ActionTracker("samples")
    tally = SourceTally()
    feeder = LineFeeder(tracker, tally)
    long_line = b"long:" + b"1" * MAX_LINE_BYTES + b"|ms"
    feeder.feed(b"a:1|ms\n" + long_line + b"\n\xff\xfe:1|ms\nhits:1|c\n\nb:2|ms", ("::1", 5))
    assert tally.counts() == SourceCounts(5, 2, 2, 1, 0)
    reasons = [error.reason for error in tally.errors()]
    assert reasons[0] == TOO_LONG
    assert "not UTF-8" in reasons[1]
    assert {error.source for error in tally.errors()} == {"[::1]:5"}
    assert len(tally.errors()[0].line) == 200
    assert {stats.action for stats in tracker.snapshot().actions} == {"a", "b"}


def test_a_packed_line_with_one_bad_value_adds_nothing() -> None:
    tracker = ActionTracker()
    tally = SourceTally()
    LineFeeder(tracker, tally).feed(b"p:1:2:-3|ms", "file.log")
    assert tracker.snapshot().actions == ()
    assert tally.errors()[0].source == "file.log"


@pytest.mark.parametrize(
    ("peer", "shown"),
    [(("127.0.0.1", 8125), "127.0.0.1:8125"), (("::1", 1, 0, 0), "[::1]:1"), ("/x", "/x")],
)
def test_peers_are_shown_as_people_write_them(peer: object, shown: str) -> None:
    assert describe_peer(peer) == shown
