"""Loading files against DuckDB, the reference data tool, in one run; prints ratios.

Run: ``uv run python -m bench.loading`` (``--records N`` to change the size, ``--gigabyte``
to add a 1 GB file with each subject's peak memory, which takes minutes). DuckDB is a
development dependency only: it is the yardstick, never used by the engine.

Newline-delimited files of this size are read by worker processes (``core.loading``);
the "one process" rows load the same files with that switched off, the loader as it was
before, and "workers cold" starts the workers afresh for each of its loads (what the
first large load of a session pays).

Then the 20-action and one-action files are loaded in turn, for their time per record
(issue 14: one action no slower than 20). Last, a 10 ms sleep loop runs on one thread
while another loads a file: its lateness is how long loading holds the GIL at a stretch,
what the window's timer would wait.

Every subject reads the same file in the same round, and rounds interleave the subjects
(every other round in reverse order), so a machine busy with other work slows them
alike; the ratios to DuckDB with 2 threads are what the targets are about. The best
round of each subject is shown, and its CPU time ("CPU s": this process's, DuckDB's
threads included, plus the worker processes'), which other work on the machine moves
far less than the wall clock; "here" and "workers" split the least CPU of its rounds
between this process (merging the pieces) and the workers (reading them). Files go to a
temporary folder that is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

import core.loading
from core import ActionTracker
from core.workerprocs import POOL

ACTIONS = tuple(f"action {number}" for number in range(20))

_DUCKDB_QUERY = (
    "SELECT action, count(*), avg(time) FROM read_json(?, format = ?, "
    "columns = {'action': 'VARCHAR', 'time': 'DOUBLE'}) GROUP BY action"
)
_DUCKDB_DIRTY_QUERY = (
    "SELECT action, count(*), avg(time) FROM read_json(?, format = ?, ignore_errors = true, "
    "columns = {'action': 'VARCHAR', 'time': 'DOUBLE'}) GROUP BY action"
)


def record(rng: random.Random, actions: Sequence[str]) -> bytes:
    """One valid line: half integer times, half floats with three decimals."""
    time_ = rng.randrange(1, 1000) if rng.random() < 0.5 else round(rng.lognormvariate(4, 1), 3)
    return json.dumps({"action": rng.choice(actions), "time": time_}).encode()


BAD_LINES = (
    b'{"action": "jump", "time": -5}',
    b'{"action": "jump", "time": "12"}',
    b'{"action": "jump", "time": true}',
    b'{"action": "", "time": 3}',
    b'{"time": 3}',
    b'{"action": "jump", "time": NaN}',
    b'{"action": "jump", "time": 3',
    b"not json at all",
    b"[1, 2]",
)
"""The kinds of bad line scattered through the dirty file, each with its own reason."""


def write_lines(
    path: Path, records: int, actions: Sequence[str], bad_every: int = 0, seed: int = 1
) -> int:
    """Write ``records`` lines, one in ``bad_every`` of them bad (none when 0), to ``path``;
    returns the number of valid lines."""
    rng = random.Random(seed)
    valid = 0
    with open(path, "wb") as file:
        block: list[bytes] = []
        for number in range(records):
            if bad_every and rng.randrange(bad_every) == 0:
                block.append(rng.choice(BAD_LINES))
            else:
                block.append(record(rng, actions))
                valid += 1
            if len(block) == 10_000 or number == records - 1:
                file.write(b"\n".join(block) + b"\n")
                block = []
    return valid


def write_array(path: Path, source: Path) -> None:
    """The records of the newline-delimited ``source`` as one JSON array."""
    lines = source.read_bytes().splitlines()
    path.write_bytes(b"[" + b",\n".join(lines) + b"]\n")


def duckdb_load(path: Path, threads: int, array: bool = False, dirty: bool = False) -> None:
    connection = duckdb.connect()
    try:
        connection.execute(f"SET threads = {threads}")
        connection.execute("SET enable_progress_bar = false")  # it writes to stdout
        query = _DUCKDB_DIRTY_QUERY if dirty else _DUCKDB_QUERY
        fmt = "array" if array else "newline_delimited"
        connection.execute(query, [str(path), fmt]).fetchall()
    finally:
        connection.close()


def tracker_load(path: Path, strategy: str, workers: str = "warm") -> None:
    """Load ``path``; ``workers`` "warm" (kept from an earlier load), "cold" (started for
    this one) or "none" (read in this process)."""
    if workers == "cold":
        POOL.stop_all()
    saved = core.loading.PARALLEL_MIN_BYTES, core.loading.COLD_PARALLEL_MIN_BYTES
    if workers == "none":
        core.loading.PARALLEL_MIN_BYTES = 1 << 62
    else:  # "warm" starts them too in the first round, kept for the later ones
        core.loading.COLD_PARALLEL_MIN_BYTES = 0
    try:
        ActionTracker(strategy).load(path)  # type: ignore[arg-type]
    finally:
        core.loading.PARALLEL_MIN_BYTES, core.loading.COLD_PARALLEL_MIN_BYTES = saved


def compare(title: str, path: Path, records: int, rounds: int, array: bool = False) -> None:
    """Time each subject on ``path`` over interleaved rounds; print rates and ratios."""
    dirty = "bad" in title
    subjects: list[tuple[str, Callable[[], None]]] = [
        ("DuckDB, 2 threads", lambda: duckdb_load(path, 2, array, dirty)),
        ("DuckDB, 1 thread", lambda: duckdb_load(path, 1, array, dirty)),
        ("load(), running", lambda: tracker_load(path, "running")),
        ("load(), samples", lambda: tracker_load(path, "samples")),
    ]
    if not array:
        subjects += [
            ("running, workers cold", lambda: tracker_load(path, "running", "cold")),
            ("running, one process", lambda: tracker_load(path, "running", "none")),
            ("samples, one process", lambda: tracker_load(path, "samples", "none")),
        ]
    best = {name: float("inf") for name, _ in subjects}
    best_cpu = dict(best)
    # This process's CPU and the workers' of the round with the least CPU in all: which
    # side a change moved (merging here, reading pieces there).
    sides: dict[str, tuple[float, float]] = {}
    # The warm subjects' workers are started before the first round, not in it; and every
    # other round runs the subjects backwards, so that no subject always has the same
    # place (right after DuckDB, or right after the cold workers' load, say).
    tracker_load(path, "running")
    for round_ in range(rounds):
        for name, run in subjects if round_ % 2 == 0 else subjects[::-1]:
            workers_before = workers_cpu()
            cpu = time.process_time()
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
            here, workers = time.process_time() - cpu, cpu_since(workers_before)
            if here + workers < best_cpu[name]:
                best_cpu[name], sides[name] = here + workers, (here, workers)
    reference = best["DuckDB, 2 threads"]
    print(f"\n{title} ({records:,} records, best of {rounds} interleaved rounds)")
    print(
        f"{'subject':<22}{'seconds':>9}{'records/s':>13}{'vs DuckDB 2t':>14}{'CPU s':>8}"
        f"{'here':>7}{'workers':>9}"
    )
    for name, _ in subjects:
        seconds = best[name]
        here, workers = sides[name]
        print(
            f"{name:<22}{seconds:>9.2f}{records / seconds:>13,.0f}{reference / seconds:>14.2f}"
            f"{best_cpu[name]:>8.2f}{here:>7.2f}{workers:>9.2f}"
        )


def one_action_table(twenty: Path, one: Path, records: int, rounds: int) -> None:
    """Issue 14's "one action no slower per record than 20": both files loaded in turn,
    each round in the other order, by ``load()`` with warm workers (running), the best and
    median time per record of each. Separate tables, each file's in its own rounds, put
    too much drift between the two."""
    files = {"20 actions": twenty, "1 action": one}
    seconds: dict[str, list[float]] = {name: [] for name in files}
    tracker_load(twenty, "running")  # the workers, started before the first round
    for round_ in range(rounds):
        for name in files if round_ % 2 == 0 else list(files)[::-1]:
            start = time.perf_counter()
            tracker_load(files[name], "running")
            seconds[name].append(time.perf_counter() - start)
    print(f"\none action against 20, load() running, warm workers ({rounds} rounds in turn)")
    print(f"{'file':<14}{'best ns/record':>16}{'median':>10}")
    for name, times in seconds.items():
        times.sort()
        best, median = times[0] / records * 1e9, times[len(times) // 2] / records * 1e9
        print(f"{name:<14}{best:>16.0f}{median:>10.0f}")
    ratio = min(seconds["1 action"]) / min(seconds["20 actions"])
    print(f"1 action / 20 actions, best: {ratio:.2f} (target: at most 1)")


def workers_cpu() -> dict[int, float]:
    """CPU seconds used so far by each idle worker process of the pool."""
    used = {}
    for pid in POOL.idle_pids():
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:  # ended meanwhile, or no /proc here
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def cpu_since(before: dict[int, float]) -> float:
    """CPU seconds the pool's workers used since ``before`` (all of it for new ones)."""
    return sum(used - before.get(pid, 0.0) for pid, used in workers_cpu().items())


