"""The loader's fast paths decide exactly as the per-line path: a whole chunk decoded at
once, and a chunk where only the flagged lines are checked one by one."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.loading
from core import ActionTracker, InvalidActionError
from core.linechecks import LooseLines, check_lines, check_lines_loosely
from core.validation import MAX_PAYLOAD_BYTES, parse_payload

MIXED_LINES = (
    b'{"action": "jump", "time": 5}',
    b'{"action": " run ", "time": 2.5}',
    b'{"time": 7, "action": "walk"}',
    b'{"action": "jump", "time": 5, "extra": {"nested": [1, 2]}}',
    b'{"action": "zero", "time": -0.0}',
    b'{"action": "zero", "time": 0}',
    b'{"action": "huge", "time": 123456789012345678901234567890}',
    b'  {"action": "spaced", "time": 1}\t',
    b'{"action": "jump", "time": -5}',
    b'{"action": "jump", "time": "12"}',
    b'{"action": "jump", "time": true}',
    b'{"action": "", "time": 3}',
    b'{"time": 3}',
    b'{"action": "jump", "time": NaN}',
    b'{"action": "jump", "time": 3',
    b"[1, 2]",
    b"",
    b"   ",
    b'{"action": "x"',
    b'"time": 3}',
    b'{"action": "a", "time": 1}, {"action": "b", "time": 2}',
    b'{"action": "a", "time": 1, "note": "}',
    b'"}',
)
"""Valid lines that need care, bad lines of every kind, and lines that would pass as
records if a chunk's lines ran into each other."""


def line_by_line(lines: list[bytes]) -> tuple[list[tuple[str, object]], list[tuple[int, str]]]:
    """What the per-line rules make of ``lines``: the records kept and the rejections."""
    kept, rejected = [], []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip(b" \t\r\n")
        if not stripped:
            continue
        try:
            kept.append(parse_payload(stripped))
        except InvalidActionError as error:
            rejected.append((number, str(error)))
    return kept, rejected


def loaded(tmp_path: Path, lines: list[bytes], newline: bytes = b"\n") -> ActionTracker:
    path = tmp_path / "lines.ndjson"
    path.write_bytes(newline.join(lines) + newline)
    tracker = ActionTracker("samples")
    report = tracker.load(path)
    kept, rejected = line_by_line(lines)
    assert [(r.record, r.reason) for r in report.rejected] == rejected
    assert report.accepted == len(kept)
    by_name: dict[str, list[float]] = {}
    for name, time in kept:
        by_name.setdefault(name, []).append(float(time))  # type: ignore[arg-type]
    assert {name: list(tracker.samples(name)) for name in by_name} == by_name
    return tracker


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_every_kind_of_line_is_kept_or_rejected_as_on_its_own(
    tmp_path: Path, newline: bytes
) -> None:
    loaded(tmp_path, list(MIXED_LINES) * 3, newline)


def test_lines_that_only_form_records_together_are_each_rejected(tmp_path: Path) -> None:
    """Two halves of a record on two lines, and two records on one line, keep the line
    count of the chunk; each is still a bad line of its own."""
    lines = [
        b'{"action": "x"',
        b'"time": 3}',
        b'{"action": "a", "time": 1},{"action": "b", "time": 2}',
    ]
    tracker = loaded(tmp_path, lines)
    assert tracker.snapshot().actions == ()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(MIXED_LINES), min_size=1, max_size=40), st.randoms())
def test_any_mix_of_lines_loads_as_line_by_line(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], rng: random.Random
) -> None:
    good = [b'{"action": "a%d", "time": %d}' % (rng.randrange(3), rng.randrange(1, 9))] * 20
    loaded(tmp_path_factory.mktemp("mix"), [*good, *lines, *good])


