"""Input rules of ``add_action``: what is accepted, what is refused, and how it is worded."""

from __future__ import annotations

import json
import math
import threading

import pytest

import core.tracker
import core.validation
from core import (
    MAX_ACTION_LENGTH,
    MAX_PAYLOAD_BYTES,
    ActionTracker,
    InvalidActionError,
    InvalidFileError,
)
from core.validation import parse_payload


def _state(tracker: ActionTracker) -> tuple[int, str, tuple[object, ...]]:
    """Everything observable about a tracker, for before/after comparisons."""
    snapshot = tracker.snapshot()
    return snapshot.version, tracker.get_stats(), snapshot.actions


@pytest.fixture(params=["running", "samples"])
def seeded(request: pytest.FixtureRequest) -> ActionTracker:
    """A fresh tracker that already holds some data, so "unchanged" means something."""
    tracker = ActionTracker(request.param)
    tracker.add_action('{"action": "jump", "time": 100}')
    tracker.add_action('{"action": "run", "time": 75.5}')
    return tracker


# --- accepted payloads -------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "name", "time"),
    [
        ('{"action": "jump", "time": 100}', "jump", 100),
        (b'{"action": "jump", "time": 100}', "jump", 100),
        ('{"time": 2.5, "action": "jump"}', "jump", 2.5),
        ('{"action": "jump", "time": 1e2}', "jump", 100.0),
        ('{"action": "jump", "time": 0}', "jump", 0),
        ('{"action": "jump", "time": 0.0}', "jump", 0.0),
        ('{"action": "jump", "time": -0}', "jump", 0),
        ('{"action": "jump", "time": 18446744073709551615}', "jump", 2**64 - 1),
        ('{"action": "jump", "time": 1.7976931348623157e308}', "jump", 1.7976931348623157e308),
        ('{"action": "jump", "time": 5e-324}', "jump", 5e-324),
        ('{"action": "  jump\\t", "time": 1}', "jump", 1),
        ('{"action": "J", "time": 1}', "J", 1),
        ('{"action": "sauter à pieds joints 🦘", "time": 3}', "sauter à pieds joints 🦘", 3),
        ('{"action": "jump", "time": 1, "user": "ann", "extra": {"nested": [1, 2]}}', "jump", 1),
        ('  {"action": "jump", "time": 7}  \n', "jump", 7),
    ],
)
def test_valid_payload_is_recorded_with_trimmed_name_and_time(
    payload: str | bytes, name: str, time: float
) -> None:
    tracker = ActionTracker("samples")
    tracker.add_action(payload)
    (stats,) = tracker.snapshot().actions
    assert stats.action == name
    assert stats.count == 1
    assert stats.min == time
    assert type(stats.min) is type(time)
    assert tracker.samples(name).tolist() == [float(time)]


def test_surrounding_whitespace_is_trimmed_so_names_merge() -> None:
    tracker = ActionTracker()
    tracker.add_action('{"action": " jump ", "time": 100}')
    tracker.add_action('{"action": "jump", "time": 200}')
    tracker.add_action('{"action": "\\u00a0jump\\n", "time": 300}')
    assert tracker.get_stats() == '[{"action":"jump","avg":200}]'


def test_action_names_are_case_sensitive() -> None:
    tracker = ActionTracker()
    tracker.add_action('{"action": "jump", "time": 1}')
    tracker.add_action('{"action": "Jump", "time": 3}')
    tracker.add_action('{"action": "JUMP", "time": 5}')
    assert [s.action for s in tracker.snapshot().actions] == ["jump", "Jump", "JUMP"]


def test_negative_zero_time_is_stored_as_positive_zero() -> None:
    tracker = ActionTracker("samples")
    tracker.add_action('{"action": "jump", "time": -0.0}')
    (stats,) = tracker.snapshot().actions
    assert stats.min == 0.0
    assert math.copysign(1.0, stats.min) == 1.0
    assert math.copysign(1.0, stats.max) == 1.0
    assert tracker.get_stats() == '[{"action":"jump","avg":0}]'


def test_name_of_exactly_max_length_after_trimming_is_accepted() -> None:
    tracker = ActionTracker()
    name = "é" * MAX_ACTION_LENGTH  # characters, not bytes: 512 bytes of UTF-8
    tracker.add_action(json.dumps({"action": "   " + name + "   ", "time": 1}))
    assert tracker.snapshot().actions[0].action == name


