"""Reads a chunk of newline-delimited records all written alike into columns, in numpy
passes over its bytes, with no Python object per record.

Logs of timings are mostly written by one program, so every line has one shape, such as
``{"action": "jump", "time": 100}``. Such a chunk is read here in a few dozen whole-array
operations that test and combine eight bytes at a time inside 64-bit integers (SWAR),
where a JSON decoder makes a record, a string and a number per line. The lines of any
other shape are flagged, for the caller to decide one by one by the exact per-line rules;
a chunk with many of those is left whole to the decoder (``None``).

A line is read here only when it is, byte for byte, the chunk's template around a name and
a number. The template comes from one of the chunk's first lines, through a pattern that
admits only JSON's own syntax for an object of the field "action" then the field "time"
(spaces where JSON allows them; a CR before the newline). The name: 1 to 64 bytes without
a quote, a backslash or a control character, so it has no escape to undo, then decoded as
UTF-8 once per distinct name, and left to the rules unless it is the same trimmed. The
number: up to 15 characters, digits with at most one point, as JSON writes them, not zero
(a zero may be -0.0, which the rules decide). Its value is exact: up to 15 digits make an
integer below 2**53, and that integer divided by a power of ten up to 10**15, both exact
doubles, is rounded once, to the double nearest the decimal, as a JSON parser reads it
(Clinger's fast path). A number written without a point is an integer, as JSON gives it.

The names are told apart by a hash of their bytes: each line finds the first line of its
hash's slot in a table, and must then hold that line's very name (compared word by word),
so a collision costs speed (the chunk goes to the decoder), never a wrong name.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MAX_NAME_BYTES = 64
"""Longest name read here; a longer one's line is flagged."""
_NUMBER_CHARACTERS = 15
"""Longest number read here: up to 15 digits stay below 2**53 (and 10**15 is exact)."""
_TEMPLATE = re.compile(
    rb'(\{ *"action" *: *")[^"\\\x00-\x1f]{1,64}(" *, *"time" *: *)[0-9][0-9.]*( *\}\r?)\n'
)
"""A line that makes a chunk's template: its three fixed parts (up to the name, from the
name's closing quote to the number, and after the number, a CR of a CRLF included)."""
_TEMPLATE_TRIES = 8
"""Lines from a chunk's start tried for its template (the first may be a bad line)."""
_WIDEST_PART = 16  # bytes of the template before or after the name: two words
_WIDEST_TAIL = 8  # bytes of the template after the number: one word
_MOST_FLAGGED_SHARE = 32
"""A chunk with more than one line in this many flagged (plus a few) goes to the decoder:
deciding lines one by one costs far more per line than decoding them together."""

_ONES = np.uint64(0x0101010101010101)
_LOW_SEVEN = np.uint64(0x7F7F7F7F7F7F7F7F)
_HIGH_BITS = np.uint64(0x8080808080808080)
_ASCII_ZEROS = np.uint64(0x3030303030303030)
_ABOVE_NINE = np.uint64(0x7676767676767676)  # 0x80 - 10 in each byte
_BELOW_SPACE = np.uint64(0x6060606060606060)  # 0x80 - 0x20 in each byte
_PAIRS = np.uint64(0x00FF00FF00FF00FF)
_QUADS = np.uint64(0x000000FF000000FF)
_HUNDREDS = np.uint64(100 + (1_000_000 << 32))
_UNITS = np.uint64(1 + (10_000 << 32))
_TOP_BYTE = np.uint64(0xFF)
_EXPONENT_SHIFT = np.uint64(52)
_SHIFTS = {count: np.uint64(count) for count in (7, 8, 16, 32)}
_POWERS = 10 ** np.arange(17, dtype=np.uint64)
_FLOAT_POWERS = _POWERS.astype(np.float64)
_NINES = 9 * _POWERS
"""What taking a point, read as a 0 digit, out of a number leaves off, by its decimals."""
_LEAST = np.array([0, 0, *_POWERS[1:16].tolist()], dtype=np.uint64)
"""The least integer part of so many digits that has no leading zero (any for 0 or 1)."""
_HASH_FACTORS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93] * 2,
    dtype=np.uint64,
)
_SLOT_BITS = 20
"""Each line finds the first line of its name in a table of 2**20 slots, by the top bits
of the name's hash (the table is allocated, not filled: only the slots used are touched).
Two names in one slot, which grows likelier with the names a chunk holds (about one chunk
in eight with 500), send it the slower way: a sort by the whole hash."""
_MOST_NAMES = int(np.iinfo(np.uint16).max) + 1
"""Names a chunk may hold here, numbered in 16 bits (a chunk of 1 MiB holds fewer lines)."""
_LITTLE_ENDIAN = sys.byteorder == "little"
"""The words are read in the machine's order; the byte tests assume the first byte in
memory is the lowest. Elsewhere chunks go to the decoder."""

