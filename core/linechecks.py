"""Checking many lines (or a decoded array's records) at once: a chunk of a
newline-delimited file is decoded in one msgspec call where it can be, its columns
checked by passes over all records, and only the lines that break a rule, or need
care, are left to the per-line rules of ``core.validation``, which word every
rejection. A chunk checked here gets exactly the verdicts and reasons its lines get
one at a time.
"""

from __future__ import annotations

import math
import operator
import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, cast

import msgspec
import numpy as np
import numpy.typing as npt
import orjson

from core.errors import InvalidActionError
from core.exactsum import MAX_EXACT_INT, Number
from core.validation import (
    MAX_ACTION_LENGTH,
    MAX_PAYLOAD_BYTES,
    CheckedRecords,
    check_batch,
    check_record,
    take_column,
)

_loads = orjson.loads
_INF = math.inf
_NUMBER_TYPES = {int, float}


class PlainRecord(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    """A record with exactly the two fields, each of its JSON type (msgspec refuses
    ``true`` for a number)."""

    action: str
    time: int | float


_decode_plain_records = msgspec.json.Decoder(list[PlainRecord]).decode
_decode_plain_record = msgspec.json.Decoder(PlainRecord).decode
_decode_plain_lines = msgspec.json.Decoder(PlainRecord).decode_lines
_STAND_IN = PlainRecord("?", 1)  # in the columns where a line did not decode
_get_action_field = operator.attrgetter("action")
_get_time_field = operator.attrgetter("time")
_DISTINCT_HEAD = 256
"""Records at the head of a chunk in which ``check_plain`` looks for every action first."""


def line_ends(body: bytes) -> npt.NDArray[np.intp]:
    """Where each line of ``body`` ends: the positions of its newlines."""
    return np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == _NEWLINE)


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
        longest = max(first_end, int(np.diff(ends).max()) - 1 if lines > 1 else 0)
        if longest > MAX_PAYLOAD_BYTES:
            return None
        if longest > _LONGEST_NUMBER and _LONG_NUMBER in _digits_marked(body):
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
    start with no newline) follows a "}" and no line is long enough to hold a number
    that orjson may refuse (nor, then, longer than the limit): told
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
    records = take_column(_decode_plain_record, lines, refused, _STAND_IN, ValueError)
    times = list(map(_get_time_field, records))
    array, exactly = _times_array(times)
    flagged.update(exactly)
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


_Scalar = str | int | float | bool | None


