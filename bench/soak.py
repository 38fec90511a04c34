"""Soak test: producers, readers, resets and saves together, checking invariants throughout.

Run: ``uv run python -m bench.soak --seconds 600``. Exits 1 on the first broken invariant.
Two trackers run side by side: ``steady`` is never reset, so every add can be accounted
for; ``churn`` is reset and saved continually, to shake out races with those.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

from core import STRATEGIES, ActionTracker, Snapshot
from core.strategy import Strategy, check_strategy

NAMES = tuple(f"action-{i}" for i in range(12))


class Soak:
    def __init__(self, seconds: float, producers: int, strategy: Strategy, folder: Path) -> None:
        self.seconds = seconds
        self.producers = producers
        self.folder = folder
        self.steady = ActionTracker(strategy)
        self.churn = ActionTracker(strategy)
        self.stop = threading.Event()
        self.added = [0] * producers  # steady adds completed, per producer
        self.failures: list[str] = []
        self.checks = {"snapshots": 0, "saves": 0, "resets": 0}

    def fail(self, message: str) -> None:
        self.failures.append(message)
        self.stop.set()

    def produce(self, index: int) -> None:
        rng = random.Random(index)
        payloads = [
            orjson.dumps(
                {
                    "action": rng.choice(NAMES),
                    "time": rng.choice((rng.randint(0, 10**6), rng.expovariate(0.01))),
                }
            )
            for _ in range(2048)
        ]
        position = 0
        while not self.stop.is_set():
            for _ in range(128):
                payload = payloads[position]
                position = (position + 1) % len(payloads)
                self.steady.add_action(payload)
                self.churn.add_action(payload)
            self.added[index] += 128

    def read(self) -> None:
        last_version = -1
        while not self.stop.is_set():
            before = sum(self.added)
            snapshot = self.steady.snapshot()
            after = sum(self.added) + 128 * self.producers  # adds in flight
            self.checks["snapshots"] += 1
            if snapshot.version < last_version:
                self.fail(f"version went back: {last_version} -> {snapshot.version}")
            last_version = snapshot.version
            if not before <= snapshot.total_count <= after:
                self.fail(f"count {snapshot.total_count} outside [{before}, {after}]")
            check_figures(snapshot, self.fail)
            check_figures(self.churn.snapshot(), self.fail)
            self.churn.get_stats()

    def reset_and_save(self) -> None:
        path = self.folder / "churn.atsession"
        last_version = -1
        while not self.stop.wait(0.05):
            self.churn.reset()
            self.checks["resets"] += 1
            self.churn.save(path)
            reopened = ActionTracker.open(path)
            self.checks["saves"] += 1
            if reopened.version < last_version:
                self.fail(f"saved versions went back: {last_version} -> {reopened.version}")
            last_version = reopened.version
            check_figures(reopened.snapshot(), self.fail)
            self.steady.save(self.folder / "steady.atsession")
            steady = ActionTracker.open(self.folder / "steady.atsession").snapshot()
            if steady.total_count > sum(self.added) + 128 * self.producers:
                self.fail("a saved session holds more adds than were made")

    def run(self) -> int:
        threads = [threading.Thread(target=self.produce, args=(i,)) for i in range(self.producers)]
        threads += [
            threading.Thread(target=self.read),
            threading.Thread(target=self.reset_and_save),
        ]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        self.stop.wait(self.seconds)
        self.stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        total = sum(self.added)
        final = self.steady.snapshot().total_count
        if final != total:
            self.fail(f"lost updates: {total} adds made, {final} counted")
        print(f"soak: {elapsed:.0f} s, {self.producers} producers, strategy {self.steady.strategy}")
        print(
            f"  adds: {total:,} into each of two trackers ({2 * total / elapsed:,.0f} adds/s "
            f"sustained), all {final:,} accounted for"
        )
        print(
            f"  checks: {self.checks['snapshots']:,} snapshots, {self.checks['resets']:,} "
            f"resets, {self.checks['saves']:,} saves reopened"
        )
        for failure in self.failures[:20]:
            print(f"  FAILED: {failure}")
        print("soak: PASSED" if not self.failures else "soak: FAILED")
        return 1 if self.failures else 0


def check_figures(snapshot: Snapshot, fail: object) -> None:
    """Per-action figures that must hold in any snapshot."""
    for stats in snapshot.actions:
        numbers = (stats.mean, stats.min, stats.max, stats.stdev, stats.p50, stats.p90, stats.p99)
        if stats.count < 1 or not all(math.isfinite(value) for value in numbers):
            fail(f"bad figures for {stats.action}: {stats}")  # type: ignore[operator]
        if not stats.min <= stats.mean <= stats.max:
            fail(f"mean outside [min, max] for {stats.action}: {stats}")  # type: ignore[operator]
        if not all(stats.min <= p <= stats.max for p in (stats.p50, stats.p90, stats.p99)):
            fail(f"percentile outside [min, max] for {stats.action}")  # type: ignore[operator]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--strategy", choices=STRATEGIES, default="running")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        status = Soak(
            args.seconds, args.producers, check_strategy(args.strategy), Path(folder)
        ).run()
    print(f"(pid {os.getpid()})", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