_WordAt = Callable[[npt.NDArray[np.intp]], npt.NDArray[np.uint64]]
"""Reads a chunk's 64-bit words at byte positions."""


def _low_bytes(count: int) -> int:
    """A word's ``count`` lowest bytes (those first in memory) set, 0 to 8."""
    return (1 << (8 * count)) - 1


_LOW_BYTES = np.array([_low_bytes(count) for count in range(9)], dtype=np.uint64)
# The bytes of a right-aligned number's two words that a number so many bytes wide covers.
_NUMBER_LOW_WORD = np.array(
    [_low_bytes(8) ^ _low_bytes(8 - min(width, 8)) for width in range(17)], dtype=np.uint64
)
_NUMBER_HIGH_WORD = np.array(
    [_low_bytes(8) ^ _low_bytes(16 - max(width, 8)) for width in range(17)], dtype=np.uint64
)


@dataclass(frozen=True, slots=True)
class LineColumns:
    """A chunk's lines as columns: line ``i`` is named ``names[codes[i]]`` (the names once
    each, in first-seen order; ``firsts[c]`` is the first line named ``names[c]``) and
    took ``times[i]``, written as an integer when ``whole[i]``; ``flagged`` (ascending)
    are the lines not read here, whose entries are stand-ins. ``line(i)`` is line ``i``'s
    bytes, without its newline."""

    names: list[str]
    firsts: list[int]
    codes: npt.NDArray[np.uint16]
    times: npt.NDArray[np.float64]
    whole: npt.NDArray[np.bool_]
    flagged: npt.NDArray[np.intp]
    body: bytes
    ends: npt.NDArray[np.intp]

    def line(self, at: int) -> bytes:
        start = int(self.ends[at - 1]) + 1 if at else 0
        return self.body[start : int(self.ends[at])]


def read_columns(body: bytes) -> LineColumns | None:
    """The lines of ``body`` (each ending in a newline) as columns, the lines of another
    shape than the template's flagged; None when none of its first lines makes a template,
    or too many lines are flagged."""
    template = _template(body) if _LITTLE_ENDIAN else None
    if template is None:
        return None
    head, middle, tail = template
    if len(head) > _WIDEST_PART or len(middle) > _WIDEST_PART or len(tail) > _WIDEST_TAIL:
        return None
    octets = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(octets == ord("\n"))
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    # Every word of the chunk, one starting at each byte (unaligned, overlapping).
    words = np.ndarray((len(body) - 7,), dtype=np.uint64, buffer=body, strides=(1,))
    last_word = len(words) - 1

    def word_at(positions: npt.NDArray[np.intp]) -> npt.NDArray[np.uint64]:
        read: npt.NDArray[np.uint64] = words[np.clip(positions, 0, last_word)]
        return read

    # The words read for a line lie within it and the 16 bytes after it, when it is long
    # enough to be read here (so no position is below 0); the last lines of a chunk may
    # have fewer bytes after them, and are flagged rather than read past its end.
    fine = ends - starts >= len(head) + 1 + len(middle) + 1 + len(tail)
    fine &= ends + _WIDEST_PART < len(body)
    fine &= _matches(word_at, starts, head)
    number_end = ends - len(tail)
    fine &= _matches(word_at, number_end, tail)
    times, whole, width = _numbers(word_at(number_end - 8), word_at(number_end - 16), fine)
    name_start = starts + len(head)
    name_end = number_end - width - len(middle)
    fine &= _matches(word_at, name_end, middle)
    length = name_end - name_start
    fine &= (length >= 1) & (length <= MAX_NAME_BYTES)
    flagged_count = len(fine) - int(np.count_nonzero(fine))
    if flagged_count > len(ends) // _MOST_FLAGGED_SHARE + 16 or flagged_count == len(fine):
        return None
    # No byte of a name may be a quote, a backslash or a control character: told for the
    # whole chunk but its last line (never read here) when every other line is read and
    # that part holds no more of them than the template's, else name by name.
    whole_lines = octets[: starts[-1]]
    plain = bool(
        fine[:-1].all()
        and body.find(b"\\", 0, len(whole_lines)) < 0
        # The newlines, and the CRs of CRLF lines.
        and np.count_nonzero(whole_lines < 0x20) == (len(ends) - 1) * (1 + tail.count(b"\r"))
        and np.count_nonzero(whole_lines == ord('"'))
        == (len(ends) - 1) * (head + middle).count(b'"')
    )
    named = _names(body, word_at, name_start, length, fine, checked=plain)
    if named is None:
        return None
    names, firsts, codes = named
    flagged = np.flatnonzero(~fine)
    if len(flagged) > len(ends) // _MOST_FLAGGED_SHARE + 16:
        return None
    return LineColumns(names, firsts, codes, times, whole, flagged, body, ends)


