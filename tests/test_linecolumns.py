"""Chunks read as columns (``core.linecolumns``) give, for every line they read, the very
record the exact per-line rules give; the lines they flag are decided by those rules when
a worker folds the chunk, so a load gives the figures and rejections it gave before."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.linecolumns
import core.loading
import core.tracker
from core import ActionTracker, LoadReport, Strategy
from core.errors import InvalidActionError
from core.exactsum import Number
from core.folded import Folder
from core.linecolumns import LineColumns, read_columns
from core.loading import _check_line, _read_piece


def _exactly(line: bytes) -> tuple[str, Number] | str | None:
    """The exact rules' verdict on one line: its record, None, or the reason refused."""
    try:
        return _check_line(line)
    except InvalidActionError as error:
        return str(error)


def _assert_read_as_the_rules_read(lines: list[bytes], columns: LineColumns) -> None:
    flagged = set(columns.flagged.tolist())
    seen: list[str] = []
    for at, line in enumerate(lines):
        assert columns.line(at) == line
        if at in flagged:
            continue
        record = _exactly(line)
        assert isinstance(record, tuple), (line, record)
        name, time = record
        assert columns.names[columns.codes[at]] == name, line
        assert columns.times[at] == time, line
        assert bool(columns.whole[at]) == isinstance(time, int), line
        if name not in seen:
            seen.append(name)
            assert columns.firsts[len(seen) - 1] == at
    assert columns.names == seen


def _body(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n"


_PLAIN = b'{"action": "jump", "time": 5}'


@pytest.mark.parametrize(
    "number",
    [
        b"1", b"7", b"10", b"999", b"123456789012345", b"0.5", b"0.001", b"12.5", b"3134.072",
        b"1.0", b"100.000", b"0.000000000001", b"99999999999999.9", b"9007199254740.993",
        b"0", b"0.0", b"00", b"01", b"00.5", b"1.", b".5", b"1.2.3", b"-1", b"-0.0", b"+1",
        b"1e5", b"1E5", b"1.5e3", b"1234567890123456", b"0.1234567890123456", b"NaN",
        b"Infinity", b'"12"', b"true", b"null", b"[1]", b"1 ", b" 1",
    ],
)  # fmt: skip
def test_each_number_is_read_as_json_reads_it_or_left_to_the_rules(number: bytes) -> None:
    line = b'{"action": "jump", "time": ' + number + b"}"
    lines = [_PLAIN, line, _PLAIN, line, *[_PLAIN] * 4]
    columns = read_columns(_body(lines))
    assert columns is not None
    _assert_read_as_the_rules_read(lines, columns)


@pytest.mark.parametrize(
    "name",
    [
        b"run", b"a", b"action 14", b"x" * 64, b"x" * 65, b"caf\xc3\xa9", b"\xe2\x82\xac" * 21,
        b"\xff\xfe", b"caf\\u00e9", b'say \\"hi\\"', b"back\\\\slash", b"tab\there", b" run",
        b"run ", b"\xc2\xa0nbsp", b"", b" ", b'a", "b": "c', b"a\x7fb", b"line\\nfeed",
    ],
)  # fmt: skip
def test_each_name_is_read_as_json_reads_it_or_left_to_the_rules(name: bytes) -> None:
    line = b'{"action": "' + name + b'", "time": 12}'
    lines = [_PLAIN, line, _PLAIN, line, b'{"action": "walk", "time": 2.5}', *[_PLAIN] * 4]
    columns = read_columns(_body(lines))
    assert columns is not None
    _assert_read_as_the_rules_read(lines, columns)


@pytest.mark.parametrize(
    "line",
    [
        b'{"action":"jump","time":5}',
        b'{ "action" : "jump" , "time" : 5 }',
        b'{"action": "jump",  "time":   5  }',
    ],
)
def test_json_spacing_of_the_first_line_is_the_chunks_template(line: bytes) -> None:
    other = b'{"action": "jump", "time": 6}'
    lines = [line, line.replace(b"5", b"7"), other, *[line] * 5, b"", line + b"\r", line]
    columns = read_columns(_body(lines))
    assert columns is not None
    _assert_read_as_the_rules_read(lines, columns)
    assert set(columns.flagged.tolist()) == {2, 8, 9, 10}  # other shapes, and the last


@pytest.mark.parametrize(
    "first",
    [b'{"time": 5, "action": "jump"}', b"", b"not json", b'{"action": "a", "time": 1, "x": 2}'],
)
def test_a_template_is_taken_from_the_first_line_that_makes_one(first: bytes) -> None:
    lines = [first, *[_PLAIN] * 10]
    columns = read_columns(_body(lines))
    assert columns is not None
    _assert_read_as_the_rules_read(lines, columns)
    assert columns.flagged.tolist() == [0, 10]
    assert read_columns(_body([first] * 8 + [_PLAIN] * 10)) is None  # too far to look


def test_crlf_lines_are_read_with_their_cr_in_the_template() -> None:
    lines = [b'{"action": "jump", "time": %d}\r' % at for at in range(1, 20)]
    lines[7] = b'{"action": "jump", "time": 8}'  # no CR: another shape, still a record
    columns = read_columns(_body(lines))
    assert columns is not None
    _assert_read_as_the_rules_read(lines, columns)
    assert columns.flagged.tolist() == [7, 18]


def test_a_chunk_with_many_lines_of_other_shapes_is_left_to_the_decoder() -> None:
    lines = [_PLAIN if at % 8 else b'{"time": 5, "action": "jump"}' for at in range(1, 2000)]
    assert read_columns(_body(lines)) is None


@pytest.mark.parametrize("slot_bits", [1, 20])
def test_names_that_share_a_slot_are_told_apart_by_their_whole_hash(
    monkeypatch: pytest.MonkeyPatch, slot_bits: int
) -> None:
    monkeypatch.setattr(core.linecolumns, "_SLOT_BITS", slot_bits)
    rng = random.Random(slot_bits)
    lines = [_PLAIN] + [
        b'{"action": "name %d", "time": %d}' % (rng.randrange(600), at) for at in range(6000)
    ]
    columns = read_columns(_body(lines))
    assert columns is not None
    assert len(columns.names) > 500
    _assert_read_as_the_rules_read(lines, columns)


def test_names_that_share_a_whole_hash_leave_the_chunk_to_the_decoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core.linecolumns, "_HASH_FACTORS", np.zeros(8, dtype=np.uint64))
    lines = [b'{"action": "%s", "time": 5}' % name for name in (b"ab", b"cd", b"ab", b"ab")]
    assert read_columns(_body(lines)) is None
    columns = read_columns(_body([lines[0]] * 4))  # one name: nothing to tell apart
    assert columns is not None
    assert columns.names == ["ab"]


