"""Loading files and batches: formats, per-record rejections, broken files, progress, cancel."""

from __future__ import annotations

import io
import itertools
import json
import threading
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.loading
import core.report
import core.tracker
from core import (
    MAX_PAYLOAD_BYTES,
    ActionTracker,
    InvalidActionError,
    InvalidFileError,
    LoadProgress,
    LoadReport,
    Rejection,
)

GOOD = [
    {"action": "jump", "time": 100},
    {"action": "run", "time": 75},
    {"action": "jump", "time": 200},
]
GOOD_STATS = '[{"action":"jump","avg":150},{"action":"run","avg":75}]'


def _ndjson(records: list[object], newline: str = "\n") -> str:
    return "".join(json.dumps(record) + newline for record in records)


def _seeded() -> ActionTracker:
    tracker = ActionTracker()
    tracker.add_action('{"action": "before", "time": 1}')
    return tracker


def _state(tracker: ActionTracker) -> tuple[int, str]:
    return tracker.snapshot().version, tracker.get_stats()


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_bytes(content.encode())
    else:
        path.write_bytes(content)
    return path


# --- formats -------------------------------------------------------------------------


def test_json_array_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.json", json.dumps(GOOD))
    tracker = ActionTracker()
    report = tracker.load(path)
    assert (report.accepted, report.rejected, report.format) == (3, [], "array")
    assert not report.cancelled
    assert tracker.get_stats() == GOOD_STATS


def test_pretty_printed_json_array_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.json", "\n\n" + json.dumps(GOOD, indent=4) + "\n")
    tracker = ActionTracker()
    assert tracker.load(str(path)).accepted == 3
    assert tracker.get_stats() == GOOD_STATS


def test_ndjson_file_with_blank_lines_and_crlf(tmp_path: Path) -> None:
    content = "\r\n" + _ndjson(GOOD[:2], "\r\n") + "   \r\n\r\n" + json.dumps(GOOD[2]) + "\r\n"
    path = _write(tmp_path, "a.ndjson", content)
    tracker = ActionTracker()
    report = tracker.load(path)
    assert (report.accepted, report.rejected_count, report.format) == (3, 0, "lines")
    assert tracker.get_stats() == GOOD_STATS


