""" "running" keeps an action's times exactly while it has few, and says when its
percentiles are estimates."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import ActionTracker
from core.sketch import EXACT_LIMIT


def tracker_of(times: list[float], name: str = "a") -> ActionTracker:
    tracker = ActionTracker()
    for time_value in times:
        tracker.add(name, float(time_value))
    return tracker


@pytest.mark.parametrize(
    ("times", "p50"), [([80, 99.5, 100.5, 120], 100), ([100, 200, 300.5], 200)]
)
def test_a_few_typed_times_give_their_true_median(times: list[float], p50: float) -> None:
    stats = tracker_of(times).snapshot().actions[0]
    assert stats.p50 == p50
    assert (stats.p90, stats.p99) == tuple(np.quantile(times, [0.9, 0.99]))
    assert stats.percentile_accuracy == "exact"
    assert stats.percentiles_exact


def test_percentiles_are_exact_up_to_the_limit_and_estimates_beyond() -> None:
    times = list(np.random.default_rng(3).normal(75, 10, EXACT_LIMIT + 1).clip(0))
    at_limit = tracker_of(times[:EXACT_LIMIT]).snapshot().actions[0]
    assert at_limit.percentile_accuracy == "exact"
    assert (at_limit.p50, at_limit.p90, at_limit.p99) == tuple(
        np.quantile(times[:EXACT_LIMIT], [0.5, 0.9, 0.99])
    )
    beyond = tracker_of(times).snapshot().actions[0]
    assert beyond.percentile_accuracy == "approximate"
    assert not beyond.percentiles_exact
    assert beyond.p50 == pytest.approx(np.quantile(times, 0.5), rel=0.01)


def test_memory_per_action_stays_bounded_past_the_limit() -> None:
    tracker = tracker_of([float(value) for value in range(1, 20 * EXACT_LIMIT)])
    tracker.snapshot()
    # The sketch's bins only: the exact times are dropped once there are too many.
    assert tracker.memory_bytes() < EXACT_LIMIT * 8


def _add_in_threads(tracker: ActionTracker, parts: list[list[float]]) -> None:
    """Each part added by a thread of its own, all alive at once, so each has a stripe."""
    barrier = threading.Barrier(len(parts))

    def add(times: list[float]) -> None:
        barrier.wait(timeout=5)
        for time_value in times:
            tracker.add("a", float(time_value))
        barrier.wait(timeout=5)  # stay alive until every part is in: no stripe is reused

    threads = [threading.Thread(target=add, args=(part,)) for part in parts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()


@pytest.mark.parametrize(("threads", "accuracy"), [(2, "exact"), (3, "approximate")])
def test_exact_parts_merge_across_threads(threads: int, accuracy: str) -> None:
    rng = np.random.default_rng(threads)
    parts = [list(rng.exponential(50, 400)) for _ in range(threads)]
    tracker = ActionTracker()
    _add_in_threads(tracker, parts)
    stats = tracker.snapshot().actions[0]
    everything = np.concatenate(parts)
    assert stats.count == len(everything)
    assert stats.percentile_accuracy == accuracy
    expected = np.quantile(everything, [0.5, 0.9, 0.99])
    if accuracy == "exact":
        assert (stats.p50, stats.p90, stats.p99) == tuple(expected)
    else:
        assert stats.p50 == pytest.approx(expected[0], rel=0.01)


def test_a_saved_session_keeps_the_exact_times_and_goes_on_counting(tmp_path: Path) -> None:
    tracker = tracker_of([100, 200, 300.5])
    tracker.save(tmp_path / "s.atsession")
    restored = ActionTracker.open(tmp_path / "s.atsession")
    assert restored.snapshot() == tracker.snapshot()
    assert restored.snapshot().actions[0].p50 == 200
    restored.add("a", 400)
    stats = restored.snapshot().actions[0]
    assert (stats.p50, stats.percentile_accuracy) == (250.25, "exact")
    for time_value in range(EXACT_LIMIT):
        restored.add("a", time_value)
    assert restored.snapshot().actions[0].percentile_accuracy == "approximate"


def _as_older_format(path: Path) -> None:
    """Rewrite a session as files were written before exact times were kept: the same
    layout, without the sketch's "exact" and "folded" entries."""
    raw = path.read_bytes()
    header_line, body = raw.split(b"\n", 1)
    header = orjson.loads(header_line)
    meta = orjson.loads(body[: header["meta_bytes"]])
    data = body[header["meta_bytes"] :]
    for action in meta["actions"]:
        action["sketch"].pop("exact", None)
        del action["sketch"]["folded"]
    meta_bytes = orjson.dumps(meta)
    header.update(meta_bytes=len(meta_bytes), sha256=hashlib.sha256(meta_bytes + data).hexdigest())
    path.write_bytes(orjson.dumps(header) + b"\n" + meta_bytes + data)


def test_older_sessions_open_with_their_percentiles_marked_as_estimates(tmp_path: Path) -> None:
    tracker = tracker_of([100, 200, 300.5])
    huge = [1e26, 1.7e308] * (EXACT_LIMIT // 2 + 1)
    for time_value in huge:
        tracker.add("huge", time_value)
    path = tmp_path / "old.atsession"
    tracker.save(path)
    _as_older_format(path)
    restored = ActionTracker.open(path).snapshot()
    assert restored.actions[0].count == 3
    assert restored.actions[0].percentile_accuracy == "approximate"
    assert restored.actions[0].p50 == pytest.approx(200, rel=0.01)
    assert restored.actions[1].percentile_accuracy == "folded"


def test_a_range_that_folds_the_low_buckets_is_marked_folded() -> None:
    # The README's documented case: the low percentiles read high, far beyond 1%.
    huge = [1e26, 1.7e308] * (EXACT_LIMIT // 2 + 1)
    stats = tracker_of(huge).snapshot().actions[0]
    assert stats.percentile_accuracy == "folded"
    assert stats.p50 > 1e100
    # A few such times are still exact.
    few = tracker_of([1e26, 1.7e308]).snapshot().actions[0]
    assert (few.p50, few.percentile_accuracy) == (8.5e307, "exact")


def test_parts_that_fold_only_when_merged_are_marked_folded() -> None:
    tracker = ActionTracker()
    _add_in_threads(tracker, [[1e-300] * EXACT_LIMIT, [1e300] * EXACT_LIMIT])
    assert tracker.snapshot().actions[0].percentile_accuracy == "folded"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.floats(min_value=0, max_value=1.7e308, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=EXACT_LIMIT,
    )
)
def test_exact_percentiles_are_numpys_to_the_last_bit(times: list[float]) -> None:
    """The same figures as "samples" (np.quantile) for the same times."""
    stats = tracker_of(times).snapshot().actions[0]
    expected = np.quantile(np.array(times), [0.5, 0.9, 0.99])
    clamped = tuple(min(max(float(v), min(times)), max(times)) for v in expected)
    assert (stats.p50, stats.p90, stats.p99) == clamped
