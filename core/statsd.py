"""StatsD and DogStatsD lines to timings: one pure function for the line format.

A metric line is ``name:value[:value...]|type[|@rate][|#tag,key:value][|field...]``.
Timers (``ms``, ``h``, ``d``) become a ``Timing``; counters, gauges and sets (``c``, ``g``,
``s``), events (``_e{...}``) and service checks (``_sc|...``) are valid but carry no
duration, so they become ``Ignored``; anything else raises ``InvalidLineError`` naming the
problem.

No maintained Python package parses the wire format (PyPI's StatsD packages are clients,
or servers abandoned years ago), so this follows the formats as gostatsd's lexer and
Telegraf's ``parseStatsdLine`` read them:

- Several values in one line (DogStatsD 1.1, ``name:1:2.5:30|ms``) are several timings.
- The sample rate ``@0.1`` is checked (0 < rate <= 1) and kept, but does not multiply the
  count: each received timing is counted once. A client that samples 1 in 10 sends a
  uniform subset, so the mean and percentiles are estimated the same; only the count is
  of the timings received, not of the events that happened.
- Tags are checked and kept, but are not part of the action name: ``api:12|ms|#route:/a``
  and ``api:30|ms|#route:/b`` are both timings of ``api``. Tags often carry ids (route,
  host, request), and folding them into names would soon exhaust the limit of distinct
  actions.
- Unknown extension fields (``|c:container``, ``|T1700000000``, an empty field) are skipped,
  as DogStatsD adds fields over time and gostatsd skips them too.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from core.errors import InvalidActionError
from core.exactsum import Number

TIMER_TYPES = frozenset({"ms", "h", "d"})
"""Metric types whose values are durations in milliseconds."""

IGNORED_TYPES = {"c": "counter", "g": "gauge", "s": "set"}
"""Valid metric types that carry no duration, by what they are called."""

# ASCII digits only: Python's float() also takes '١٢', '1_000' and ' 12 '.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_INTEGER_DIGITS = 15  # up to here an integer converts to float exactly


class InvalidLineError(InvalidActionError):
    """A line that is neither a valid StatsD metric nor a valid payload."""


class Timing(NamedTuple):
    """The durations (milliseconds, >= 0, finite) of one timer line, for ``name``.
    (Named tuples: made for every line received, and cheaper to make than dataclasses.)"""

    name: str
    values: tuple[Number, ...]
    sample_rate: float = 1.0
    tags: tuple[str, ...] = ()


class Ignored(NamedTuple):
    """A valid line without a duration: "counter", "gauge", "set", "event" or
    "service check"."""

    kind: str


def parse_statsd_line(line: str) -> Timing | Ignored:
    """Parse one StatsD/DogStatsD line (no newline). Raises ``InvalidLineError``."""
    if line[:1] == "_":
        if line.startswith("_e{"):
            return Ignored("event")
        if line.startswith("_sc|"):
            return Ignored("service check")
    name, colon, rest = line.partition(":")
    if not colon:
        raise InvalidLineError("no ':' after the name (a timer looks like name:12.5|ms)")
    if not name.strip():
        raise InvalidLineError("the name before ':' is empty")
    value, _, kind = rest.partition("|")
    if kind in TIMER_TYPES and ":" not in value:  # the common case: one value, no extras
        return Timing(name, (_duration(value),))
    fields = rest.split("|")
    if len(fields) < 2:
        raise InvalidLineError("no '|type' after the value (a timer looks like name:12.5|ms)")
    kind = fields[1]
    sample_rate, tags = _extensions(fields)
    if kind in TIMER_TYPES:
        values = tuple(_duration(text) for text in fields[0].split(":"))
        return Timing(name, values, sample_rate, tags)
    described = IGNORED_TYPES.get(kind)
    if described is None:
        raise InvalidLineError(
            f"unknown metric type {kind[:20]!r}: timers are ms, h and d; c, g and s are "
            "accepted and ignored"
        )
    if kind != "s":  # a set counts distinct strings: any value is one
        for text in fields[0].split(":"):
            if not _NUMBER.fullmatch(text):
                raise InvalidLineError(f"{described} value {text[:20]!r} is not a number")
    elif not fields[0]:
        raise InvalidLineError("the set value is empty")
    return Ignored(described)


def plain_timer(line: str) -> tuple[str, Number] | None:
    """The name and value of the commonest line, ``name:12.5|ms`` (one plain decimal
    value, no sign, exponent or extension field), or None for any other line, which
    ``parse_statsd_line`` then reads. Same result, a fraction of the work: most of what
    arrives is such lines."""
    name, _, rest = line.partition(":")
    value, _, kind = rest.partition("|")
    if kind not in TIMER_TYPES or not value.isascii() or not name.strip():
        return None
    if value.isdigit():
        return (name, int(value)) if len(value) <= _INTEGER_DIGITS else None
    whole, dot, fraction = value.partition(".")
    if (
        dot
        and (whole or fraction)
        and (whole.isdigit() or not whole)
        and (fraction.isdigit() or not fraction)
    ):
        return name, float(value)
    return None


def _extensions(fields: list[str]) -> tuple[float, tuple[str, ...]]:
    """The sample rate and tags from the fields after the type; other fields are skipped."""
    sample_rate = 1.0
    tags: tuple[str, ...] = ()
    for field in fields[2:]:
        if field.startswith("@"):
            text = field[1:]
            rate = float(text) if _NUMBER.fullmatch(text) else math.nan
            if not 0.0 < rate <= 1.0:
                raise InvalidLineError(
                    f"sample rate {text[:20]!r} is not a number above 0 and at most 1"
                )
            sample_rate = rate
        elif field.startswith("#"):
            tags = tuple(tag for tag in field[1:].split(",") if tag)
    return sample_rate, tags


def _duration(text: str) -> Number:
    """One timer value as a number of milliseconds, by the engine's rules for times."""
    if text.isdigit() and text.isascii() and len(text) <= _INTEGER_DIGITS:
        return int(text)
    if not _NUMBER.fullmatch(text):
        shown = repr(text[:20]) if text else "empty"
        raise InvalidLineError(f"timer value {shown} is not a number")
    if text[0] in "+-":
        if text[0] == "-" and float(text) != 0.0:
            raise InvalidLineError(f"timer value {text[:20]} is negative: times are >= 0")
        raise InvalidLineError(f"timer value {text[:20]} has a sign: write it without one")
    value = float(text)
    if value == math.inf:
        raise InvalidLineError(f"timer value {text[:20]} is out of range")
    return value
