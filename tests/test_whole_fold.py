"""Folds of whole times: a batch of ints that fit int64 is summed in int64 and counted
by bucket from a table, and must give the very figures the float64 way gives; and the
per-call path's shortcuts keep add_action's verdicts."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import pytest

import core.tracker
from core import ActionTracker, InvalidActionError
from core.exactsum import Number
from core.moments import Moments
from core.ring import SecondRing
from core.sketch import WHOLE_KEYS_LIMIT, LogSketch, bucket_counts, whole_bucket_counts
from core.stripes import Tally, as_float64, float64_and_whole
from core.validation import parse_payload


def same_counts(left: object, right: object) -> bool:
    """Whether two ``Counted`` triples hold the same zeros, first key and counts."""
    assert isinstance(left, tuple)
    assert isinstance(right, tuple)
    return (
        left[0] == right[0]
        and left[1] == right[1]
        and left[2].dtype == right[2].dtype
        and left[2].tolist() == right[2].tolist()
    )


def whole_counts(values: list[int]) -> object:
    whole = np.array(values, dtype=np.int64)
    return whole_bucket_counts(whole, min(values), max(values))


def test_every_whole_time_below_the_limit_gets_the_key_a_log_gives() -> None:
    """Each whole time, in batches of every size and place, is counted in the bucket
    that the log of its float64 copy gives."""
    rng = random.Random(3)
    values = list(range(WHOLE_KEYS_LIMIT))
    rng.shuffle(values)
    start = 0
    while start < len(values):
        size = rng.randrange(1, 400)
        batch = values[start : start + size]
        start += size
        expected = bucket_counts(np.array(batch, dtype=np.float64))
        assert same_counts(whole_counts(batch), expected), batch


@pytest.mark.parametrize(
    "values",
    [[0], [0, 0, 0], [0, 1], [1], [5, 0, 5, 0], [1, 2, 3, 1000], [WHOLE_KEYS_LIMIT - 1, 0, 1]],
)
def test_whole_counts_at_the_edges_match_the_float_way(values: list[int]) -> None:
    assert same_counts(whole_counts(values), bucket_counts(np.array(values, dtype=np.float64)))


def test_whole_counts_leave_times_past_the_table_to_the_log() -> None:
    assert whole_counts([1, WHOLE_KEYS_LIMIT]) is None
    assert whole_counts([2**62, 3]) is None


def test_float64_and_whole_gives_int64_only_for_ints_that_fit() -> None:
    array, whole = float64_and_whole([3, 0, 2**63 - 1])
    assert whole is not None
    assert whole.tolist() == [3, 0, 2**63 - 1]
    assert array.tobytes() == as_float64([3, 0, 2**63 - 1]).tobytes()
    for values in ([3, 2.5], [2.5, 3], [1, 2**63], []):
        assert float64_and_whole(values)[1] is None


def tally_figures(tally: Tally) -> tuple[object, ...]:
    moments = tally.moments
    sketch = tally.distribution
    assert isinstance(sketch, LogSketch)
    ring = tally.ring
    assert ring.buckets is not None
    return (
        moments.count,
        moments.total_scaled,
        (moments.minimum, type(moments.minimum)),
        (moments.maximum, type(moments.maximum)),
        moments.scale_exp,
        moments.scaled_mean.hex(),
        moments.scaled_m2.hex(),
        sketch.zeros,
        sketch.offset,
        sketch.bins.tolist(),
        None if sketch.exact is None else sketch.exact.tobytes(),
        ring.table[:, ring.start : ring.end].tobytes(),
        ring.buckets[ring.start : ring.end].tolist(),
        ring.offset,
        ring.shift,
        ring.big_sums,
        ring.exotic,
    )


@pytest.mark.parametrize(
    "draw",
    [
        lambda rng: rng.randrange(0, 1001),
        lambda rng: rng.randrange(1, 20),
        lambda rng: rng.randrange(0, 3 * WHOLE_KEYS_LIMIT),  # some past the table
        lambda rng: rng.randrange(2**52, 2**53 + 9),  # around float64's last exact int
        lambda rng: rng.randrange(2**60, 2**63),  # an int64 sum would overflow
        lambda rng: rng.choice((0, 7, 2**40)),
    ],
)
def test_a_fold_of_ints_gives_the_figures_of_the_float64_way(draw: object) -> None:
    """Folding ints (the whole way) and folding them with their float64 copy given (the
    way every batch took before) leave every figure the same, to the bit."""
    rng = random.Random(11)
    assert callable(draw)
    whole_way = Tally(LogSketch(), SecondRing(buckets=True))
    float_way = Tally(LogSketch(), SecondRing(buckets=True))
    for second in range(6):
        for _ in range(3):
            values: list[Number] = [draw(rng) for _ in range(rng.randrange(1, 3000))]
            whole_way.fold(values, 1_000 + second)
            float_way.fold(values, 1_000 + second, as_float64(values))
            assert tally_figures(whole_way) == tally_figures(float_way)


def test_moments_of_ints_sum_alike_with_or_without_int64() -> None:
    rng = random.Random(5)
    for top in (1, 1000, 2**40, 2**53, 2**62):
        values = [rng.randrange(0, top + 1) for _ in range(rng.randrange(1, 500))]
        array, whole = float64_and_whole(values)
        with_whole, without = Moments(), Moments()
        with_whole.add(values, array, whole)
        without.add(values, array)
        assert with_whole == without


class Text(str):
    pass


class Data(bytes):
    pass


def verdict(call: Callable[[], object]) -> tuple[str, str]:
    try:
        call()
    except (InvalidActionError, TypeError) as error:
        return type(error).__name__, str(error)
    return "added", ""


@pytest.mark.parametrize(
    "payload",
    [
        Text('{"action": " jump ", "time": 5}'),
        Data(b'{"action": "jump", "time": 7.5}'),
        Text('{"action": "jump", "time": -1}'),
        memoryview(b'{"action": "jump", "time": 1}'),
        bytearray(b'{"action": "jump", "time": 1}'),
    ],
)
def test_payloads_of_other_types_get_parse_payloads_verdict(payload: object) -> None:
    """The per-call path tests exact types; anything else takes parse_payload's way and
    its verdict (the str and bytes subclasses too, as before), changing nothing when
    refused."""
    tracker = ActionTracker("samples")
    said = verdict(lambda: tracker.add_action(payload))  # type: ignore[arg-type]
    assert said == verdict(lambda: parse_payload(payload))  # type: ignore[arg-type]
    if said[0] != "added":
        assert tracker.snapshot().actions == ()


def test_the_limit_of_actions_is_raised_without_the_lookups_key_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name new to the stripe is found missing by a KeyError; refusing it past the
    limit must not show that KeyError as the refusal's context."""
    monkeypatch.setattr(core.tracker, "MAX_ACTIONS", 1)
    tracker = ActionTracker()
    tracker.add_action('{"action": "a", "time": 1}')
    for add in (
        lambda: tracker.add_action('{"action": "b", "time": 1}'),
        lambda: tracker.add("b", 1),
    ):
        with pytest.raises(InvalidActionError, match="already holds 1 distinct") as caught:
            add()
        assert caught.value.__suppress_context__
        assert caught.value.__cause__ is None
    assert [action.action for action in tracker.snapshot().actions] == ["a"]