def test_ndjson_file_without_final_newline(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.ndjson", _ndjson(GOOD).rstrip("\n"))
    tracker = ActionTracker()
    assert tracker.load(path).accepted == 3
    assert tracker.get_stats() == GOOD_STATS


@pytest.mark.parametrize("indent", [None, 2])
def test_single_object_file(tmp_path: Path, indent: int | None) -> None:
    path = _write(tmp_path, "one.json", json.dumps(GOOD[0], indent=indent) + "\n")
    tracker = ActionTracker()
    report = tracker.load(path)
    assert (report.accepted, report.rejected_count, report.format) == (1, 0, "object")
    assert tracker.get_stats() == '[{"action":"jump","avg":100}]'


def test_single_invalid_object_file_is_reported_as_record_one(tmp_path: Path) -> None:
    path = _write(tmp_path, "one.json", '{\n  "action": "jump",\n  "time": -1\n}\n')
    tracker = ActionTracker()
    report = tracker.load(path)
    assert report.accepted == 0
    assert [r.record for r in report.rejected] == [1]
    assert '"time"' in report.rejected[0].reason
    assert tracker.get_stats() == "[]"


@pytest.mark.parametrize(
    "content",
    [json.dumps(GOOD), _ndjson(GOOD), json.dumps(GOOD[0], indent=2)],
    ids=["array", "lines", "object"],
)
def test_utf8_bom_is_tolerated(tmp_path: Path, content: str) -> None:
    path = _write(tmp_path, "bom.json", b"\xef\xbb\xbf" + content.encode())
    tracker = ActionTracker()
    steps: list[LoadProgress] = []
    report = tracker.load(path, progress=steps.append)
    assert report.rejected_count == 0
    assert report.accepted == (1 if content.startswith('{\n  "') else 3)
    assert steps[-1].done == steps[-1].total  # a progress bar that ends full


def test_binary_file_object_is_accepted_and_left_open() -> None:
    stream = io.BytesIO(_ndjson(GOOD).encode())
    tracker = ActionTracker()
    report = tracker.load(stream)
    assert report.accepted == 3
    assert not stream.closed
    assert tracker.get_stats() == GOOD_STATS


def test_binary_file_object_is_read_from_its_current_position() -> None:
    stream = io.BytesIO(b"garbage line\n" + json.dumps(GOOD).encode())
    stream.seek(len(b"garbage line\n"))
    tracker = ActionTracker()
    assert tracker.load(stream).accepted == 3


def test_opened_binary_file_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.json", json.dumps(GOOD))
    tracker = ActionTracker()
    with path.open("rb") as stream:
        assert tracker.load(stream).accepted == 3


# --- rejections with positions --------------------------------------------------------


def test_mixed_ndjson_reports_bad_lines_by_one_based_line_number(tmp_path: Path) -> None:
    lines = [
        '{"action": "jump", "time": 100}',
        '{"action": "jump", "time": -5}',
        "",
        "not json",
        '{"action": "run", "time": 75}',
        '{"action": "", "time": 1}',
        '["jump", 1]',
        '{"action": "jump", "time": 200}',
        '{"time": 3}',
    ]
    path = _write(tmp_path, "mixed.ndjson", "\n".join(lines) + "\n")
    tracker = _seeded()
    report = tracker.load(path)
    assert report.accepted == 3
    assert report.rejected_count == 5
    assert [r.record for r in report.rejected] == [2, 4, 6, 7, 9]
    assert all(isinstance(r, Rejection) for r in report.rejected)
    reasons = {r.record: r.reason for r in report.rejected}
    assert '"time"' in reasons[2]
    assert "-5" in reasons[2]
    assert "JSON" in reasons[4]
    assert '"action"' in reasons[6]
    assert "array" in reasons[7]
    assert '"action" is missing' in reasons[9]
    assert tracker.get_stats() == (
        '[{"action":"before","avg":1},{"action":"jump","avg":150},{"action":"run","avg":75}]'
    )
    assert report.summary == "3 accepted, 5 rejected"


def test_mixed_array_reports_bad_elements_by_one_based_position(tmp_path: Path) -> None:
    elements: list[object] = [
        GOOD[0],
        {"action": "jump", "time": "fast"},
        GOOD[1],
        42,
        None,
        GOOD[2],
        {"action": "x" * 1000, "time": 1},
    ]
    path = _write(tmp_path, "mixed.json", json.dumps(elements, indent=2))
    tracker = ActionTracker()
    report = tracker.load(path)
    assert report.accepted == 3
    assert [r.record for r in report.rejected] == [2, 4, 5, 7]
    assert "the string 'fast'" in report.rejected[0].reason
    assert tracker.get_stats() == GOOD_STATS


def test_lines_holding_several_values_or_half_a_value_do_not_shift_numbers(
    tmp_path: Path,
) -> None:
    lines = [
        '{"action": "jump", "time": 100}',
        "1,2",
        '{"action": "run", "time": 75}',
        "[1",
        '{"action": "jump", "time": 200}',
        '{"action": "a", "time": 1}, {"action": "b", "time": 2}',
        '{"action": "walk", "time": 5}',
    ]
    path = _write(tmp_path, "tricky.ndjson", "\n".join(lines))
    tracker = ActionTracker()
    report = tracker.load(path)
    assert report.accepted == 4
    assert [r.record for r in report.rejected] == [2, 4, 6]
    assert tracker.get_stats() == (
        '[{"action":"jump","avg":150},{"action":"run","avg":75},{"action":"walk","avg":5}]'
    )


def test_lines_whose_miscounts_cancel_out_are_still_checked_one_by_one(
    tmp_path: Path,
) -> None:
    lines = [
        '{"action": "a", "time": 1}',
        "[1",
        "2]",
        '{"action": "b", "time": 2}, {"action": "c", "time": 3}',
    ]
    path = _write(tmp_path, "cancelling.ndjson", "\n".join(lines) + "\n")
    tracker = ActionTracker()
    report = tracker.load(path)
    assert [r.record for r in report.rejected] == [2, 3, 4]  # engine: [2]
    assert tracker.get_stats() == '[{"action":"a","avg":1}]'  # engine also adds b and c


def test_line_with_invalid_utf8_is_rejected_alone(tmp_path: Path) -> None:
    content = (
        b'{"action": "jump", "time": 100}\n{"action": "j\xffump", "time": 1}\n'
        b'{"action": "jump", "time": 200}\n'
    )
    tracker = ActionTracker()
    report = tracker.load(_write(tmp_path, "utf8.ndjson", content))
    assert report.accepted == 2
    assert [r.record for r in report.rejected] == [2]


def test_over_long_line_is_rejected_and_following_lines_still_load(tmp_path: Path) -> None:
    huge = json.dumps({"action": "jump", "time": 1, "pad": "x" * (MAX_PAYLOAD_BYTES + 10)})
    lines = [json.dumps(GOOD[0]), huge, json.dumps(GOOD[1]), json.dumps(GOOD[2])]
    path = _write(tmp_path, "long.ndjson", "\n".join(lines) + "\n")
    tracker = ActionTracker()
    report = tracker.load(path)
    assert report.accepted == 3
    assert [r.record for r in report.rejected] == [2]
    assert "too large" in report.rejected[0].reason
    assert tracker.get_stats() == GOOD_STATS


@pytest.mark.parametrize("final_newline", [True, False])
def test_over_long_line_spanning_chunks_is_rejected_with_its_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, final_newline: bool
) -> None:
    monkeypatch.setattr(core.loading, "CHUNK_BYTES", MAX_PAYLOAD_BYTES + 1000)
    huge = json.dumps({"action": "jump", "time": 1, "pad": "x" * (5 * MAX_PAYLOAD_BYTES)})
    lines = [json.dumps(GOOD[0]), json.dumps(GOOD[1]), huge, json.dumps(GOOD[2]), huge]
    content = "\n".join(lines) + ("\n" if final_newline else "")
    tracker = ActionTracker()
    report = tracker.load(_write(tmp_path, "long.ndjson", content))
    assert report.accepted == 3
    assert [r.record for r in report.rejected] == [3, 5]
    assert tracker.get_stats() == GOOD_STATS


