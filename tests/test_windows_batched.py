"""The batched window figures equal each action's own, to the last bit, for sizes and
ties the small cases of test_single_quantiles do not reach."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import STRATEGIES, ActionStats, ActionTracker
from core.ring import _times_power_of_two
from core.samples import SampleStore, stacked_quantiles
from core.sketch import LogSketch, single_quantiles

QS = (0.5, 0.9, 0.99)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 400),
    st.integers(2, 6),
    st.integers(0, 2**32 - 1),
    st.sampled_from([3, 50, 10**6]),
    st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_stacked_stores_of_one_size_get_their_own_quantiles(
    size: int, rows: int, seed: int, spread: int, int_ends: list[bool]
) -> None:
    # Few distinct values (a small spread) make ties around every rank read; an int
    # min or max (as times given as ints have) must come back as the int it is.
    rng = np.random.default_rng(seed)
    stores = [SampleStore.of(rng.integers(0, spread, size).astype(np.float64)) for _ in range(rows)]
    kinds = [int if as_int else float for as_int in int_ends]
    lows = [kind(store.view().min()) for store, kind in zip(stores, kinds, strict=False)]
    highs = [kind(store.view().max()) for store, kind in zip(stores, kinds[::-1], strict=False)]
    expected = [
        store.quantiles(QS, low, high) for store, low, high in zip(stores, lows, highs, strict=True)
    ]
    got = stacked_quantiles(stores, QS, lows, highs)
    assert got == expected
    assert [[type(v) for v in row] for row in got] == [[type(v) for v in row] for row in expected]


mixed_times = st.lists(
    st.one_of(
        st.just(0),
        st.just(0.0),
        st.integers(1, 10**6),
        st.integers(2**53, 2**60),
        st.floats(1e-6, 1e12),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(mixed_times, min_size=1, max_size=8))
def test_sketches_of_ints_floats_and_zeros_get_their_own_quantiles(
    groups: list[list[float]],
) -> None:
    # Python's min and max hand back an int bound as it is: the batched way must too.
    sketches = []
    for values in groups:
        sketch = LogSketch()
        sketch.add(np.asarray(values, dtype=np.float64))
        sketch.exact = None  # as a window's sketch past its exact values
        sketches.append(sketch)
    lows = [min(values) for values in groups]
    highs = [max(values) for values in groups]
    expected = [
        sketch.quantiles(QS, low, high)
        for sketch, low, high in zip(sketches, lows, highs, strict=True)
    ]
    got = single_quantiles(sketches, QS, lows, highs)
    assert got == expected
    assert [[type(v) for v in row] for row in got] == [[type(v) for v in row] for row in expected]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def fresh_figures(strategy: str, times: list[float]) -> ActionStats:
    tracker = ActionTracker(strategy)  # type: ignore[arg-type]
    for time in times:
        tracker.add("a", time)
    (stats,) = tracker.snapshot().actions
    return stats


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("spread", [1.0, 1e12])
def test_many_actions_over_several_threads_get_their_own_figures(
    strategy: str, spread: float
) -> None:
    # Past EXACT_LIMIT, several stripes and actions at once: the window's percentiles
    # equal a fresh tracker's of the same times (one stripe, one action) to the bit. A
    # spread of 1e12 : 1 across the threads makes the parts' buckets far apart.
    clock = FakeClock()
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    names = ["solo", "pair", "trio", "small"]
    sent: dict[tuple[str, int], list[float]] = {}
    barrier = threading.Barrier(5)  # the four producers and the clock's hand

    def producer(index: int) -> None:
        rng = np.random.default_rng(index)
        for second in range(4):
            barrier.wait(timeout=5)
            for name in names[index:] if index < 3 else ["small"]:
                count = 3 if name == "small" else 600
                values = (rng.lognormal(3, 1, count) * spread**index).tolist()
                sent.setdefault((name, second), []).extend(values)
                for value in values:
                    tracker.add(name, value)
            barrier.wait(timeout=5)

    threads = [threading.Thread(target=producer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for _ in range(4):
        barrier.wait(timeout=5)
        barrier.wait(timeout=5)
        clock.now += 1
    for thread in threads:
        thread.join(timeout=5)
        assert not thread.is_alive()
    clock.now -= 1
    snapshot = tracker.snapshot(window=2)
    for name in names:
        times = [t for second in (2, 3) for t in sent.get((name, second), [])]
        got, expected = snapshot.get(name), fresh_figures(strategy, times)
        assert got is not None
        assert (got.count, got.mean, got.min, got.max, got.total) == (
            expected.count,
            expected.mean,
            expected.min,
            expected.max,
            expected.total,
        )
        assert got.percentile_accuracy == expected.percentile_accuracy, name
        assert (got.p50, got.p90, got.p99) == (expected.p50, expected.p90, expected.p99)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1e300, allow_nan=False), st.integers(-1100, 0)),
        min_size=1,
        max_size=20,
    )
)
def test_scaling_by_powers_of_two_rounds_as_ldexp(pairs: list[tuple[float, int]]) -> None:
    values = np.array([value for value, _ in pairs])
    exponents = np.array([exponent for _, exponent in pairs], dtype=np.int64)
    expected = np.ldexp(values, exponents)
    assert (_times_power_of_two(values, exponents).view(np.int64) == expected.view(np.int64)).all()


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_parts_whose_rings_span_far_apart_still_merge_their_window(strategy: str) -> None:
    # Each thread's ring spans a wide range from a time that has left the window (one
    # very small, one very large): the rings together pass MAX_BINS buckets, the
    # window's own times do not, and the window must show exactly them.
    clock = FakeClock()
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    rng = np.random.default_rng(3)
    window_times: list[float] = []
    barrier = threading.Barrier(3)

    def producer(outlier: float) -> None:
        tracker.add("a", outlier)
        for _ in range(2):
            barrier.wait(timeout=5)
            values = rng.lognormal(4, 0.5, 700).tolist()
            window_times.extend(values)
            for value in values:
                tracker.add("a", value)
            barrier.wait(timeout=5)

    threads = [threading.Thread(target=producer, args=(v,)) for v in (1e-8, 1e16)]
    for thread in threads:
        thread.start()
    clock.now += 10  # the outliers' second falls out of a 2-second window
    for _ in range(2):
        barrier.wait(timeout=5)
        barrier.wait(timeout=5)
        clock.now += 1
    for thread in threads:
        thread.join(timeout=5)
        assert not thread.is_alive()
    clock.now -= 1
    got, expected = tracker.snapshot(window=2).get("a"), fresh_figures(strategy, window_times)
    assert got is not None
    assert (got.count, got.mean, got.min, got.max) == (
        expected.count,
        expected.mean,
        expected.min,
        expected.max,
    )
    assert got.percentile_accuracy == expected.percentile_accuracy
    assert (got.p50, got.p90, got.p99) == (expected.p50, expected.p90, expected.p99)


@pytest.mark.parametrize("per_second", [200, 300, 70_000])
def test_bucket_counts_past_their_narrow_types_sum_right(per_second: int) -> None:
    # Counts past 255 (or 65,535) in one bucket and second widen the ring's matrix; the
    # window's sums are taken in a narrow type where it holds them, never past it.
    clock = FakeClock()
    tracker = ActionTracker("running", clock=clock)
    times: list[float] = []
    for second in range(3):
        values = [100.0] * per_second + [100.0 + second] * 7
        times.extend(values)
        tracker.add_actions(f'{{"action": "a", "time": {value}}}' for value in values)
        clock.now += 1
    clock.now -= 1
    got, expected = tracker.snapshot(window=3).get("a"), fresh_figures("running", times)
    assert got is not None
    assert (got.count, got.mean, got.p50, got.p90, got.p99) == (
        expected.count,
        expected.mean,
        expected.p50,
        expected.p90,
        expected.p99,
    )
