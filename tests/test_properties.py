"""Property-based tests: any input is accepted or refused cleanly, and stats match Fraction."""

from __future__ import annotations

import json
import math
import statistics
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core import (
    MAX_ACTION_LENGTH,
    MAX_PAYLOAD_BYTES,
    STRATEGIES,
    ActionTracker,
    InvalidActionError,
)

SETTINGS = settings(max_examples=150, deadline=None)

# --- arbitrary input never breaks the tracker ---------------------------------------


def _state(tracker: ActionTracker) -> tuple[int, str, tuple[object, ...]]:
    snapshot = tracker.snapshot()
    return snapshot.version, tracker.get_stats(), snapshot.actions


def _seeded() -> ActionTracker:
    tracker = ActionTracker()
    tracker.add_action('{"action": "seed", "time": 1}')
    return tracker


def _add_and_check(tracker: ActionTracker, payload: object) -> bool:
    """Add ``payload``; check a refusal left the tracker untouched and an acceptance added
    exactly one sample. Returns whether it was accepted."""
    before = _state(tracker)
    try:
        tracker.add_action(payload)  # type: ignore[arg-type]
    except InvalidActionError:
        assert _state(tracker) == before
        return False
    after = tracker.snapshot()
    assert after.version == before[0] + 1
    assert sum(s.count for s in after.actions) == sum(s.count for s in before[2]) + 1  # type: ignore[attr-defined]
    return True


@SETTINGS
@given(st.text())
def test_any_text_is_accepted_or_refused_cleanly(text: str) -> None:
    _add_and_check(_seeded(), text)


@SETTINGS
@given(st.binary())
def test_any_bytes_are_accepted_or_refused_cleanly(data: bytes) -> None:
    _add_and_check(_seeded(), data)


@SETTINGS
@given(
    st.one_of(
        st.integers(),
        st.none(),
        st.floats(),
        st.booleans(),
        st.binary().map(bytearray),
        st.binary().map(memoryview),
        st.lists(st.text(), max_size=3),
        st.dictionaries(st.text(), st.integers(), max_size=3),
    )
)
def test_payload_that_is_not_str_or_bytes_raises_type_error_only(payload: object) -> None:
    tracker = _seeded()
    before = _state(tracker)
    with pytest.raises(TypeError):
        tracker.add_action(payload)  # type: ignore[arg-type]
    assert _state(tracker) == before


_SURROGATES = st.sampled_from(["\ud800", "x\udfff", "\udc80jump"])
_NAMES = st.one_of(
    st.text(max_size=8),
    st.sampled_from([" jump ", "run", "\t", "", "x" * MAX_ACTION_LENGTH, "y" * 257, "Ü"]),
    _SURROGATES,
)
_JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),  # NaN and infinities become the invalid literals NaN and Infinity
    st.text(max_size=8),
    _SURROGATES,
)
_JSON = st.recursive(
    _JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=5), children, max_size=4),
    ),
    max_leaves=12,
)
_RECORDS = st.builds(
    lambda fields, extra: {**extra, **fields},
    st.fixed_dictionaries(
        {},
        optional={
            "action": st.one_of(_NAMES, _JSON),
            "time": st.one_of(
                st.integers(-(2**70), 2**70),
                st.floats(),
                st.sampled_from([0, -0.0, 0.0, 5e-324, 1.7976931348623157e308, 2**64 - 1]),
                _JSON,
            ),
        },
    ),
    st.dictionaries(st.text(max_size=5), _JSON, max_size=3),
)