_NAMES = st.sampled_from(["jump", "run", "a", "café", "x" * 64, " pad", 'q"t', "b\\s", "t\tb"])
_TIMES = st.one_of(
    st.integers(0, 10**17),
    st.floats(0, 1e16, allow_nan=False),
    st.floats(0, 1e-3),
    st.decimals(0, 10**6, places=3, allow_nan=False).map(str),
    st.sampled_from(["01", "1.", ".5", "-1", "1e3", "0.0", "-0.0", '"5"', "true"]),
)


@st.composite
def _lines(draw: st.DrawFn) -> list[bytes]:
    spaced = draw(st.booleans())
    lines = []
    for _ in range(draw(st.integers(1, 60))):
        name, time = draw(_NAMES), draw(_TIMES)
        written = time if isinstance(time, str) else json.dumps(time)
        key = json.dumps(name) if draw(st.integers(0, 9)) else json.dumps(name, ensure_ascii=False)
        if spaced:
            lines.append(f'{{"action": {key}, "time": {written}}}'.encode())
        else:
            lines.append(f'{{"action":{key},"time":{written}}}'.encode())
    return lines


@settings(max_examples=150, deadline=None)
@given(_lines())
def test_every_line_read_is_the_record_the_rules_give(lines: list[bytes]) -> None:
    columns = read_columns(_body(lines))
    if columns is not None:
        _assert_read_as_the_rules_read(lines, columns)


_CHUNK_LINES = (
    b'{"time": 7, "action": "first"}',  # a name first seen in a flagged line
    b'{"action": " jump ", "time": 2}',  # trimmed to a name also read plainly
    b'{"action": "zero", "time": -0.0}',
    b'{"action": "zero", "time": 0}',
    b'{"action": "jump", "time": -5}',
    b'{"action": "jump", "time": "12"}',
    b'{"action": "", "time": 3}',
    b"not json",
    b"",
    b"  ",
    b'{"action": "jump", "time": 3',
    b'{"action": "caf\\u00e9", "time": 0.1234567890123456}',
)


