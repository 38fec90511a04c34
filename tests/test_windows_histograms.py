"""The all-time figures that windows build on: histograms, exact totals and rates."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import STRATEGIES, ActionTracker
from core.sketch import EXACT_LIMIT, RELATIVE_ACCURACY

strategies = pytest.mark.parametrize("strategy", STRATEGIES)


class FakeClock:
    """A clock the test moves by hand: no sleeping, no wall clock."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


times_lists = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=10_000),
        st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=300,
)
bounds_lists = st.lists(
    st.floats(min_value=-10, max_value=1.1e6, allow_nan=False, allow_infinity=False),
    max_size=12,
).map(sorted)


@settings(max_examples=60, deadline=None)
@given(times=times_lists, bounds=bounds_lists, strategy=st.sampled_from(STRATEGIES))
def test_histograms_are_numpys_counts_while_exact(
    times: list[float], bounds: list[float], strategy: str
) -> None:
    tracker = ActionTracker(strategy)  # type: ignore[arg-type]
    for time in times:
        tracker.add("jump", time)
    raw = np.sort(np.array(times, dtype=np.float64))
    expected = tuple(int(np.count_nonzero(raw <= bound)) for bound in bounds)
    assert tracker.histograms(bounds) == {"jump": expected}


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    spread=st.floats(min_value=0.01, max_value=3),
    bounds=st.lists(st.floats(min_value=0.001, max_value=1e5), min_size=1, max_size=8).map(sorted),
)
def test_sketched_histograms_stay_within_the_relative_accuracy(
    seed: int, spread: float, bounds: list[float]
) -> None:
    raw = np.random.default_rng(seed).lognormal(3, spread, size=EXACT_LIMIT * 3)
    tracker = ActionTracker("running")
    for time in raw.tolist():
        tracker.add("jump", time)
    assert not tracker.snapshot().actions[0].percentiles_exact
    counts = tracker.histograms(bounds)["jump"]
    for bound, count in zip(bounds, counts, strict=True):
        low = np.count_nonzero(raw <= bound / (1 + RELATIVE_ACCURACY))
        high = np.count_nonzero(raw <= bound / (1 - RELATIVE_ACCURACY))
        assert low <= count <= high
    assert list(counts) == sorted(counts)


@strategies
def test_histograms_cover_every_action_or_the_named_ones(strategy: str) -> None:
    tracker = ActionTracker(strategy)  # type: ignore[arg-type]
    assert tracker.histograms([1, 2]) == {}
    for name, time in [("jump", 1), ("run", 2), ("jump", 3), ("swim", 0)]:
        tracker.add(name, time)
    assert tracker.histograms([0, 1, 2.5, 10]) == {
        "jump": (0, 1, 1, 2),
        "run": (0, 0, 1, 1),
        "swim": (1, 1, 1, 1),
    }
    assert tracker.histograms([2], actions=["run", "nothing"]) == {"run": (1,)}
    assert tracker.histograms([]) == {"jump": (), "run": (), "swim": ()}
    tracker.remove(["run"])
    assert list(tracker.histograms([1])) == ["jump", "swim"]


@pytest.mark.parametrize(
    ("bounds", "words"),
    [
        ([5, 1], "ascending order: 1 comes after 5"),
        ([1, math.nan], "finite"),
        ([math.inf], "finite"),
        ([-math.inf, 1], "finite"),
        (["1"], "must be numbers"),
        ([True], "must be numbers"),
    ],
)
def test_bad_bounds_are_refused_in_words(bounds: list[object], words: str) -> None:
    tracker = ActionTracker()
    tracker.add("jump", 1)
    version = tracker.version
    with pytest.raises(ValueError, match=words):
        tracker.histograms(bounds)  # type: ignore[arg-type]
    assert tracker.version == version


def test_one_name_is_not_taken_for_a_collection_of_letters() -> None:
    tracker = ActionTracker()
    tracker.add("j", 1)
    with pytest.raises(TypeError, match="collection of names"):
        tracker.histograms([1], actions="jump")


@strategies
def test_snapshot_and_histograms_come_from_one_instant(strategy: str) -> None:
    tracker = ActionTracker(strategy)  # type: ignore[arg-type]
    for time in range(1, 2_500):
        tracker.add("jump", time)
        tracker.add("run", time / 7)
    snapshot, counts = tracker.snapshot_and_histograms([100, 1e9], actions=["jump"])
    assert [stats.action for stats in snapshot.actions] == ["jump"]
    assert counts["jump"][-1] == snapshot.actions[0].count == 2_499
    assert snapshot.actions[0].total == sum(range(1, 2_500))


@strategies
def test_total_is_the_exact_sum(strategy: str) -> None:
    tracker = ActionTracker(strategy)  # type: ignore[arg-type]
    times = [0.1, 0.2, 0.3, 1e16, 1, -0.0]
    for time in times:
        tracker.add("mixed", time)
    tracker.add("whole", 2**52)
    tracker.add("whole", 3)
    tracker.add("huge", 1.7e308)
    tracker.add("huge", 1.7e308)
    stats = {s.action: s for s in tracker.snapshot().actions}
    assert stats["mixed"].total == float(sum(Fraction(time) for time in times))
    assert stats["whole"].total == 2**52 + 3
    assert type(stats["whole"].total) is int
    assert stats["huge"].total == math.inf


@strategies
def test_rate_counts_from_the_first_time_to_the_current_second(strategy: str) -> None:
    clock = FakeClock(1_000.25)
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    for _ in range(5):
        tracker.add("jump", 1)
    assert tracker.snapshot().actions[0].rate == 5.0  # under a second: counted as one
    clock.now = 1_010.9
    first = tracker.snapshot()
    assert first.actions[0].rate == pytest.approx(5 / 9.75)
    clock.now = 1_020.1
    later = tracker.snapshot()  # no add, but a new second: a new rate
    assert later.version == first.version
    assert later.actions[0].rate == pytest.approx(5 / 19.75)
    assert tracker.snapshot() is later


def test_rate_of_unchanged_actions_follows_the_clock_too() -> None:
    clock = FakeClock(50.0)
    tracker = ActionTracker(clock=clock)
    tracker.add("jump", 1)
    tracker.add("run", 1)
    before = tracker.snapshot()
    clock.now = 54.0
    tracker.add("run", 2)
    after = {stats.action: stats for stats in tracker.snapshot().actions}
    assert after["jump"].rate == 0.25
    assert after["run"].rate == 0.5
    assert before.actions[0].rate == 1.0


@strategies
def test_merged_times_count_from_the_merge_and_restored_ones_keep_their_first(
    strategy: str,
) -> None:
    clock = FakeClock(100.0)
    tracker = ActionTracker(strategy, clock=clock)  # type: ignore[arg-type]
    tracker.add("jump", 1)
    staged = ActionTracker(strategy, clock=FakeClock(0.0))  # type: ignore[arg-type]
    for time in range(10):
        staged.add("run", time)
    captured = tracker.capture()
    clock.now = 110.0
    tracker.merge(staged.capture())
    tracker.remove(["jump"])
    clock.now = 120.0
    tracker.restore(captured, names=["jump"])
    stats = {s.action: s for s in tracker.snapshot().actions}
    assert stats["run"].rate == 1.0  # 10 times over the 10 s since the merge
    assert stats["jump"].rate == 1 / 20
