"""The benchmark's own load: what making fresh payloads costs beside adding them, and
the add rates a run reports with that cost left out.

Run: ``uv run python -m bench.load`` (``--quick`` for shorter runs). Rounds interleave the
subjects, so a machine that gets busier part-way slows them alike; compare within a round.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence

from core import ActionTracker
from core.loadgen import DEFAULT_ACTIONS, PAYLOAD_BLOCK, LoadGenerator, LoadSpec, PayloadStream


def making_us(blocks: int) -> float:
    """Microseconds of CPU to make one payload, over ``blocks`` blocks."""
    stream = PayloadStream(DEFAULT_ACTIONS, 1)
    started = time.thread_time()
    for _ in range(blocks):
        stream.block()
    return (time.thread_time() - started) / (blocks * PAYLOAD_BLOCK) * 1e6


def adding_us(blocks: int) -> float:
    """Microseconds of CPU for one ``add_action`` of a fresh payload, on one thread."""
    stream = PayloadStream(DEFAULT_ACTIONS, 2)
    ready = [stream.block() for _ in range(blocks)]
    tracker = ActionTracker()
    add = tracker.add_action
    started = time.thread_time()
    for block in ready:
        for payload in block:
            add(payload)
    return (time.thread_time() - started) / (blocks * PAYLOAD_BLOCK) * 1e6


def run(producers: int, seconds: float, seed: int) -> list[str]:
    """One benchmark run as the window makes it: its rates and the run action's figures."""
    tracker = ActionTracker()
    spec = LoadSpec(producers=producers, duration=seconds, seed=seed)
    generator = LoadGenerator(tracker, spec)
    generator.start()
    result = generator.join(timeout=seconds + 60)
    figures = tracker.snapshot().get("run")
    assert figures is not None
    wall_rate = result.added / result.seconds
    return [
        f"{producers} producers (seed {seed})",
        f"{result.added:,}",
        f"{wall_rate:,.0f}",
        f"{result.rate:,.0f}",
        f"{result.payload_us:.3f}",
        f"{result.payload_seconds / result.seconds:.1%}",
        f"{figures.min:.2f} / {figures.max:.2f} / {figures.p99:.2f}",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs, noisier")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    seconds = 1.0 if args.quick else 3.0
    blocks = 20 if args.quick else 100
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load:.1f} at start")

    print(f"\none thread, CPU µs per payload, {args.rounds} interleaved rounds")
    making, adding = [], []
    for _ in range(args.rounds):
        making.append(making_us(blocks))
        adding.append(adding_us(blocks))
    best_making, best_adding = min(making), min(adding)
    print(f"{'subject':<34}{'fastest':>9}{'median':>9}")
    print(f"{'make a fresh payload':<34}{best_making:>9.3f}{statistics.median(making):>9.3f}")
    print(f"{'add_action(payload)':<34}{best_adding:>9.3f}{statistics.median(adding):>9.3f}")
    print(f"making / adding (fastest rounds): {best_making / best_adding:.2f}")

    print(f"\nbenchmark runs of {seconds:g} s, {args.rounds} interleaved rounds")
    header = [
        "run",
        "adds",
        "adds/s (wall)",
        "adds/s (reported)",
        "make µs",
        "making",
        "run: min / max / p99",
    ]
    widths = [24, 12, 15, 19, 9, 8, 26]
    print("".join(f"{text:>{width}}" for text, width in zip(header, widths, strict=True)))
    for round_number in range(args.rounds):
        for producers in (1, 4):
            cells = run(producers, seconds, seed=round_number)
            print("".join(f"{text:>{width}}" for text, width in zip(cells, widths, strict=True)))


if __name__ == "__main__":
    main()