def _template(body: bytes) -> tuple[bytes, bytes, bytes] | None:
    """The template of the first of the chunk's first few lines that makes one."""
    start = 0
    for _ in range(_TEMPLATE_TRIES):
        template = _TEMPLATE.match(body, start)
        if template is not None:
            head, middle, tail = template.groups()
            return head, middle, tail
        start = body.find(b"\n", start) + 1
        if not start:
            break
    return None


def _matches(
    word_at: _WordAt, positions: npt.NDArray[np.intp], part: bytes
) -> npt.NDArray[np.bool_]:
    """Whether the bytes at ``positions`` are ``part`` (up to two words long)."""
    fine = np.ones(len(positions), dtype=np.bool_)
    for offset in range(0, len(part), 8):
        piece = part[offset : offset + 8]
        mask = np.uint64(_low_bytes(len(piece)))
        expected = np.uint64(int.from_bytes(piece, "little"))
        fine &= (word_at(positions + offset) & mask) == expected
    return fine


def _numbers(
    low: npt.NDArray[np.uint64], high: npt.NDArray[np.uint64], fine: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.intp]]:
    """The numbers that end the 16 bytes ``high`` then ``low`` (a line's bytes before the
    template's tail), as JSON reads them: their values, whether each is an integer, and
    how many characters each has (the digits and point before the first other byte from
    the end). ``fine`` is cleared where a number is not one read here."""
    low_digits, high_digits = low ^ _ASCII_ZEROS, high ^ _ASCII_ZEROS
    low_points, high_points = _bytes_equal(low, ord(".")), _bytes_equal(high, ord("."))
    low_other = _bytes_above_nine(low_digits) & ~low_points
    high_other = _bytes_above_nine(high_digits) & ~high_points
    # A byte other than a digit or a point in the low word is nearer the end than any in
    # the high one; where a word has none, its term is out of range.
    width = np.minimum(7 - _top_byte(low_other), 15 - _top_byte(high_other))
    fine &= (width >= 1) & (width <= _NUMBER_CHARACTERS)
    width = np.minimum(width, 16)
    low_kept, high_kept = _NUMBER_LOW_WORD.take(width), _NUMBER_HIGH_WORD.take(width)
    low_points &= low_kept
    high_points &= high_kept
    points = np.bitwise_count(low_points) + np.bitwise_count(high_points)
    fine &= points <= 1
    has_point = points == 1
    # The point's place in the 16 bytes (negative without one), and the digits after it.
    point_at = np.maximum(8 + _top_byte(low_points), _top_byte(high_points))
    decimals = (15 - point_at) * has_point
    integer_digits = width - has_point - decimals
    fine &= (integer_digits >= 1) & (decimals >= has_point)
    decimals = np.minimum(decimals, _NUMBER_CHARACTERS)
    # Each point counts as a 0 digit in ``spread``: taken out of the value below.
    low_digits &= low_kept & ~((low_points >> _SHIFTS[7]) * _TOP_BYTE)
    high_digits &= high_kept & ~((high_points >> _SHIFTS[7]) * _TOP_BYTE)
    spread = _eight_digits(high_digits) * _POWERS[8] + _eight_digits(low_digits)
    integer = spread // _POWERS.take(decimals + has_point)
    value = spread - integer * _NINES.take(decimals) * has_point
    # JSON has no leading zero but a lone one before the point ("0.5", never "05").
    fine &= integer >= _LEAST.take(np.clip(integer_digits, 0, 16))
    fine &= value > 0
    return value.astype(np.float64) / _FLOAT_POWERS.take(decimals), ~has_point, width


