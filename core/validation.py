"""Turns one payload or parsed record into a checked ``(action, time)`` pair.

Every rule of the input contract lives here, so the single-payload path, the batch path
and the file loader reject exactly the same things with the same messages.
"""

from __future__ import annotations

import math
import operator
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
import numpy as np
import numpy.typing as npt
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
    if not isinstance(payload, PAYLOAD_TYPES):
        raise TypeError(f"payload must be str or bytes, got {type(payload).__name__}")
    if type(payload) is not str and type(payload) is not bytes:
        # A subclass (a str enum, say) as the plain value: the decoders take only those.
        payload = str(payload) if isinstance(payload, str) else bytes(payload)
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise InvalidActionError(
            f"payload is too large: {len(payload):,} bytes, the limit is {MAX_PAYLOAD_BYTES:,}"
        )
    # The common case in as few operations as possible: this is the engine's hottest
    # path. A record of exactly the two fields within ``SinglePayload``'s bounds decodes
    # typed and checked, without a dict; anything else takes the exact way, which also
    # words the error.
    # ActionTracker.add_action repeats these few lines rather than pay for a call.
    try:
        plain = decode_single_payload(payload)
    except ValueError:  # msgspec's errors; UnicodeEncodeError for a str with a surrogate
        return _parse_exactly(payload)
    name = plain.action.strip()
    if name:
        return name, plain.time
    return _parse_exactly(payload)


def parse_payload_exactly(payload: bytes) -> tuple[str, Number]:
    """``parse_payload`` for a payload within the size limit that cannot be plainly valid
    (one that does not end in "}", say): the same verdict and words, without first
    trying the quick way, which would only fail."""
    return _parse_exactly(payload)


