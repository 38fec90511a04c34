"""``MetricsServer`` scraped over HTTP on 127.0.0.1 and read back with
``prometheus_client.parser``: counts, sums, quantiles and buckets equal the tracker's,
label escaping, resets, scrapes during adds, and clean stops."""

from __future__ import annotations

import math
import re
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

import core.metrics
from core import STRATEGIES, ActionTracker, PortInUseError, Strategy
from core.metrics import (
    DEFAULT_BUCKETS_MS,
    HISTOGRAM_NAME,
    SUMMARY_NAME,
    MetricsServer,
    check_buckets,
)
from livetools import live_threads

SCRAPE_TIMEOUT = 10.0


@pytest.fixture(autouse=True)
def _no_live_threads_left() -> Iterator[None]:
    yield
    assert live_threads() == []


@pytest.fixture(params=STRATEGIES)
def tracker(request: pytest.FixtureRequest) -> ActionTracker:
    strategy: Strategy = request.param
    return ActionTracker(strategy)


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT) as response:
        assert response.status == 200
        text: str = response.read().decode("utf-8")
        return text


def scrape(server: MetricsServer) -> dict[str, list[Sample]]:
    """The samples of each family, read back by prometheus_client's own parser."""
    families = text_string_to_metric_families(fetch(server.url))
    return {family.name: family.samples for family in families}


def by_action(samples: list[Sample], suffix: str) -> dict[str, float]:
    return {
        sample.labels["action"]: sample.value for sample in samples if sample.name.endswith(suffix)
    }


def buckets_of(samples: list[Sample], action: str) -> list[tuple[float, float]]:
    """``(le, count)`` of one action's histogram, in the order served."""
    return [
        (float(sample.labels["le"]), sample.value)
        for sample in samples
        if sample.name.endswith("_bucket") and sample.labels["action"] == action
    ]


# --- figures -------------------------------------------------------------------------


def test_counts_sums_and_quantiles_equal_the_trackers(tracker: ActionTracker) -> None:
    rng = np.random.default_rng(12)
    for number in range(30):
        for time in rng.lognormal(3, 1.5, size=1 + number * 97):
            tracker.add(f"action {number}", float(time))
    tracker.add("whole", 7)
    tracker.add("whole", 2**60)
    with MetricsServer(tracker, port=0) as server:
        families = scrape(server)
    summary, histogram = families[SUMMARY_NAME], families[HISTOGRAM_NAME]
    snapshot = tracker.snapshot()
    assert by_action(summary, "_count") == {s.action: s.count for s in snapshot.actions}
    assert by_action(summary, "_sum") == {s.action: float(s.total) for s in snapshot.actions}
    assert by_action(histogram, "_count") == by_action(summary, "_count")
    assert by_action(histogram, "_sum") == by_action(summary, "_sum")
    for quantile, field in (("0.5", "p50"), ("0.9", "p90"), ("0.99", "p99")):
        served = {
            sample.labels["action"]: sample.value
            for sample in summary
            if sample.labels.get("quantile") == quantile
        }
        assert served == {s.action: float(getattr(s, field)) for s in snapshot.actions}
    assert list(by_action(summary, "_count")) == [s.action for s in snapshot.actions]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_buckets_match_numpy_on_the_raw_times_while_exact(strategy: Strategy) -> None:
    tracker = ActionTracker(strategy)
    rng = np.random.default_rng(5)
    # Up to 1,000 times "running" keeps them all, so its buckets are exact too; times
    # exactly on a bound belong to its bucket (le is "less than or equal").
    times = {
        "spread": rng.lognormal(4, 2, size=1000),
        "on the bounds": np.array([*DEFAULT_BUCKETS_MS, 0.0, 1e9], dtype=np.float64),
        "integers": rng.integers(0, 20_000, size=500).astype(np.float64),
    }
    for action, values in times.items():
        for value in values:
            tracker.add(action, float(value))
    with MetricsServer(tracker, port=0) as server:
        histogram = scrape(server)[HISTOGRAM_NAME]
    for action, values in times.items():
        served = buckets_of(histogram, action)
        expected = [(bound, float(np.sum(values <= bound))) for bound in DEFAULT_BUCKETS_MS]
        assert served == [*expected, (math.inf, float(values.size))]


