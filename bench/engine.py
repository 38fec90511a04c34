"""Engine benchmarks against the original design, in one process; prints ratios.

Run: ``uv run python -m bench.engine`` (``--quick`` for a smaller, noisier run).
Absolute rates vary with the machine; the ratios are what the targets are about.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from bench.baseline import OriginalRunningTracker, OriginalSamplesTracker
from core import STRATEGIES, ActionTracker, Strategy
from core.loadgen import LoadError, LoadGenerator, LoadSpec

ACTIONS = ("jump", "run", "walk", "swim", "climb")


def payloads(count: int, seed: int = 1) -> list[str]:
    """Realistic payloads: a few actions, float times with a spread."""
    rng = random.Random(seed)
    return [
        json.dumps({"action": rng.choice(ACTIONS), "time": round(rng.gauss(100, 15), 3)})
        for _ in range(count)
    ]


def adds_per_second(make: Callable[[], object], data: Sequence[str], threads: int) -> float:
    """Total add_action calls per second with ``threads`` threads each adding all of
    ``data`` into one shared tracker; the best of three runs."""
    best = 0.0
    for _ in range(3):
        tracker = make()
        add = tracker.add_action  # type: ignore[attr-defined]
        barrier = threading.Barrier(threads + 1)

        def work(add: Callable[[str], None] = add, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            for payload in data:
                add(payload)

        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        gc.collect()
        barrier.wait()
        start = time.perf_counter()
        for worker in workers:
            worker.join()
        best = max(best, threads * len(data) / (time.perf_counter() - start))
    return best


def throughput_table(count: int) -> None:
    data = payloads(count)
    subjects: list[tuple[str, Callable[[], object]]] = [
        ("original running-sum", OriginalRunningTracker),
        ("original keep-all", OriginalSamplesTracker),
        ("engine running", lambda: ActionTracker("running")),
        ("engine samples", lambda: ActionTracker("samples")),
    ]
    rates = {(name, n): adds_per_second(make, data, n) for name, make in subjects for n in (1, 4)}
    base1 = rates[("original running-sum", 1)]
    base4 = rates[("original running-sum", 4)]
    print(f"\nadd_action throughput ({count:,} payloads per thread, best of 3)")
    print(
        f"{'subject':<22}{'1 thread':>12}{'4 threads':>12}{'4t/1t':>8}{'1t/base':>9}"
        f"{'4t/base4':>10}"
    )
    for name, _ in subjects:
        one, four = rates[(name, 1)], rates[(name, 4)]
        print(
            f"{name:<22}{one:>12,.0f}{four:>12,.0f}{four / one:>8.2f}"
            f"{one / base1:>9.2f}{four / base4:>10.2f}"
        )


def _load(strategy: Strategy, path: str | Path) -> None:
    ActionTracker(strategy).load(path)


def timed(call: Callable[[], object], repeat: int = 50) -> float:
    """Median seconds of ``call``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def get_stats_table(small: int, factor: int) -> None:
    print(f"\nget_stats() cost, 100 actions, {small:,} vs {small * factor:,} samples each")
    print(f"{'subject':<22}{'small ms':>10}{'large ms':>10}{'ratio':>8}")
    names = [f"action-{i}" for i in range(100)]
    for strategy in STRATEGIES:
        cost = []
        for per_action in (small, small * factor):
            tracker = ActionTracker(strategy)
            load_direct(tracker, names, per_action)
            tracker.get_stats()
            cost.append(timed(tracker.get_stats))
        print(
            f"{'engine ' + strategy:<22}{cost[0] * 1e3:>10.3f}{cost[1] * 1e3:>10.3f}"
            f"{cost[1] / cost[0]:>8.2f}"
        )
    for per_action in (small, small * factor):
        original = OriginalSamplesTracker()
        for name in names:
            original._times[name] = [100.5] * per_action
        if per_action == small:
            base = timed(original.get_stats, 5)
        else:
            print(
                f"{'original keep-all':<22}{base * 1e3:>10.3f}"
                f"{timed(original.get_stats, 3) * 1e3:>10.3f}"
                f"{timed(original.get_stats, 3) / base:>8.2f}"
            )