def _parse_exactly(payload: str | bytes) -> tuple[str, Number]:
    """``parse_payload`` through orjson's dict and ``check_record``, for every payload
    that is not plainly valid: the reference path, with every message."""
    try:
        record = _loads(payload)
    except orjson.JSONDecodeError as error:
        raise InvalidActionError(json_error(payload, error)) from None
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
# name like "NaN run"; each with words an ASCII text must hold for it to be there (a
# quicker test than the search).
_HINTS = (
    (
        re.compile(r"[:,\[]\s*[-+]?(?i:nan|inf|infinity)\b"),
        "NaN and Infinity are not JSON numbers",
        ("nan", "inf"),
    ),
    (re.compile(r"[:,\[]\s*\+[0-9.]"), "a JSON number cannot start with '+'", ("+",)),
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

_REASONS_OWN = tuple(own for own, _ in _REASONS)
_NOT_JSON = "this is not JSON"
_LOOKS_LIKE = 'a payload looks like {"action": "jump", "time": 100}'


def json_reason(payload: str | bytes, error: orjson.JSONDecodeError) -> str:
    """Why ``payload`` is not JSON and where: a character position for a one-line text
    (a line of a file already has its own number), else a line and column; and the cause
    when it is a common one, such as NaN, which JSON does not have, or a leading '+'."""
    # orjson's position counts characters, for bytes too, so bytes are searched decoded.
    text_payload = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    said = error.msg
    position = error.pos
    if said.startswith(("Input is a zero-length", "input data is empty")):
        return "it is empty"
    if said.startswith("str is not valid UTF-8"):  # a binary file, say
        return f"it is not valid UTF-8 text {_bad_text_position(payload)}"
    reason = said
    if said.startswith(_REASONS_OWN):
        for own, ours in _REASONS:
            if said.startswith(own):
                reason = ours
                break
    hints = []
    if said.startswith(("invalid literal", "unexpected character")) and (
        position == len(text_payload) - len(text_payload.lstrip(" \t\r\n"))
    ):
        reason = _NOT_JSON  # stopped at the first thing it met: no JSON at all
        hints.append(_LOOKS_LIKE)
    where = (
        f"at character {position + 1}"
        if error.lineno == 1
        else f"at line {error.lineno}, column {error.colno}"
    )
    text = f"{reason} {where}"
    # Only a cause at the place where parsing stopped: "ratio 1:NaN" in a name is not it.
    ascii_lower = text_payload.lower() if text_payload.isascii() else None
    for pattern, hint, words in _HINTS:
        if ascii_lower is not None and not any(word in ascii_lower for word in words):
            continue
        for found in pattern.finditer(text_payload):
            if found.start() <= position <= found.end():
                hints.append(hint)
                break
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
        if time > _LARGEST_INT_TIME:  # a Python int can be; folding it would fail later
            raise InvalidActionError(
                '"time" is out of range: the largest number is about 1.8e308, '
                f"got an integer of {len(str(time)):,} digits"
            )
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


_LARGEST_INT_TIME = int(sys.float_info.max)
"""The largest integer time: times are also folded as float64, which has none larger.
JSON payloads never reach it (orjson reads such a number as infinity and refuses it)."""


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
    array: npt.NDArray[np.float64] | None = None
    """``times`` as float64, when the checker made it on the way."""
    distinct: list[str] | None = None
    """The names once each in first-seen order, when the checker made them on the way."""


_get_action = operator.itemgetter("action")
_get_time = operator.itemgetter("time")
_NUMBER_TYPES = {int, float}


def check_batch(records: list[object]) -> tuple[list[str], list[Number], list[int]]:
    """Check many parsed records at once with C-level passes over columns.

    Returns the trimmed names, the times, and the positions (ascending) of the records
    that are not plainly valid or need care, like a zero that may be -0.0: the caller
    checks those one by one with ``check_record``, for its verdict and its message, and
    ignores their entries in the columns.
    """
    flagged: set[int] = set()
    names = take_column(_get_action, records, flagged, "?")
    times = take_column(_get_time, records, flagged, 1)
    if not (
        set(map(type, times)) <= _NUMBER_TYPES
        and min(times, default=1) > 0
        and max(times, default=1) <= MAX_EXACT_INT  # zeros, negatives and huge ints: care
    ):
        flagged.update(
            position
            for position, time in enumerate(times)
            if type(time) not in _NUMBER_TYPES or not 0 < time <= MAX_EXACT_INT
        )
    trimmed = take_column(str.strip, names, flagged, "?")  # TypeError for a name not a string
    if not all(trimmed) or max(map(len, trimmed), default=0) > MAX_ACTION_LENGTH:
        flagged.update(
            position
            for position, name in enumerate(trimmed)
            if not 0 < len(name) <= MAX_ACTION_LENGTH
        )
    return trimmed, times, sorted(flagged)


def take_column(
    take: Callable[[Any], Any],
    items: Sequence[object],
    flagged: set[int],
    stand_in: object,
    errors: type[Exception] | tuple[type[Exception], ...] = (KeyError, TypeError),
) -> list[Any]:
    """``take`` of every item in one C-level pass, resumed past each item it raises one
    of ``errors`` for, whose position goes into ``flagged`` and whose entry is
    ``stand_in``."""
    column: list[Any] = []
    taken = map(take, items)
    while True:
        try:
            column.extend(taken)  # keeps what it took before an item raised
        except errors:
            flagged.add(len(column))
            column.append(stand_in)
        else:
            return column


class SinglePayload(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    """A payload that is plainly valid, but for a name that trims to nothing: checked by
    msgspec as it decodes, so that ``parse_payload`` has little left to do. A name longer
    than the limit before trimming, a time of zero (which may be -0.0) and an int from
    2**63 on (orjson reads those from 2**64 on as floats) fail here and take the exact
    way, with the same verdict as before. msgspec yields no NaN or infinity, and bool is
    no number to it."""

    action: Annotated[str, msgspec.Meta(max_length=MAX_ACTION_LENGTH)]
    time: (
        Annotated[int, msgspec.Meta(ge=0, le=(1 << 63) - 1)]
        | Annotated[float, msgspec.Meta(gt=0.0)]
    )


decode_single_payload = msgspec.json.Decoder(SinglePayload).decode
"""A str or bytes payload as a ``SinglePayload``; ``ValueError`` for anything else, which
``parse_payload`` then words (the payload's other rules are checked before this)."""
PAYLOAD_TYPES = (str, bytes)
"""What a payload may be (``parse_payload`` raises ``TypeError`` for anything else)."""