def test_payload_of_exactly_max_bytes_is_accepted() -> None:
    body = b'{"action": "jump", "time": 1}'
    payload = body + b" " * (MAX_PAYLOAD_BYTES - len(body))
    assert len(payload) == MAX_PAYLOAD_BYTES
    tracker = ActionTracker()
    tracker.add_action(payload)
    assert tracker.get_stats() == '[{"action":"jump","avg":1}]'


# --- refused payloads --------------------------------------------------------------

_DEEP = "[" * 5000 + "]" * 5000
_DEEP_OBJECT = '{"action": "jump", "time": 1, "x": ' + "[" * 5000 + "]" * 5000 + "}"

INVALID = [
    # (id, payload, substrings the message must contain)
    ("not json", "jump 100", ["not valid JSON: this is not JSON at character 1"]),
    ("not json after spaces", "  not json", ["this is not JSON at character 3"]),
    ("empty string", "", ["not valid JSON: it is empty"]),
    ("only whitespace", "   \n ", ["not valid JSON: it is empty"]),
    ("empty bytes", b"", ["not valid JSON: it is empty"]),
    ("truncated", '{"action": "jump", "time": 1', ["ends before the JSON value is complete"]),
    ("trailing garbage", '{"action": "jump", "time": 1} x', ["more after the end", "31"]),
    ("misspelt literal", '{"action": "jump", "time": tru}', ["only true, false and null"]),
    ("two objects", '{"action": "a", "time": 1}{"action": "b", "time": 2}', ["not valid JSON"]),
    ("single quotes", "{'action': 'jump', 'time': 1}", ["not valid JSON"]),
    (
        "NaN literal",
        '{"action": "jump", "time": NaN}',
        ["not valid JSON", "at character 28", "NaN and Infinity are not JSON numbers"],
    ),
    ("Infinity literal", '{"action": "jump", "time": Infinity}', ["not JSON numbers"]),
    ("-Infinity literal", b'{"action": "jump", "time": -Infinity}', ["not JSON numbers"]),
    ("overflowing number", '{"action": "jump", "time": 1e400}', ["out of range", "1.8e308"]),
    ("error on a later line", '{"action": "jump",\n"time": }', ["at line 2, column 9"]),
    ("plus sign", '{"action": "jump", "time": +5}', ["cannot start with '+'"]),
    ("lowercase nan", b'{"action": "jump", "time": nan}', ["not JSON numbers"]),
    ("deep nesting", _DEEP, ["not valid JSON", "deeper than 1,024 levels"]),
    ("deep nesting in extra key", _DEEP_OBJECT, ["deeper than 1,024 levels"]),
    (
        "invalid utf-8",
        b'{"action": "ju\xffmp", "time": 1}',
        ["payload is not valid UTF-8 text at byte 15"],
    ),
    (
        "lone surrogate in str",
        '{"action": "ju\ud800mp", "time": 1}',
        ["payload is not valid UTF-8 text at character 15"],
    ),
    ("array", '[{"action": "jump", "time": 1}]', ["JSON object", "an array"]),
    ("string", '"jump"', ["JSON object", "the string 'jump'"]),
    ("number", "100", ["JSON object", "the number 100"]),
    ("null", "null", ["JSON object", "null"]),
    ("true", "true", ["JSON object", "true"]),
    ("missing action", '{"time": 1}', ['"action"', "missing"]),
    ("missing time", '{"action": "jump"}', ['"time"', "missing"]),
    ("empty object", "{}", ['"action"', "missing"]),
    ("action null", '{"action": null, "time": 1}', ['"action"', "string", "null"]),
    ("action number", '{"action": 5, "time": 1}', ['"action"', "string", "the number 5"]),
    ("action true", '{"action": true, "time": 1}', ['"action"', "string", "true"]),
    ("action array", '{"action": ["jump"], "time": 1}', ['"action"', "an array"]),
    ("action object", '{"action": {}, "time": 1}', ['"action"', "an object"]),
    ("action empty", '{"action": "", "time": 1}', ['"action"', "empty"]),
    ("action whitespace", '{"action": " \\t\\n ", "time": 1}', ['"action"', "whitespace"]),
    (
        "action too long",
        json.dumps({"action": "x" * (MAX_ACTION_LENGTH + 1), "time": 1}),
        ['"action"', "too long", str(MAX_ACTION_LENGTH + 1), str(MAX_ACTION_LENGTH)],
    ),
    ("time negative int", '{"action": "jump", "time": -5}', ['"time"', ">= 0", "-5"]),
    ("time negative float", '{"action": "jump", "time": -0.5}', ['"time"', ">= 0", "-0.5"]),
    (
        "time tiny negative",
        '{"action": "jump", "time": -5e-324}',
        ['"time"', ">= 0", "-5e-324"],
    ),
    ("time huge negative", '{"action": "jump", "time": -1e308}', ['"time"', ">= 0", "-1e+308"]),
    ("time string", '{"action": "jump", "time": "5"}', ['"time"', "number", "the string '5'"]),
    ("time true", '{"action": "jump", "time": true}', ['"time"', "number", "true"]),
    ("time false", '{"action": "jump", "time": false}', ['"time"', "number", "false"]),
    ("time null", '{"action": "jump", "time": null}', ['"time"', "number", "null"]),
    ("time array", '{"action": "jump", "time": [1]}', ['"time"', "number", "an array"]),
    ("time object", '{"action": "jump", "time": {"ms": 1}}', ['"time"', "number", "an object"]),
]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [pytest.param(payload, expected, id=name) for name, payload, expected in INVALID],
)
def test_invalid_payload_raises_named_error_and_leaves_tracker_unchanged(
    seeded: ActionTracker, payload: str | bytes, expected: list[str]
) -> None:
    before = _state(seeded)
    with pytest.raises(InvalidActionError) as info:
        seeded.add_action(payload)
    message = str(info.value)
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert _state(seeded) == before
    assert seeded.version == before[0]