def test_one_bad_line_leaves_the_rest_of_its_chunk_on_the_column_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the flagged line is decided on its own, from the fields it decoded to:
    ``parse_payload`` does not even run. (Chunks of lines written alike are read as
    columns first: not here.)"""
    monkeypatch.setattr(core.loading, "read_columns", lambda body: None)
    checked: list[object] = []
    decided: list[bytes] = []
    parse_payload = core.loading.parse_payload
    reason = LooseLines.reason

    def counting(payload: bytes) -> object:
        checked.append(payload)
        return parse_payload(payload)

    def deciding(self: LooseLines, at: int) -> str | None:
        decided.append(self.line(at))
        return reason(self, at)

    monkeypatch.setattr(core.loading, "parse_payload", counting)
    monkeypatch.setattr(LooseLines, "reason", deciding)
    lines = [b'{"action": "a", "time": %d}' % n for n in range(1, 2001)]
    lines[1000] = b'{"action": "a", "time": -1}'
    tracker = loaded(tmp_path, lines)
    assert (decided, checked) == ([lines[1000]], [])
    assert tracker.snapshot().actions[0].count == 1999


def test_check_lines_takes_only_chunks_of_plain_records() -> None:
    plain = b'{"action": " a ", "time": 1}\n{"action": "b", "time": 2.5}\r\n'
    checked = check_lines(plain, 7)
    assert checked is not None
    assert (checked.names, checked.times, list(checked.numbers)) == (["a", "b"], [1, 2.5], [7, 8])
    for odd in (
        b'{"action": "a", "time": 1}\n\n',  # a blank line
        b'{"action": "a", "time": 0}\n',  # a zero: maybe -0.0
        b'{"action": "a", "time": 1, "x": 2}\n',  # another field
        b'{"action": "x",\n"time": 3}\n',  # a record over two lines
        b'{"action": "a", "time": 9007199254740993}\n',  # an int past 2**53
        b'{"action": "%s", "time": 1}\n' % (b" " * core.loading.MAX_PAYLOAD_BYTES),
    ):
        assert check_lines(odd, 1) is None, odd


def test_an_array_with_a_chunk_that_needs_care_loads_as_element_by_element(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain records decode in one call; a chunk holding a -0.0, a zero or an int past
    2**64 (which orjson reads as a float) takes orjson's records from there on."""
    monkeypatch.setattr(core.loading, "ARRAY_CHUNK", 10)
    elements = [b'{"action": "a%d", "time": %d}' % (n % 3, n + 1) for n in range(50)]
    elements[15] = b'{"action": "z", "time": -0.0}'
    elements[16] = b'{"action": "z", "time": 0}'
    elements[33] = b'{"action": "z", "time": 123456789012345678901234567890}'
    path = tmp_path / "array.json"
    path.write_bytes(b"[" + b",\n".join(elements) + b"]")
    tracker = ActionTracker("samples")
    report = tracker.load(path)
    kept, no_rejections = line_by_line(elements)
    assert no_rejections == []
    assert (report.accepted, report.rejected, report.format) == (len(kept), [], "array")
    expected: dict[str, list[object]] = {}
    for name, time in kept:
        expected.setdefault(name, []).append(time)
    for name, times in expected.items():
        assert list(tracker.samples(name)) == times
    assert type(tracker.snapshot().actions[-1].max) is float  # as orjson read it


def test_a_chunk_of_records_with_other_fields_loads_as_line_by_line(tmp_path: Path) -> None:
    """Such a chunk goes to orjson whole: its bad lines are still each rejected alone."""
    extra = [b'{"action": "a%d", "time": %d, "user": "u"}' % (n % 3, n + 1) for n in range(30)]
    loaded(tmp_path, [*extra, *MIXED_LINES, *extra])


@pytest.mark.parametrize("body", [b"\n", b"\n\n", b"\r\n", b"}\n", b"\n}\n", b" }\n"])
def test_loose_checks_take_chunks_of_a_byte_or_two(body: bytes) -> None:
    """Lines too short to hold a value are flagged (for the rules to decide), not read
    before the chunk's start."""
    loose = check_lines_loosely(body)
    assert loose is not None
    assert loose.flagged == list(range(body.count(b"\n")))


def test_a_chunk_of_one_blank_line_before_an_over_long_one_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first read ends right after a record; the next holds a blank line, then the
    start of a line too long to keep: a chunk of one newline on its own."""
    head_bytes = MAX_PAYLOAD_BYTES + 1000  # the first read, and every one after it
    monkeypatch.setattr(core.loading, "CHUNK_BYTES", head_bytes)
    record = b'{"action": "a", "time": 1}\n'
    count, rest = divmod(head_bytes, len(record))
    pad = b'{"action": "%s", "time": 2}\n' % (b"b" * (rest + 1))
    lines = [record] * (count - 1) + [pad]
    data = b"".join(lines)
    assert len(data) == head_bytes
    path = tmp_path / "edge.ndjson"
    path.write_bytes(data + b"\n" + b"x" * (2 * MAX_PAYLOAD_BYTES) + b"\n" + record)
    report = ActionTracker().load(path)
    assert report.accepted == count + 1
    assert [r.record for r in report.rejected] == [count + 2]
    assert "too large" in report.rejected[0].reason
