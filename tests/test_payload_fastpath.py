"""``add_action`` decodes plainly valid payloads itself (``parse_payload``'s common case,
inlined) and ``parse_payload`` checks part of its rules in msgspec: both must give exactly
``parse_payload``'s verdicts, values and messages, at every edge of those rules."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import ActionTracker, InvalidActionError
from core.validation import MAX_ACTION_LENGTH, MAX_PAYLOAD_BYTES, check_record, parse_payload

SETTINGS = settings(max_examples=300, deadline=None)

EDGES = [
    '{"action": "jump", "time": 0}',
    '{"action": "jump", "time": 0.0}',
    '{"action": "jump", "time": -0.0}',
    '{"action": "jump", "time": -1}',
    '{"action": "jump", "time": 5e-324}',
    '{"action": "jump", "time": 1.7976931348623157e308}',
    '{"action": "jump", "time": 1e400}',
    '{"action": "jump", "time": 9223372036854775807}',
    '{"action": "jump", "time": 9223372036854775808}',
    '{"action": "jump", "time": 18446744073709551615}',
    '{"action": "jump", "time": 18446744073709551616}',
    '{"action": "jump", "time": true}',
    '{"action": "jump", "time": "5"}',
    '{"action": "jump", "time": null}',
    '{"action": "jump"}',
    '{"time": 5}',
    '{"action": "jump", "time": 5, "extra": 1}',
    '{"action": "jump", "time": 5, "time": 6}',
    '{"action": 5, "time": 5}',
    '{"action": "", "time": 5}',
    '{"action": " \\t ", "time": 5}',
    '{"action": " jump ", "time": 5}',
    '{"action": "\\u00e9t\\u00e9", "time": 5}',
    json.dumps({"action": "a" * MAX_ACTION_LENGTH, "time": 5}),
    json.dumps({"action": "é" * MAX_ACTION_LENGTH, "time": 5}, ensure_ascii=False),
    json.dumps({"action": "a" * (MAX_ACTION_LENGTH + 1), "time": 5}),
    json.dumps({"action": f"  {'a' * MAX_ACTION_LENGTH}  ", "time": 5}),
    json.dumps({"action": "a" * MAX_PAYLOAD_BYTES, "time": 5}),
    '{"action": "jump", "time": 5' + " " * MAX_PAYLOAD_BYTES + "}",
    "[1, 2]",
    "5",
    "",
    "{",
    '{"action": "jump", "time": NaN}',
    '{"action": "\ud800", "time": 5}',
]


def outcome(payload: object) -> tuple[str, object]:
    """What ``parse_payload`` makes of ``payload``: its pair, or its error and message."""
    try:
        name, time = parse_payload(payload)  # type: ignore[arg-type]
    except (InvalidActionError, TypeError) as error:
        return type(error).__name__, str(error)
    return "added", (name, time, type(time), repr(time))


def added(payload: object) -> tuple[str, object]:
    """What ``add_action`` makes of ``payload``: the pair it holds, or its error."""
    tracker = ActionTracker("samples")
    try:
        tracker.add_action(payload)  # type: ignore[arg-type]
    except (InvalidActionError, TypeError) as error:
        assert tracker.snapshot().actions == ()  # nothing changed
        return type(error).__name__, str(error)
    (action,) = tracker.snapshot().actions
    assert action.count == 1
    # repr too: 0.0 == -0.0, and a sign kept by the fast path must show
    return "added", (action.action, action.max, type(action.max), repr(action.max))


@pytest.mark.parametrize("payload", EDGES)
@pytest.mark.parametrize("as_bytes", [False, True])
def test_add_action_agrees_with_parse_payload_at_the_edges(payload: str, as_bytes: bool) -> None:
    subject: str | bytes = payload
    if as_bytes:
        try:
            subject = payload.encode()
        except UnicodeEncodeError:  # a lone surrogate has no bytes
            return
    assert added(subject) == outcome(subject)


@pytest.mark.parametrize("payload", [bytearray(b'{"action": "a", "time": 1}'), None, 5])
def test_other_payload_types_are_refused_alike(payload: object) -> None:
    assert (
        added(payload)
        == outcome(payload)
        == (
            "TypeError",
            f"payload must be str or bytes, got {type(payload).__name__}",
        )
    )


def test_parse_payload_keeps_the_exact_checks_verdicts() -> None:
    """Every accepted edge is what the exact way (orjson and check_record) accepts."""
    for payload in EDGES:
        verdict = outcome(payload)
        if verdict[0] == "added":
            name, time, kind, _ = verdict[1]  # type: ignore[misc]
            exact = check_record(orjson.loads(payload))
            assert exact == (name, time)
            assert type(exact[1]) is kind


names = st.text(alphabet=st.sampled_from(" \t\naé-_x\u2003"), max_size=MAX_ACTION_LENGTH + 3)
times = st.one_of(
    st.integers(min_value=-5, max_value=2**65),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 2**63 - 1, 2**63, 2**64 - 1, 2**64]),
)


@SETTINGS
@given(name=names, time=times)
def test_add_action_agrees_with_parse_payload(name: str, time: float) -> None:
    payload = json.dumps({"action": name, "time": time}, ensure_ascii=False)
    assert added(payload) == outcome(payload)
    assert added(payload.encode()) == outcome(payload.encode())
