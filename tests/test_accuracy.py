"""Numerical accuracy: exact, correctly rounded means whatever the magnitudes or batching."""

from __future__ import annotations

import json
import math
import random
import statistics
from fractions import Fraction

import pytest

from core import STRATEGIES, ActionTracker
from core.stripes import FLUSH_AT

# Count, sum, min, max and stdev are one code (core.moments) for both strategies, so tests
# of those alone run once; tests that read percentiles run for each strategy.
strategies = pytest.mark.parametrize("strategy", STRATEGIES)


def expected_mean(values: list[int] | list[float]) -> int | float:
    """The correctly rounded mean, an int when exactly integral and at most 2**53."""
    exact = Fraction(sum(Fraction(v) for v in values), len(values))
    if exact.denominator == 1 and exact <= 2**53:
        return int(exact)
    return float(exact)


def _fill(tracker: ActionTracker, values: list[int] | list[float], name: str = "a") -> None:
    for value in values:
        tracker.add(name, value)


def _mean(tracker: ActionTracker, name: str = "a") -> int | float:
    stats = tracker.snapshot().get(name)
    assert stats is not None
    return stats.mean


def test_integer_means_are_exact() -> None:
    cases: list[list[int]] = [
        [1, 2],
        [1, 1, 2],
        [2**64 - 1, 2**64 - 1],
        [2**64 - 1, 1],
        [2**64 - 1, 2**64 - 2, 2**63, 3, 0],
        [2**53, 2**53 + 2, 1],
        [10**19 + 7, 10**19 + 9, 12_345_678_901_234_567_890],
        [9_007_199_254_740_993, 9_007_199_254_740_995],  # odd ints above 2**53
        [2**62 + 1] * 3 + [1] * 5,
        [0, 0, 0],
    ]
    for values in cases:
        tracker = ActionTracker()
        for value in values:
            tracker.add_action(json.dumps({"action": "a", "time": value}))
        stats = tracker.snapshot().actions[0]
        expected = expected_mean(values)
        assert stats.mean == expected, values
        assert type(stats.mean) is type(expected), values
        assert (stats.min, stats.max) == (min(values), max(values)), values
        assert json.loads(tracker.get_stats())[0]["avg"] == expected


def test_integral_mean_is_an_int_in_get_stats() -> None:
    tracker = ActionTracker()
    for value in (1, 2, 3):
        tracker.add_action(json.dumps({"action": "a", "time": value}))
    assert tracker.get_stats() == '[{"action":"a","avg":2}]'


def test_float_means_are_correctly_rounded() -> None:
    rng = random.Random(2024)
    generators = [
        rng.random,
        lambda: rng.uniform(0, 1e6),
        lambda: rng.lognormvariate(0, 10),
        lambda: math.ldexp(rng.random(), rng.randint(-1074, 1023)),
        lambda: rng.choice([0.1, 0.2, 0.3, 1e16, 1.0, 3.0]),
    ]
    for make in generators:
        values = [make() for _ in range(3 * FLUSH_AT + 17)]
        tracker = ActionTracker()
        _fill(tracker, values)
        assert _mean(tracker) == expected_mean(values)


def test_catastrophic_cancellation_in_a_naive_sum_does_not_affect_the_mean() -> None:
    values = [1e16] + [1.0] * 10_000 + [1e16]
    tracker = ActionTracker()
    _fill(tracker, values)
    naive = sum(values) / len(values)
    assert naive != expected_mean(values)  # the data really defeats a naive float sum
    assert _mean(tracker) == expected_mean(values)


def test_a_million_tenths_average_to_exactly_one_tenth() -> None:
    tracker = ActionTracker()
    add = tracker.add
    for _ in range(10**6):
        add("tenth", 0.1)
    stats = tracker.snapshot().actions[0]
    assert stats.count == 10**6
    assert abs(stats.mean - 0.1) < 1e-13
    assert stats.mean == 0.1  # the exact sum of a million 0.1s, divided, is 0.1 again
    assert tracker.get_stats() == '[{"action":"tenth","avg":0.1}]'


@strategies
def test_times_near_the_largest_double_do_not_overflow(strategy: str) -> None:
    tracker = ActionTracker(strategy)
    tracker.add_action('{"action": "huge", "time": 1.7e308}')
    tracker.add_action('{"action": "huge", "time": 1.7e308}')
    for _ in range(3):
        tracker.add_action('{"action": "max", "time": 1.7976931348623157e308}')
    tracker.add_action('{"action": "mixed", "time": 1.7e308}')
    tracker.add_action('{"action": "mixed", "time": 0}')
    tracker.add_action('{"action": "mixed", "time": 1e308}')
    snapshot = tracker.snapshot()
    huge, largest, mixed = snapshot.actions
    assert huge.mean == 1.7e308
    assert largest.mean == 1.7976931348623157e308
    assert mixed.mean == expected_mean([1.7e308, 0, 1e308])
    assert mixed.stdev == pytest.approx(statistics.stdev([1.7e308 / 4, 0, 1e308 / 4]) * 4)
    for stats in snapshot.actions:
        for field in ("mean", "min", "max", "stdev", "p50", "p90", "p99"):
            value = getattr(stats, field)
            assert math.isfinite(value), (stats.action, field, value)
    assert json.loads(tracker.get_stats())[0] == {"action": "huge", "avg": 1.7e308}


