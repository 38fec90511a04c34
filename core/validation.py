"""Turns one payload or parsed record into a checked ``(action, time)`` pair.

Every rule of the input contract lives here, so the single-payload path, the batch path
and the file loader reject exactly the same things with the same messages.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from core.errors import InvalidActionError
from core.exactsum import MAX_EXACT_INT, Number

MAX_PAYLOAD_BYTES = 65_536
"""Payloads longer than this (bytes, or characters for ``str``) are refused unparsed."""

MAX_ACTION_LENGTH = 256
"""Longest action name, in characters, after surrounding whitespace is trimmed."""

_loads = orjson.loads
_INF = math.inf


def parse_payload(payload: str | bytes) -> tuple[str, Number]:
    """Parse and check one JSON payload; raise ``InvalidActionError`` when it breaks a rule."""
    if not isinstance(payload, (str, bytes)):
        raise TypeError(f"payload must be str or bytes, got {type(payload).__name__}")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise InvalidActionError(
            f"payload is too large: {len(payload):,} bytes, the limit is {MAX_PAYLOAD_BYTES:,}"
        )
    try:
        record = _loads(payload)
    except orjson.JSONDecodeError as error:
        raise InvalidActionError(json_error(payload, error)) from None
    # The common case in as few operations as possible: this is the engine's hottest
    # path. Anything unusual goes through check_record, which also words the error.
    try:
        name = record["action"]
        time = record["time"]
    except (KeyError, TypeError, IndexError):
        return check_record(record)
    if (
        type(record) is dict
        and type(name) is str
        and ((type(time) is float and 0.0 < time < _INF) or (type(time) is int and time >= 0))
    ):
        name = name.strip()
        if 0 < len(name) <= MAX_ACTION_LENGTH:
            return name, time
    return check_record(record)


# Common causes, looked for where a value goes (after ':', ',' or '['), not inside a
# name like "NaN run".
_HINTS = (
    (re.compile(r"[:,\[]\s*[-+]?(?i:nan|inf|infinity)\b"), "NaN and Infinity are not JSON numbers"),
    (re.compile(r"[:,\[]\s*\+[0-9.]"), "a JSON number cannot start with '+'"),
)


def json_error(payload: str | bytes, error: orjson.JSONDecodeError) -> str:
    """The parser's complaint in people's words, in one of two stable forms that callers
    may match: ``payload is not valid UTF-8 text at byte N`` (or ``at character N`` for a
    ``str`` holding a lone surrogate), and ``payload is not valid JSON: <why> <where>``.
    See ``json_reason`` for ``<why> <where>``."""
    if error.msg.startswith("str is not valid UTF-8"):
        return f"payload is not valid UTF-8 text {_bad_text_position(payload)}"
    return f"payload is not valid JSON: {json_reason(payload, error)}"


# The parser's own words for a few causes, which name its internals ("literal",
# "document", "double"), and what a person would say instead. Other reasons ("trailing
# comma is not allowed", "unexpected control character in string") already read well.
_REASONS = (
    ("unexpected end of data", "it ends before the JSON value is complete"),
    ("unexpected content after document", "there is more after the end of the JSON value"),
    ("depth limit exceeded", "it is nested deeper than 1,024 levels"),
    ("number is infinity", "a number is out of range (the largest is about 1.8e308)"),
    ("UTF-8 byte order mark", "it starts with a byte-order mark"),
    ("invalid literal", "JSON has no such word (only true, false and null)"),
)

_NOT_JSON = "this is not JSON"
_LOOKS_LIKE = 'a payload looks like {"action": "jump", "time": 100}'


def json_reason(payload: str | bytes, error: orjson.JSONDecodeError) -> str:
    """Why ``payload`` is not JSON and where: a character position for a one-line text
    (a line of a file already has its own number), else a line and column; and the cause
    when it is a common one, such as NaN, which JSON does not have, or a leading '+'."""
    # orjson's position counts characters, for bytes too, so bytes are searched decoded.
    text_payload = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    if error.msg.startswith(("Input is a zero-length", "input data is empty")):
        return "it is empty"
    reason = next((said for own, said in _REASONS if error.msg.startswith(own)), error.msg)
    hints = []
    if error.msg.startswith(("invalid literal", "unexpected character")) and (
        error.pos == len(text_payload) - len(text_payload.lstrip(" \t\r\n"))
    ):
        reason = _NOT_JSON  # stopped at the first thing it met: no JSON at all
        hints.append(_LOOKS_LIKE)
    where = (
        f"at character {error.pos + 1}"
        if error.lineno == 1
        else f"at line {error.lineno}, column {error.colno}"
    )
    text = f"{reason} {where}"
    # Only a cause at the place where parsing stopped: "ratio 1:NaN" in a name is not it.
    hints += [
        hint
        for pattern, hint in _HINTS
        if any(m.start() <= error.pos <= m.end() for m in pattern.finditer(text_payload))
    ]
    if hints:
        text += f" ({'; '.join(hints)})"
    return text


def _bad_text_position(payload: str | bytes) -> str:
    """Where text stops being UTF-8: the byte of bytes, the character of a ``str`` (a
    lone surrogate, which UTF-8 cannot encode)."""
    if isinstance(payload, bytes):
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError as bad:
            return f"at byte {bad.start + 1}"
        return "(it holds a lone surrogate)"
    surrogate = re.search("[\ud800-\udfff]", payload)
    return f"at character {surrogate.start() + 1}" if surrogate else "(it holds a lone surrogate)"


def check_record(record: object) -> tuple[str, Number]:
    """Check an already-parsed record; return the trimmed name and the time."""
    if type(record) is not dict:
        raise InvalidActionError(
            f'payload must be a JSON object like {{"action": "jump", "time": 100}}, '
            f"got {_json_kind(record)}"
        )
    name = record.get("action")
    time = record.get("time")
    if type(name) is not str:
        if name is None and "action" not in record:
            raise InvalidActionError('"action" is missing')
        raise InvalidActionError(f'"action" must be a string, got {_json_kind(name)}')
    name = name.strip()
    if not name:
        raise InvalidActionError('"action" must not be empty or only whitespace')
    if len(name) > MAX_ACTION_LENGTH:
        raise InvalidActionError(
            f'"action" is too long: {len(name)} characters, the limit is {MAX_ACTION_LENGTH}'
        )
    # Exact type checks: bool is a subclass of int but true/false are not times.
    if type(time) is int:
        if time < 0:
            raise InvalidActionError(f'"time" must be a number >= 0, got {time}')
    elif type(time) is float:
        # orjson never yields NaN or infinity; the check guards records built in Python.
        if not time >= 0 or time == math.inf:
            raise InvalidActionError(f'"time" must be a finite number >= 0, got {time!r}')
        if time == 0.0:
            time = 0.0  # folds -0.0 into 0.0
    elif time is None and "time" not in record:
        raise InvalidActionError('"time" is missing')
    else:
        raise InvalidActionError(f'"time" must be a number, got {_json_kind(time)}')
    return name, time


def _json_kind(value: object) -> str:
    """Describe a parsed value in JSON's terms, with the value when it is short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 20 else value[:20] + "…"
        return f"the string {shown!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


