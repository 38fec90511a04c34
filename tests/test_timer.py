"""``tracker.timer(name)``: a context manager and decorator that adds elapsed wall time."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from core import ActionTracker, InvalidActionError, Timer


def test_context_manager_adds_the_elapsed_milliseconds() -> None:
    tracker = ActionTracker("samples")
    before = time.perf_counter()
    with tracker.timer("  block  ") as timer:
        pass
    spent = (time.perf_counter() - before) * 1000
    assert isinstance(timer, Timer)
    assert timer.ms is not None
    assert 0 <= timer.ms <= spent
    assert list(tracker.samples("block")) == [timer.ms]


def test_decorator_times_each_call_and_keeps_the_function() -> None:
    tracker = ActionTracker("samples")
    timer = tracker.timer("square")

    @timer
    def square(value: int) -> int:
        """Squares."""
        return value * value

    assert [square(n) for n in range(5)] == [0, 1, 4, 9, 16]
    assert square.__name__ == "square"
    assert square.__doc__ == "Squares."
    assert len(tracker.samples("square")) == 5
    assert timer.ms == tracker.samples("square")[-1]


def test_time_is_added_when_the_block_raises() -> None:
    tracker = ActionTracker()
    with pytest.raises(KeyError), tracker.timer("failing"):
        raise KeyError("x")
    assert tracker.snapshot().actions[0].count == 1


def test_nested_in_itself_each_level_is_timed() -> None:
    tracker = ActionTracker("samples")
    timer = tracker.timer("nested")
    with timer:
        with timer:
            pass
        inner = timer.ms
    assert inner is not None
    assert timer.ms is not None
    assert timer.ms >= inner
    assert sorted(tracker.samples("nested")) == [inner, timer.ms]


def test_one_decorated_function_in_many_threads() -> None:
    tracker = ActionTracker("samples")

    @tracker.timer("work")
    def work(number: int) -> int:
        with tracker.timer("inner"):
            return number

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(4000)))
    assert results == list(range(4000))
    counts = {stats.action: stats.count for stats in tracker.snapshot().actions}
    assert counts == {"inner": 4000, "work": 4000}
    assert (tracker.samples("work") >= 0).all()


def test_a_bad_name_fails_at_once() -> None:
    tracker = ActionTracker()
    with pytest.raises(InvalidActionError, match="empty"):
        tracker.timer("   ")
    with pytest.raises(InvalidActionError, match="too long"):
        tracker.timer("x" * 300)
    assert tracker.snapshot().actions == ()