@pytest.mark.parametrize(
    "payload",
    ['{"action": "NaN run", "time": }', b'{"action": "ratio 1:NaN", "time": abc}'],
)
def test_nan_in_a_name_gives_no_hint_about_nan(payload: str | bytes) -> None:
    with pytest.raises(InvalidActionError) as info:
        ActionTracker().add_action(payload)
    assert "unexpected character, expected a JSON value at character" in str(info.value)
    assert "NaN" not in str(info.value)


def test_the_hint_follows_the_error_position_past_non_ascii_names() -> None:
    with pytest.raises(InvalidActionError, match="not JSON numbers"):
        ActionTracker().add_action('{"action": "ééééé", "time": NaN}'.encode())


def test_time_message_shows_field_rule_and_bad_value() -> None:
    with pytest.raises(InvalidActionError, match=r'^"time" must be a number >= 0, got -5$'):
        ActionTracker().add_action('{"action": "jump", "time": -5}')


def test_long_string_values_are_shortened_in_messages() -> None:
    long_value = "x" * 1000
    with pytest.raises(InvalidActionError) as info:
        ActionTracker().add_action(json.dumps({"action": "jump", "time": long_value}))
    assert len(str(info.value)) < 100
    assert "xxxxxxxxxx" in str(info.value)


def test_invalid_action_error_is_a_value_error() -> None:
    assert issubclass(InvalidActionError, ValueError)
    assert issubclass(InvalidFileError, InvalidActionError)
    with pytest.raises(ValueError):
        ActionTracker().add_action("{}")


@pytest.mark.parametrize(
    "payload",
    [
        123,
        None,
        1.5,
        bytearray(b'{"action": "jump", "time": 1}'),
        memoryview(b'{"action": "jump", "time": 1}'),
        {"action": "jump", "time": 1},
        ['{"action": "jump", "time": 1}'],
    ],
    ids=lambda value: type(value).__name__,
)
def test_payload_that_is_not_str_or_bytes_raises_type_error(
    seeded: ActionTracker, payload: object
) -> None:
    before = _state(seeded)
    with pytest.raises(TypeError, match=type(payload).__name__):
        seeded.add_action(payload)  # type: ignore[arg-type]
    assert _state(seeded) == before


