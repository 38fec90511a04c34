"""Large newline-delimited files read by worker processes: the same report and figures as
a reading in one process, whatever the pieces, and cancel, worker failures and the limit
of distinct actions handled as there."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import pytest

import core.loading
import core.tracker
import core.workerprocs
from core import MAX_PAYLOAD_BYTES, ActionTracker, InvalidFileError, LoadReport, Strategy
from core.workerprocs import POOL, Worker, WorkerError

LINES = (
    b'{"action": "jump", "time": 5}',
    b'{"action": " run ", "time": 2.5}',
    b'{"time": 7, "action": "walk"}',
    b'{"action": "zero", "time": -0.0}',
    b'{"action": "huge", "time": 123456789012345678901234567890}',
    b'{"action": "jump", "time": -5}',
    b'{"action": "jump", "time": "12"}',
    b'{"action": "", "time": 3}',
    b'{"action": "jump", "time": NaN}',
    b'{"action": "jump", "time": 3',
    b"not json",
    b"",
    b"   ",
)
"""Lines that need care, bad lines and blank lines, scattered among plain records."""


def _write_mixed(path: Path, records: int, seed: int, newline: bytes = b"\n") -> None:
    rng = random.Random(seed)
    lines = []
    for _ in range(records):
        if rng.random() < 0.02:
            lines.append(rng.choice(LINES))
        elif rng.random() < 0.001:  # over-long, some across a chunk's end
            lines.append(b'{"action": "a", "time": 1, "pad": "' + b"x" * 70_000 + b'"}')
        else:
            time = rng.randrange(1, 1000) if rng.random() < 0.5 else round(rng.random() * 99, 3)
            lines.append(json.dumps({"action": f"a{rng.randrange(20)}", "time": time}).encode())
    path.write_bytes(b"\xef\xbb\xbf" + newline.join(lines) + (newline if seed % 2 else b""))


def _figures(tracker: ActionTracker) -> list[tuple[object, ...]]:
    return [
        (a.action, a.count, a.mean, a.min, a.max, a.p50, a.p90, a.p99, a.percentile_accuracy)
        for a in tracker.snapshot().actions
    ]


def _load(
    path: Path, strategy: Strategy, parallel: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[ActionTracker, LoadReport]:
    """``path`` loaded by worker processes (checking that some were given pieces) or not."""
    monkeypatch.setattr(core.loading, "PARALLEL_MIN_BYTES", 0 if parallel else 1 << 62)
    monkeypatch.setattr(core.loading, "COLD_PARALLEL_MIN_BYTES", 0)
    if parallel:
        _warm_workers()
    teams: list[list[Worker]] = []
    take = POOL.take

    def watched(code: str, count: int) -> list[Worker]:
        teams.append(take(code, count))
        return teams[-1]

    monkeypatch.setattr(POOL, "take", watched)
    tracker = ActionTracker(strategy)
    report = tracker.load(path)
    monkeypatch.setattr(POOL, "take", take)
    assert [len(team) for team in teams] == ([core.loading._usable_cpus()] if parallel else [])
    return tracker, report


def _warm_workers() -> None:
    """Started workers in the pool, so that a load hands them its pieces at once (new
    ones would leave the first pieces to this process while they start)."""
    count = core.loading._usable_cpus()
    team = POOL.take(core.loading._WORKER_CODE, count)
    deadline = time.monotonic() + 60
    # A worker that ended (a test's failing code) will never start: no use waiting.
    while (
        not all(worker.started() or not worker.alive() for worker in team)
        and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    POOL.give_back(team, keep=count)


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces and chunks small enough that a test file makes many of each."""
    monkeypatch.setattr(core.loading, "CHUNK_BYTES", MAX_PAYLOAD_BYTES + 1000)
    monkeypatch.setattr(core.loading, "PIECE_BYTES", 150_000)


