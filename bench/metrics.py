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
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable

import numpy as np

from core import STRATEGIES, ActionTracker, Strategy
from core.metrics import MetricsServer

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


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        body: bytes = response.read()
        return body


def scrape_table(rounds: int) -> None:
    """Median and worst milliseconds of one scrape over HTTP, and of the tracker's read
    alone (``snapshot_and_histograms``); the rest is prometheus_client's formatting."""
    print(f"\nscrape of /metrics over loopback HTTP, {rounds} scrapes per row, each after one")
    print("more time for every action (median ms; max for the scrape)")
    print(
        f"{'actions':>8} {'times each':>10}  {'strategy':<9}{'series':>9}{'KiB':>8}"
        f"{'read ms':>10}{'scrape ms':>11}{'max ms':>9}"
    )
    for actions, times in SHAPES:
        for strategy in STRATEGIES:
            tracker = filled(strategy, actions, times)
            names = [stats.action for stats in tracker.snapshot().actions]
            read: list[float] = []
            scrape: list[float] = []
            body = b""
            with MetricsServer(tracker, port=0) as server:
                for _ in range(rounds):
                    for name in names:
                        tracker.add(name, 10.0)
                    gc.collect()
                    started = time.perf_counter()
                    tracker.snapshot_and_histograms(server.buckets)
                    read.append(time.perf_counter() - started)
                    for name in names:
                        tracker.add(name, 10.0)
                    started = time.perf_counter()
                    body = fetch(server.url)
                    scrape.append(time.perf_counter() - started)
            series = sum(1 for line in body.splitlines() if not line.startswith(b"#"))
            print(
                f"{actions:>8,} {times:>10,}  {strategy:<9}{series:>9,}{len(body) / 1024:>8,.0f}"
                f"{statistics.median(read) * 1000:>10.1f}"
                f"{statistics.median(scrape) * 1000:>11.1f}{max(scrape) * 1000:>9.1f}"
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


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


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
            spent.append(_timed(server.stop))
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
        scrape_table(max(args.rounds, 5))
    if args.only in (None, "throughput"):
        throughput_table(args.seconds, args.rounds)
    if args.only in (None, "stop"):
        stop_table(max(args.rounds, 10))


if __name__ == "__main__":
    main()