@pytest.mark.parametrize("kind", [str, bytes])
def test_oversized_payload_is_refused_before_parsing(
    seeded: ActionTracker, monkeypatch: pytest.MonkeyPatch, kind: type
) -> None:
    body = '{"action": "jump", "time": 1}'
    text = body + " " * (MAX_PAYLOAD_BYTES + 1 - len(body))
    payload = text if kind is str else text.encode()
    parsed: list[object] = []
    real_loads = core.validation._loads

    def spy(data: str | bytes) -> object:
        parsed.append(data)
        return real_loads(data)

    monkeypatch.setattr(core.validation, "_loads", spy)
    before = _state(seeded)
    with pytest.raises(InvalidActionError, match="too large") as info:
        seeded.add_action(payload)
    assert f"{MAX_PAYLOAD_BYTES:,}" in str(info.value)
    assert parsed == []
    assert _state(seeded) == before


# --- the distinct-action limit -------------------------------------------------------


def test_distinct_action_limit_refuses_new_names_and_keeps_existing_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core.tracker, "MAX_ACTIONS", 3)
    tracker = ActionTracker()
    for name in ("a", "b", "c"):
        tracker.add_action(json.dumps({"action": name, "time": 1}))
    before = _state(tracker)

    with pytest.raises(InvalidActionError) as info:
        tracker.add_action('{"action": "d", "time": 1}')
    message = str(info.value)
    assert "'d'" in message
    assert "3" in message
    assert "limit" in message
    assert _state(tracker) == before

    tracker.add_action('{"action": "b", "time": 3}')
    assert tracker.get_stats() == (
        '[{"action":"a","avg":1},{"action":"b","avg":2},{"action":"c","avg":1}]'
    )


def test_distinct_action_limit_applies_to_existing_names_from_other_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core.tracker, "MAX_ACTIONS", 2)
    tracker = ActionTracker()
    tracker.add_action('{"action": "a", "time": 1}')
    tracker.add_action('{"action": "b", "time": 1}')
    errors: list[BaseException] = []

    def other_thread() -> None:
        try:
            tracker.add_action('{"action": "a", "time": 3}')  # known name: allowed
            tracker.add_action('{"action": "z", "time": 3}')  # new name: refused
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert len(errors) == 1
    assert isinstance(errors[0], InvalidActionError)
    assert tracker.get_stats() == '[{"action":"a","avg":2},{"action":"b","avg":1}]'


def test_distinct_action_limit_is_lifted_by_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.tracker, "MAX_ACTIONS", 1)
    tracker = ActionTracker()
    tracker.add_action('{"action": "a", "time": 1}')
    with pytest.raises(InvalidActionError):
        tracker.add_action('{"action": "b", "time": 1}')
    tracker.reset()
    tracker.add_action('{"action": "b", "time": 1}')
    assert tracker.get_stats() == '[{"action":"b","avg":1}]'


def test_distinct_action_limit_in_batches_is_reported_by_position(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core.tracker, "MAX_ACTIONS", 2)
    tracker = ActionTracker()
    report = tracker.add_actions(
        [
            '{"action": "a", "time": 1}',
            '{"action": "b", "time": 1}',
            '{"action": "c", "time": 1}',
            '{"action": "a", "time": 3}',
        ]
    )
    assert report.accepted == 3
    assert [r.record for r in report.rejected] == [3]
    assert "limit" in report.rejected[0].reason
    assert tracker.get_stats() == '[{"action":"a","avg":2},{"action":"b","avg":1}]'


class _Text(str):
    pass


class _Data(bytes):
    pass


@pytest.mark.parametrize(
    "payload",
    [
        '{"action": " jump ", "time": 5}',
        '{"action": "jump", "time": -1}',
        b'{"action": "jump", "time": 7.5}',
        b'{"action": "jump", "time": NaN}',
    ],
)
def test_str_and_bytes_subclasses_are_read_as_their_plain_values(payload: str | bytes) -> None:
    """A str enum member or a bytes subclass is still text: the same verdict and words."""
    subclassed = _Text(payload) if isinstance(payload, str) else _Data(payload)
    try:
        expected: object = parse_payload(payload)
    except InvalidActionError as error:
        expected = str(error)
    try:
        got: object = parse_payload(subclassed)
    except InvalidActionError as error:
        got = str(error)
    assert got == expected