def _chunk(seed: int, huge: bool) -> bytes:
    rng = random.Random(seed)
    lines = [b'{"action": "jump", "time": 1}']
    for _ in range(3000):
        if rng.random() < 0.01:
            lines.append(rng.choice(_CHUNK_LINES))
        else:
            time = rng.randrange(1, 1000) if rng.random() < 0.5 else round(rng.random() * 99, 3)
            lines.append(json.dumps({"action": f"a{rng.randrange(30)}", "time": time}).encode())
    lines.insert(5, b'{"time": 7, "action": "first"}')
    if huge:  # an int past 2**53: no column holds it, so the chunk goes the usual way
        lines.insert(900, b'{"action": "huge", "time": 123456789012345678901}')
    return _body(lines)


def _figures(tracker: ActionTracker) -> list[tuple[object, ...]]:
    return [
        (a.action, a.count, a.mean, a.min, type(a.min), a.max, type(a.max), a.p50, a.p99)
        for a in tracker.snapshot().actions  # in the tracker's order: first seen first
    ]


@pytest.mark.parametrize("strategy", ["running", "samples"])
@pytest.mark.parametrize(("seed", "huge"), [(1, False), (2, False), (3, True)])
def test_a_folded_chunk_read_as_columns_gives_the_figures_of_a_plain_load(
    monkeypatch: pytest.MonkeyPatch, strategy: Strategy, seed: int, huge: bool
) -> None:
    body = _chunk(seed, huge)
    read: list[bool] = []

    def watched(chunk: bytes) -> LineColumns | None:
        columns = read_columns(chunk)
        read.append(columns is not None)
        return columns

    monkeypatch.setattr(core.loading, "read_columns", watched)
    folder, report = Folder(strategy), LoadReport(format="lines")
    lines = _read_piece(io.BytesIO(body), 0, None, folder, report)
    assert read == [True]
    folded = folder.folded()
    assert folded is not None
    merged = ActionTracker(strategy)
    assert merged._add_checked(folded, LoadReport(format="lines"))

    alone = ActionTracker(strategy)
    alone_report = alone.load(io.BytesIO(body))
    assert lines == body.count(b"\n")
    assert report.rejected == alone_report.rejected
    assert report.rejected_count == alone_report.rejected_count >= 5
    assert _figures(merged) == _figures(alone)
    records = [_exactly(line) for line in body.split(b"\n")[:-1]]
    first_seen = dict.fromkeys(record[0] for record in records if isinstance(record, tuple))
    assert folded.names == list(first_seen)
    if strategy == "samples":
        for name in ("a0", "jump", "first", "zero"):
            assert merged.samples(name).tobytes() == alone.samples(name).tobytes()


def _load_in_this_process(path: Path, strategy: Strategy) -> tuple[ActionTracker, LoadReport]:
    tracker = ActionTracker(strategy)
    return tracker, tracker.load(path)


@pytest.mark.parametrize("strategy", ["running", "samples"])
@pytest.mark.parametrize("limit", [10_000, 12])
def test_chunks_folded_in_batches_here_load_as_chunk_by_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strategy: Strategy, limit: int
) -> None:
    """In this process, batches of chunks read as columns are folded and merged whole;
    a batch that would pass the limit of distinct actions is added again the usual way,
    its lines rejected by number as before (never twice)."""
    monkeypatch.setattr(core.loading, "CHUNK_BYTES", 30_000)
    monkeypatch.setattr(core.loading, "PARALLEL_MIN_BYTES", 1 << 62)
    monkeypatch.setattr(core.tracker, "MAX_ACTIONS", limit)
    path = tmp_path / "lines.ndjson"
    path.write_bytes(b"".join(_chunk(seed, huge=seed == 3) for seed in range(1, 5)))
    batched, batched_report = _load_in_this_process(path, strategy)
    monkeypatch.setattr(core.loading, "read_columns", lambda body: None)
    alone, alone_report = _load_in_this_process(path, strategy)
    assert batched_report == alone_report
    assert batched_report.rejected_count > 20
    assert _figures(batched) == _figures(alone)
    if limit == 12:
        assert any("limit" in rejection.reason for rejection in batched_report.rejected)