@dataclass(frozen=True, slots=True)
class CheckedRecords:
    """Records that passed every rule: ``names[i]`` (trimmed) took ``times[i]``, and was
    record ``numbers[i]`` of its source (a line or element number, for rejections that
    only the tracker can make, such as the limit of distinct actions)."""

    names: list[str]
    times: list[Number]
    numbers: Sequence[int]


_get_action = operator.itemgetter("action")
_get_time = operator.itemgetter("time")


def check_batch(records: list[object], first_number: int) -> CheckedRecords | None:
    """Check many parsed records, numbered from ``first_number``, at once with C-level
    passes over columns.

    Returns them checked when every record is plainly valid, or None when any is not (or
    needs care, like a zero that may be -0.0), so that the caller checks them one by one
    with ``check_record`` and its messages.
    """
    if not records:
        return None
    try:  # a missing key raises KeyError; a record that is not an object, TypeError
        names = list(map(_get_action, records))  # type: ignore[arg-type]
        times = list(map(_get_time, records))  # type: ignore[arg-type]
    except (KeyError, TypeError):
        return None
    if not set(map(type, times)) <= {int, float}:
        return None
    if not min(times) > 0 or max(times) > MAX_EXACT_INT:  # zeros, negatives, huge ints
        return None
    try:
        trimmed = list(map(str.strip, names))  # TypeError for a name that is not a string
    except TypeError:
        return None
    if not all(trimmed) or max(map(len, trimmed)) > MAX_ACTION_LENGTH:
        return None
    return CheckedRecords(trimmed, times, range(first_number, first_number + len(records)))