def test_the_buckets_are_configurable() -> None:
    tracker = ActionTracker("samples")
    for value in (0.1, 0.5, 0.5, 3, 1e6):
        tracker.add("tiny", value)
    with MetricsServer(tracker, port=0, buckets=[0.25, 0.5, 1_000_000]) as server:
        assert server.buckets == (0.25, 0.5, 1_000_000.0)
        text = fetch(server.url)
    assert 'le="0.25"} 1.0' in text
    assert 'le="0.5"} 3.0' in text
    assert 'le="1e+06"} 5.0' in text  # as every Prometheus client writes it
    assert 'le="+Inf"} 5.0' in text


@pytest.mark.parametrize(
    ("buckets", "words"),
    [
        ([], "at least one bound"),
        ([1, 1], "must rise"),
        ([5, 2], "must rise"),
        ([1, math.inf], "finite"),
        ([math.nan], "finite"),
        (["1"], "must be numbers"),
        ([True], "must be numbers"),
        (range(101), "at most 100"),
    ],
)
def test_bad_buckets_are_refused_in_words(buckets: list[object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        check_buckets(buckets)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=words):
        MetricsServer(ActionTracker(), port=0, buckets=buckets)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    [
        'say "hi"',
        "back\\slash",
        "two\nlines",
        "ends with \\",
        'all \\" of \\n them\n"',
        "café ☕ 測試 🚀",
        "{curly}=,comma",
    ],
)
def test_label_values_are_escaped_and_read_back_whole(name: str) -> None:
    tracker = ActionTracker()
    tracker.add(name, 12)
    tracker.add("plain", 1)
    with MetricsServer(tracker, port=0) as server:
        families = scrape(server)
    for samples in families.values():
        assert {sample.labels["action"] for sample in samples} == {name, "plain"}
    assert by_action(families[SUMMARY_NAME], "_count") == {name: 1, "plain": 1}


def test_an_empty_tracker_serves_the_families_without_samples() -> None:
    with MetricsServer(ActionTracker(), port=0) as server:
        text = fetch(server.url)
        families = scrape(server)
        assert server.scrapes == 2
    assert families == {SUMMARY_NAME: [], HISTOGRAM_NAME: []}
    assert f"# TYPE {HISTOGRAM_NAME} histogram" in text
    assert f"# TYPE {SUMMARY_NAME} summary" in text


def test_a_reset_between_scrapes_starts_the_figures_again(tracker: ActionTracker) -> None:
    with MetricsServer(tracker, port=0) as server:
        for time in (1, 2, 3):
            tracker.add("before", time)
        assert by_action(scrape(server)[SUMMARY_NAME], "_count") == {"before": 3}
        tracker.reset()
        assert scrape(server) == {SUMMARY_NAME: [], HISTOGRAM_NAME: []}
        tracker.add("after", 40)
        families = scrape(server)
    assert by_action(families[SUMMARY_NAME], "_sum") == {"after": 40}
    expected = [(bound, 1.0 if bound >= 40 else 0.0) for bound in DEFAULT_BUCKETS_MS]
    assert buckets_of(families[HISTOGRAM_NAME], "after") == [*expected, (math.inf, 1.0)]


def test_scrapes_while_times_arrive_are_whole_histograms(tracker: ActionTracker) -> None:
    stop = threading.Event()
    added = [0, 0]

    def produce(slot: int) -> None:
        rng = np.random.default_rng(slot)
        while not stop.is_set() and added[slot] < 100_000:  # bounded either way
            for value in rng.lognormal(3, 2, size=500):
                tracker.add(f"busy {added[slot] % 7}", float(value))
            added[slot] += 500

    producers = [threading.Thread(target=produce, args=(slot,)) for slot in (0, 1)]
    with MetricsServer(tracker, port=0) as server:
        for producer in producers:
            producer.start()
        try:
            last_counts: dict[str, float] = {}
            for _ in range(15):
                histogram = scrape(server)[HISTOGRAM_NAME]
                counts = by_action(histogram, "_count")
                for action, count in counts.items():
                    served = buckets_of(histogram, action)
                    values = [value for _le, value in served]
                    assert values == sorted(values)  # cumulative: never falls
                    assert served[-1] == (math.inf, count)
                    assert count >= last_counts.get(action, 0)  # counters only grow
                last_counts = counts
        finally:
            stop.set()
            for producer in producers:
                producer.join(timeout=30)
        final = scrape(server)
    assert not any(producer.is_alive() for producer in producers)
    snapshot = tracker.snapshot()
    assert sum(by_action(final[SUMMARY_NAME], "_count").values()) == sum(added)
    assert by_action(final[SUMMARY_NAME], "_count") == {s.action: s.count for s in snapshot.actions}


