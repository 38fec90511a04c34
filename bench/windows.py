"""Windows of time: what the per-second ring costs the hot path, a windowed snapshot and
memory. Prints ratio tables.

Run: ``uv run python -m bench.windows`` (``--quick`` for a smaller, noisier run).

1. The hot path, interleaved: each round runs every subject in a fresh process, in turn,
   so that the machine's drift hits all alike: the original design (bench/baseline.py),
   the engine as it was before the ring (``--before REV``, a git revision, extracted
   with ``git archive``; default the commit before windows came) and the engine now.
2. A windowed snapshot of 200 actions over 60 s of history, each second holding times.
3. The ring's bytes per action for a 5-minute window at several rates.
Tables 2 and 3 drive the tracker's clock by hand, so five minutes take no five minutes.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
BEFORE = "2a8228d"
"""The last commit before the per-second ring."""
ACTIONS = ("jump", "run", "walk", "swim", "climb")
FOLD_CALLS = 4096
"""Calls per switch count in the hot path table: one fold's worth (``FLUSH_AT``)."""


# --- 1. the hot path ---------------------------------------------------------------


TIMES: dict[str, Callable[[random.Random], float]] = {
    "floats": lambda rng: round(rng.gauss(100, 15), 3),
    "ints 0-1000": lambda rng: rng.randrange(0, 1001),
    "narrow floats": lambda rng: rng.uniform(10.0, 10.5),
}
"""Kinds of times: the usual payloads' floats 100 ± 15, and the two of issue 14's
four-producer target (wide-ranged integers, whose folds span ten powers of two, and
floats within one)."""


def payloads(count: int, seed: int = 1, kind: str = "floats") -> list[str]:
    rng = random.Random(seed)
    time_of = TIMES[kind]
    return [json.dumps({"action": rng.choice(ACTIONS), "time": time_of(rng)}) for _ in range(count)]


def measure(
    subject: str, entry: str, threads: int, count: int, kind: str = "floats"
) -> tuple[float, int]:
    """Calls (or records) per second of CPU time for one subject and entry, run in this
    process, and the voluntary context switches meanwhile (a thread waiting for the GIL,
    or one that let it go inside numpy and must wait to take it back, sleeps: a switch);
    the ``core`` imported is whichever comes first on ``sys.path``. CPU time,
    not wall time: on a machine shared with other jobs, wall time swings by 2x from one
    run to the next, while the CPU time a call takes does not."""
    data = payloads(count, kind=kind)
    if subject == "original":
        from bench.baseline import OriginalRunningTracker

        tracker: Any = OriginalRunningTracker()
    else:
        from core import ActionTracker

        tracker = ActionTracker()
    pairs = [(json.loads(p)["action"], json.loads(p)["time"]) for p in data]
    text = ("\n".join(data) + "\n").encode()

    def work() -> None:
        if entry == "add_action":
            add_action = tracker.add_action
            for payload in data:
                add_action(payload)
        elif entry == "add":
            add = tracker.add
            for name, value in pairs:
                add(name, value)
        else:  # the loader's batch entry, through a file in memory
            tracker.load(io.BytesIO(text))

    barrier = threading.Barrier(threads + 1)

    def run() -> None:
        barrier.wait()
        work()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    began, usage = time.process_time(), resource.getrusage(resource.RUSAGE_SELF)
    for worker in workers:
        worker.join()
    rate = threads * count / (time.process_time() - began)
    return rate, resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw - usage.ru_nvcsw


def child(
    core_folder: str, subject: str, entry: str, threads: int, count: int, *, kind: str = "floats"
) -> None:
    """The body of one measuring process: prints its rate and voluntary switches."""
    sys.path.insert(0, core_folder)
    rate, switches = measure(subject, entry, threads, count, kind)
    print(rate, switches)


def run_child(
    core_folder: Path, subject: str, entry: str, threads: int, count: int, *, kind: str = "floats"
) -> tuple[float, int]:
    """Rate and voluntary context switches of one measuring process (see ``measure``)."""
    code = (
        f"import sys; sys.path.insert(0, {str(REPOSITORY)!r}); "
        f"from bench.windows import child; "
        f"child({str(core_folder)!r}, {subject!r}, {entry!r}, {threads}, {count}, kind={kind!r})"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
    )
    rate, switches = done.stdout.strip().splitlines()[-1].split()
    return float(rate), int(switches)