def _names(
    body: bytes,
    word_at: _WordAt,
    start: npt.NDArray[np.intp],
    length: npt.NDArray[np.intp],
    fine: npt.NDArray[np.bool_],
    *,
    checked: bool,
) -> tuple[list[str], list[int], npt.NDArray[np.uint16]] | None:
    """The distinct names (first-seen order), the first line of each, and each line's
    number for its name, of the lines ``fine`` so far. Unless ``checked``, ``fine`` is
    cleared for a name holding a byte no unescaped JSON string holds, and for the names
    that are not UTF-8 or not the same trimmed. None when the names cannot be told apart
    here (two hash alike), or no line is left."""
    word_count = -(-int(length[fine].max()) // 8)
    hashed = length.astype(np.uint64)
    name_words = []
    for index in range(word_count):
        kept = _LOW_BYTES.take(np.clip(length - 8 * index, 0, 8))
        word = word_at(start + 8 * index) & kept
        if not checked:
            # Bytes past the name read as spaces, which pass every test.
            shown = word | (_BELOW_SPACE & ~kept)
            forbidden = _bytes_equal(shown, ord('"')) | _bytes_equal(shown, ord("\\"))
            fine &= (forbidden | _bytes_below_space(shown)) == 0
        hashed += word * _HASH_FACTORS[index]
        name_words.append(word)
    first = _first_of_name(hashed, name_words, fine)
    if first is None:
        return None
    firsts = np.flatnonzero((first == np.arange(len(fine))) & fine)
    if len(firsts) > _MOST_NAMES:
        return None
    code_of_first = np.zeros(len(fine), dtype=np.uint16)
    code_of_first[firsts] = np.arange(len(firsts), dtype=np.uint16)
    codes = code_of_first.take(first)
    names = []
    refused = []  # the codes of names whose lines are left to the exact rules
    first_lines = firsts.tolist()
    for code, at in enumerate(first_lines):
        begin = int(start[at])
        try:
            name = body[begin : begin + int(length[at])].decode()
        except UnicodeDecodeError:
            refused.append(code)
            continue
        if name.strip() != name:  # the rules trim it: decided by them
            refused.append(code)
        names.append(name)
    if refused:
        fine &= ~np.isin(codes, refused)
        return _names(body, word_at, start, length, fine, checked=True) if fine.any() else None
    return names, first_lines, codes


def _first_of_name(
    hashed: npt.NDArray[np.uint64],
    name_words: list[npt.NDArray[np.uint64]],
    fine: npt.NDArray[np.bool_],
) -> npt.NDArray[np.intp] | None:
    """For each line ``fine``, the first line holding its very name (its name's words,
    ``hashed``); None when two names share the whole hash. Each line finds the first line
    of its hash's slot in a table; every line must then hold that line's name, which
    must come first (it stands for the name, and the names come in first-seen order)."""
    lines = np.arange(len(fine))
    slots = ((hashed >> np.uint64(64 - _SLOT_BITS)) + np.uint64(1)) * fine  # 0: not read
    first_of_slot = np.empty((1 << _SLOT_BITS) + 1, dtype=np.intp)
    first_of_slot[slots[::-1]] = lines[::-1]  # the last written, the first line, stays
    first: npt.NDArray[np.intp] = first_of_slot.take(slots)
    if (first <= lines).all() and _same_names(first, name_words, fine):
        return first
    rows = np.flatnonzero(fine)  # two names in one slot: by the whole hash
    _, first_at, inverse = np.unique(hashed[rows], return_index=True, return_inverse=True)
    first = lines.copy()
    first[rows] = rows[first_at[inverse]]
    return first if _same_names(first, name_words, fine) else None


def _same_names(
    first: npt.NDArray[np.intp],
    name_words: list[npt.NDArray[np.uint64]],
    fine: npt.NDArray[np.bool_],
) -> bool:
    """Whether every line ``fine`` holds the name of the line ``first`` names for it."""
    return all(((word.take(first) == word) | ~fine).all() for word in name_words)


def _bytes_equal(words: npt.NDArray[np.uint64], byte: int) -> npt.NDArray[np.uint64]:
    """The top bit of each byte of ``words`` that equals ``byte``, the rest clear."""
    differ = words ^ (_ONES * np.uint64(byte))
    marks: npt.NDArray[np.uint64] = ~(((differ & _LOW_SEVEN) + _LOW_SEVEN) | differ) & _HIGH_BITS
    return marks


def _bytes_above_nine(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The top bit of each byte of ``words`` above 9, the rest clear."""
    marks: npt.NDArray[np.uint64] = (((words & _LOW_SEVEN) + _ABOVE_NINE) | words) & _HIGH_BITS
    return marks


def _bytes_below_space(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The top bit of each byte of ``words`` below 0x20 (a control character)."""
    marks: npt.NDArray[np.uint64] = ~(((words & _LOW_SEVEN) + _BELOW_SPACE) | words) & _HIGH_BITS
    return marks


def _top_byte(marks: npt.NDArray[np.uint64]) -> npt.NDArray[np.intp]:
    """The index (0 to 7, in memory order) of the last byte whose top bit is set in each
    of ``marks`` (only top bits set); -129 for none. Read off the exponent of the marks
    as a double: the bits below the highest, at least eight places apart, cannot round
    it up to the next power of two."""
    exponents = marks.astype(np.float64).view(np.uint64) >> _EXPONENT_SHIFT
    index: npt.NDArray[np.intp] = (exponents.astype(np.intp) - (1023 + 7)) >> 3
    return index


def _eight_digits(digits: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The number that the digits 0-9 in each word's bytes spell, the byte first in
    memory the most significant: two digits, then four, then eight combined per step."""
    pairs = (digits * np.uint64(10) + (digits >> _SHIFTS[8])) & _PAIRS
    number: npt.NDArray[np.uint64] = (
        (pairs & _QUADS) * _HUNDREDS + ((pairs >> _SHIFTS[16]) & _QUADS) * _UNITS
    ) >> _SHIFTS[32]
    return number