@strategies
def test_zeros_folded_apart_keep_the_spread_of_subnormal_times(strategy: str) -> None:
    # A batch of zeros alone (its own second) once took the scale 2**0, at which the
    # subnormal times folded beside it squared to nothing: a spread of 0.
    tiny = 2.2250738585e-313
    now = [1_000.0]
    for order in ([tiny, 0.0], [0.0, tiny], [0, tiny, 0]):
        tracker = ActionTracker(strategy, clock=lambda: now[0])
        for value in order:
            tracker.add("a", value)
            now[0] += 1.0  # each in a second of its own: folded apart
        expected = pytest.approx(statistics.stdev(order), rel=1e-9, abs=0)
        for window in (None, 60):
            assert tracker.snapshot(window=window).actions[0].stdev == expected, (order, window)


@strategies
def test_subnormal_times_average_exactly(strategy: str) -> None:
    cases = [
        [5e-324, 5e-324],
        [5e-324, 1e-323],
        [5e-324, 1e-323, 1.5e-323],
        [5e-324] * 3 + [0.0],
        [2.2250738585072014e-308, 5e-324],
        [5e-324, 1.0],
    ]
    for values in cases:
        tracker = ActionTracker(strategy)
        for value in values:
            tracker.add_action(json.dumps({"action": "a", "time": value}))
        stats = tracker.snapshot().actions[0]
        assert stats.mean == expected_mean(values), values
        assert (stats.min, stats.max) == (min(values), max(values))
        assert stats.min <= stats.p50 <= stats.max


def test_means_do_not_depend_on_interleaved_reads_or_batching() -> None:
    rng = random.Random(99)
    records = [
        (i, rng.choice(["a", "b", "c"]), rng.choice([rng.random() * 10 ** rng.randint(-5, 5), 1]))
        for i in range(1, 3 * FLUSH_AT + 500)
    ]
    payloads = [json.dumps({"action": name, "time": time}) for _, name, time in records]

    quiet = ActionTracker()
    for payload in payloads:
        quiet.add_action(payload)

    read_every_add = ActionTracker()
    for payload in payloads:
        read_every_add.add_action(payload)
        read_every_add.get_stats()

    snapshot_often = ActionTracker()
    for position, payload in enumerate(payloads):
        snapshot_often.add_action(payload)
        if position % 7 == 3:
            snapshot_often.snapshot()

    batched = ActionTracker()
    batched.add_actions(payloads)

    grouped_by_name = ActionTracker()
    grouped_by_name.add_actions(
        json.dumps({"action": name, "time": time})
        for _, name, time in sorted(records, key=lambda r: r[1])
    )

    reference = {
        name: expected_mean([t for _, n, t in records if n == name]) for name in ("a", "b", "c")
    }
    for tracker in (quiet, read_every_add, snapshot_often, batched, grouped_by_name):
        means = {s.action: s.mean for s in tracker.snapshot().actions}
        assert means == reference
        counts = {s.action: s.count for s in tracker.snapshot().actions}
        assert counts == {name: sum(1 for r in records if r[1] == name) for name in reference}
    assert read_every_add.get_stats() == quiet.get_stats() == batched.get_stats()


def test_stdev_stays_accurate_across_flush_batches() -> None:
    rng = random.Random(8)
    values = [rng.gauss(1e6, 1.0) for _ in range(5 * FLUSH_AT + 3)]
    tracker = ActionTracker()
    for start in range(0, len(values), 700):
        _fill(tracker, values[start : start + 700])
        tracker.snapshot()
    stats = tracker.snapshot().actions[0]
    assert stats.count == len(values)
    assert stats.mean == expected_mean(values)
    assert stats.stdev == pytest.approx(statistics.stdev(values), rel=1e-9, abs=0)


def test_ints_just_above_two_to_the_53_keep_exact_min_max_and_mean() -> None:
    values = [2**53, 2**53 + 1, 2**53 + 1, 1]
    tracker = ActionTracker()
    for value in values:
        tracker.add_action(json.dumps({"action": "a", "time": value}))
    stats = tracker.snapshot().actions[0]
    assert stats.max == 2**53 + 1
    assert stats.mean == expected_mean(values)  # 6755399441055745, engine says ...744.0


def test_stdev_of_very_small_times_is_not_flushed_to_zero() -> None:
    values = [1e-200, 3e-200, 2e-200]
    tracker = ActionTracker()
    for value in values:
        tracker.add_action(json.dumps({"action": "a", "time": value}))
    stats = tracker.snapshot().actions[0]
    assert stats.mean == expected_mean(values)
    assert stats.stdev == pytest.approx(statistics.stdev(values), rel=1e-9, abs=0)