def extract_core(revision: str, into: Path) -> Path:
    """``core/`` as it was at ``revision``, in a folder of its own."""
    archive = subprocess.run(
        ["git", "archive", revision, "core"], cwd=REPOSITORY, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def hot_path_table(before: str, rounds: int, count: int) -> None:
    """Rates of each entry, and of ``add_action`` with one and four producer threads on
    each kind of times (issue 14: four threads at least 0.8 of one thread's rate)."""
    cases = [
        *(("add_action", threads, kind) for kind in TIMES for threads in (1, 4)),
        ("add", 1, "floats"),
        ("load", 1, "floats"),
    ]
    with tempfile.TemporaryDirectory() as folder:
        old = extract_core(before, Path(folder))
        subjects = [("original", REPOSITORY), (f"engine {before}", old), ("engine now", REPOSITORY)]
        rates: dict[tuple[str, str, int, str], list[float]] = {}
        switches: dict[tuple[str, str, int, str], list[int]] = {}
        for round_number in range(rounds):
            for entry, threads, kind in cases:
                turn = round_number % len(subjects)  # who goes first rotates
                for name, where in subjects[turn:] + subjects[:turn]:
                    if name == "original" and entry != "add_action":
                        continue
                    subject = "original" if name == "original" else "engine"
                    rate, slept = run_child(where, subject, entry, threads, count, kind=kind)
                    rates.setdefault((name, entry, threads, kind), []).append(rate)
                    switches.setdefault((name, entry, threads, kind), []).append(slept)
    print(
        f"\nhot path: calls per CPU second, {count:,} calls per thread, "
        f"{rounds} interleaved rounds (best)"
    )
    print(
        f"{'entry':<12}{'times':<15}{'threads':>8}{'original':>12}{'before':>12}{'now':>12}"
        f"{'now/before':>12}{'now/orig':>10}"
    )
    for entry, threads, kind in cases:
        best = {name: max(rates.get((name, entry, threads, kind), [0.0])) for name, _ in subjects}
        original, old_rate, new_rate = (best[name] for name, _ in subjects)
        print(
            f"{entry:<12}{kind:<15}{threads:>8}"
            f"{original:>12,.0f}{old_rate:>12,.0f}{new_rate:>12,.0f}{new_rate / old_rate:>12.2f}"
            + (f"{new_rate / original:>10.2f}" if original else f"{'':>10}")
        )
    for kind in TIMES:
        scaling = {
            name: max(rates[(name, "add_action", 4, kind)])
            / max(rates[(name, "add_action", 1, kind)])
            for name, _ in subjects
        }
        print(
            f"add_action 4 threads / 1 thread, {kind}: "
            + ", ".join(f"{n} {r:.2f}" for n, r in scaling.items())
        )
    # Sleeps per fold's worth of calls show how often a producer lost the GIL and waited.
    print(f"voluntary switches per {FOLD_CALLS:,} calls, add_action with 4 threads (median)")
    for kind in TIMES:
        sleeps = {
            name: statistics.median(switches[(name, "add_action", 4, kind)])
            * FOLD_CALLS
            / (4 * count)
            for name, _ in subjects
        }
        print(f"  {kind}: " + ", ".join(f"{n} {s:.1f}" for n, s in sleeps.items()))


# --- 2 and 3: the window's own costs -------------------------------------------------


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def windowed_snapshot_table(repeat: int) -> None:
    from core import STRATEGIES, ActionTracker

    print(
        f"\nsnapshot of 200 actions, 20 times a second each for 60 s, median of {repeat} (CPU ms)"
    )
    print(f"{'strategy':<10}{'all time':>10}{'window 10':>11}{'window 60':>11}{'window 300':>12}")
    rng = random.Random(5)
    for strategy in STRATEGIES:
        clock = ManualClock()
        tracker = ActionTracker(strategy, clock=clock)
        names = [f"action-{i}" for i in range(200)]
        for _ in range(60):
            for name in names:
                for _ in range(20):
                    tracker.add(name, rng.uniform(50, 150))
            clock.now += 1
        clock.now -= 1
        costs = []
        for window in (None, 10, 60, 300):
            times = []
            for index in range(repeat):
                tracker.add(names[index % 200], 100.0)  # a change: no cached snapshot
                began = time.process_time()  # CPU time: the machine may be shared
                tracker.snapshot(window)
                times.append(time.process_time() - began)
            costs.append(statistics.median(times) * 1e3)
        print(
            f"{strategy:<10}"
            + "".join(f"{c:>{w}.2f}" for c, w in zip(costs, (10, 11, 11, 12), strict=True))
        )


def ring_memory_table() -> None:
    from core import ActionTracker

    print("\nring bytes per action for a 5-minute window (running; normal times 100 ± 15)")
    print(f"{'times/s':>10}{'ring bytes':>12}{'KiB':>8}{'bytes/s':>10}")
    for rate in (10, 100, 1_000, 10_000, 100_000):
        clock = ManualClock()
        tracker = ActionTracker(clock=clock)
        rng = random.Random(9)
        per_second = [max(rng.gauss(100, 15), 0.0) for _ in range(min(rate, 10_000))]
        for _ in range(300):
            if rate <= 10_000:
                for value in per_second:
                    tracker.add("a", value)
            else:  # the loader's batch entry, 100,000 a second without a minute a second
                tracker.add_actions(
                    json.dumps({"action": "a", "time": v}) for v in per_second * (rate // 10_000)
                )
            clock.now += 1
        (action,) = tracker.capture().actions
        held = action.ring.nbytes if action.ring is not None else 0
        print(f"{rate:>10,}{held:>12,}{held / 1024:>8.1f}{held / 300:>10.0f}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, noisier")
    parser.add_argument("--before", default=BEFORE, help="revision of the engine to compare")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--skip-hot-path", action="store_true")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.1f}")
    if not args.skip_hot_path:
        rounds = args.rounds or (2 if args.quick else 5)
        hot_path_table(args.before, rounds, 50_000 if args.quick else 200_000)
    windowed_snapshot_table(10 if args.quick else 30)
    ring_memory_table()


if __name__ == "__main__":
    main()
