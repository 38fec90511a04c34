"""Turns one payload or parsed record into a checked ``(action, time)`` pair.

Every rule of the input contract lives here, so the single-payload path, the batch path
and the file loader reject exactly the same things with the same messages.
"""

from __future__ import annotations

import math
import operator
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import islice
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
    if error.msg.startswith("str is not valid UTF-8"):  # a binary file, say
        return f"it is not valid UTF-8 text {_bad_text_position(payload)}"
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
    names = _column(_get_action, records, flagged, "?")
    times = _column(_get_time, records, flagged, 1)
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
    trimmed = _column(str.strip, names, flagged, "?")  # TypeError for a name not a string
    if not all(trimmed) or max(map(len, trimmed), default=0) > MAX_ACTION_LENGTH:
        flagged.update(
            position
            for position, name in enumerate(trimmed)
            if not 0 < len(name) <= MAX_ACTION_LENGTH
        )
    return trimmed, times, sorted(flagged)


def _column(
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


class PlainRecord(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    """A record with exactly the two fields, each of its JSON type (msgspec refuses
    ``true`` for a number)."""

    action: str
    time: int | float


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
_decode_plain_records = msgspec.json.Decoder(list[PlainRecord]).decode
_decode_plain_record = msgspec.json.Decoder(PlainRecord).decode
_decode_plain_lines = msgspec.json.Decoder(PlainRecord).decode_lines
_STAND_IN = PlainRecord("?", 1)  # in the columns where a line did not decode
_get_action_field = operator.attrgetter("action")
_get_time_field = operator.attrgetter("time")
_DISTINCT_HEAD = 256
"""Records at the head of a chunk in which ``check_plain`` looks for every action first."""


def check_lines(body: bytes, first_number: int) -> CheckedRecords | None:
    """Check every line of ``body`` (each ending in a newline), numbered from
    ``first_number``, in one msgspec decode: returned checked when every line is plainly
    valid, None when any is not (the caller then goes line by line).

    msgspec reads the chunk as a stream of records, whatever the lines. Its records can
    only be the lines themselves: a record has no nested value and no string holds a raw
    newline, so when every line ends in "}" each line ends a record, and when the records
    are as many as the lines, no line holds two.
    """
    octets = np.frombuffer(body, dtype=np.uint8)
    newlines = octets == _NEWLINE
    first_end = body.find(b"\n")
    # The shortest record takes more than two bytes; a shorter first line is not one.
    if not 2 <= first_end <= MAX_PAYLOAD_BYTES:
        return None
    lines = int(np.count_nonzero(newlines))
    if not _lines_end_in_braces_and_fit(octets, newlines, lines):
        # Where the glance is not enough (CRLF lines, long ones): the newlines' positions.
        ends = np.flatnonzero(newlines)
        if lines > 1 and np.diff(ends).max() > MAX_PAYLOAD_BYTES + 1:
            return None
        last = octets[ends - 1]
        if not (last == _CLOSING_BRACE).all():  # CRLF lines end in "}\r"
            crlf = (last == _CARRIAGE_RETURN) & (octets[ends - 2] == _CLOSING_BRACE)
            if not ((last == _CLOSING_BRACE) | crlf).all():
                return None
    try:  # a first line of another shape: the chunk is most likely all of it
        _decode_plain_record(body[:first_end])
        records = _decode_plain_lines(body)
    except ValueError:
        return None
    if len(records) != lines:
        return None
    return check_plain(records, first_number)


def _lines_end_in_braces_and_fit(
    octets: npt.NDArray[np.uint8], newlines: npt.NDArray[np.bool_], lines: int
) -> bool:
    """True when each of the ``lines`` newlines of ``octets`` (which end in one, and
    start with no newline) follows a "}" and no line is longer than the limit: told
    without the newlines' positions, which numpy finds at a fraction of the speed of a
    compare. No stretch of ``_NEWLINE_SPAN`` bytes without a newline means no line of
    twice that. False says nothing either way."""
    if np.count_nonzero(newlines[1:] & (octets[:-1] == _CLOSING_BRACE)) != lines:
        return False
    spans = len(newlines) // _NEWLINE_SPAN
    return bool(newlines[: spans * _NEWLINE_SPAN].reshape(spans, _NEWLINE_SPAN).any(axis=1).all())


def check_lines_each(
    lines: list[bytes],
) -> tuple[list[str], list[Number], list[int], npt.NDArray[np.float64] | None]:
    """Decode and check ``lines`` one by one, as ``check_batch`` does parsed records:
    the trimmed names, the times, the positions (ascending) of the lines that break a
    rule or need care, left to the exact per-line path, and the times as float64 (None
    when some do not fit one). Entries at flagged positions are stand-ins.

    Lines msgspec refuses as plain records (other fields, say) are parsed by orjson and
    checked by ``check_batch``, so only the lines that fail there too go one by one; a
    chunk whose first line is such a record goes to orjson whole, as its other lines
    most likely are too (a refusal costs an exception)."""
    flagged: set[int] = set()
    if max(map(len, lines), default=0) > MAX_PAYLOAD_BYTES:
        flagged.update(at for at, line in enumerate(lines) if len(line) > MAX_PAYLOAD_BYTES)
    if lines and _other_record(lines[0]):
        trimmed, times, failed = _check_with_orjson(lines)
        return trimmed, times, sorted(flagged | failed), None
    refused: set[int] = set()
    records = _column(_decode_plain_record, lines, refused, _STAND_IN, ValueError)
    times = list(map(_get_time_field, records))
    array: npt.NDArray[np.float64] | None
    try:
        array = np.array(times, dtype=np.float64)
    except OverflowError:
        array = None
        flagged.update(at for at, time in enumerate(times) if not 0 < time < MAX_EXACT_INT)
    else:
        # Zeros (maybe -0.0) and ints from 2**53 (orjson reads some otherwise): exactly.
        flagged.update(np.flatnonzero(~((array > 0) & (array < MAX_EXACT_INT))).tolist())
    trimmed = list(map(_get_action_field, records))
    # Names are trimmed and measured once each, as in check_plain; the whole column only
    # when some name needs it.
    distinct = list(dict.fromkeys(trimmed))
    stripped = list(map(str.strip, distinct))
    if not all(map(operator.is_, stripped, distinct)):
        trimmed = list(map(str.strip, trimmed))
    if not all(stripped) or max(map(len, stripped), default=0) > MAX_ACTION_LENGTH:
        lengths = np.fromiter(map(len, trimmed), dtype=np.intp, count=len(trimmed))
        flagged.update(np.flatnonzero((lengths == 0) | (lengths > MAX_ACTION_LENGTH)).tolist())
    if refused:
        positions = sorted(refused)
        names_there, times_there, failed = _check_with_orjson([lines[at] for at in positions])
        for index, at in enumerate(positions):
            if index in failed:
                flagged.add(at)
            else:
                trimmed[at], times[at] = names_there[index], times_there[index]
                if array is not None:
                    array[at] = times[at]
    return trimmed, times, sorted(flagged), array


def _other_record(line: bytes) -> bool:
    """True for a valid record that msgspec refuses as plain (one with other fields)."""
    try:
        _decode_plain_record(line)
    except ValueError:
        try:
            check_record(_loads(line))
        except (orjson.JSONDecodeError, InvalidActionError):
            return False
        return True
    return False


def _check_with_orjson(lines: list[bytes]) -> tuple[list[str], list[Number], set[int]]:
    """``lines`` parsed by orjson and checked by ``check_batch``: names, times, and the
    positions of the lines that did not parse or were flagged."""
    failed: set[int] = set()
    parsed = _column(_loads, lines, failed, None, ValueError)
    names, times, flagged = check_batch(parsed)
    failed.update(flagged)
    return names, times, failed


def decode_plain_array(document: bytes) -> list[PlainRecord] | None:
    """``document``, a JSON array of records with exactly the two fields of their JSON
    types, decoded in one call; None when it is anything else."""
    try:
        return _decode_plain_records(document)
    except msgspec.DecodeError:  # ValidationError included
        return None


def check_plain(records: Sequence[PlainRecord], first_number: int) -> CheckedRecords | None:
    """Check decoded plain records, numbered from ``first_number``, in column passes:
    returned checked when every one is plainly valid, else None (zeros, which may be
    -0.0, and ints past 2**53, which orjson reads otherwise, are left to the exact way)."""
    if not records:
        return None
    # Comprehensions, not map(attrgetter): the interpreter reads a Struct's field in
    # place (a specialised attribute load), where attrgetter makes a call per record.
    times = [record.time for record in records]
    # struct converts a list of Python numbers to doubles with less ado than np.array,
    # which first looks at every item for the array's shape and type; the same values
    # (an int is rounded to the nearest double by both). An int past any double is
    # struct.error here (OverflowError in numpy).
    array = np.empty(len(times), dtype=np.float64)
    try:
        struct.pack_into(f"{len(times)}d", array.data, 0, *times)
    except struct.error:
        return None
    # Below 2**53 strictly: an int at or above it reads as at least 2**53 in float64.
    if not (array.min() > 0 and array.max() < MAX_EXACT_INT):
        return None
    trimmed = [record.action for record in records]
    # The names once each, in first-seen order. A few actions all show up early in a
    # chunk: then the first-seen order is the head's, and a set (cheaper than a dict over
    # the whole column, and it leaves each name's hash cached for later lookups) proves
    # that the head holds them all.
    distinct = list(dict.fromkeys(islice(trimmed, _DISTINCT_HEAD)))
    if len(distinct) > _DISTINCT_HEAD // 8 or len(set(trimmed)) != len(distinct):
        distinct = list(dict.fromkeys(trimmed))
    # Names are trimmed once each: str.strip returns the very string when it has nothing
    # to trim, so a chunk of names without surrounding whitespace keeps its list.
    stripped = list(map(str.strip, distinct))
    if not all(map(operator.is_, stripped, distinct)):
        trimmed = list(map(str.strip, trimmed))
        distinct = list(dict.fromkeys(stripped))
    if not all(distinct) or max(map(len, distinct)) > MAX_ACTION_LENGTH:
        return None
    numbers = range(first_number, first_number + len(records))
    return CheckedRecords(trimmed, times, numbers, array=array, distinct=distinct)


_NEWLINE = ord("\n")
_CARRIAGE_RETURN = ord("\r")
_CLOSING_BRACE = ord("}")
_NEWLINE_SPAN = (MAX_PAYLOAD_BYTES + 1) // 2
"""Bytes in which ``check_lines`` looks for a newline at a glance: a run of bytes without
any, from twice this less one, would hold a whole such span, so every line is shorter."""