def test_line_numbers_stay_right_across_many_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.loading, "CHUNK_BYTES", MAX_PAYLOAD_BYTES + 1)
    bad = set(range(7, 20_000, 613)) | {2, 19_999}
    lines = [
        "nope" if number in bad else json.dumps({"action": "a", "time": number})
        for number in range(1, 20_001)
    ]
    path = _write(tmp_path, "many.ndjson", "\n".join(lines) + "\n")
    assert path.stat().st_size > 5 * (MAX_PAYLOAD_BYTES + 1)
    tracker = ActionTracker()
    report = tracker.load(path)
    assert [r.record for r in report.rejected] == sorted(bad)
    assert report.accepted == 20_000 - len(bad)
    good = [n for n in range(1, 20_001) if n not in bad]
    stats = tracker.snapshot().actions[0]
    assert (stats.count, stats.min, stats.max) == (len(good), min(good), max(good))


def test_rejections_from_a_file_come_in_line_order(tmp_path: Path) -> None:
    huge = json.dumps({"action": "jump", "time": 1, "pad": "x" * MAX_PAYLOAD_BYTES})
    lines = [json.dumps(GOOD[0]), "not json", huge, json.dumps(GOOD[1])]
    report = ActionTracker().load(_write(tmp_path, "order.ndjson", "\n".join(lines) + "\n"))
    assert report.accepted == 2
    assert [r.record for r in report.rejected] == [2, 3]  # engine: [3, 2]


def test_distinct_action_limit_during_a_load_is_reported_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.tracker, "MAX_ACTIONS", 2)
    records = [{"action": name, "time": 1} for name in ("a", "b", "c", "a", "d")]
    tracker = ActionTracker()
    report = tracker.load(_write(tmp_path, "many.ndjson", _ndjson(records)))
    assert report.accepted == 3
    assert [r.record for r in report.rejected] == [3, 5]
    assert "limit" in report.rejected[0].reason


