"""Windows of time: what the per-second ring costs the hot path, a windowed snapshot and
memory. Prints ratio tables.

Run: ``uv run python -m bench.windows`` (``--quick`` for a smaller, noisier run;
``--skip-hot-path``, or ``--add-action-only`` for issue 14's targets alone; ``--paired``
for them in one process, with ``--against REV`` to put an older engine in the same
slices).

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
import importlib
import io
import json
import os
import random
import re
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


Case = tuple[str, int, str]
"""An entry (``add_action``, ``add`` or ``load``), a number of producer threads and a
kind of times."""
ALL_CASES: tuple[Case, ...] = (
    *(("add_action", threads, kind) for kind in TIMES for threads in (1, 4)),
    ("add", 1, "floats"),
    ("load", 1, "floats"),
)


def hot_path_table(
    before: str | None, rounds: int, count: int, cases: Sequence[Case] = ALL_CASES
) -> None:
    """Rates of each entry, and of ``add_action`` with one and four producer threads on
    each kind of times (issue 14: one thread at least 3x the original design, four
    threads at least 0.8 of one thread's rate). ``before`` None leaves the older engine
    out.

    Every measurement runs in a fresh process; within a round the subjects of a case run
    back to back, first one rotating, so a ratio taken within one round compares runs
    that met the same machine. Ratios are shown as the median of those per-round ratios
    with their smallest and largest: on a shared machine one run's rate swings by more
    than the effects measured, and the spread says how far to trust a figure."""
    with tempfile.TemporaryDirectory() as folder:
        subjects = [("original", REPOSITORY)]
        if before is not None:
            subjects.append((f"engine {before}", extract_core(before, Path(folder))))
        subjects.append(("engine now", REPOSITORY))
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
    names = [name for name, _ in subjects]
    print(
        f"\nhot path: calls per CPU second, {count:,} calls per thread, {rounds} interleaved"
        " rounds; rates median (min-max), ratios median of the rounds' ratios (min-max)"
    )
    for entry, threads, kind in cases:
        print(f"{entry} {kind}, {threads} thread{'s' if threads > 1 else ''}:")
        for name in names:
            runs = rates.get((name, entry, threads, kind))
            if runs:
                print(f"  {name:<22}{_spread(runs, ',.0f')}")
        now = rates[("engine now", entry, threads, kind)]
        for name in names[:-1]:
            runs = rates.get((name, entry, threads, kind))
            if runs:
                print(f"  now / {name:<16}{_spread(_ratios(now, runs), '.2f')}")
    for kind in TIMES:
        if ("add_action", 1, kind) not in cases or ("add_action", 4, kind) not in cases:
            continue
        for name in names:
            scaling = _ratios(
                rates[(name, "add_action", 4, kind)], rates[(name, "add_action", 1, kind)]
            )
            print(f"add_action 4 threads / 1 thread, {kind}, {name}: {_spread(scaling, '.2f')}")
    # Sleeps per fold's worth of calls show how often a producer lost the GIL and waited.
    print(f"voluntary switches per {FOLD_CALLS:,} calls, add_action with 4 threads (median)")
    for kind in TIMES:
        if ("add_action", 4, kind) not in cases:
            continue
        sleeps = {
            name: statistics.median(switches[(name, "add_action", 4, kind)])
            * FOLD_CALLS
            / (4 * count)
            for name in names
        }
        print(f"  {kind}: " + ", ".join(f"{n} {s:.1f}" for n, s in sleeps.items()))


def paired_table(
    slices: int,
    calls: int,
    kinds: Sequence[str] = tuple(TIMES),
    against: str | None = None,
) -> None:
    """Issue 14's ``add_action`` targets measured in one process, subjects alternating in
    short slices of CPU time: the original design, the engine with one producer thread
    and the engine with four (each thread making ``calls`` calls a slice); with
    ``against``, a git revision, also that revision's engine with one thread. Each
    slice's ratios compare runs a fraction of a second apart, so the machine's drift,
    which swings one process's rate against the next by more than the effects measured,
    mostly cancels; the table shows the median of the slices' ratios and their range.
    The trackers live on from slice to slice, so folds and new seconds come as in a long
    run.
    """
    from bench.baseline import OriginalRunningTracker
    from core import ActionTracker

    print(
        f"\nadd_action, paired slices in one process: {slices} slices of {calls:,} calls a"
        " thread; calls per CPU second median (min-max), ratios median of the slices' (min-max)"
    )
    with tempfile.TemporaryDirectory() as folder:
        older = None if against is None else engine_at(against, Path(folder))
        for kind in kinds:
            data = payloads(calls, kind=kind)

            def rate(tracker: Any, threads: int, data: list[str] = data) -> float:
                barrier = threading.Barrier(threads + 1)

                def run() -> None:
                    barrier.wait()
                    add_action = tracker.add_action
                    for payload in data:
                        add_action(payload)

                workers = [threading.Thread(target=run) for _ in range(threads)]
                for worker in workers:
                    worker.start()
                barrier.wait()
                began = time.process_time()
                for worker in workers:
                    worker.join()
                return threads * calls / (time.process_time() - began)

            subjects: list[tuple[str, Any, int]] = [
                ("original", OriginalRunningTracker(), 1),
                ("1 thread", ActionTracker(), 1),
                ("4 threads", ActionTracker(), 4),
            ]
            if older is not None:
                subjects.append((f"engine {against}", older(), 1))
            runs: dict[str, list[float]] = {name: [] for name, _, _ in subjects}
            for number in range(slices):
                turn = number % len(subjects)  # who goes first rotates
                for name, tracker, threads in subjects[turn:] + subjects[:turn]:
                    runs[name].append(rate(tracker, threads))
            print(f"{kind}: " + ", ".join(f"{name} {_spread(runs[name], ',.0f')}" for name in runs))
            one, original = runs["1 thread"], runs["original"]
            line = (
                f"  1 thread / original {_spread(_ratios(one, original), '.2f')}"
                f"; 4 threads / 1 thread {_spread(_ratios(runs['4 threads'], one), '.2f')}"
            )
            if older is not None:
                before = runs[f"engine {against}"]
                line += (
                    f"; {against} / original {_spread(_ratios(before, original), '.2f')}"
                    f"; 1 thread / {against} {_spread(_ratios(one, before), '.3f')}"
                )
            print(line)


def engine_at(revision: str, into: Path) -> Callable[[], Any]:
    """``ActionTracker`` as it was at ``revision``, importable beside today's: ``core/``
    extracted into ``into`` as the package ``core_at_revision``, every import of ``core``
    in it (statements, and the module names ``core/__init__`` imports lazily) renamed."""
    package = into / "core_at_revision"
    extract_core(revision, into).joinpath("core").rename(package)
    for module in package.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        text = re.sub(r"\b(from|import) core\b", r"\1 core_at_revision", text)
        text = re.sub(r"([\"'])core\.", r"\1core_at_revision.", text)
        module.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(into))
    try:
        tracker: Callable[[], Any] = importlib.import_module("core_at_revision").ActionTracker
    finally:
        sys.path.remove(str(into))
    return tracker


def _ratios(tops: Sequence[float], bottoms: Sequence[float]) -> list[float]:
    """Round by round ratios of two subjects' rates."""
    return [top / bottom for top, bottom in zip(tops, bottoms, strict=True)]


def _spread(values: Sequence[float], form: str) -> str:
    """``median (min-max)`` of ``values``."""
    middle, low, high = statistics.median(values), min(values), max(values)
    return f"{middle:{form}} ({low:{form}}-{high:{form}})"


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
    parser.add_argument(
        "--paired",
        action="store_true",
        help="issue 14's add_action targets in one process, alternating slices; then stop",
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="with --paired: also the engine at git revision REV, one thread, in the same slices",
    )
    parser.add_argument(
        "--add-action-only", action="store_true", help="hot path: add_action against the original"
    )
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.1f}")
    if args.paired:
        paired_table(args.rounds or (15 if args.quick else 41), 20_480, against=args.against)
        return
    if not args.skip_hot_path:
        rounds = args.rounds or (2 if args.quick else 5)
        count = 50_000 if args.quick else 200_000
        if args.add_action_only:
            only = [case for case in ALL_CASES if case[0] == "add_action"]
            hot_path_table(None, rounds, count, only)
        else:
            hot_path_table(args.before, rounds, count)
    windowed_snapshot_table(10 if args.quick else 30)
    ring_memory_table()


if __name__ == "__main__":
    main()
