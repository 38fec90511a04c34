"""A Prometheus page of many labelled series, made by ``prometheus_client`` and kept, so
that a scrape puts only its new values into it.

``prometheus_client``'s encoders (``generate_latest`` for the text format, its
``openmetrics`` one for OpenMetrics) escape every label and validate every name of every
sample on every scrape: for 10,000 actions of 21 series each, most of the scrape. Yet an
action's names and labels do not change between scrapes; only its values do.

``ExpositionCache`` therefore asks the scrape's own encoder to format each series (an
action's samples in one family) once, and keeps the text it made with its values cut out:
a template. Each later scrape fills in the values, formatted by ``prometheus_client``'s
``floatToGoString`` as its encoders do, and reuses the whole text of a series whose values
did not change. The page is byte for byte what the encoder makes of the same families
(the tests compare them, over every format ``choose_encoder`` offers); an encoder whose
output cannot be cut that way is simply asked for that series' text on every scrape.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import cast

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

Encoder = Callable[[Collector], bytes]
"""What ``prometheus_client.exposition.choose_encoder`` picks for a scrape's Accept header."""
SampleMaker = Callable[[str, Sequence[float]], list[Sample]]
"""Makes one series' samples (of one family) from its key and its values, in order."""

_go_float = cast(Callable[[float], str], floatToGoString)
_MAX_ENCODERS = 2
"""Formats kept at once: a scraper asks for one; two scrapers of different kinds, two."""


