"""Sessions: exact round trips, damaged files refused cleanly, and saves that survive SIGKILL."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import STRATEGIES, ActionTracker, SessionError, Strategy
from core.session import FORMAT_VERSION


def filled(strategy: Strategy, count: int = 3000, seed: int = 1) -> ActionTracker:
    rng = random.Random(seed)
    tracker = ActionTracker(strategy)
    for _ in range(count):
        time_value = rng.choice([rng.randint(0, 10**6), rng.expovariate(0.01), 0])
        tracker.add_action(orjson.dumps({"action": f"a{rng.randrange(9)}", "time": time_value}))
    tracker.add_action('{"action": "huge", "time": 18446744073709551615}')
    tracker.add_action('{"action": "float max", "time": 1.7e308}')
    return tracker


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_round_trip_restores_every_figure(tmp_path: Path, strategy: str) -> None:
    tracker = filled(strategy)
    tracker.save(tmp_path / "s.atsession")
    restored = ActionTracker.open(tmp_path / "s.atsession")
    assert restored.snapshot() == tracker.snapshot()
    assert restored.get_stats() == tracker.get_stats()
    assert restored.version == tracker.version
    assert restored.strategy == strategy


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_restored_tracker_keeps_working(tmp_path: Path, strategy: str) -> None:
    tracker = filled(strategy)
    tracker.save(tmp_path / "s.atsession")
    restored = ActionTracker.open(tmp_path / "s.atsession")
    version = restored.version
    for tracker_ in (tracker, restored):
        tracker_.add_action('{"action": "a1", "time": 5}')
        tracker_.add_action('{"action": "new", "time": 7}')
    assert restored.version > version
    assert restored.get_stats() == tracker.get_stats()
    restored.reset()
    assert restored.get_stats() == "[]"


def test_empty_tracker_round_trips(tmp_path: Path) -> None:
    ActionTracker().save(tmp_path / "e.atsession")
    assert ActionTracker.open(tmp_path / "e.atsession").get_stats() == "[]"


def test_save_replaces_atomically_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "s.atsession"
    filled("running", seed=1).save(path)
    second = filled("running", seed=2)
    second.save(path)
    assert ActionTracker.open(path).get_stats() == second.get_stats()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.atsession"]


@pytest.fixture
def session_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "good.atsession"
    filled("running", count=300).save(path)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: b"", "empty"),
        (lambda data: data[: len(data) // 2], "truncated"),
        (lambda data: data[:-1], "truncated"),
        (lambda data: data[:30], "truncated"),
        (lambda data: data + b"x", "damaged"),
        (lambda data: data[:-10] + bytes([data[-10] ^ 0x01]) + data[-9:], "checksum"),
        (lambda data: b"PK\x03\x04 a zip file", "not an Action Tracker session"),
        (lambda data: b'{"action": "jump", "time": 1}\n', "not an Action Tracker session"),
        # Sizes far past the file must not be read (MemoryError, OverflowError).
        (lambda data: re.sub(rb'"data_bytes":\d+', b'"data_bytes":%d' % 2**62, data), "truncated"),
        (lambda data: re.sub(rb'"meta_bytes":\d+', b'"meta_bytes":%d' % 2**63, data), "truncated"),
        (
            lambda data: data.replace(
                f'"format_version":{FORMAT_VERSION}'.encode(),
                f'"format_version":{FORMAT_VERSION + 1}'.encode(),
            ),
            "newer",
        ),
    ],
)
def test_damaged_sessions_raise_session_error(
    tmp_path: Path, session_bytes: bytes, damage: object, message: str
) -> None:
    path = tmp_path / "bad.atsession"
    path.write_bytes(damage(session_bytes))  # type: ignore[operator]
    with pytest.raises(SessionError, match=message):
        ActionTracker.open(path)


def test_session_error_is_a_value_error() -> None:
    assert issubclass(SessionError, ValueError)


def test_missing_session_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        ActionTracker.open(tmp_path / "missing.atsession")


@settings(
    max_examples=150,
    deadline=None,
    # session_bytes is only read, so sharing it between examples is safe.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_mutated_sessions_only_raise_session_error(
    data: st.DataObject, session_bytes: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    raw = bytearray(session_bytes)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            raw[position] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "cut":
            del raw[position : position + data.draw(st.integers(1, 50))]
        else:
            raw[position:position] = data.draw(st.binary(min_size=1, max_size=8))
        if not raw:
            break
    path = tmp_path_factory.mktemp("fuzz") / "m.atsession"
    path.write_bytes(bytes(raw))
    try:
        restored = ActionTracker.open(path)
    except SessionError:
        return
    restored.snapshot()  # a mutation that still opens must give a working tracker
    restored.get_stats()


_SAVERS = """
import os, sys, orjson
from core import ActionTracker
for _request in sys.stdin:  # one saver per line, forked: the imports are done once
    pid = os.fork()
    if pid == 0:
        tracker = ActionTracker()
        generation = 0
        print(os.getpid(), flush=True)
        while True:
            generation += 1
            for index in range(200):
                tracker.add_action(orjson.dumps({"action": f"g{index % 5}", "time": generation}))
            tracker.save(sys.argv[1])
    print(os.waitpid(pid, 0)[1], flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_save_leaves_a_whole_session(tmp_path: Path) -> None:
    path = tmp_path / "killed.atsession"
    rng = random.Random(3)
    savers = subprocess.Popen(
        [sys.executable, "-c", _SAVERS, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert savers.stdin is not None
    assert savers.stdout is not None
    saver: int | None = None  # the pid of a saver not yet killed and reaped
    try:
        for _ in range(8):
            savers.stdin.write("start\n")
            savers.stdin.flush()
            saver = int(savers.stdout.readline())
            time.sleep(rng.uniform(0.05, 0.4))  # a random moment of its endless saving
            os.kill(saver, signal.SIGKILL)
            status = int(savers.stdout.readline())
            saver = None
            # Ended by the kill: the saver was still at it then.
            assert os.WIFSIGNALED(status), status
            assert os.WTERMSIG(status) == signal.SIGKILL
            if path.exists():
                restored = ActionTracker.open(path)  # never damaged: old or new, whole
                counts = {stats.count for stats in restored.snapshot().actions}
                assert len(counts) == 1  # every action saved at the same generation
        savers.stdin.close()
        assert savers.wait(timeout=30) == 0
    finally:
        if saver is not None:  # the test stopped half-way: no saver may outlive it
            os.kill(saver, signal.SIGKILL)
        if savers.poll() is None:
            savers.kill()
            savers.wait()
        savers.stdout.close()
    # A killed save may leave its temporary file behind, never a damaged session.