def test_kept_rejections_are_capped_but_all_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.report, "MAX_REJECTIONS_KEPT", 5)
    lines = [json.dumps(GOOD[0])] + ["bad"] * 20 + [json.dumps(GOOD[1])]
    tracker = ActionTracker()
    report = tracker.load(_write(tmp_path, "bad.ndjson", "\n".join(lines)))
    assert report.accepted == 2
    assert report.rejected_count == 20
    assert [r.record for r in report.rejected] == [2, 3, 4, 5, 6]
    assert report.summary == "2 accepted, 20 rejected"

    batch = ActionTracker().add_actions(["bad"] * 20)
    assert (len(batch.rejected), batch.rejected_count) == (5, 20)


# --- broken files and sources ------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (json.dumps(GOOD)[:-10].encode(), "not a valid JSON array"),
        (b"[" + b'{"action": "a", "time": 1},' * 3, "not a valid JSON array"),
        (json.dumps(GOOD).encode() + b" trailing", "not a valid JSON array"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary file"),
        (b"\x00\x01\x02\x03", "binary file, not a JSON actions file: byte 1 is 0x00"),
        (b"\xf2 latin-1 text", "binary file, not a JSON actions file: byte 1 is 0xf2"),
        (b"GIF89a\x01\x00\x00", "binary file, not a JSON actions file: byte 7 is 0x01"),
        (b"hello, world\n", "this is not a JSON actions file"),
        (b"action,time\njump,100\n", "but starts with 'a'"),
        # 3-byte steps: the 4,096 bytes looked at end inside a character, which is fine
        (("a\u00e9" * 3000).encode(), "this is not a JSON actions file"),
        (b'[{"action": "a", "time": 1},\n {"action": x}]', "at line 2, column 13"),
    ],
    ids=[
        "truncated array",
        "unclosed array",
        "trailing",
        "png",
        "nul",
        "non-utf8",
        "gif",
        "text",
        "csv",
        "long utf8 text",
        "array error position",
    ],
)
def test_broken_file_raises_invalid_file_error_and_adds_nothing(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    tracker = _seeded()
    before = _state(tracker)
    with pytest.raises(InvalidFileError) as info:
        tracker.load(_write(tmp_path, "broken.json", content))
    assert fragment in str(info.value)
    assert _state(tracker) == before


@pytest.mark.parametrize("content", [b"", b"   \n\r\n\t ", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n"])
def test_empty_file_loads_nothing(tmp_path: Path, content: bytes) -> None:
    tracker = _seeded()
    before = _state(tracker)
    report = tracker.load(_write(tmp_path, "empty.json", content))
    assert (report.accepted, report.rejected_count, report.format) == (0, 0, "empty")
    assert _state(tracker) == before


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    tracker = _seeded()
    before = _state(tracker)
    with pytest.raises(FileNotFoundError):
        tracker.load(tmp_path / "missing.json")
    with pytest.raises(FileNotFoundError):
        tracker.load(str(tmp_path / "missing.json"))
    assert _state(tracker) == before


def test_directory_raises_os_error(tmp_path: Path) -> None:
    tracker = _seeded()
    before = _state(tracker)
    with pytest.raises(OSError):
        tracker.load(tmp_path)
    assert _state(tracker) == before


def test_text_mode_file_object_raises_type_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.json", json.dumps(GOOD))
    tracker = _seeded()
    before = _state(tracker)
    with path.open(encoding="utf-8") as stream, pytest.raises(TypeError, match="binary"):
        tracker.load(stream)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="binary"):
        tracker.load(io.StringIO(json.dumps(GOOD)))  # type: ignore[arg-type]
    assert _state(tracker) == before


@pytest.mark.parametrize("source", [42, None, b"/tmp/x.json", ["a.json"]])
def test_source_that_is_neither_path_nor_file_raises_type_error(source: object) -> None:
    tracker = _seeded()
    before = _state(tracker)
    with pytest.raises(TypeError):
        tracker.load(source)  # type: ignore[arg-type]
    assert _state(tracker) == before


class _Unseekable(io.RawIOBase):
    """A pipe-like stream whose size is unknown."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_array_larger_than_the_limit_is_refused_pointing_to_ndjson(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.loading, "MAX_ARRAY_BYTES", 1000)
    content = json.dumps([GOOD[0]] * 100).encode()
    assert len(content) > 1000
    tracker = _seeded()
    before = _state(tracker)
    with pytest.raises(InvalidFileError, match="newline-delimited JSON"):
        tracker.load(_write(tmp_path, "big.json", content))
    assert _state(tracker) == before

    monkeypatch.setattr(core.loading, "CHUNK_BYTES", 256)  # below MAX_ARRAY_BYTES, see below
    with pytest.raises(InvalidFileError, match="newline-delimited JSON"):
        tracker.load(io.BufferedReader(_Unseekable(content)))
    assert _state(tracker) == before

    small = json.dumps(GOOD).encode()
    assert len(small) < 1000
    assert tracker.load(_write(tmp_path, "small.json", small)).accepted == 3


def test_oversized_array_from_unseekable_stream_with_large_first_chunk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core.loading, "MAX_ARRAY_BYTES", 1000)  # below CHUNK_BYTES
    content = json.dumps([GOOD[0]] * 100).encode()
    with pytest.raises(InvalidFileError, match="newline-delimited JSON"):
        ActionTracker().load(io.BufferedReader(_Unseekable(content)))


class _ShortReads(io.RawIOBase):
    """An unbuffered pipe-like stream: each read returns at most the next planned size."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self._data, self._sizes, self._position = data, list(sizes), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        size = self._sizes.pop(0) if self._sizes else len(buffer)
        chunk = self._data[self._position : self._position + min(size, len(buffer))]
        buffer[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)


def test_stream_with_short_reads_loses_no_bytes() -> None:
    content = b'{"action": "jump", "time": 100}\n{"action": "run", "time": 75}\n'
    first_read = content.index(b"100") + 1  # ends just after the "1" of 100
    tracker = ActionTracker()
    report = tracker.load(_ShortReads(content, [first_read]))
    assert report.rejected == []
    assert tracker.get_stats() == '[{"action":"jump","avg":100},{"action":"run","avg":75}]'


# --- progress and cancelling -------------------------------------------------------------


def test_progress_reports_increasing_done_for_ndjson(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.loading, "CHUNK_BYTES", MAX_PAYLOAD_BYTES + 1)
    path = _write(tmp_path, "big.ndjson", _ndjson(GOOD * 10_000))
    size = path.stat().st_size
    steps: list[LoadProgress] = []
    report = ActionTracker().load(path, progress=steps.append)
    assert len(steps) >= size // (MAX_PAYLOAD_BYTES + 1)
    assert all(isinstance(step, LoadProgress) for step in steps)
    assert all(b.done > a.done for a, b in itertools.pairwise(steps))
    assert all(b.accepted >= a.accepted for a, b in itertools.pairwise(steps))
    assert all(step.total == size for step in steps)
    assert steps[-1].done == size
    assert steps[-1].accepted == report.accepted == 30_000
    assert steps[-1].rejected == 0


def test_progress_reports_elements_for_arrays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.loading, "ARRAY_CHUNK", 1000)
    path = _write(tmp_path, "big.json", json.dumps([*GOOD * 1000, "bad"]))
    steps: list[LoadProgress] = []
    report = ActionTracker().load(path, progress=steps.append)
    assert [step.done for step in steps] == [1000, 2000, 3000, 3001]
    assert all(step.total == 3001 for step in steps)
    assert (steps[-1].accepted, steps[-1].rejected) == (3000, 1)
    assert report.rejected[0].record == 3001


def test_cancel_event_stops_the_load_keeping_what_was_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunk = MAX_PAYLOAD_BYTES + 1000
    monkeypatch.setattr(core.loading, "CHUNK_BYTES", chunk)
    path = _write(tmp_path, "big.ndjson", _ndjson(GOOD * 10_000))
    assert path.stat().st_size > 5 * chunk
    cancel = threading.Event()
    steps: list[LoadProgress] = []

    def progress(step: LoadProgress) -> None:
        steps.append(step)
        cancel.set()

    tracker = ActionTracker()
    report = tracker.load(path, progress=progress, cancel=cancel)
    assert report.cancelled
    assert report.summary.endswith("(cancelled)")
    assert len(steps) == 1
    assert 0 < report.accepted < 30_000
    assert report.rejected_count == 0
    assert tracker.snapshot().total_count == report.accepted == steps[0].accepted


@pytest.mark.parametrize("content", [json.dumps(GOOD), _ndjson(GOOD), json.dumps(GOOD[0])])
def test_cancel_event_set_before_the_load_loads_nothing(tmp_path: Path, content: str) -> None:
    cancel = threading.Event()
    cancel.set()
    tracker = ActionTracker()
    report = tracker.load(_write(tmp_path, "a.json", content), cancel=cancel)
    assert report.cancelled
    assert report.accepted == tracker.snapshot().total_count == 0


def test_cancel_before_run_holds_when_run_brings_its_own_event(tmp_path: Path) -> None:
    tracker = ActionTracker()
    job = tracker.start_load(_write(tmp_path, "a.ndjson", _ndjson(GOOD)))
    job.cancel()
    caller_event = threading.Event()
    report = job.run(cancel=caller_event)
    assert report.cancelled
    assert tracker.version == 0
    assert not caller_event.is_set()  # the caller's event is read, never set


def test_cancel_after_the_last_chunk_is_not_reported_as_cancelled(tmp_path: Path) -> None:
    # The window cancels on its own schedule; when nothing was left unread, the load
    # is complete and must not be called cancelled.
    path = _write(tmp_path, "a.ndjson", _ndjson(GOOD).rstrip("\n"))  # the last line unended
    job = ActionTracker().start_load(path)
    steps = iter(job)
    next(steps)
    next(steps)  # the unended last line
    job.cancel()
    assert list(steps) == []
    assert not job.report.cancelled
    assert job.report.accepted == len(GOOD)


class _CallsOnSecondRead(io.BytesIO):
    """A file object that runs ``call`` when the loader asks for its second chunk, that is
    in the middle of a load step, while the load's generator is executing."""

    def __init__(self, data: bytes, call: Callable[[], None]) -> None:
        super().__init__(data)
        self.reads = 0
        self._call = call

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        if self.reads == 2:
            self._call()
        return super().read(size)


def test_cancel_from_another_thread_while_a_step_is_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core.loading, "CHUNK_BYTES", MAX_PAYLOAD_BYTES + 1000)
    content = _ndjson(GOOD * 20_000).encode()
    errors: list[BaseException] = []
    jobs: list[core.loading.FileLoad] = []

    def cancel_elsewhere() -> None:
        try:
            jobs[0].cancel()
        except BaseException as error:  # "generator already executing" once happened here
            errors.append(error)

    def cancel_from_another_thread() -> None:
        canceller = threading.Thread(target=cancel_elsewhere)
        canceller.start()
        canceller.join(timeout=30)

    source = _CallsOnSecondRead(content, cancel_from_another_thread)
    jobs.append(ActionTracker().start_load(source))
    assert len(list(jobs[0])) == 1
    assert source.reads >= 2
    assert errors == []
    assert jobs[0].report.cancelled
    assert 0 < jobs[0].report.accepted < 60_000


