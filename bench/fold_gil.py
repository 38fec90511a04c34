"""Does folding a batch hand the GIL to other threads midway? One run; prints a table.

Run: ``uv run python -m bench.fold_gil``.

Four producers into one tracker each fold their own batches of FLUSH_AT times with numpy.
numpy lets the GIL go inside many of its loops; if a fold did, every such call would give
the GIL to a waiting producer, and the folding thread would wait up to the switch interval
(5 ms) to take it back, once per call. Here one thread folds batches while another runs
Python that never lets the GIL go on its own; a counter the other thread bumps shows
whether it ran during a fold, and each fold's wall time is compared with folds alone.
Forced switches (every 5 ms) interrupt a fold now and then whatever it calls, so the
count is taken again with the switch interval at HANDED_INTERVAL: what interrupts a fold
then is mostly a call that let the GIL go and lost it (the forced switches expected are
printed beside it). Each such loss keeps the fold waiting for up to the interval, so the
interval is long against a fold but short enough for the run to end in seconds.
"""

from __future__ import annotations

import random
import statistics
import sys
import threading
import time
from collections.abc import Sequence

import numpy as np

from core.exactsum import Number
from core.ring import SecondRing
from core.strategy import NEW_DISTRIBUTION, RING_BUCKETS, STRATEGIES, Strategy
from core.stripes import FLUSH_AT, Tally

FOLDS = 2_000
HANDED_INTERVAL = 0.05
"""Switch interval (s) of the run that counts folds losing the GIL inside a call."""


def batches(kind: str, count: int) -> list[list[Number]]:
    rng = random.Random(3)
    if kind == "integers 0-1000":
        return [[rng.randrange(0, 1001) for _ in range(FLUSH_AT)] for _ in range(count)]
    return [[rng.uniform(10.0, 10.5) for _ in range(FLUSH_AT)] for _ in range(count)]


def fold_times(
    strategy: Strategy, work: Sequence[list[Number]], beside: bool
) -> tuple[list[float], int]:
    """Wall time of each fold, and how many folds the other thread ran during (when
    ``beside``, a thread spinning in Python runs meanwhile)."""
    tally = Tally(NEW_DISTRIBUTION[strategy](), SecondRing(RING_BUCKETS[strategy]))
    stop = threading.Event()
    counter = [0]

    def spin() -> None:
        while not stop.is_set():
            counter[0] += 1

    spinner = threading.Thread(target=spin)
    if beside:
        spinner.start()
        time.sleep(0.05)
    durations: list[float] = []
    interrupted = 0
    try:
        for values in work:
            before = counter[0]
            start = time.perf_counter()
            tally.fold(values, second=0)
            durations.append(time.perf_counter() - start)
            # Read before any other bytecode of this thread's can let the GIL go.
            interrupted += counter[0] != before
    finally:
        stop.set()
        if beside:
            spinner.join(timeout=10)
    return durations, interrupted


def main() -> None:
    print(
        f"Python {sys.version.split()[0]}, numpy {np.__version__}, switch interval"
        f" {sys.getswitchinterval() * 1e3:g} ms, {FOLDS:,} folds of {FLUSH_AT:,} times each"
    )
    print(
        f"{'strategy, times':<32}{'alone µs':>10}{'beside µs':>11}{'interrupted':>14}"
        f"{f'at {HANDED_INTERVAL * 1e3:g} ms switch':>20}{'forced, expected':>18}"
    )
    for strategy in STRATEGIES:
        for kind in ("integers 0-1000", "floats 10-10.5"):
            work = batches(kind, FOLDS)
            alone, _ = fold_times(strategy, work, beside=False)
            busy, interrupted = fold_times(strategy, work, beside=True)
            # With forced switches rare, mostly a call that lets the GIL go (and loses it
            # to the spinner) can interrupt a fold.
            interval = sys.getswitchinterval()
            sys.setswitchinterval(HANDED_INTERVAL)
            try:
                _, handed = fold_times(strategy, work, beside=True)
            finally:
                sys.setswitchinterval(interval)
            # A forced switch lands in a fold as often as folds fill the interval.
            expected = sum(alone) / HANDED_INTERVAL
            print(
                f"{strategy + ', ' + kind:<32}{statistics.median(alone) * 1e6:>10.1f}"
                f"{statistics.median(busy) * 1e6:>11.1f}"
                f"{interrupted:>8,} of {len(busy):,}{handed:>14,} of {len(busy):,}"
                f"{expected:>18.1f}"
            )


if __name__ == "__main__":
    main()
