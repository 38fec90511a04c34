"""snapshot(window=...) and histograms(..., window=...): exact figures of the last seconds.

The clock is injected: tests move it by hand and never sleep.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import STRATEGIES, ActionStats, ActionTracker
from core.ring import RING_SECONDS
from core.sketch import EXACT_LIMIT
from core.undo import UndoHistory

strategies = pytest.mark.parametrize("strategy", STRATEGIES)
START = 1_700_000_000.0


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def reference(strategy: str, times: list[float]) -> ActionStats | None:
    """All-time figures of a fresh tracker holding just ``times``: what a window of
    those times must show."""
    tracker = ActionTracker(strategy)  # type: ignore[arg-type]
    for time in times:
        tracker.add("a", time)
    snapshot = tracker.snapshot()
    return snapshot.actions[0] if snapshot.actions else None


def assert_same_figures(got: ActionStats | None, expected: ActionStats | None) -> None:
    if expected is None:
        assert got is None
        return
    assert got is not None
    assert (got.count, got.mean, got.min, got.max, got.total) == (
        expected.count,
        expected.mean,
        expected.min,
        expected.max,
        expected.total,
    )
    # Merged per second (Chan's update), as all-time figures are across batches: the
    # spread of large, close times is only as precise as doubles near the times.
    assert got.stdev == pytest.approx(expected.stdev, rel=1e-9, abs=1e-12 * float(got.max))
    assert got.percentile_accuracy == expected.percentile_accuracy
    assert (got.p50, got.p90, got.p99) == (expected.p50, expected.p90, expected.p99)


adds = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.0, 0.0, 0.3, 0.999, 1.0, 2.5, 40.0]),  # clock steps
        st.one_of(st.integers(0, 10**6), st.floats(0, 1e9, allow_nan=False)),
    ),
    min_size=1,
    max_size=200,
)


@settings(max_examples=60, deadline=None)
@given(steps=adds, window=st.integers(1, 60), strategy=st.sampled_from(STRATEGIES))
def test_a_window_shows_exactly_the_times_of_its_seconds(
    steps: list[tuple[float, float]], window: int, strategy: str
) -> None:
    clock = FakeClock()
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    seconds = []
    for step, time in steps:
        clock.now += step
        tracker.add("a", time)
        seconds.append(math.floor(clock.now))
    first = math.floor(clock.now) - window + 1
    inside = [time for (_, time), second in zip(steps, seconds, strict=True) if second >= first]
    assert_same_figures(tracker.snapshot(window=window).get("a"), reference(strategy, inside))
    bounds = [0, 10, 1e3, 1e6]
    expected = tuple(int(np.count_nonzero(np.array(inside) <= b)) for b in bounds)
    assert tracker.histograms(bounds, window=window).get("a", ()) == (expected if inside else ())


@strategies
def test_a_sketched_window_has_the_sketch_of_its_own_times(strategy: str) -> None:
    # Past EXACT_LIMIT the running strategy's percentiles are the sketch's; a window's
    # sketch counts exactly its own times, so it equals a fresh tracker's of them.
    clock = FakeClock()
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    rng = np.random.default_rng(7)
    per_second = [rng.lognormal(4, 1, 800).tolist() for _ in range(6)]
    for times in per_second:
        for time in times:
            tracker.add("a", time)
        clock.now += 1
    clock.now -= 1
    window_times = [time for times in per_second[-3:] for time in times]
    got = tracker.snapshot(window=3).get("a")
    assert_same_figures(got, reference(strategy, window_times))
    assert got is not None
    assert got.percentiles_exact == (strategy == "samples")


@strategies
def test_times_buffered_by_an_idle_writer_keep_their_second(strategy: str) -> None:
    clock = FakeClock(START + 0.3)
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    for time in (1, 2, 3):
        tracker.add("a", time)  # buffered, not folded
    clock.now = START + 5.1
    assert tracker.snapshot(window=5).actions == ()
    assert tracker.snapshot(window=6).get("a").count == 3  # type: ignore[union-attr]
    tracker.add("a", 10)  # the writer's first add of a new second folds the old ones
    only_new = tracker.snapshot(window=1).get("a")
    assert only_new is not None
    assert (only_new.count, only_new.mean) == (1, 10)


@strategies
def test_a_window_merges_the_threads_that_added(strategy: str) -> None:
    clock = FakeClock()
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    barrier = threading.Barrier(4)
    step = threading.Barrier(4)

    def producer(index: int) -> None:
        for second in range(3):
            barrier.wait(timeout=5)
            for time in range(10):
                tracker.add("a", index * 100 + second * 10 + time)
            step.wait(timeout=5)

    threads = [threading.Thread(target=producer, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for _ in range(3):
        barrier.wait(timeout=5)
        step.wait(timeout=5)
        clock.now += 1
    for thread in threads:
        thread.join(timeout=5)
        assert not thread.is_alive()
    clock.now -= 1
    expected = [i * 100 + s * 10 + t for i in range(3) for s in (1, 2) for t in range(10)]
    assert_same_figures(tracker.snapshot(window=2).get("a"), reference(strategy, expected))


@strategies
def test_windowed_figures_change_as_time_passes_without_adds(strategy: str) -> None:
    clock = FakeClock()
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    tracker.add("a", 5)
    first = tracker.snapshot(window=10)
    assert first.window == 10
    assert first.get("a").count == 1  # type: ignore[union-attr]
    assert tracker.snapshot(window=10) is first  # the same second, the same version
    clock.now += 9.5
    assert tracker.snapshot(window=10).get("a").count == 1  # type: ignore[union-attr]
    clock.now += 1
    later = tracker.snapshot(window=10)
    assert later.version == first.version
    assert later.actions == ()
    assert tracker.snapshot().get("a").count == 1  # type: ignore[union-attr]
    assert tracker.snapshot().window is None


def test_window_rate_counts_over_the_window_or_since_the_first_time() -> None:
    clock = FakeClock(START + 0.5)
    tracker = ActionTracker(clock=clock)
    for _ in range(20):
        tracker.add("a", 1)
    clock.now = START + 60.5
    for _ in range(10):
        tracker.add("a", 1)
    # window 10 at START + 60.5 spans START + 51 .. now: 9.5 s, holding the 10 new times
    assert tracker.snapshot(window=10).get("a").rate == pytest.approx(10 / 9.5)  # type: ignore[union-attr]
    # window 300 reaches before the first time: counted from the first time, 60 s
    assert tracker.snapshot(window=300).get("a").rate == pytest.approx(30 / 60)  # type: ignore[union-attr]
    clock.now = START + 60.6
    assert tracker.snapshot(window=1).get("a").rate == 10.0  # type: ignore[union-attr]


@pytest.mark.parametrize("window", [0, -1, 301, 1.5, True, "10", None])
def test_bad_windows_are_refused_in_words(window: object) -> None:
    tracker = ActionTracker()
    tracker.add("a", 1)
    if window is None:  # None means all time, not a window
        assert tracker.snapshot(window=None).window is None
        return
    with pytest.raises(ValueError, match="whole number of seconds from 1 to 300"):
        tracker.snapshot(window=window)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole number of seconds from 1 to 300"):
        tracker.histograms([1], window=window)  # type: ignore[arg-type]


@strategies
def test_the_ring_keeps_five_minutes(strategy: str) -> None:
    clock = FakeClock()
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    for second in range(400):
        tracker.add("a", second)
        clock.now += 1
    clock.now -= 1
    window = tracker.snapshot(window=RING_SECONDS).get("a")
    assert window is not None
    assert (window.count, window.min, window.max) == (300, 100, 399)
    assert tracker.snapshot().get("a").count == 400  # type: ignore[union-attr]


@strategies
def test_snapshot_and_windowed_histograms_agree(strategy: str) -> None:
    clock = FakeClock()
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    for time in range(2_000):
        tracker.add("a", time)
        if time % 500 == 499:
            clock.now += 1
    # the last add moved the clock into an empty second: 3 s hold the last 1,000 times
    snapshot, counts = tracker.snapshot_and_histograms([1e9], window=3)
    assert snapshot.window == 3
    assert counts["a"] == (snapshot.get("a").count,) == (1_000,)  # type: ignore[union-attr]


@strategies
def test_reset_remove_restore_merge_and_undo_keep_windows_whole(strategy: str) -> None:
    clock = FakeClock()
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    for time in range(5):
        tracker.add("a", time)
        tracker.add("b", time * 2)
        clock.now += 1
    before = tracker.snapshot(window=3)
    captured = tracker.capture()
    tracker.remove(["a"])
    assert [s.action for s in tracker.snapshot(window=3).actions] == ["b"]
    tracker.restore(captured, names=["a"])
    assert set(tracker.snapshot(window=3).actions) == set(before.actions)

    staged = ActionTracker(strategy, clock=FakeClock(0.0))  # type: ignore[arg-type]
    for time in (100, 200):
        staged.add("a", time)
    tracker.merge(staged.capture())  # its times come in now, in the current second
    now = tracker.snapshot(window=1).get("a")
    assert now is not None
    assert (now.count, now.min, now.max) == (2, 100, 200)

    history = UndoHistory(tracker)
    history.add_action('{"action": "a", "time": 300}')
    assert tracker.snapshot(window=1).get("a").count == 3  # type: ignore[union-attr]
    history.undo()
    assert tracker.snapshot(window=1).get("a").count == 2  # type: ignore[union-attr]

    tracker.reset()
    assert tracker.snapshot(window=300).actions == ()
    tracker.add("a", 1)
    assert tracker.snapshot(window=1).get("a").count == 1  # type: ignore[union-attr]


@strategies
def test_a_capture_keeps_the_window_of_times_from_many_threads(strategy: str) -> None:
    clock = FakeClock()
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    done = threading.Barrier(3)

    def producer(offset: int) -> None:
        for second in range(4):
            tracker.add("a", offset + second)
            if offset == 0:
                clock.now += 1
            done.wait(timeout=5)

    threads = [threading.Thread(target=producer, args=(i * 1000,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
        assert not thread.is_alive()
    window = tracker.snapshot(window=2)
    restored = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    restored.restore(tracker.capture())
    assert restored.snapshot(window=2).actions == window.actions


@strategies
def test_a_clock_that_goes_back_loses_no_time(strategy: str) -> None:
    clock = FakeClock()
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    tracker.add("a", 1)
    clock.now += 5
    tracker.add("a", 2)
    clock.now -= 3  # e.g. the system clock set back
    tracker.add("a", 3)  # counted with the latest second there is
    clock.now += 3
    assert tracker.snapshot(window=1).get("a").count == 2  # type: ignore[union-attr]
    assert tracker.snapshot().get("a").count == 3  # type: ignore[union-attr]


def test_five_minutes_of_a_busy_action_fit_in_64_kib() -> None:
    clock = FakeClock()
    tracker = ActionTracker(clock=clock)
    rng = np.random.default_rng(3)
    for _ in range(RING_SECONDS):
        for time in rng.normal(100, 15, 2_000).clip(0).tolist():
            tracker.add("a", time)
        clock.now += 1
    clock.now -= 1
    (action,) = tracker.capture().actions
    assert action.ring is not None
    assert action.ring.nbytes <= 64 * 1024
    assert tracker.snapshot(window=RING_SECONDS).get("a").count == 2_000 * RING_SECONDS  # type: ignore[union-attr]


def test_few_times_in_a_window_are_exact_even_when_all_time_is_sketched() -> None:
    # As accurate as all-time: sketched all-time means sketched windows; the exact
    # times are kept only while the action's are.
    clock = FakeClock()
    tracker = ActionTracker(clock=clock)
    for time in range(EXACT_LIMIT + 1):
        tracker.add("a", time)
    clock.now += 1
    tracker.add("a", 5)
    window = tracker.snapshot(window=1).get("a")
    assert window is not None
    assert window.count == 1
    assert window.p50 == 5  # clamped to [min, max], so right even when sketched