def load_direct(tracker: ActionTracker, names: Sequence[str], per_action: int) -> None:
    """Fill through ``add``, the checked entry that needs no JSON (parsing is not what is
    measured here)."""
    rng = random.Random(2)
    add = tracker.add
    for name in names:
        for _ in range(per_action):
            add(name, rng.uniform(50, 150))


def load_table(lines: int) -> None:
    data = payloads(lines, seed=3)
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False) as file:
        file.write("\n".join(data) + "\n")
        path = file.name
    try:

        def original() -> None:
            tracker = OriginalRunningTracker()
            with open(path) as stream:
                for line in stream:
                    tracker.add_action(line)

        base = timed(original, 3)
        print(f"\nloading a newline-delimited file of {lines:,} records")
        print(f"{'subject':<34}{'seconds':>9}{'records/s':>12}{'speedup':>9}")
        print(f"{'original add_action per line':<34}{base:>9.2f}{lines / base:>12,.0f}{1:>9.2f}")
        for strategy in STRATEGIES:
            took = timed(partial(_load, strategy, path), 3)
            print(
                f"{'engine load(), ' + strategy:<34}{took:>9.2f}{lines / took:>12,.0f}"
                f"{base / took:>9.2f}"
            )
    finally:
        os.unlink(path)


def load_generator_table(repeat: int) -> None:
    """How long the benchmark's load generator takes to start its producers, and to stop
    them: from start() until every producer runs, and from stop() until join() returns
    (tests only check that both happen). Also until a failing producer has stopped the
    others and join() has raised."""
    print(f"\nload generator, median of {repeat} (ms)")
    print(f"{'producers':>10}{'start':>10}{'stop+join':>11}{'failure':>10}")
    for producers in (4, 64):
        starts, stops, failures = [], [], []
        for _ in range(repeat):
            generator = LoadGenerator(ActionTracker(), LoadSpec(producers=producers))
            began = time.perf_counter()
            generator.start()
            starts.append(time.perf_counter() - began)
            began = time.perf_counter()
            generator.stop()
            generator.join(timeout=60)
            stops.append(time.perf_counter() - began)
            generator = LoadGenerator(_FailingTracker(), LoadSpec(producers=producers))
            began = time.perf_counter()
            generator.start()
            try:
                generator.join(timeout=60)
            except LoadError:
                failures.append(time.perf_counter() - began)
        print(
            f"{producers:>10}{statistics.median(starts) * 1e3:>10.1f}"
            f"{statistics.median(stops) * 1e3:>11.1f}"
            f"{statistics.median(failures) * 1e3 if failures else math.nan:>10.1f}"
        )


class _FailingTracker(ActionTracker):
    """Raises on the 1000th add, as an engine bug would."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def add_action(self, payload: str | bytes) -> None:
        self.calls += 1
        if self.calls == 1000:
            raise RuntimeError("failing on purpose")
        super().add_action(payload)


def memory_table() -> None:
    print("\nmemory held per strategy (sketch bins or sample arrays)")
    print(f"{'samples added':>14}{'running bytes':>15}{'samples bytes':>15}{'bytes/sample':>14}")
    for count in (10_000, 100_000, 1_000_000):
        held = []
        for strategy in STRATEGIES:
            tracker = ActionTracker(strategy)
            load_direct(tracker, ["jump"], count)
            held.append(tracker.memory_bytes())
        print(f"{count:>14,}{held[0]:>15,}{held[1]:>15,}{held[1] / count:>14.2f}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, noisier")
    args = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    throughput_table(50_000 if args.quick else 200_000)
    get_stats_table(100 if args.quick else 1_000, 100)
    load_table(100_000 if args.quick else 1_000_000)
    load_generator_table(3 if args.quick else 10)
    memory_table()


if __name__ == "__main__":
    main()