@pytest.mark.usefixtures("small_pieces")
@pytest.mark.parametrize(
    ("strategy", "seed", "newline"),
    [("running", 1, b"\n"), ("samples", 2, b"\r\n"), ("running", 3, b"\r\n")],
)
def test_pieces_read_by_workers_load_as_one_reading_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strategy: Strategy, seed: int, newline: bytes
) -> None:
    path = tmp_path / "mixed.ndjson"
    _write_mixed(path, 40_000, seed, newline)
    alone, alone_report = _load(path, strategy, False, monkeypatch)
    merged = _count_merges(monkeypatch)
    split, split_report = _load(path, strategy, True, monkeypatch)
    assert len(merged) > 10
    assert split_report == alone_report
    assert alone_report.rejected_count > 200
    assert any("too large" in rejection.reason for rejection in alone_report.rejected)
    assert _figures(split) == _figures(alone)
    assert split.get_stats() == alone.get_stats()
    assert split.version == alone.version
    for mine, theirs in zip(split.snapshot().actions, alone.snapshot().actions, strict=True):
        # The spread is summed in floats, so batching moves its last bits (relative to
        # the times themselves: identical huge times show a spread of rounding noise).
        assert mine.stdev == pytest.approx(theirs.stdev, abs=1e-12 * float(theirs.max))
    if strategy == "samples":
        for name in ("a0", "a7", "jump"):
            assert list(split.samples(name)) == list(alone.samples(name))


@pytest.mark.usefixtures("small_pieces")
def test_progress_grows_to_the_file_size_piece_by_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mixed.ndjson"
    _write_mixed(path, 20_000, 5)
    monkeypatch.setattr(core.loading, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(core.loading, "COLD_PARALLEL_MIN_BYTES", 0)
    steps = list(ActionTracker().start_load(path))
    assert len(steps) >= path.stat().st_size // 150_000
    done = [step.done for step in steps]
    assert done == sorted(done)
    assert done[-1] == path.stat().st_size
    assert steps[-1].accepted + steps[-1].rejected > 19_000


@pytest.mark.usefixtures("small_pieces")
def test_the_limit_of_distinct_actions_rejects_the_same_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.tracker, "MAX_ACTIONS", 12)
    path = tmp_path / "mixed.ndjson"
    _write_mixed(path, 20_000, 7)
    alone, alone_report = _load(path, "running", False, monkeypatch)
    split, split_report = _load(path, "running", True, monkeypatch)
    assert any("limit" in rejection.reason for rejection in alone_report.rejected)
    assert split_report == alone_report
    assert _figures(split) == _figures(alone)


@pytest.mark.usefixtures("small_pieces")
def test_workers_that_fail_leave_their_pieces_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mixed.ndjson"
    _write_mixed(path, 20_000, 9)
    alone, alone_report = _load(path, "samples", False, monkeypatch)
    monkeypatch.setattr(core.loading, "_WORKER_CODE", "import sys; sys.exit(3)")
    split, split_report = _load(path, "samples", True, monkeypatch)
    assert split_report == alone_report
    assert _figures(split) == _figures(alone)


