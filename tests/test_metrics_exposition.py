"""The page ``MetricsServer`` serves is byte for byte what ``prometheus_client``'s own
encoders make of ``TrackerCollector.collect()``'s families, in every format
``choose_encoder`` offers, scrape after scrape while the figures change; and the summary's
quantiles cover the window asked for."""

from __future__ import annotations

import gzip
import math
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import choose_encoder
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from core import STRATEGIES, ActionTracker, Strategy
from core.metrics import SUMMARY_NAME, MetricsServer, TrackerCollector
from livetools import live_threads

ACCEPT_HEADERS = (
    None,
    "text/plain;version=0.0.4",
    "text/plain;version=1.0.0;escaping=allow-utf-8",
    "application/openmetrics-text;version=1.0.0",
    "application/openmetrics-text;version=1.0.0;escaping=values",
    "application/openmetrics-text;version=1.0.0;escaping=dots",
    # Prometheus 2's own, which prometheus_client answers in OpenMetrics
    "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;"
    "version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
)
NAMES = (
    "plain",
    'a "quoted" name',
    "back\\slash and {braces} and }{",
    "two\nlines",
    "carriage\rreturn, form\x0cfeed, line\u2028separator",
    "ends like a value 1.0",
    "# EOF",
    "Ünïcode ✓ 名前",
)


@pytest.fixture(autouse=True)
def _no_live_threads_left() -> Iterator[None]:
    yield
    assert live_threads() == []


def registry_of(collector: TrackerCollector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


def fill(tracker: ActionTracker) -> None:
    for number, name in enumerate(NAMES):
        for time in (0.5, 3.0 * number, 42.125, 1e7 * number, 2_000):
            tracker.add(name, time)


@pytest.mark.parametrize("accept", ACCEPT_HEADERS)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_page_is_the_encoders_own_scrape_after_scrape(
    accept: str | None, strategy: Strategy
) -> None:
    tracker = ActionTracker(strategy)
    fill(tracker)
    collector = TrackerCollector(tracker)
    registry = registry_of(collector)
    encoder, _ = choose_encoder(accept)  # type: ignore[arg-type]

    def same() -> None:
        assert collector.page(encoder) == encoder(registry)

    same()
    same()  # nothing changed: every action's text kept whole
    tracker.add(NAMES[1], 7.25)  # one action's values change
    same()
    tracker.add("a new one", 0.001)  # one action appears
    same()
    for _ in range(1_500):  # past the exact limit: the "running" sketch's estimates
        tracker.add(NAMES[3], 123.456)
    same()
    tracker.remove([NAMES[0], NAMES[5]])  # actions leave
    same()
    tracker.reset()
    same()
    fill(tracker)
    same()


def test_an_encoder_whose_lines_cannot_be_cut_is_asked_every_time() -> None:
    """A format with something after each value (here a timestamp) cannot be refilled;
    its text is then made by the encoder on every scrape, and still equals its page."""

    def with_timestamps(registry: Collector) -> bytes:
        return generate_latest(registry).replace(b"\n", b" 1700000000000\n")

    tracker = ActionTracker()
    fill(tracker)
    collector = TrackerCollector(tracker)
    registry = registry_of(collector)
    for number in range(3):
        assert collector.page(with_timestamps) == with_timestamps(registry)
        tracker.add(NAMES[number], 1.0)


def served(server: MetricsServer, accept: str | None, encoding: str | None) -> tuple[str, bytes]:
    """The Content-Type and the page, unzipped when it came gzipped."""
    request = urllib.request.Request(server.url)
    if accept is not None:
        request.add_header("Accept", accept)
    if encoding is not None:
        request.add_header("Accept-Encoding", encoding)
    with urllib.request.urlopen(request, timeout=10) as response:
        body: bytes = response.read()
        zipped = response.headers.get("Content-Encoding") == "gzip"
        assert zipped == (encoding == "gzip")
        return response.headers["Content-Type"], gzip.decompress(body) if zipped else body


@pytest.mark.parametrize("encoding", [None, "gzip"])
@pytest.mark.parametrize("accept", [ACCEPT_HEADERS[0], ACCEPT_HEADERS[-1]])
def test_the_server_answers_as_prometheus_clients_app(
    accept: str | None, encoding: str | None
) -> None:
    tracker = ActionTracker()
    fill(tracker)
    encoder, content_type = choose_encoder(accept)  # type: ignore[arg-type]
    with MetricsServer(tracker, port=0) as server:
        for _ in range(2):
            shown_type, page = served(server, accept, encoding)
            assert shown_type == content_type
            assert page == encoder(registry_of(TrackerCollector(tracker)))
            tracker.add(NAMES[2], 99.0)


def quantiles(collector: TrackerCollector) -> dict[str, list[float]]:
    """Each action's summary quantiles 0.5, 0.9 and 0.99, as served."""
    page = generate_latest(registry_of(collector)).decode()
    shown: dict[str, list[float]] = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            if sample.name == SUMMARY_NAME:
                shown.setdefault(sample.labels["action"], []).append(sample.value)
    return shown


def test_the_summary_quantiles_cover_the_window_and_counts_all_time() -> None:
    now = [1_000.0]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    tracker = ActionTracker("samples", clock=clock)
    windowed = TrackerCollector(tracker, quantile_window=10)
    all_time = TrackerCollector(tracker, quantile_window=None)
    for time in (1.0, 2.0, 3.0):
        tracker.add("old", time)
    now[0] += 30  # "old" leaves the window
    for time in (100.0, 200.0):
        tracker.add("old", time)
        tracker.add("new", time)
    assert quantiles(windowed)["old"] == [150.0, 190.0, 199.0]  # 100 and 200 alone
    assert quantiles(all_time)["old"] == [3.0, 160.0, 196.0]  # all five
    now[0] += 30  # nothing in the window: no figure, as client_golang serves it
    assert all(math.isnan(value) for value in quantiles(windowed)["new"])
    page = generate_latest(registry_of(windowed)).decode()
    assert f'{SUMMARY_NAME}_count{{action="old"}} 5.0' in page  # counts stay all time
    assert "last 10 s" in page
    assert "all its times" in generate_latest(registry_of(all_time)).decode()


@pytest.mark.parametrize("window", [0, 301, 2.5, "60", True])
def test_a_bad_quantile_window_is_refused_in_words(window: object) -> None:
    with pytest.raises(ValueError, match="summary quantile window: a window is a whole number"):
        TrackerCollector(ActionTracker(), quantile_window=window)  # type: ignore[arg-type]