def test_start_load_can_be_stepped_and_cancelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.loading, "CHUNK_BYTES", MAX_PAYLOAD_BYTES + 1000)
    path = _write(tmp_path, "big.ndjson", _ndjson(GOOD * 10_000))
    tracker = ActionTracker()
    job = tracker.start_load(path)
    assert tracker.snapshot().total_count == 0  # nothing happens until iterated
    steps = iter(job)
    first = next(steps)
    second = next(steps)
    assert second.done > first.done
    job.cancel()
    assert list(job) == []
    assert job.report.cancelled
    assert 0 < job.report.accepted == second.accepted < 30_000
    assert tracker.snapshot().total_count == job.report.accepted


def test_start_load_cancelled_before_iterating_loads_nothing(tmp_path: Path) -> None:
    tracker = ActionTracker()
    job = tracker.start_load(_write(tmp_path, "a.json", json.dumps(GOOD)))
    job.cancel()
    assert list(job) == []
    assert job.report.cancelled
    assert job.report.accepted == 0
    assert tracker.get_stats() == "[]"


def test_start_load_run_to_the_end_matches_load(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.ndjson", _ndjson(GOOD))
    tracker = ActionTracker()
    job = tracker.start_load(path)
    steps = list(job)
    assert steps
    assert job.report.accepted == 3
    assert not job.report.cancelled
    assert tracker.get_stats() == GOOD_STATS


# --- add_actions ---------------------------------------------------------------------------


def test_add_actions_reports_bad_payloads_by_position_without_raising() -> None:
    tracker = ActionTracker()
    payloads: list[object] = [
        json.dumps(GOOD[0]),
        123,
        json.dumps(GOOD[1]).encode(),
        None,
        '{"action": "jump"}',
        {"action": "jump", "time": 1},
        json.dumps(GOOD[2]),
        bytearray(b"{}"),
    ]
    report = tracker.add_actions(payloads)  # type: ignore[arg-type]
    assert isinstance(report, LoadReport)
    assert report.format == "batch"
    assert report.accepted == 3
    assert [r.record for r in report.rejected] == [2, 4, 5, 6, 8]
    assert "int" in report.rejected[0].reason
    assert '"time" is missing' in report.rejected[2].reason
    assert report.rejected_count == 5
    assert tracker.get_stats() == GOOD_STATS


def test_add_actions_accepts_any_iterable_and_empty_input() -> None:
    tracker = ActionTracker()
    assert tracker.add_actions([]).accepted == 0
    assert tracker.add_actions(json.dumps(record) for record in GOOD).accepted == 3
    assert tracker.get_stats() == GOOD_STATS


_record = st.fixed_dictionaries(
    {
        "action": st.sampled_from(["jump", " run ", "walk", "", "x" * 300]),
        "time": st.one_of(
            st.integers(-5, 2**64 - 1),
            st.floats(-1.0, 1e300, allow_nan=False),
            st.booleans(),
            st.none(),
        ),
    }
)
_line = st.one_of(_record.map(orjson.dumps), st.sampled_from([b"", b"  ", b"{", b"[1]", b"5"]))


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(_line, max_size=40), array=st.booleans())
def test_file_loading_matches_adding_each_payload(lines: list[bytes], array: bool) -> None:
    # The loader checks whole chunks in one pass when it can; it must agree, figure for
    # figure and rejection for rejection, with add_action on each record.
    if array:
        records = [line for line in lines if line.startswith(b"{")]
        body = b"[" + b",".join(records) + b"]"
    else:
        records = lines
        body = b"\n".join(lines)
    loaded = ActionTracker()
    try:
        report = loaded.load(io.BytesIO(body))
    except InvalidFileError:
        return
    one_by_one = ActionTracker()
    expected = one_by_one.add_actions(line for line in records if line.strip())

    def figures(tracker: ActionTracker) -> list[tuple[object, ...]]:
        # stdev may differ in its last bits with batching; the rest must be identical,
        # types included (an int minimum stays an int).
        return [
            (s.action, s.count, s.mean, s.min, s.max, type(s.min), type(s.max))
            for s in tracker.snapshot().actions
        ]

    assert figures(loaded) == figures(one_by_one)
    assert report.accepted == expected.accepted
    assert report.rejected_count == expected.rejected_count


@pytest.mark.parametrize("space", [b"\x0b", b"\x0c"])
def test_a_line_padded_with_non_json_whitespace_is_refused_as_add_action_refuses_it(
    space: bytes,
) -> None:
    padded = space + b'{"action": "a", "time": 1}'
    with pytest.raises(InvalidActionError):
        ActionTracker().add_action(padded)
    body = b'{"action": "b", "time": 2}\n' + padded + b"\n"
    report = ActionTracker().load(io.BytesIO(body))
    assert (report.accepted, [r.record for r in report.rejected]) == (1, [2])


def test_an_array_with_bytes_that_are_not_text_says_so_in_plain_words(tmp_path: Path) -> None:
    # A binary file starting with '[' once said "str is not valid UTF-8: surrogates not
    # allowed at character 1", the parser's own words.
    path = tmp_path / "binary.json"
    path.write_bytes(b"[\xff\xfe\x80abc")
    with pytest.raises(InvalidFileError) as raised:
        ActionTracker().load(path)
    assert str(raised.value) == (
        "the file is not a valid JSON array: it is not valid UTF-8 text at byte 2"
    )
