"""The Prometheus bridge: how long a scrape of ``/metrics`` takes for 200 and 10,000
actions, how much scraping every second takes from ``add`` throughput, and how long
``MetricsServer.stop()`` takes.

Run: ``uv run python -m bench.metrics`` (``--seconds`` per throughput trial, ``--rounds``).
Scrapes go over HTTP on 127.0.0.1 with ``urllib``, as a scraper would; before each one
every action gets one more time, so every figure is read afresh, as while sources run.
Throughput trials alternate with and without a scraping process (interleaved rounds), so
a slow moment of this shared machine hits all alike; the ratio is what to compare.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from functools import partial

import numpy as np
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from core import STRATEGIES, ActionTracker, Strategy
from core.metrics import MetricsServer, TrackerCollector

SHAPES = ((200, 2_000), (10_000, 50))
"""(actions, times per action) of the scraped trackers: the first past the exact limit
(the sketch's percentiles), the second within it (exact ones)."""
SCRAPE_PERIODS = (1.0, 0.1)
"""Seconds between scrapes in the throughput trials: Prometheus' shortest usual
interval is 1 s; 0.1 s shows the trend."""
STOP_TARGET_SECONDS = 0.5
CHUNK = 2_000
"""Adds between looks at the clock in a throughput trial."""


def filled(strategy: Strategy, actions: int, times: int, seed: int = 3) -> ActionTracker:
    tracker = ActionTracker(strategy)
    rng = np.random.default_rng(seed)
    names = [f"service.endpoint_{number:05d}" for number in range(actions)]
    for name in names:
        for value in rng.lognormal(3, 1.2, size=times).tolist():
            tracker.add(name, value)
    return tracker


FORMATS = (
    ("text", "text/plain;version=0.0.4"),
    (
        "openmetrics",
        "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;"
        "version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    ),
)
"""The Accept headers of the scrapes: the plain text format, and Prometheus' own, which
prometheus_client answers in OpenMetrics."""


def fetch(url: str, accept: str | None = None) -> bytes:
    """The page at ``url``; with ``accept``, asked for as Prometheus asks (gzipped)."""
    request = urllib.request.Request(url)
    if accept is not None:
        request.add_header("Accept", accept)
        request.add_header("Accept-Encoding", "gzip")
    with urllib.request.urlopen(request, timeout=120) as response:
        body: bytes = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            return gzip.decompress(body)
        return body


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def _cpu(action: Callable[[], object]) -> float:
    """CPU seconds of ``action`` in this process (every thread: the server's too)."""
    started = time.process_time()
    action()
    return time.process_time() - started


def _wall(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def scrape_table(rounds: int) -> None:
    """Where a scrape's time goes, and scrapes over HTTP now against prometheus_client's
    own app serving the same collector (before), in interleaved rounds."""
    print(f"\nscrapes of /metrics, {rounds} rounds (median), each step after one more time for")
    print("every action; CPU ms of each step: the tracker's read (its figures and buckets),")
    print("the summary window's read (last 300 s), the families made from them (reads")
    print("included), prometheus_client formatting those, and the page now (reads included;")
    print("first: the first scrape, which formats every action once)")
    print(
        f"{'actions':>8}  {'strategy':<9}{'format':<12}{'read':>7}{'window':>8}{'families':>9}"
        f"{'format':>8}{'page':>7}{'first':>7}"
    )
    rows: list[str] = []
    for actions, times in SHAPES:
        for strategy in STRATEGIES:
            tracker = filled(strategy, actions, times)
            names = [stats.action for stats in tracker.snapshot().actions]

            def touch(names: list[str] = names, tracker: ActionTracker = tracker) -> None:
                for name in names:
                    tracker.add(name, 10.0)

            for label, accept in FORMATS:
                encoder, _ = choose_encoder(accept)
                collector = TrackerCollector(tracker)
                steps: dict[str, list[float]] = {
                    step: [] for step in ("read", "window", "families", "format", "page")
                }
                touch()
                first = _cpu(partial(collector.page, encoder))
                for _ in range(rounds):
                    gc.collect()
                    touch()
                    steps["read"].append(
                        _cpu(partial(tracker.snapshot_and_histograms, collector.buckets))
                    )
                    steps["window"].append(_cpu(partial(tracker.snapshot, window=300)))
                    touch()
                    families: list[Metric] = []
                    steps["families"].append(_cpu(partial(families.extend, collector.collect())))
                    steps["format"].append(_cpu(partial(encoder, _Fixed(families))))
                    touch()
                    steps["page"].append(_cpu(partial(collector.page, encoder)))
                medians = "".join(
                    f"{statistics.median(spent) * 1000:>{width}.0f}"
                    for spent, width in zip(steps.values(), (7, 8, 9, 8, 7), strict=True)
                )
                print(
                    f"{actions:>8,}  {strategy:<9}{label:<12}{medians}{first * 1000:>7.0f}",
                    flush=True,
                )
                rows.append(
                    _http_row(
                        tracker,
                        touch,
                        actions=actions,
                        strategy=strategy,
                        label=label,
                        accept=accept,
                        rounds=rounds,
                    )
                )
    print("\nthe same over HTTP on 127.0.0.1 as Prometheus asks (gzip), wall ms (median, max):")
    print("prometheus_client's own app on the same collector (before) and MetricsServer (now)")
    print(
        f"{'actions':>8}  {'strategy':<9}{'format':<12}{'series':>8}{'KiB':>7}{'gzip KiB':>9}"
        f"{'before':>8}{'max':>7}{'now':>7}{'max':>7}{'now/before':>11}"
    )
    for row in rows:
        print(row)


def _http_row(
    tracker: ActionTracker,
    touch: Callable[[], None],
    *,
    actions: int,
    strategy: str,
    label: str,
    accept: str,
    rounds: int,
) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TrackerCollector(tracker))
    before_server, before_thread = start_http_server(0, "127.0.0.1", registry)
    before_url = f"http://127.0.0.1:{before_server.server_port}/metrics"
    spent: dict[str, list[float]] = {"before": [], "now": []}
    body = b""
    try:
        with MetricsServer(tracker, port=0) as server:
            fetch(server.url, accept)  # its first scrape, which formats every action once
            for _ in range(rounds):
                for which, url in (("before", before_url), ("now", server.url)):
                    touch()
                    gc.collect()
                    spent[which].append(_wall(partial(fetch, url, accept)))
            body = fetch(server.url, accept)
            zipped = urllib.request.Request(server.url, headers={"Accept": accept})
            zipped.add_header("Accept-Encoding", "gzip")
            with urllib.request.urlopen(zipped, timeout=120) as response:
                gzipped = len(response.read())
    finally:
        before_server.shutdown()
        before_server.server_close()
        before_thread.join(timeout=5)
    series = sum(1 for line in body.splitlines() if not line.startswith(b"#"))
    before, now = statistics.median(spent["before"]), statistics.median(spent["now"])
    return (
        f"{actions:>8,}  {strategy:<9}{label:<12}{series:>8,}{len(body) / 1024:>7,.0f}"
        f"{gzipped / 1024:>9,.0f}{before * 1000:>8.0f}{max(spent['before']) * 1000:>7.0f}"
        f"{now * 1000:>7.0f}{max(spent['now']) * 1000:>7.0f}{now / before:>11.2f}"
    )


def adds_per_second(tracker: ActionTracker, seconds: float, names: list[str]) -> float:
    """``tracker.add`` on this thread for ``seconds``, over ``names`` in turn."""
    values = np.random.default_rng(9).lognormal(3, 1.2, size=CHUNK).tolist()
    pairs = [(names[number % len(names)], values[number]) for number in range(CHUNK)]
    add = tracker.add
    added = 0
    start = time.perf_counter()
    end = start + seconds
    while True:
        for name, value in pairs:
            add(name, value)
        added += CHUNK
        now = time.perf_counter()
        if now >= end:
            return added / (now - start)


SCRAPER = """
import sys, time, urllib.request
url, period, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
print("ready", flush=True)
start = due = time.perf_counter()
made = 0
while time.perf_counter() < start + seconds:
    if time.perf_counter() < due:
        time.sleep(min(due, start + seconds) - time.perf_counter())
        continue
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
    made += 1
    due += period
print(made)
"""
"""A scraper in another process, as Prometheus is, importing nothing heavy: it scrapes
every ``period`` seconds (from the start of one scrape to the next, or at once when one
took longer) for ``seconds`` after saying it is ready, then prints how many it made."""


def _scraper(url: str, period: float, seconds: float) -> subprocess.Popen[str]:
    """Start SCRAPER and return once it is ready (its start-up is not in the trial)."""
    command = [sys.executable, "-c", SCRAPER, url, str(period), str(seconds)]
    scraper = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert scraper.stdout is not None
    if scraper.stdout.readline().strip() != "ready":
        raise RuntimeError("the scraper process did not start")
    return scraper


def throughput_table(seconds: float, rounds: int) -> None:
    """``add`` throughput on one thread while another process scrapes every
    SCRAPE_PERIODS seconds, against none, in interleaved rounds (the best round of each)."""
    print(f"\nadd() on one thread, {seconds:g} s trials x {rounds} interleaved rounds (best);")
    print("the scraper is another process")
    print(f"{'actions':>8}  {'scraping':<14}{'adds/s':>12}{'scrapes':>9}{'vs none':>9}")
    for actions, times in SHAPES:
        tracker = filled("running", actions, times)
        names = [stats.action for stats in tracker.snapshot().actions]
        modes: list[tuple[str, float | None]] = [("none", None)]
        modes += [(f"every {period:g} s", period) for period in SCRAPE_PERIODS]
        rates: dict[str, list[float]] = {label: [] for label, _ in modes}
        scrapes: dict[str, int] = {label: 0 for label, _ in modes}
        with MetricsServer(tracker, port=0) as server:
            for _ in range(rounds):
                for label, period in modes:
                    gc.collect()
                    scraper = None
                    if period is not None:
                        scraper = _scraper(server.url, period, seconds)
                    rates[label].append(adds_per_second(tracker, seconds, names))
                    if scraper is not None:
                        out, _ = scraper.communicate(timeout=120)
                        scrapes[label] += int(out)
        base = max(rates["none"])
        for label, _ in modes:
            best = max(rates[label])
            print(f"{actions:>8,}  {label:<14}{best:>12,.0f}{scrapes[label]:>9}{best / base:>9.2f}")


def stop_table(rounds: int) -> None:
    """How long ``stop()`` takes, idle and with a client that sent half a request."""
    target = f"target {STOP_TARGET_SECONDS} s"
    print(f"\nMetricsServer.stop(), {rounds} starts and stops per row ({target})")
    print(f"{'case':<28}{'median ms':>10}{'max ms':>9}  verdict")
    for case in ("idle", "a silent client connected"):
        spent: list[float] = []
        for _ in range(rounds):
            server = MetricsServer(ActionTracker(), port=0)
            server.start()
            client = None
            if case != "idle":
                client = socket.create_connection(server.address, timeout=5)
                client.sendall(b"GET /metrics HTTP/1.1\r\n")
                fetch(server.url)  # the silent one is being served by now
            spent.append(_wall(server.stop))
            if client is not None:
                client.close()
        verdict = "PASS" if max(spent) < STOP_TARGET_SECONDS else "FAIL"
        median, worst = statistics.median(spent) * 1000, max(spent) * 1000
        print(f"{case:<28}{median:>10.1f}{worst:>9.1f}  {verdict}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput trial")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["scrape", "throughput", "stop"])
    args = parser.parse_args(argv)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} at the start")
    if args.only in (None, "scrape"):
        scrape_table(args.rounds)
    if args.only in (None, "throughput"):
        throughput_table(args.seconds, args.rounds)
    if args.only in (None, "stop"):
        stop_table(max(args.rounds, 10))


if __name__ == "__main__":
    main()
