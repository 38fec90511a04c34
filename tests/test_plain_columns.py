"""check_plain's columns: the distinct names in first-seen order whether the head of a
chunk holds them all or not, and the float64 times exactly those of the records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core import ActionTracker
from core.linechecks import PlainRecord, check_lines, check_plain
from core.validation import MAX_PAYLOAD_BYTES


def _records(names: list[str]) -> list[PlainRecord]:
    return [PlainRecord(name, (at % 7) + 1) for at, name in enumerate(names)]


@pytest.mark.parametrize(
    "names",
    [
        ["b", "a"] * 400,  # every name in the head
        ["b", "a"] * 400 + ["late", "a", "later"],  # names first seen far past the head
        [f"n{at % 50}" for at in range(1000)],  # more names than the head is trusted for
        [f"n{at}" for at in range(300)] + ["n3", "n299", "last"],  # every record a new name
        ["solo"],
    ],
)
def test_distinct_names_are_in_first_seen_order(names: list[str]) -> None:
    checked = check_plain(_records(names), 1)
    assert checked is not None
    assert checked.distinct == list(dict.fromkeys(names))
    assert checked.names == names


def test_distinct_names_are_trimmed_when_some_need_it() -> None:
    names = ["a"] * 300 + [" b", "b ", "a"]
    checked = check_plain(_records(names), 1)
    assert checked is not None
    assert checked.distinct == ["a", "b"]
    assert checked.names == [name.strip() for name in names]


def test_times_column_holds_the_records_times_as_float64() -> None:
    times: list[int | float] = [1, 2.5, 2**53 - 1, 1e-300, 7, 0.1, 8e15]
    records = [PlainRecord("a", time) for time in times]
    checked = check_plain(records, 5)
    assert checked is not None
    assert checked.array is not None
    assert checked.times == times
    assert checked.array.dtype == np.float64
    assert checked.array.tolist() == [float(time) for time in times]
    assert list(checked.numbers) == list(range(5, 5 + len(times)))


@pytest.mark.parametrize("time", [0, 0.0, 2**53, 10**400])
def test_times_the_columns_cannot_take_are_left_to_the_exact_way(time: int | float) -> None:
    assert check_plain([PlainRecord("a", 1), PlainRecord("a", time)], 1) is None


def test_a_file_with_an_int_past_any_double_rejects_that_line_only(tmp_path: Path) -> None:
    path = tmp_path / "huge.ndjson"
    huge = "1" + "0" * 400
    path.write_text(f'{{"action":"a","time":{huge}}}\n{{"action":"a","time":5}}\n')
    tracker = ActionTracker("running")
    report = tracker.load(path)
    assert [rejection.record for rejection in report.rejected] == [1]
    assert "out of range" in report.rejected[0].reason
    assert [(a.action, a.count, a.min) for a in tracker.snapshot().actions] == [("a", 1, 5)]


@pytest.mark.parametrize("where", [0, 1500, 3000])
@pytest.mark.parametrize(
    "length", [MAX_PAYLOAD_BYTES - 1, MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES + 1]
)
def test_check_lines_takes_lines_up_to_the_limit_wherever_they_are(where: int, length: int) -> None:
    short = b'{"action":"a","time":3}'
    long = short[:-1] + b" " * (length - len(short)) + b"}"
    lines = [short] * 3000
    lines.insert(where, long)
    checked = check_lines(b"\n".join(lines) + b"\n", 1)
    if length > MAX_PAYLOAD_BYTES:
        assert checked is None
    else:
        assert checked is not None
        assert len(checked.names) == 3001


@pytest.mark.parametrize(
    ("ending", "plain"), [(b"\n", True), (b"\r\n", True), (b" \n", False), (b"\n\n", False)]
)
def test_check_lines_takes_lines_that_end_in_a_brace_and_a_newline(
    ending: bytes, plain: bool
) -> None:
    body = b"".join(b'{"action":"a","time":%d}' % time + ending for time in range(1, 2000))
    assert (check_lines(body, 1) is not None) is plain