class _Families(Collector):
    """A fixed list of families, as a collector that an encoder reads."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


class _Format:
    """What one encoder makes around the series: each family's header and the page's
    end (OpenMetrics' ``# EOF``)."""

    def __init__(self, encoder: Encoder, empty_families: Sequence[Metric]) -> None:
        self.encoder = encoder
        self.end = self._text(())
        self.headers = [_cut(self._text((family,)), "", self.end) for family in empty_families]

    def series_text(self, index: int, family: Metric) -> str:
        """The lines ``encoder`` makes of the samples of ``family``, the page's
        ``index``-th, without its header."""
        return _cut(self._text((family,)), self.headers[index], self.end)

    def _text(self, families: Iterable[Metric]) -> str:
        return self.encoder(_Families(families)).decode("utf-8")


def _cut(text: str, start: str, end: str) -> str:
    if not text.startswith(start) or not text.endswith(end):
        raise ValueError("the encoder's page does not have the expected header and end")
    return text[len(start) : len(text) - len(end)]


class _Series:
    """One series' text in one format: its template (None when the encoder's text could
    not be cut into one) and the values and text of the last scrape."""

    __slots__ = ("template", "text", "values")

    def __init__(self, template: str | None, values: tuple[float, ...], text: str) -> None:
        self.template = template
        self.values = values
        self.text = text


class ExpositionCache:
    """Pages of families whose series are keyed (an action's name), made with any of
    ``prometheus_client``'s encoders and kept between scrapes.

    ``families`` holds, in page order, each family's pair of functions: one makes the
    family empty, the other a series' samples in it from the series' key and values.
    """

    def __init__(self, families: Sequence[tuple[Callable[[], Metric], SampleMaker]]) -> None:
        self._empty = tuple(empty for empty, _ in families)
        self._samples = tuple(samples for _, samples in families)
        self._lock = threading.Lock()
        self._formats: dict[Hashable, tuple[_Format, dict[str, tuple[_Series, ...]]]] = {}

    def page(
        self, encoder: Encoder, rows: Iterable[tuple[str, Sequence[Sequence[float]]]]
    ) -> bytes:
        """What ``encoder`` makes of the families with every row's series: each row is a
        key and, per family, the values of its samples."""
        key = _encoder_key(encoder)
        with self._lock:
            kept = self._formats.get(key)
        if kept is None:
            kept = (_Format(encoder, [empty() for empty in self._empty]), {})
        page_format, previous = kept
        families = range(len(self._samples))
        current: dict[str, list[_Series]] = {}
        parts: list[list[str]] = [[header] for header in page_format.headers]
        new: list[list[tuple[str, tuple[float, ...]]]] = [[] for _ in families]
        counts: dict[int, str] = {}
        for name, values in rows:
            before = previous.get(name)
            made = current[name] = []
            for family in families:
                series = _refilled(before, family, tuple(values[family]), counts)
                if series is None:
                    new[family].append((name, tuple(values[family])))
                    series = _Series(None, (), "")  # its text comes below
                made.append(series)
                parts[family].append(series.text)
        for family in families:
            if new[family]:
                self._make(page_format, family, new[family], current)
                parts[family][1:] = [made[family].text for made in current.values()]
        with self._lock:
            self._formats.pop(key, None)
            self._formats[key] = (page_format, {n: tuple(m) for n, m in current.items()})
            while len(self._formats) > _MAX_ENCODERS:
                del self._formats[next(iter(self._formats))]
        return "".join([*(text for family in parts for text in family), page_format.end]).encode()

    def _make(
        self,
        page_format: _Format,
        family: int,
        series: list[tuple[str, tuple[float, ...]]],
        current: dict[str, list[_Series]],
    ) -> None:
        """Put into ``current`` the text and template of each of ``series`` in ``family``,
        all formatted by one call of the encoder (one each when its lines cannot be told
        apart)."""
        made = self._empty[family]()
        maker = self._samples[family]
        for name, values in series:
            made.samples += maker(name, values)
        lines = page_format.series_text(family, made).split("\n")
        if lines.pop() == "" and len(lines) == sum(len(values) for _, values in series):
            start = 0
            for name, values in series:
                text = "".join(line + "\n" for line in lines[start : start + len(values)])
                start += len(values)
                current[name][family] = _Series(_template(text, values), values, text)
            return
        for name, values in series:
            one = self._empty[family]()
            one.samples = maker(name, values)
            text = page_format.series_text(family, one)
            current[name][family] = _Series(_template(text, values), values, text)


def _refilled(
    before: tuple[_Series, ...] | None,
    family: int,
    values: tuple[float, ...],
    counts: dict[int, str],
) -> _Series | None:
    """The series kept from the last scrape with ``values``: as it was when they are
    the same, its template filled in again when they differ; None when there is none."""
    if before is None:
        return None
    kept = before[family]
    if kept.values == values:
        return kept
    if kept.template is None:
        return None
    return _Series(kept.template, values, kept.template.format(*_texts(values, counts)))


def _texts(values: Sequence[float], counts: dict[int, str]) -> list[str]:
    """``values`` as ``floatToGoString`` gives them; whole numbers (counts, which repeat
    across a page) looked up in ``counts`` first and kept there."""
    texts = []
    for value in values:
        if type(value) is int:
            text = counts.get(value)
            if text is None:
                text = counts[value] = _go_float(value)
        else:
            text = _go_float(value)
        texts.append(text)
    return texts


def _template(text: str, values: Sequence[float]) -> str | None:
    """``text`` with each sample's value as a ``str.format`` field, or None unless it is
    one line per value ending in a space and that value as ``floatToGoString`` gives it.
    Lines end at ``\\n`` only: the format escapes it in labels, but no other line end."""
    lines = text.split("\n")
    if lines.pop() != "" or len(lines) != len(values):
        return None
    fields = []
    for line, value in zip(lines, values, strict=True):
        prefix, space, shown = line.rpartition(" ")
        if not space or shown != _go_float(value):
            return None
        fields.append(prefix.replace("{", "{{").replace("}", "}}") + " {}\n")
    return "".join(fields)


def _encoder_key(encoder: Encoder) -> Hashable:
    """Equal for the encoders ``choose_encoder`` makes anew for the same format."""
    if isinstance(encoder, functools.partial):
        return (encoder.func, encoder.args, tuple(sorted(encoder.keywords.items())))
    return encoder
