"""The StatsD line parser, against the formats' own examples (gostatsd's lexer tests,
Telegraf's parseStatsdLine tests, the DogStatsD datagram format)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import InvalidActionError
from core.linefeed import parse_line
from core.statsd import Ignored, InvalidLineError, Timing, parse_statsd_line, plain_timer


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("def.g:10|ms", Timing("def.g", (10,))),
        ("def.h:10|h", Timing("def.h", (10,))),
        ("def.i:10|h|#foo", Timing("def.i", (10,), 1.0, ("foo",))),
        ("dist:2.5|d", Timing("dist", (2.5,))),
        ("smp.rte:5|ms|@0.1", Timing("smp.rte", (5,), 0.1)),
        ("smp.rte:5|ms|@0.1|#foo:bar,baz", Timing("smp.rte", (5,), 0.1, ("foo:bar", "baz"))),
        ("smp.rte:5|ms|#foo:bar,baz", Timing("smp.rte", (5,), 1.0, ("foo:bar", "baz"))),
        ("a:1|ms|#f,,z", Timing("a", (1,), 1.0, ("f", "z"))),
        ("a:1|ms|#", Timing("a", (1,))),
        ("a:1|ms|#,,", Timing("a", (1,))),
        # Fields in any order, unknown ones (container id, timestamp, empty) skipped.
        ("field.order:1|ms|c:xyz|#foo:bar|@0.1", Timing("field.order", (1,), 0.1, ("foo:bar",))),
        ("new.last.empty:1|ms|#,|c:xyz|", Timing("new.last.empty", (1,))),
        ("ts:3|ms|T1656581400", Timing("ts", (3,))),
        # DogStatsD 1.1: several values in one line.
        ("name:1:2.5:30|ms", Timing("name", (1, 2.5, 30))),
        ("name:1:2|d|@0.5|#env:prod", Timing("name", (1, 2), 0.5, ("env:prod",))),
        ("zero:0|ms", Timing("zero", (0,))),
        ("exp:1e3|ms", Timing("exp", (1000.0,))),
        ("dot:.5|ms", Timing("dot", (0.5,))),
        ("big:12345678901234567890|ms", Timing("big", (1.2345678901234567e19,))),
        ("spaced name:4|ms", Timing("spaced name", (4,))),
    ],
)
def test_timers(line: str, expected: Timing) -> None:
    assert parse_statsd_line(line) == expected


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("foo.bar.baz:2|c", "counter"),
        ("smp.rte:5|c|@0.1|#foo:bar,baz", "counter"),
        ("decr:-1|c", "counter"),
        ("abc.def.g:3|g", "gauge"),
        ("gauge.delta:+10|g", "gauge"),
        ("gauge.delta:-10|g", "gauge"),
        ("uniq.usr:joe|s", "set"),
        ("un1qu3:john|s|#some:42", "set"),
        ("_e{1,1}:a|b", "event"),
        ("_e{20,34}:Deployment completed|Deployment completed in 7 minutes.|t:success", "event"),
        ("_sc|my.check|0|#env:prod|m:all good", "service check"),
    ],
)
def test_other_types_are_ignored_not_errors(line: str, kind: str) -> None:
    assert parse_statsd_line(line) == Ignored(kind)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        # Telegraf's invalid lines.
        ("i.dont.have.a.pipe:45g", "no '|type'"),
        ("i.dont.have.a.colon45|c", "no ':'"),
        ("invalid.metric.type:45|e", "unknown metric type 'e'"),
        ("invalid.plus.minus.non.gauge:+10|ms", "has a sign"),
        ("invalid.plus.minus.non.gauge:+10|h", "has a sign"),
        ("invalid.value:foobar|c", "not a number"),
        ("invalid.value:d11|c", "not a number"),
        ("invalid.value:1d1|c", "not a number"),
        # gostatsd's invalid lines.
        ("foo.bar.baz:1|q", "unknown metric type 'q'"),
        ("NaN.should.be:NaN|ms", "not a number"),
        ("bad.sampling:1|ms|@", "sample rate"),
        # The engine's rules for times.
        ("neg:-5|ms", "negative"),
        ("inf:inf|ms", "not a number"),
        ("huge:1e999|ms", "out of range"),
        ("empty:|ms", "empty"),
        ("packed:1::3|ms", "empty"),
        ("packed:1:x:3|ms", "'x' is not a number"),
        ("under:1_000|ms", "not a number"),
        ("arabic:١٢|ms", "not a number"),
        ("rate:1|ms|@0", "sample rate"),
        ("rate:1|ms|@1.5", "sample rate"),
        ("rate:1|ms|@-0.5", "sample rate"),
        (":1|ms", "name before ':' is empty"),
        ("   :1|ms", "name before ':' is empty"),
        ("", "no ':'"),
        ("set:|s", "set value is empty"),
    ],
)
def test_invalid_lines_say_why(line: str, why: str) -> None:
    with pytest.raises(InvalidLineError, match=why):
        parse_statsd_line(line)


def test_invalid_line_errors_are_the_engines_error_type() -> None:
    assert issubclass(InvalidLineError, InvalidActionError)


def test_a_brace_line_is_a_payload_by_the_engines_rules() -> None:
    assert parse_line('{"action": " jump ", "time": 100}') == Timing("jump", (100,))
    with pytest.raises(InvalidActionError, match='"time" must be a number >= 0'):
        parse_line('{"action": "jump", "time": -1}')
    with pytest.raises(InvalidActionError, match="not valid JSON"):
        parse_line("{oops")


@given(st.text(max_size=200))
def test_any_text_parses_or_raises_the_documented_error(text: str) -> None:
    try:
        result = parse_line(text)
    except InvalidActionError:
        return
    assert isinstance(result, (Timing, Ignored))
    if isinstance(result, Timing):
        assert result.values
        assert all(value >= 0 and value != float("inf") for value in result.values)
        assert 0.0 < result.sample_rate <= 1.0


@given(
    st.from_regex(r"[a-z][a-z0-9._]{0,20}", fullmatch=True),
    st.lists(st.floats(0, 1e12, allow_nan=False) | st.integers(0, 10**12), min_size=1),
    st.sampled_from(["ms", "h", "d"]),
)
def test_what_clients_write_reads_back(name: str, values: list[float], kind: str) -> None:
    line = f"{name}:{':'.join(repr(value) for value in values)}|{kind}"
    parsed = parse_statsd_line(line)
    assert isinstance(parsed, Timing)
    assert parsed.name == name
    assert parsed.values == pytest.approx(tuple(values))


@pytest.mark.parametrize(
    "line",
    ["a:12|ms", "a:12.5|h", "a:.5|d", "a:5.|ms", "spaced name:0|ms", "a:0.000|ms"],
)
def test_the_fast_path_takes_plain_timers(line: str) -> None:
    timing = plain_timer(line)
    assert timing is not None
    assert Timing(timing[0], (timing[1],)) == parse_statsd_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "a:1|c",
        "a:1:2|ms",
        "a:1|ms|@0.5",
        "a:-1|ms",
        "a:+1|ms",
        "a:1e3|ms",
        "a:.|ms",
        "a:١٢|ms",
        "a:1_0|ms",
        ":1|ms",
        "a:|ms",
        "a:1.2.3|ms",
        "_e{1,1}:a|b",
        "{}",
        "a:1|msx",
        "a:12345678901234567890|ms",
    ],
)
def test_the_fast_path_leaves_everything_else_to_the_parser(line: str) -> None:
    assert plain_timer(line) is None


@given(st.text(alphabet="ab :|.0123456789-+e_@#ms", max_size=30))
def test_the_fast_path_agrees_with_the_parser(text: str) -> None:
    timing = plain_timer(text)
    if timing is not None:
        assert parse_statsd_line(text) == Timing(timing[0], (timing[1],))
