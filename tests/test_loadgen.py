"""Load generation: settings checked with the engine's rules, and failures never silent."""

from __future__ import annotations

import dataclasses
import math
import sys
import threading
import time

import numpy as np
import numpy.typing as npt
import orjson
import pytest

from core import ActionTracker, InvalidActionError
from core.loadgen import ActionSpec, LoadError, LoadGenerator, LoadSpec, PayloadStream
from core.validation import MAX_ACTION_LENGTH


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "empty"), ("   ", "empty"), ("x" * (MAX_ACTION_LENGTH + 1), "too long")],
)
def test_action_names_follow_the_engines_rules(name: str, message: str) -> None:
    with pytest.raises(InvalidActionError, match=message):
        ActionSpec(name, 1.0, 1.0)


@pytest.mark.parametrize(("mean", "spread"), [(-1.0, 1.0), (1.0, -1.0), (math.inf, 0.0)])
def test_negative_or_infinite_figures_are_refused(mean: float, spread: float) -> None:
    with pytest.raises(ValueError, match="finite numbers >= 0"):
        ActionSpec("jump", mean, spread)


def test_figures_near_the_float_limit_still_give_finite_times() -> None:
    tracker = ActionTracker()
    spec = LoadSpec(
        actions=(ActionSpec("huge", 1e308, 1e308),), producers=2, duration=None, count=5000
    )
    generator = LoadGenerator(tracker, spec)
    generator.start()
    result = generator.join()
    assert result.added == tracker.snapshot().total_count == 5000
    assert math.isfinite(tracker.snapshot().actions[0].mean)