@pytest.mark.usefixtures("small_pieces")
def test_cancel_stops_the_workers_and_keeps_what_was_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mixed.ndjson"
    _write_mixed(path, 40_000, 11)
    monkeypatch.setattr(core.loading, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(core.loading, "COLD_PARALLEL_MIN_BYTES", 0)
    _warm_workers()
    started: list[Worker] = []
    take = POOL.take

    def watched(code: str, count: int) -> list[Worker]:
        team = take(code, count)
        started.extend(team)
        return team

    monkeypatch.setattr(POOL, "take", watched)
    tracker = ActionTracker()
    load = tracker.start_load(path)
    first = next(iter(load))
    load.cancel()
    assert list(load) == []
    assert load.report.cancelled
    assert tracker.snapshot().version == load.report.accepted == first.accepted
    assert started
    assert not any(worker.alive() for worker in started)


@pytest.mark.usefixtures("small_pieces")
def test_a_cancel_from_another_thread_ends_a_wait_for_a_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mixed.ndjson"
    _write_mixed(path, 20_000, 13)
    monkeypatch.setattr(core.loading, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(core.loading, "COLD_PARALLEL_MIN_BYTES", 0)
    # Started workers that never answer: only the cancel can end the wait.
    code = "import time; from core.workerprocs import serve; serve(lambda r: time.sleep(60))"
    team = [Worker(code), Worker(code)]
    deadline = time.monotonic() + 60
    # A worker that ended (a test's failing code) will never start: no use waiting.
    while (
        not all(worker.started() or not worker.alive() for worker in team)
        and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    monkeypatch.setattr(core.loading, "_take_workers", lambda count: team)
    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    try:
        report = ActionTracker().load(path, cancel=cancel)
    finally:
        timer.cancel()
        timer.join(5)
    assert report.cancelled
    assert report.accepted == 0
    assert not any(worker.alive() for worker in team)


def test_a_worker_answers_in_order_and_raises_what_the_task_raised() -> None:
    code = "from core.workerprocs import serve; serve(lambda request: 10 // request)"
    worker = Worker(code)
    try:
        for request in (1, 2, 0, 5):
            worker.send(request)
        assert worker.receive() == 10
        assert worker.receive() == 5
        with pytest.raises(ZeroDivisionError):
            worker.receive()
        assert worker.receive() == 2
    finally:
        worker.stop()
    assert not worker.alive()
    with pytest.raises(WorkerError):
        worker.send(1)


_READ_AHEAD_CODE = """
import time
from core.workerprocs import serve

def handle(request):
    kind, value = request
    if kind == "sleep":
        time.sleep(value)
    if kind == "fail":
        raise ValueError(value)
    return bytes(value) if kind == "bytes" else time.monotonic()

serve(handle)
"""


def test_a_wait_for_one_worker_reads_the_others_replies_ahead() -> None:
    slow, fast = Worker(_READ_AHEAD_CODE), Worker(_READ_AHEAD_CODE)
    try:
        deadline = time.monotonic() + 60
        while not (slow.started() and fast.started()) and time.monotonic() < deadline:
            time.sleep(0.02)
        slow.send(("sleep", 1.0))
        # A reply larger than a pipe holds: unread, it would keep the worker from the
        # next request until the slow one's reply had come.
        fast.send(("bytes", 4 << 20))
        fast.send(("fail", "no such thing"))
        fast.send(("time", 0))
        assert slow.ready(30, [slow, fast])
        ready_at = time.monotonic()
        assert fast.receive() == bytes(4 << 20)
        with pytest.raises(ValueError, match="no such thing"):
            fast.receive()
        answered_at = fast.receive()
        assert isinstance(answered_at, float)
        assert answered_at < ready_at
        assert isinstance(slow.receive(), float)
    finally:
        slow.stop()
        fast.stop()


def test_an_idle_worker_ends_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    code = "import core.workerprocs as w; w.IDLE_SECONDS = 0.2; w.serve(lambda request: request)"
    worker = Worker(code)
    try:
        worker.send("hello")
        assert worker.receive() == "hello"
        assert worker.ready(30)  # its end can be read
        with pytest.raises(WorkerError):
            worker.receive()
    finally:
        worker.kill()


def test_small_files_and_streams_are_read_in_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_workers(code: str, count: int) -> list[Worker]:
        raise AssertionError("no worker should start")

    monkeypatch.setattr(POOL, "take", no_workers)
    path = tmp_path / "mixed.ndjson"
    _write_mixed(path, 2_000, 15)
    assert ActionTracker().load(path).accepted > 1_000  # below PARALLEL_MIN_BYTES
    monkeypatch.setattr(core.loading, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(core.loading, "COLD_PARALLEL_MIN_BYTES", 0)
    with open(path, "rb") as stream:
        assert ActionTracker().load(stream).accepted > 1_000


def test_workers_start_afresh_only_for_very_large_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_pieces: None
) -> None:
    monkeypatch.setattr(core.loading, "PARALLEL_MIN_BYTES", 0)
    path = tmp_path / "mixed.ndjson"
    _write_mixed(path, 20_000, 15)
    teams: list[list[Worker]] = []
    take = POOL.take

    def watched(code: str, count: int) -> list[Worker]:
        teams.append(take(code, count))
        return teams[-1]

    monkeypatch.setattr(POOL, "take", watched)
    POOL.stop_all()
    alone = ActionTracker().load(path)
    assert teams == []  # none idle, and the file is below COLD_PARALLEL_MIN_BYTES
    monkeypatch.setattr(POOL, "take", take)
    _warm_workers()
    monkeypatch.setattr(POOL, "take", watched)
    assert ActionTracker().load(path) == alone  # idle ones are used
    assert [len(team) for team in teams] == [core.loading._usable_cpus()]


ELEMENTS = (
    b'{"action": "jump", "time": 5}',
    b'{"action": " run ", "time": 2.5}',
    b'{"action": "zero", "time": -0.0}',
    b'{"action": "jump", "time": -5}',
    b'{"action": "jump", "time": "12"}',
    b'{"action": "", "time": 3}',
    b'{"action": "other", "time": 3, "extra": [1, 2]}',
    b"[1, 2]",
    b"7",
)
"""Array elements that need care, and bad ones."""
TRICKY = (
    b'{"action": "x},{y", "time": 3}',
    b'{"action": "nested", "time": 3, "extra": [{"a": 1}, {"b": 2}]}',
)
"""Elements holding what looks like the end of an object and the start of the next."""


def _write_array(
    path: Path, records: int, seed: int, extra: bytes = b"", kinds: tuple[bytes, ...] = ELEMENTS
) -> None:
    rng = random.Random(seed)
    elements = [
        rng.choice(kinds)
        if rng.random() < 0.03
        else json.dumps({"action": f"a{rng.randrange(20)}", "time": rng.randrange(1, 99)}).encode()
        for _ in range(records)
    ]
    path.write_bytes(b"\xef\xbb\xbf [" + b", \n".join(elements) + b"]\n" + extra)


@pytest.mark.usefixtures("small_pieces")
@pytest.mark.parametrize("strategy", ["running", "samples"])
def test_arrays_read_by_workers_load_as_one_reading_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strategy: Strategy
) -> None:
    path = tmp_path / "mixed.json"
    _write_array(path, 30_000, 17)
    alone, alone_report = _load(path, strategy, False, monkeypatch)
    merged = _count_merges(monkeypatch)
    split, split_report = _load(path, strategy, True, monkeypatch)
    assert len(merged) > 3  # pieces, not the whole array in this process
    assert alone_report.format == "array"
    assert alone_report.rejected_count > 200
    assert split_report == alone_report
    assert _figures(split) == _figures(alone)
    if strategy == "samples":
        assert list(split.samples("a3")) == list(alone.samples("a3"))


@pytest.mark.usefixtures("small_pieces")
def test_an_array_whose_strings_look_like_element_ends_loads_as_one_reading_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tricky.json"
    _write_array(path, 30_000, 23, kinds=ELEMENTS + TRICKY * 20)
    alone, alone_report = _load(path, "samples", False, monkeypatch)
    split, split_report = _load(path, "samples", True, monkeypatch)
    assert split_report == alone_report
    assert _figures(split) == _figures(alone)


def _count_merges(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The first record numbers of the pieces merged from workers, from now on."""
    merged: list[int] = []
    merge = core.loading.FileLoad._merge

    def counted(load: core.loading.FileLoad, result: object, first: int) -> bool:
        merged.append(first)
        return merge(load, result, first)  # type: ignore[arg-type]

    monkeypatch.setattr(core.loading.FileLoad, "_merge", counted)
    return merged


@pytest.mark.usefixtures("small_pieces")
def test_an_array_that_is_not_json_is_refused_whole_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "broken.json"
    _write_array(path, 30_000, 19, extra=b"{")
    with pytest.raises(InvalidFileError) as alone:
        _load(path, "running", False, monkeypatch)
    tracker = ActionTracker()
    monkeypatch.setattr(core.loading, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(core.loading, "COLD_PARALLEL_MIN_BYTES", 0)
    with pytest.raises(InvalidFileError) as split:
        tracker.load(path)
    assert str(split.value) == str(alone.value)
    assert tracker.snapshot().version == 0


@pytest.mark.usefixtures("small_pieces")
def test_an_array_cut_at_the_limit_of_distinct_actions_rejects_the_same_elements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.tracker, "MAX_ACTIONS", 12)
    path = tmp_path / "mixed.json"
    _write_array(path, 30_000, 21)
    alone, alone_report = _load(path, "running", False, monkeypatch)
    split, split_report = _load(path, "running", True, monkeypatch)
    assert any("limit" in rejection.reason for rejection in alone_report.rejected)
    assert split_report == alone_report
    assert _figures(split) == _figures(alone)


@pytest.mark.usefixtures("small_pieces")
def test_workers_that_cannot_start_leave_the_load_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mixed.ndjson"
    _write_mixed(path, 20_000, 25)
    array = tmp_path / "mixed.json"
    _write_array(array, 20_000, 25)
    expected = [_load(source, "running", False, monkeypatch)[1] for source in (path, array)]
    POOL.stop_all()  # no idle worker to reuse: each must start
    monkeypatch.setattr(core.workerprocs.sys, "executable", "/nonexistent/python")
    monkeypatch.setattr(core.loading, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(core.loading, "COLD_PARALLEL_MIN_BYTES", 0)
    assert [ActionTracker().load(source) for source in (path, array)] == expected


@pytest.mark.usefixtures("small_pieces")
def test_pieces_are_read_here_until_new_workers_have_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mixed.ndjson"
    _write_mixed(path, 40_000, 27)
    alone, alone_report = _load(path, "samples", False, monkeypatch)
    POOL.stop_all()
    monkeypatch.setattr(core.loading, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(core.loading, "COLD_PARALLEL_MIN_BYTES", 0)
    split = ActionTracker("samples")
    assert split.load(path) == alone_report
    assert _figures(split) == _figures(alone)
