"""Load generation: settings checked with the engine's rules, and failures never silent."""

from __future__ import annotations

import math
import threading
import time

import pytest

from core import ActionTracker, InvalidActionError
from core.loadgen import ActionSpec, LoadError, LoadGenerator, LoadSpec
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


def test_a_failing_producer_stops_the_others_and_join_raises() -> None:
    spec = LoadSpec(producers=4, duration=30.0)
    generator = LoadGenerator(_FailingTracker(), spec)
    started = time.perf_counter()
    generator.start()
    with pytest.raises(LoadError, match="disk on fire"):
        generator.join()
    assert time.perf_counter() - started < 5
    assert not generator.running


def test_sixty_four_producers_start_and_stop_quickly() -> None:
    # Each producer once drew its own payloads while the others ran: 2.9 s to start.
    generator = LoadGenerator(ActionTracker(), LoadSpec(producers=64, duration=30.0))
    started = time.perf_counter()
    generator.start()
    generator.stop()
    result = generator.join()
    assert time.perf_counter() - started < 1.5
    assert result.stopped


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
    assert generator.join(timeout=5).stopped


def test_elapsed_time_ends_with_the_last_producer() -> None:
    """Time after the producers returned is not run time: read as such, the last
    progress point of every run showed the throughput falling towards zero."""
    generator = LoadGenerator(ActionTracker(), LoadSpec(producers=2, duration=None, count=2000))
    generator.start()
    deadline = time.monotonic() + 10
    while generator.running and time.monotonic() < deadline:
        time.sleep(0.01)
    ended = generator.status()
    time.sleep(0.2)
    assert generator.status() == ended
    assert generator.join().seconds == ended.elapsed
