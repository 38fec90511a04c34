"""Peak memory while loading a large newline-delimited file, against the file's size.

Run: ``uv run python -m bench.memory --megabytes 1024``. The file is written to a
temporary folder, loaded in a fresh process, and that process's peak RSS is reported
next to its RSS before loading.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from core import STRATEGIES

_CHILD = """
import json, resource, sys, time
from core import ActionTracker
tracker = ActionTracker(sys.argv[2])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
report = tracker.load(sys.argv[1])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kib": before, "peak_kib": peak, "accepted": report.accepted,
                  "seconds": seconds}))
"""


def write_file(path: Path, megabytes: int) -> int:
    """Write about ``megabytes`` MiB of realistic lines; returns the record count."""
    rng = random.Random(4)
    names = ("jump", "run", "walk", "swim", "climb", "crawl")
    block = "".join(
        json.dumps({"action": rng.choice(names), "time": round(rng.gauss(100, 20), 3)}) + "\n"
        for _ in range(30_000)
    ).encode()
    lines_per_block = block.count(b"\n")
    blocks = max(1, megabytes * (1 << 20) // len(block))
    with path.open("wb") as stream:
        for _ in range(blocks):
            stream.write(block)
    return blocks * lines_per_block


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=int, default=1024)
    parser.add_argument("--strategy", choices=STRATEGIES, default="running")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.ndjson"
        start = time.perf_counter()
        records = write_file(path, args.megabytes)
        size = path.stat().st_size
        print(
            f"wrote {size / (1 << 20):,.0f} MiB, {records:,} records "
            f"in {time.perf_counter() - start:.0f} s"
        )
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), args.strategy],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(child.stdout)
    grown = (result["peak_kib"] - result["before_kib"]) / 1024
    print(f"{'file':<28}{size / (1 << 20):>10,.0f} MiB")
    print(f"{'RSS before loading':<28}{result['before_kib'] / 1024:>10,.0f} MiB")
    print(f"{'peak RSS while loading':<28}{result['peak_kib'] / 1024:>10,.0f} MiB")
    print(f"{'growth / file size':<28}{grown / (size / (1 << 20)):>10.3f}")
    print(f"{'records accepted':<28}{result['accepted']:>14,}")
    print(
        f"{'load rate':<28}{result['accepted'] / result['seconds']:>14,.0f} records/s "
        f"({args.strategy})"
    )


if __name__ == "__main__":
    main()
