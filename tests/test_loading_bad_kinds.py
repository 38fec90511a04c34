"""Every kind of bad line in a chunk of good ones gets the reason it gets on its own, on
each way a dirty chunk is decoded (sparse records, loose ones, run by run), and the
rejections of worker processes come back whole."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

import core.linechecks
import core.report
from bench.loading import BAD_LINES
from core.linechecks import check_lines_loosely
from core.report import LoadReport, PieceReport, Rejection
from tests.test_loading_parallel import _load, small_pieces  # noqa: F401 (a fixture)
from tests.test_loading_paths import loaded

MORE_BAD_LINES = (
    b'{"action": "jump", "time": null}',
    b'{"action": "jump", "time": false}',
    b'{"action": 5, "time": 1}',
    b'{"action": null, "time": 1}',
    b'{"action": "   ", "time": 1}',
    b'{"action": "jump", "time": -1.5}',
    b'{"action": "jump", "time": -123456789012345678901234567890}',
    b'{"action": "", "time": 2.5}',
    b'{"action": "", "time": 123456789012345678901234567890}',
    b'{"action": "jump", "time": Infinity}',
    b'{"action": "jump", "time": -Infinity}',
    b'{"action": "jump", "time": +5}',
    b'{"action": "\\u00e9t\\u00e9", "time": -2}',
    b'{"action": "\\ud800", "time": -2}',
    b'{"action": "jump", "time": 1, "time": "x"}',
    b'{"action": "a", "action": 5, "time": 1}',
    b'{"action": "' + b"x" * 300 + b'", "time": 1}',
    b'{"time": -1}',
    b'{"action": ""}',
    b"{}",
    b'{"action": "jump", "time": 1}, {"action": "b", "time": 2}',
    b'{"action": "jump", "time": 01}',
    b'{"action": "ratio 1:NaN", "time": -1}',
    # Ints orjson reads as floats (or refuses, beyond float64) and msgspec reads exactly:
    b'{"time": 1' + b"0" * 400 + b"}",
    b'{"action": "", "time": 1' + b"0" * 400 + b"}",
    b'{"action": 18446744073709551616, "time": 1}',
    b'{"action": -9223372036854775809, "time": 1}',
    b'{"action": 1' + b"0" * 400 + b', "action": "a", "time": 1}',  # a refused value overwritten
    b'{"action": "x", "time": 1' + b"0" * 400 + b', "time": 5}',
)
"""Bad lines beyond the benchmark's, among them some that stop a decode."""

GOOD_LINES = {
    "action first": lambda n: b'{"action": "a%d", "time": %d}' % (n % 5, n % 900 + 1),
    "time first": lambda n: b'{"time": %d.25, "action": "b%d"}' % (n % 700 + 1, n % 3),
}


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
@pytest.mark.parametrize("layout", sorted(GOOD_LINES))
@pytest.mark.parametrize("bad", BAD_LINES + MORE_BAD_LINES)
def test_a_bad_line_among_good_ones_is_refused_as_on_its_own(
    tmp_path: Path, bad: bytes, layout: str, newline: bytes
) -> None:
    good = GOOD_LINES[layout]
    lines = [good(n) for n in range(300)]
    for at in (1, 7, 150, 151, 299):  # not the first: it decides the format
        lines[at] = bad
    loaded(tmp_path, lines, newline)


@pytest.mark.parametrize("layout", sorted(GOOD_LINES))
def test_a_chunk_of_every_kind_scattered_loads_as_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    """Lines that stop the decode send the chunk run by run: still line by line's."""
    runs: list[object] = []
    in_runs = core.linechecks._decode_in_runs

    def counted(*arguments: Any) -> Any:
        runs.append(arguments)
        return in_runs(*arguments)

    monkeypatch.setattr(core.linechecks, "_decode_in_runs", counted)
    rng = random.Random(layout)
    good = GOOD_LINES[layout]
    lines = [
        rng.choice(BAD_LINES + MORE_BAD_LINES) if rng.random() < 0.05 else good(n)
        for n in range(3000)
    ]
    loaded(tmp_path, lines)
    assert runs


def test_the_benchmarks_dirty_chunk_is_checked_in_one_decode() -> None:
    """With a bad line in a hundred, none stops the decode: every good line is taken
    from the columns, and only the bad ones are flagged."""
    rng = random.Random(3)
    lines = []
    for n in range(5000):
        bad = rng.random() < 0.01
        lines.append(
            rng.choice(BAD_LINES) if bad else json.dumps({"action": "a", "time": n + 1}).encode()
        )
    body = b"\n".join(lines) + b"\n"
    loose = check_lines_loosely(body)
    assert loose is not None
    bad_at = [at for at, line in enumerate(lines) if line in BAD_LINES]
    assert loose.flagged == bad_at
    assert [loose.line(at) for at in bad_at] == [lines[at] for at in bad_at]


def test_a_chunk_of_records_with_other_fields_is_left_to_the_line_by_line_path(
    tmp_path: Path,
) -> None:
    lines = [b'{"action": "a", "time": %d, "user": "ann"}' % n for n in range(1, 200)]
    lines[50] = b'{"action": "a", "time": -1, "user": "ann"}'
    assert check_lines_loosely(b"\n".join(lines) + b"\n") is None
    loaded(tmp_path, lines)


def test_reject_all_counts_every_one_and_keeps_them_up_to_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core.report, "MAX_REJECTIONS_KEPT", 5)
    report = LoadReport()
    report.reject(1, "one")
    report.reject_all([4, 6], ["four", "six"])
    report.reject_all(iter([7, 8, 9, 10]), ["seven", "eight", "nine", "ten"])
    assert report.rejected == [
        Rejection(1, "one"),
        Rejection(4, "four"),
        Rejection(6, "six"),
        Rejection(7, "seven"),
        Rejection(8, "eight"),
    ]
    assert report.rejected_count == 7


def test_a_piece_report_keeps_its_rejections_as_two_lists_each_reason_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core.report, "MAX_REJECTIONS_KEPT", 4)
    report = PieceReport()
    report.reject(2, "bad " + "one")
    report.reject_all([3, 5, 8], ["bad one", "bad two", "bad one"])
    report.reject(9, "bad two")
    assert report.records == [2, 3, 5, 8]
    assert report.reasons == ["bad one", "bad one", "bad two", "bad one"]
    assert report.reasons[0] is report.reasons[1] is report.reasons[3]
    assert (report.rejected, report.rejected_count) == ([], 5)


@pytest.mark.usefixtures("small_pieces")
def test_every_rejection_comes_back_from_the_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file read by workers reports every bad line with its number and reason, as a
    reading in one process does."""
    rng = random.Random(11)
    lines = [
        rng.choice(BAD_LINES) if rng.random() < 0.01 else b'{"action": "a", "time": %d}' % n
        for n in range(1, 40_001)
    ]
    path = tmp_path / "dirty.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    _, alone_report = _load(path, "running", False, monkeypatch)
    _, split_report = _load(path, "running", True, monkeypatch)
    assert split_report == alone_report
    assert split_report.rejected_count == sum(line in BAD_LINES for line in lines) > 300