def test_a_sum_past_the_double_range_is_served_as_infinity() -> None:
    tracker = ActionTracker()
    tracker.add("huge", 1.7e308)
    tracker.add("huge", 1.7e308)
    with MetricsServer(tracker, port=0) as server:
        summary = scrape(server)[SUMMARY_NAME]
    assert by_action(summary, "_sum") == {"huge": math.inf}
    assert by_action(summary, "_count") == {"huge": 2}


# --- the server ----------------------------------------------------------------------


def test_port_zero_binds_a_free_loopback_port() -> None:
    server = MetricsServer(ActionTracker(), port=0)
    assert server.address == ("127.0.0.1", 0)
    assert MetricsServer(ActionTracker()).address == ("127.0.0.1", core.metrics.DEFAULT_PORT)
    with server:
        host, port = server.address
        assert host == "127.0.0.1"
        assert port > 0
        assert server.url == f"http://127.0.0.1:{port}/metrics"
        assert server.description == f"metrics http://127.0.0.1:{port}/metrics"
        assert not server.open_to_network
        assert "Action Tracker" in fetch(f"http://127.0.0.1:{port}/")
        with pytest.raises(urllib.error.HTTPError, match="404"):
            fetch(f"http://127.0.0.1:{port}/other")
        assert server.scrapes == 0  # neither was a scrape


def test_only_a_named_other_address_is_open_to_the_network() -> None:
    tracker = ActionTracker()
    assert not MetricsServer(tracker, host="localhost").open_to_network
    assert not MetricsServer(tracker, host="::1").open_to_network
    assert MetricsServer(tracker, host="0.0.0.0").open_to_network
    assert MetricsServer(tracker, host="192.168.1.10").open_to_network
    assert MetricsServer(tracker, host="::1", port=9).url == "http://[::1]:9/metrics"


def test_a_port_in_use_says_so_plainly() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = MetricsServer(ActionTracker(), port=port)
        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 is already in use"):
            server.start()
        server.stop()  # harmless on a server that never started


def test_a_bad_address_or_port_is_refused_in_words() -> None:
    with pytest.raises(ValueError, match="port must be a whole number"):
        MetricsServer(ActionTracker(), port=70000)
    with pytest.raises(OSError, match=re.escape("cannot serve metrics on 'no.such.host.invalid'")):
        MetricsServer(ActionTracker(), host="no.such.host.invalid", port=0).start()


def test_stop_joins_its_threads_even_with_a_silent_client_connected() -> None:
    # How long stop() takes (the contract's 0.5 s) is measured in bench.metrics, not here.
    server = MetricsServer(ActionTracker(), port=0)
    server.start()
    with socket.create_connection(server.address, timeout=5) as silent:
        silent.sendall(b"GET /metrics HTTP/1.1\r\n")  # and never the rest
        fetch(server.url)  # served beside it
        server.stop()
        assert live_threads() == []
        assert silent.recv(100) == b""  # its connection was closed
    server.stop()  # twice is fine
    with pytest.raises(RuntimeError, match="starts once"):
        server.start()


def test_connections_beyond_the_limit_are_closed_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core.metrics, "MAX_CONNECTIONS", 2)
    with MetricsServer(ActionTracker(), port=0) as server:
        held = [socket.create_connection(server.address, timeout=5) for _ in range(2)]
        try:
            for connection in held:
                connection.sendall(b"GET /metrics HTTP/1.1\r\n")
            # The server accepts in order, so both are held before the third arrives.
            with socket.create_connection(server.address, timeout=5) as third:
                assert third.recv(100) == b""  # closed, not left waiting
        finally:
            for connection in held:
                connection.close()


def test_a_failing_read_answers_500_and_the_server_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = ActionTracker()
    tracker.add("fine", 1)
    with MetricsServer(tracker, port=0) as server:
        with monkeypatch.context() as patch:
            patch.setattr(tracker, "snapshot_and_histograms", _broken_read)
            with pytest.raises(urllib.error.HTTPError, match="500") as failed:
                fetch(server.url)
            assert b"reading the figures failed: disk on fire" in failed.value.read()
            failed.value.close()
        assert by_action(scrape(server)[SUMMARY_NAME], "_count") == {"fine": 1}
    assert "scrape" in caplog.text


def _broken_read(*_arguments: object) -> None:
    raise RuntimeError("disk on fire")