class _LooseRecord(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    """A record of the two fields at most, each missing (UNSET) or any JSON value but an
    object or array: what a chunk with bad lines is decoded as, so that most of its bad
    lines decode too and are found by the column checks, not by a decode that stops."""

    action: _Scalar | msgspec.UnsetType = msgspec.UNSET
    time: _Scalar | msgspec.UnsetType = msgspec.UNSET


_decode_loose_lines = msgspec.json.Decoder(_LooseRecord).decode_lines
_decode_loose_record = msgspec.json.Decoder(_LooseRecord).decode


class _SparseRecord(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    """A plain record whose fields may be missing: a missing name reads as "" and a
    missing time as -inf (which no JSON number gives), both refused by the column
    checks, so that a line without them does not stop a decode."""

    action: str = ""
    time: int | float = -_INF


_decode_sparse_lines = msgspec.json.Decoder(_SparseRecord).decode_lines
_LOOSE_STAND_IN = _LooseRecord("?", 1)  # where a line is checked alone
_STAND_IN_LINE = b'{"action":"?","time":1}'  # decodes as _LOOSE_STAND_IN
_AT_BYTE = re.compile(r"\(byte (\d+)\)")
_AT_RECORD = re.compile(r"at `\$\[(\d+)\]")
_STOPS_PER_LINE = 1 / 16
"""How many of a chunk's lines may stop a loose decode (a few more in a small chunk)
before ``check_lines_loosely`` gives the chunk up: each stop decodes a run again."""


@dataclass(frozen=True, slots=True)
class LooseLines:
    """A chunk of lines checked by ``check_lines_loosely``: ``names`` (trimmed) and
    ``times`` of every line, stand-ins at the ``flagged`` positions (ascending), which are
    left to the exact per-line path (``line``), unless ``reason`` can tell why one is
    refused; ``array``, the times as float64 when they fit one."""

    names: list[str]
    times: list[Number]
    flagged: list[int]
    array: npt.NDArray[np.float64] | None
    body: bytes
    ends: npt.NDArray[np.intp]
    """Where each line ends in ``body`` (its newline)."""
    records: Sequence[_SparseRecord | _LooseRecord]
    """Each line decoded, but those ``alone``, which were not (stand-ins there)."""
    alone: set[int]
    not_json: set[int] = field(default_factory=set)
    """Lines that msgspec found not to be JSON (whose quick check would only fail)."""
    distinct: list[str] | None = None
    """The names of the records not flagged, once each in first-seen order, when the
    checks made them."""

    def line(self, at: int) -> bytes:
        """Line ``at`` of the chunk, without its newline."""
        return _line(self.body, self.ends, at)

    def reason(self, at: int) -> str | None:
        """Why flagged line ``at`` is refused, from the fields it decoded to, in the exact
        path's words (``check_record`` on the values that orjson gives there); None when
        only the exact path can tell: for a line not decoded, one with an escape (the
        parsers differ on lone surrogates), one that may be valid, one whose verdict
        hangs on a float or a huge int (where the parsers may differ), and one holding
        an int beyond 64 bits (which orjson reads as a float, or refuses)."""
        if at in self.alone:
            return None
        record = self.records[at]
        if _beyond_64_bits(record.action) or _beyond_64_bits(record.time):
            return None  # orjson reads such an int as a float, or refuses it
        fields: dict[str, object] = {}
        line = self.line(at)
        if b"\\" in line:
            return None
        if type(record) is _SparseRecord and not record.action:
            # Missing, or empty: in a line without escapes, the key tells (no other
            # string holds it: the time is a number and there are no other fields).
            if b'"action"' in line:
                fields["action"] = ""
        elif record.action is not msgspec.UNSET:
            fields["action"] = record.action
        time = record.time
        if time is not msgspec.UNSET and time != -_INF:
            plain_time = type(time) is not float and (
                type(time) is not int or -MAX_EXACT_INT < time < MAX_EXACT_INT
            )
            fields["time"] = time if plain_time else 1  # then only a bad name can refuse it
        try:
            check_record(fields)
        except InvalidActionError as error:
            return str(error)
        return None


def _times_array(times: list[Any]) -> tuple[npt.NDArray[np.float64] | None, list[int]]:
    """``times`` as float64 (None when an int does not fit one), and the positions of the
    times the exact path decides: zeros (maybe -0.0), ints from 2**53 (orjson reads some
    otherwise) and any that do not fit."""
    try:
        array = np.array(times, dtype=np.float64)
    except OverflowError:
        return None, [at for at, time in enumerate(times) if not 0 < time < MAX_EXACT_INT]
    return array, np.flatnonzero(~((array > 0) & (array < MAX_EXACT_INT))).tolist()


def _line(body: bytes, ends: npt.NDArray[np.intp], at: int) -> bytes:
    """Line ``at`` of ``body``, whose lines end at ``ends``, without its newline."""
    return body[ends[at - 1] + 1 if at else 0 : ends[at]]


def _beyond_64_bits(value: object) -> bool:
    """An int that orjson would not read as one: it reads those below -2**63 or from
    2**64 on as floats, and refuses those beyond float64 (msgspec keeps every int)."""
    return type(value) is int and not -(1 << 63) <= value < 1 << 64


_LONGEST_NUMBER = 308
"""Digits of an integer that orjson surely reads (as a float): one of more may be beyond
float64, which orjson refuses, while msgspec reads every integer exactly."""
_LONG_NUMBER = b"0" * (_LONGEST_NUMBER + 1)
"""A run of digits, in ``_digits_marked``'s copy, that may be such a number (or lie in a
string): its line is left to the exact path, where orjson has the say even under a key
given twice (msgspec and orjson both keep a repeated key's last value, so a refused
first value would pass)."""
_DIGITS_AS_ZEROS = bytes(b"0"[0] if 0x30 <= code <= 0x39 else b" "[0] for code in range(256))


def _digits_marked(data: bytes) -> bytes:
    """``data`` with every digit a "0" and every other byte a space, to find runs of
    digits with ``bytes.find``, far quicker than a regular expression."""
    return data.translate(_DIGITS_AS_ZEROS)


def check_lines_loosely(body: bytes, ends: npt.NDArray[np.intp] | None = None) -> LooseLines | None:
    """Check every line of ``body`` (each ending in a newline) in one msgspec decode, or
    a few, for a chunk that ``check_lines`` refused: None when its lines are not records
    of the two fields at most (the caller then goes line by line, as for other fields).

    Lines that cannot be a plain record (one not ending in "}" or too long) are flagged
    at once and stood in for by a plain record in a copy of the chunk, with
    ``check_lines``' proof that every line is one record. Where the lines' last values
    are numbers, as in records of the action then the time, so are the lines whose last
    value is not (a string or NaN, say), and the copy is decoded as ``_SparseRecord``
    (the two fields of their types, each of which may be missing), much as a clean
    chunk is. Else, or when some line stops that decode, it is decoded as
    ``_LooseRecord`` (any scalar values), with the lines that may hold NaN or Infinity
    stood in for; ``_decode_in_runs`` takes over when a line still stops the decode.
    The column checks then flag the records that break a rule or need care."""
    octets = np.frombuffer(body, dtype=np.uint8)
    if ends is None:
        ends = np.flatnonzero(octets == _NEWLINE)
    count = len(ends)
    if not count:
        return None
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    brace = np.maximum(ends - 1, 0)
    last = octets[brace]
    crlf = np.flatnonzero(last == _CARRIAGE_RETURN)
    if len(crlf):
        brace[crlf] -= 1
        last[crlf] = octets[brace[crlf]]
    suspect = last != _CLOSING_BRACE
    lengths = ends - starts
    if lengths.max() > MAX_PAYLOAD_BYTES:
        suspect |= lengths > MAX_PAYLOAD_BYTES
    long_lines = np.flatnonzero(lengths > _LONGEST_NUMBER).tolist()
    if long_lines:
        marked = _digits_marked(body)
        for at in long_lines:
            if marked.find(_LONG_NUMBER, int(starts[at]), int(ends[at])) >= 0:
                suspect[at] = True
    # The last value's last byte, a space before the "}" skipped: a digit for a number.
    # (Lines too short for one read from position 0: blank or a lone "}", flagged anyway;
    # a negative index would wrap, or fail in a chunk of a byte or two.)
    value_end = octets[np.maximum(brace - 1, 0)]
    spaced = np.flatnonzero(value_end == _SPACE)
    if len(spaced):
        value_end[spaced] = octets[np.maximum(brace[spaced] - 2, 0)]
    not_number = ~suspect & ((value_end < _ZERO) | (value_end > _NINE))
    if np.count_nonzero(not_number) <= count * _STOPS_PER_LINE:
        alone: list[int] = np.flatnonzero(suspect | not_number).tolist()
        try:
            sparse = cast(  # some are replaced by loose ones later
                "list[_SparseRecord | _LooseRecord]",
                _decode_sparse_lines(_stood_in(body, starts, ends, alone)),
            )
        except (msgspec.DecodeError, ValueError):
            pass
        else:
            if len(sparse) == count:
                looser = np.flatnonzero(not_number).tolist()
                return _sparse_columns(sparse, alone, looser, body, ends)
    suspect[_not_numbers(octets, ends)] = True
    alone = np.flatnonzero(suspect).tolist()
    try:
        records = _decode_loose_lines(_stood_in(body, starts, ends, alone))
    except (msgspec.DecodeError, ValueError):
        decoded = _decode_in_runs(body, starts, ends, suspect)
        if decoded is None:
            return None
        records, alone = decoded
    else:
        if len(records) != count:
            return None
    return _loose_columns(records, alone, body, ends)


def _stood_in(
    body: bytes, starts: npt.NDArray[np.intp], ends: npt.NDArray[np.intp], alone: list[int]
) -> bytes:
    """``body`` with the lines ``alone`` replaced by a plain record each."""
    if not alone:
        return body
    view = memoryview(body)
    parts: list[bytes | memoryview] = []
    copied = 0
    for at in alone:
        parts += (view[copied : starts[at]], _STAND_IN_LINE)
        copied = int(ends[at])
    parts.append(view[copied:])
    return b"".join(parts)


def _sparse_columns(
    records: list[_SparseRecord | _LooseRecord],
    alone: list[int],
    looser: list[int],
    body: bytes,
    ends: npt.NDArray[np.intp],
) -> LooseLines:
    """The column checks of records decoded as ``_SparseRecord``, ``alone`` flagged:
    those of ``check_plain``, where a missing time (-inf) is one below zero and a
    missing name ("") one that is empty. The names of flagged records are made empty
    before the names are listed once each, so that the list is the one of the records
    that are not flagged (an empty name never is one). The lines ``looser``, of those
    ``alone``, are decoded on their own as ``_LooseRecord`` afterwards, for ``reason``."""
    flagged = np.zeros(len(records), dtype=np.bool_)
    flagged[alone] = True
    times: list[Any] = list(map(_get_time_field, records))
    array, exactly = _times_array(times)
    flagged[exactly] = True
    names: list[str] = list(map(_get_action_field, records))
    for at in np.flatnonzero(flagged).tolist():
        names[at] = ""
    distinct = dict.fromkeys(names)
    if not all(name.strip() is name for name in distinct):
        names = list(map(str.strip, names))
        distinct = dict.fromkeys(map(str.strip, distinct))
    for name in [name for name in distinct if not 0 < len(name) <= MAX_ACTION_LENGTH]:
        flagged[list(_positions(names, name))] = True
        del distinct[name]
    undecoded = set(alone)
    not_json = set()
    for at in looser:  # a string or true for the time, say, or NaN
        try:
            records[at] = _decode_loose_record(_line(body, ends, at))
        except msgspec.ValidationError:
            continue
        except msgspec.DecodeError:
            not_json.add(at)
            continue
        undecoded.discard(at)
    flagged_at = np.flatnonzero(flagged).tolist()
    return LooseLines(
        names, times, flagged_at, array, body, ends, records, undecoded, not_json, list(distinct)
    )


def _positions(items: list[Any], item: object) -> Iterator[int]:
    """Where ``item`` is in ``items``, in C-level scans (for an item seldom there)."""
    at = -1
    try:
        while True:
            at = items.index(item, at + 1)
            yield at
    except ValueError:
        return


def _not_numbers(octets: npt.NDArray[np.uint8], ends: npt.NDArray[np.intp]) -> list[int]:
    """The lines holding an N or an I: NaN or Infinity may stand for a value there,
    which JSON does not have, so such a line would stop a decode. None of them when they
    are many (in names, say): each line that stops a decode costs less than so many
    lines checked alone."""
    letters = np.flatnonzero((octets == _CAPITAL_N) | (octets == _CAPITAL_I))
    if len(letters) > len(ends) * _STOPS_PER_LINE:
        return []
    return np.searchsorted(ends, letters).tolist()  # type: ignore[no-any-return]


_CAPITAL_N = ord("N")
_CAPITAL_I = ord("I")


def _decode_in_runs(
    body: bytes,
    starts: npt.NDArray[np.intp],
    ends: npt.NDArray[np.intp],
    suspect: npt.NDArray[np.bool_],
) -> tuple[list[_LooseRecord], list[int]] | None:
    """``body``'s lines decoded as ``_LooseRecord``, run by run between the lines that
    are ``suspect`` (stand-ins there), a run that stops at a line being decoded again
    before it and after it; with the lines left to be checked alone. None when lines
    stop decodes so often that the chunk is better read line by line."""
    count = len(ends)
    records: list[_LooseRecord] = [_LOOSE_STAND_IN] * count
    alone: list[int] = np.flatnonzero(suspect).tolist()
    # Runs of plain lines, from where ``plain`` turns on to where it turns off.
    plain = ~suspect
    edges = np.flatnonzero(np.diff(plain.view(np.int8), prepend=0, append=0)).tolist()
    runs = list(zip(edges[0::2], edges[1::2], strict=True))
    stops_left = 8 + int(count * _STOPS_PER_LINE)
    view = memoryview(body)
    while runs:
        begin, end = runs.pop()
        if begin == end:
            continue
        first_byte = int(starts[begin])
        try:
            decoded = _decode_loose_lines(view[first_byte : int(ends[end - 1]) + 1])
        except (msgspec.DecodeError, ValueError) as error:
            stops_left -= 1
            if stops_left < 0:
                return None
            at = _stop_line(str(error), ends, begin, end, first_byte)
            if at is None:  # no place given: halve the run
                if end - begin == 1:
                    alone.append(begin)
                else:
                    middle = (begin + end) // 2
                    runs += ((middle, end), (begin, middle))
                continue
            alone.append(at)
            runs += ((at + 1, end), (begin, at))
            continue
        if len(decoded) == end - begin:
            records[begin:end] = decoded
        else:  # some line holds more than a record (or less): each is checked alone
            alone.extend(range(begin, end))
    return records, alone


def _stop_line(
    message: str, ends: npt.NDArray[np.intp], begin: int, end: int, first_byte: int
) -> int | None:
    """The line of the run ``begin:end`` where a decode stopped, from msgspec's
    ``message`` (a byte of the run's text, or a record of it); None when it names none."""
    found = _AT_BYTE.search(message)
    if found is not None:
        at = begin + int(np.searchsorted(ends[begin:end], first_byte + int(found[1])))
    else:
        found = _AT_RECORD.search(message)
        if found is None:
            return None
        at = begin + int(found[1])
    return min(max(at, begin), end - 1)


def _loose_columns(
    records: list[_LooseRecord], alone: list[int], body: bytes, ends: npt.NDArray[np.intp]
) -> LooseLines:
    """The column checks of ``check_lines_loosely``'s records, ``alone`` already flagged.
    Each check is a C-level pass whose verdicts, a byte a record, numpy reads."""
    flagged = np.zeros(len(records), dtype=np.bool_)
    flagged[alone] = True
    times: list[Any] = list(map(_get_time_field, records))
    numbers = bytes(map(_NUMBER_TYPES.__contains__, map(type, times)))
    if 0 in numbers:  # strings, true, null, missing: flagged, stood in for
        for at in np.flatnonzero(np.frombuffer(numbers, dtype=np.bool_) == 0).tolist():
            times[at] = 1
            flagged[at] = True
    names: list[Any] = list(map(_get_action_field, records))
    distinct = dict.fromkeys(names)
    # Each name once: refused (1) when not a string, or empty or too long once trimmed.
    verdicts = {
        name: type(name) is not str or not 0 < len(name.strip()) <= MAX_ACTION_LENGTH
        for name in distinct
    }
    if any(verdicts.values()):
        refused = np.frombuffer(bytes(map(verdicts.__getitem__, names)), dtype=np.bool_)
        flagged |= refused
        for at in np.flatnonzero(refused).tolist():
            if type(names[at]) is not str:
                names[at] = "?"
    if not all(type(name) is not str or name.strip() is name for name in distinct):
        names = list(map(str.strip, names))
    array, exactly = _times_array(times)
    flagged[exactly] = True
    flagged_at = np.flatnonzero(flagged).tolist()
    return LooseLines(names, times, flagged_at, array, body, ends, records, set(alone))


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
    parsed = take_column(_loads, lines, failed, None, ValueError)
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
_SPACE = ord(" ")
_ZERO = ord("0")
_NINE = ord("9")
_NEWLINE_SPAN = (_LONGEST_NUMBER + 1) // 2
"""Bytes in which ``check_lines`` looks for a newline at a glance: a run of bytes without
any, from twice this less one, would hold a whole such span, so every line is shorter
than the longest number that orjson surely reads (and far shorter than the limit)."""