def _has_invalid_json(value: Any) -> bool:
    """Whether ``json.dumps`` will emit something RFC 8259 or UTF-8 forbids."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, list):
        return any(_has_invalid_json(item) for item in value)
    if isinstance(value, dict):
        return any(_has_invalid_json(k) or _has_invalid_json(v) for k, v in value.items())
    return False


def _should_accept(value: Any, payload: str) -> bool:
    """The input contract, written independently of the engine."""
    if len(payload) > MAX_PAYLOAD_BYTES or _has_invalid_json(value):
        return False
    if not isinstance(value, dict):
        return False
    name, time = value.get("action"), value.get("time")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= MAX_ACTION_LENGTH:
        return False
    if isinstance(time, bool) or not isinstance(time, (int, float)):
        return False
    return math.isfinite(time) and time >= 0


@SETTINGS
@given(st.one_of(_JSON, _RECORDS))
def test_any_json_value_is_accepted_exactly_when_the_contract_allows(value: Any) -> None:
    payload = json.dumps(value, allow_nan=True)
    tracker = _seeded()
    accepted = _add_and_check(tracker, payload)
    assert accepted == _should_accept(value, payload), payload
    if accepted:
        name, time = value["action"].strip(), value["time"]
        if isinstance(time, int) and time > 2**64 - 1:
            time = float(time)  # beyond 64 bits JSON integers are read as doubles
        stats = tracker.snapshot().get(name)
        assert stats is not None
        assert stats.max == (max(time, 1) if name == "seed" else time)
    else:
        assert _add_and_check(tracker, payload.encode()) is False


# --- valid records: the statistics equal an exact reference -------------------------

_TIMES = st.one_of(
    # 2**53 + 1 is left out: it triggers the bug shown by
    # test_accuracy.py::test_ints_just_above_two_to_the_53_keep_exact_min_max_and_mean.
    st.integers(0, 2**64 - 1).filter(lambda t: t != 2**53 + 1),
    st.floats(0, 1e300, allow_nan=False, allow_infinity=False),
)
_VALID = st.lists(
    st.tuples(st.sampled_from(["a", " a", "b", "b\t", "ccc", "é"]), _TIMES, st.booleans()),
    min_size=1,
    max_size=60,
)


def _reference_mean(times: list[int | float]) -> int | float:
    exact = sum((Fraction(t) for t in times), Fraction(0)) / len(times)
    if exact.denominator == 1 and exact <= 2**53:
        return int(exact)
    return float(exact)


@pytest.mark.parametrize("strategy", STRATEGIES)
@SETTINGS
@given(records=_VALID)
# Found by hypothesis before "running" kept the exact times of small actions: the sketch's
# p50 of three huge integers read below the integer min.
@example(records=[("a", 0, False), ("a", 287885745812597649, False), ("a", 2**58 + 1, False)])
def test_stats_of_valid_records_match_an_exact_reference(
    strategy: str, records: list[tuple[str, int | float, bool]]
) -> None:
    tracker = ActionTracker(strategy)
    expected: dict[str, list[int | float]] = {}
    pending: list[str] = []
    for name, time, read_now in records:
        payload = json.dumps({"action": name, "time": time})
        expected.setdefault(name.strip(), []).append(time)
        if read_now:  # vary the batch boundaries with reads and batch adds
            tracker.add_actions(pending)
            pending = []
            tracker.add_action(payload)
            tracker.snapshot()
        else:
            pending.append(payload)
    tracker.add_actions(pending)

    stats = json.loads(tracker.get_stats())
    reference = [(name, _reference_mean(times)) for name, times in expected.items()]
    assert [(entry["action"], entry["avg"]) for entry in stats] == reference
    assert [type(entry["avg"]) for entry in stats] == [type(mean) for _, mean in reference]

    snapshot = tracker.snapshot()
    assert snapshot.total_count == len(records)
    for action in snapshot.actions:
        times = expected[action.action]
        assert action.count == len(times)
        assert action.mean == _reference_mean(times)
        assert action.min == min(times)
        assert action.max == max(times)
        assert action.min <= action.p50 <= action.p90 <= action.p99 <= action.max
        assert action.stdev >= 0
        floats = [float(t) for t in times]
        if len(floats) > 1:
            try:
                exact_stdev = statistics.stdev(floats)
            except OverflowError:
                continue
            # Float64 cannot resolve a spread below ~1e-16 of the largest time, and times
            # under ~1e-150 lose their stdev to underflow (see the xfail test
            # test_accuracy.py::test_stdev_of_very_small_times_is_not_flushed_to_zero).
            tolerance = 1e-6 * exact_stdev + 1e-12 * max(floats) + 1e-140
            assert abs(action.stdev - exact_stdev) <= tolerance, (action, exact_stdev)
        else:
            assert action.stdev == 0.0
        if strategy == "samples":
            assert sorted(tracker.samples(action.action).tolist()) == sorted(floats)