def timer_lateness(
    path: Path, strategy: str, workers: str = "warm", interval: float = 0.010
) -> list[float]:
    """Lateness (seconds) of a 10 ms sleep loop on this thread while another thread loads
    ``path``: how long the load holds the GIL at a stretch, which is what a window's timer
    on the GUI thread would wait."""
    done = threading.Event()

    def work() -> None:
        try:
            tracker_load(path, strategy, workers)
        finally:
            done.set()

    worker = threading.Thread(target=work)
    lateness: list[float] = []
    worker.start()
    while not done.is_set():
        start = time.perf_counter()
        time.sleep(interval)
        lateness.append(time.perf_counter() - start - interval)
    worker.join(timeout=600)
    return lateness


def lateness_table(files: Sequence[tuple[str, Path, str]]) -> None:
    print("\na 10 ms sleep loop on another thread while a file loads (lateness, ms)")
    print(f"{'file':<34}{'ticks':>7}{'p50':>8}{'p99':>8}{'max':>8}")
    for title, path, workers in files:
        late = sorted(timer_lateness(path, "running", workers))
        if not late:
            continue
        p50, p99 = late[len(late) // 2], late[min(len(late) - 1, int(len(late) * 0.99))]
        print(f"{title:<34}{len(late):>7}{p50 * 1e3:>8.2f}{p99 * 1e3:>8.2f}{late[-1] * 1e3:>8.2f}")


def producers_table(path: Path, records: int, rounds: int) -> None:
    """A load in one process beside four producer threads adding as the window's
    benchmark does (``add_action``, the GIL offered every 64 adds), against the same load
    alone: every numpy call of the loader lets the GIL go and must win it back."""
    stop = threading.Event()
    busy = ActionTracker("running")

    def produce() -> None:
        while not stop.is_set():
            for _ in range(64):
                busy.add_action('{"action": "bench", "time": 12.5}')
            time.sleep(0)

    seconds: dict[int, list[float]] = {0: [], 4: []}
    for round_ in range(rounds):
        for producers in (0, 4) if round_ % 2 == 0 else (4, 0):
            threads = [threading.Thread(target=produce) for _ in range(producers)]
            for thread in threads:
                thread.start()
            start = time.perf_counter()
            tracker_load(path, "running", "none")
            seconds[producers].append(time.perf_counter() - start)
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
            stop.clear()
    alone = min(seconds[0])
    print(f"\na load in one process beside 4 producers ({rounds} rounds in turn, best)")
    print(f"{'subject':<24}{'seconds':>9}{'records/s':>13}{'vs alone':>10}")
    for producers, times in seconds.items():
        name = "alone" if not producers else f"beside {producers} producers"
        best = min(times)
        print(f"{name:<24}{best:>9.2f}{records / best:>13,.0f}{alone / best:>10.2f}")


_CHILD = """
import json, os, sys, time
subject, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
workers = 0
workers_cpu = 0.0
if subject == "duckdb":
    from bench.loading import duckdb_load
    duckdb_load(path, 2)
else:  # the engine alone in the process, DuckDB not even imported
    import core.loading
    from core import ActionTracker
    from core.workerprocs import POOL
    strategy, _, alone = subject.partition(" ")
    if alone:
        core.loading.PARALLEL_MIN_BYTES = 1 << 62
    ActionTracker(strategy).load(path)
    for pid in POOL.idle_pids():  # the workers' peaks count too: they are still alive
        with open(f"/proc/{pid}/status") as status:
            workers += next(int(l.split()[1]) for l in status if l.startswith("VmHWM"))
        with open(f"/proc/{pid}/stat") as stat:  # and their CPU, user and system
            fields = stat.read().rpartition(")")[2].split()
        workers_cpu += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
seconds = time.perf_counter() - start
here = time.process_time()  # DuckDB's threads included
# This process's peak since exec (ru_maxrss would include the parent's before exec).
with open("/proc/self/status") as status:
    peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM"))
print(json.dumps({"seconds": seconds, "peak_kib": peak, "workers_kib": workers,
                  "here_cpu": here, "workers_cpu": workers_cpu}))
"""


def _settle() -> None:
    """Write the files just made to disk before any subject runs: the kernel writes dirty
    pages back some 30 s after they were written, during whichever subject runs then;
    written first, every subject reads the same settled page cache."""
    if hasattr(os, "sync"):
        os.sync()


def gigabyte(folder: Path) -> None:
    """A 1 GB file, each subject in a fresh process, for its rate, its peak memory and its
    CPU, this process's (imports included) and the workers'."""
    path = folder / "large.ndjson"
    records = 0
    rng = random.Random(7)
    pool = [record(rng, ACTIONS) for _ in range(100_000)]  # drawn from: writing is faster
    with open(path, "wb") as file:
        while file.tell() < 1 << 30:
            block = rng.choices(pool, k=100_000)
            file.write(b"\n".join(block) + b"\n")
            records += len(block)
    _settle()
    print(f"\n1 GB newline-delimited file ({records:,} records), one run each, fresh processes")
    print(
        f"{'subject':<22}{'seconds':>9}{'records/s':>13}{'vs DuckDB 2t':>14}{'peak MiB':>10}"
        f"{'+ workers':>11}{'CPU here':>10}{'workers':>9}"
    )
    results = {}
    for subject in ("duckdb", "running", "samples", "running alone"):
        output = subprocess.run(
            [sys.executable, "-c", _CHILD, subject, str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results[subject] = json.loads(output.splitlines()[-1])
    reference = results["duckdb"]["seconds"]
    for subject, result in results.items():
        name = "DuckDB, 2 threads" if subject == "duckdb" else f"load(), {subject}"
        name = name.replace("alone", "one process")
        seconds = result["seconds"]
        print(
            f"{name:<22}{seconds:>9.2f}{records / seconds:>13,.0f}{reference / seconds:>14.2f}"
            f"{result['peak_kib'] / 1024:>10.0f}{result['workers_kib'] / 1024:>11.0f}"
            f"{result['here_cpu']:>10.2f}{result['workers_cpu']:>9.2f}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000, help="records per file")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--gigabyte", action="store_true", help="also a 1 GB file (slow)")
    args = parser.parse_args(argv)
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, DuckDB {duckdb.__version__}, "
        f"load average {os.getloadavg()[0]:.1f} at the start"
    )
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        clean, dirty, array, single = (
            folder / name for name in ("clean.ndjson", "dirty.ndjson", "array.json", "one.ndjson")
        )
        write_lines(clean, args.records, ACTIONS)
        _settle()
        compare("clean newline-delimited JSON, 20 actions", clean, args.records, args.rounds)
        write_lines(dirty, args.records, ACTIONS, bad_every=100)
        _settle()
        compare("newline-delimited, 1% bad lines scattered", dirty, args.records, args.rounds)
        write_array(array, clean)
        _settle()
        compare("the clean records as a JSON array", array, args.records, args.rounds, True)
        write_lines(single, args.records, ACTIONS[:1])
        _settle()
        compare("newline-delimited, one action", single, args.records, args.rounds)
        one_action_table(clean, single, args.records, max(args.rounds, 5))
        lateness_table(
            [
                ("clean, load() running", clean, "warm"),
                ("1% bad lines", dirty, "warm"),
                ("clean, one process", clean, "none"),
                ("1% bad lines, one process", dirty, "none"),
            ]
        )
        producers_table(clean, args.records, args.rounds)
        if args.gigabyte:
            gigabyte(folder)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