class _FailingTracker(ActionTracker):
    """Raises on the 1000th add, as an engine bug would."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def add_action(self, payload: str | bytes) -> None:
        self.calls += 1
        if self.calls == 1000:
            raise RuntimeError("disk on fire")
        super().add_action(payload)


# An hour-long run that must end within JOIN_TIMEOUT: only a working stop ends it, so a
# broken one fails the test (by the check after the bounded join) instead of hanging it.
# How fast start and stop are is measured by bench/engine.py, not asserted here.
AN_HOUR = 3600.0
JOIN_TIMEOUT = 60.0


def test_a_failing_producer_stops_the_others_and_join_raises() -> None:
    generator = LoadGenerator(_FailingTracker(), LoadSpec(producers=4, duration=AN_HOUR))
    generator.start()
    with pytest.raises(LoadError, match="disk on fire"):
        generator.join(timeout=JOIN_TIMEOUT)
    assert not generator.running


def test_sixty_four_producers_start_add_and_stop() -> None:
    tracker = ActionTracker()
    generator = LoadGenerator(tracker, LoadSpec(producers=64, duration=AN_HOUR))
    generator.start()
    assert generator.running
    generator.stop()
    result = generator.join(timeout=JOIN_TIMEOUT)
    assert not generator.running
    assert result.stopped
    assert result.added == tracker.snapshot().total_count == generator.status().added


def test_producers_start_from_different_payloads() -> None:
    tracker = ActionTracker("samples")
    spec = LoadSpec(actions=(ActionSpec("dig", 100.0, 30.0),), producers=4, duration=None, count=4)
    # One add each; the same payload four times would mean the producers ran in lockstep.
    generator = LoadGenerator(tracker, spec)
    generator.start()
    generator.join()
    assert len(set(tracker.samples("dig").tolist())) == 4


def test_a_producer_that_cannot_start_stops_the_started_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_start = threading.Thread.start
    started: list[threading.Thread] = []

    def start_two_then_fail(thread: threading.Thread) -> None:
        if len(started) == 2:
            raise RuntimeError("can't start new thread")
        started.append(thread)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start_two_then_fail)
    generator = LoadGenerator(ActionTracker(), LoadSpec(producers=4, duration=30.0))
    with pytest.raises(RuntimeError, match="can't start"):
        generator.start()
    monkeypatch.undo()
    assert not any(thread.is_alive() for thread in started)  # stopped and joined
    assert not generator.running
    assert generator.join(timeout=JOIN_TIMEOUT).stopped


def test_elapsed_time_ends_with_the_last_producer() -> None:
    """Time after the producers returned is not run time: read as such, the last
    progress point of every run showed the throughput falling towards zero. The clock
    moves between any two calls, so equal readings show that it is no longer read."""
    generator = LoadGenerator(ActionTracker(), LoadSpec(producers=2, duration=None, count=2000))
    generator.start()
    result = generator.join(timeout=JOIN_TIMEOUT)
    assert not generator.running
    ended = generator.status()
    assert ended.added == 2000
    assert ended.fraction == 1.0
    assert generator.status() == ended
    assert result.seconds == ended.elapsed


def test_status_grows_while_running_and_a_stop_ends_the_run() -> None:
    tracker = ActionTracker()
    generator = LoadGenerator(tracker, LoadSpec(producers=2, duration=AN_HOUR))
    grew = threading.Event()

    def watch() -> None:
        first = generator.status().added
        while generator.running and not grew.is_set():
            if generator.status().added > first:
                grew.set()

    watcher = threading.Thread(target=watch)
    generator.start()
    watcher.start()
    try:
        assert grew.wait(JOIN_TIMEOUT), "no add was counted while the producers ran"
    finally:
        generator.stop()
        result = generator.join(timeout=JOIN_TIMEOUT)
        watcher.join(timeout=JOIN_TIMEOUT)
    assert not generator.running
    assert result.stopped
    assert result.added == tracker.snapshot().total_count


def test_every_payload_is_a_fresh_draw_from_its_distribution() -> None:
    """A cycled pool of 16,384 payloads held at most 16,384 distinct times, and every run
    showed the same minimum (42.68), maximum and p99."""
    count = 60_000
    spec = LoadSpec(actions=(ActionSpec("run", 75.0, 10.0),), duration=None, count=count)
    times = _times_of_a_run(spec)
    assert len(np.unique(times)) > 25_000  # to 3 decimals, some draws coincide
    assert times.min() < 42.68  # the cycled pool's minimum in every run
    assert np.mean(times) == pytest.approx(75, abs=0.5)
    assert np.std(times) == pytest.approx(10, rel=0.05)
    other_times = _times_of_a_run(dataclasses.replace(spec, seed=1))
    assert (times.min(), times.max()) != (other_times.min(), other_times.max())


def test_runs_without_a_seed_differ_and_a_seed_repeats_a_run() -> None:
    # Every benchmark run of the window once drew the same values: its spec kept seed 0.
    spec = LoadSpec(actions=(ActionSpec("run", 75.0, 10.0),), duration=None, count=2_000)
    assert spec.seed is None
    first, second = _times_of_a_run(spec), _times_of_a_run(spec)
    assert (first.min(), first.max()) != (second.min(), second.max())
    seeded = dataclasses.replace(spec, seed=7)
    assert np.array_equal(np.sort(_times_of_a_run(seeded)), np.sort(_times_of_a_run(seeded)))


def _times_of_a_run(spec: LoadSpec) -> npt.NDArray[np.float64]:
    tracker = ActionTracker("samples")
    generator = LoadGenerator(tracker, spec)
    generator.start()
    assert generator.join(timeout=JOIN_TIMEOUT).added == spec.count
    return tracker.samples(spec.actions[0].name)


def test_payloads_keep_every_action_in_equal_shares_and_within_range() -> None:
    actions = (ActionSpec("a", 1.7e308, 1e308), ActionSpec("b", 0.0, 0.0), ActionSpec("c", 5, 50))
    block = PayloadStream(actions, 3).block(3000)
    records = [orjson.loads(payload) for payload in block]
    for spec in actions:
        times = [record["time"] for record in records if record["action"] == spec.name]
        assert len(times) == 1000
        assert all(0 <= value <= sys.float_info.max for value in times)
    assert {record["time"] for record in records if record["action"] == "b"} == {0.0}


def test_the_rate_leaves_out_the_time_spent_making_payloads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_block = PayloadStream.block
    made = []

    def slow_block(stream: PayloadStream, size: int = 256) -> list[bytes]:
        started = time.thread_time()
        while time.thread_time() - started < 0.005:  # CPU work, as making payloads is
            pass
        made.append(size)
        return real_block(stream, size)

    monkeypatch.setattr(PayloadStream, "block", slow_block)
    generator = LoadGenerator(ActionTracker(), LoadSpec(producers=2, duration=None, count=5000))
    generator.start()
    result = generator.join(timeout=JOIN_TIMEOUT)
    made_after_start = len(made) - 2  # each producer's first block is made before the start
    assert made_after_start >= 5000 // 256 - 2
    assert result.payload_seconds >= 0.005 * made_after_start
    assert result.payload_seconds < result.seconds
    assert result.rate == result.added / (result.seconds - result.payload_seconds)
    assert result.payload_us == pytest.approx(result.payload_seconds / 5000 * 1e6)
    status = generator.status()
    assert status.rate == result.rate
