"""A longer, time-bounded fuzz run than the test suite's: random and mutated payloads,
files and sessions, checking that only documented exceptions come out and that a
rejection changes nothing.

Run: ``uv run python -m bench.fuzz --seconds 300``. Exits 1 on the first violation.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from core import ActionTracker, InvalidActionError, SessionError

SEEDS = [
    b'{"action": "jump", "time": 100}',
    b'{"action": " run ", "time": 75.5, "extra": [1, {"a": null}]}',
    b'{"action": "\\u00e9t\\u00e9", "time": 0}',
    b'{"action": "x", "time": 1.7e308}',
    b'{"action": "y", "time": 18446744073709551615}',
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Flip, insert, delete, duplicate or splice bytes, a few times."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(5)
        position = rng.randrange(len(buffer) + 1)
        if choice == 0 and buffer:
            buffer[min(position, len(buffer) - 1)] ^= 1 << rng.randrange(8)
        elif choice == 1:
            buffer[position:position] = bytes([rng.randrange(256)])
        elif choice == 2 and buffer:
            del buffer[position : position + rng.randint(1, 8)]
        elif choice == 3:
            buffer[position:position] = rng.choice(
                [b"[", b"{", b'"', b"\\", b"e999", b"-", b"NaN", b"\xff", b"\x00", b"true"]
            )
        else:
            other = rng.choice(SEEDS)
            cut = rng.randrange(len(other) + 1)
            buffer[position:] = other[cut:]
    return bytes(buffer)


class Fuzz:
    def __init__(self, seconds: float, seed: int) -> None:
        self.deadline = time.monotonic() + seconds
        self.rng = random.Random(seed)
        self.cases = {"payloads": 0, "files": 0, "sessions": 0}
        self.failures: list[str] = []

    def payload_case(self, tracker: ActionTracker) -> None:
        rng = self.rng
        kind = rng.randrange(3)
        if kind == 0:
            data: bytes | str = rng.randbytes(rng.randint(0, 64))
        elif kind == 1:
            data = mutate(rng.choice(SEEDS), rng)
        else:
            data = mutate(rng.choice(SEEDS), rng).decode("utf-8", "replace")
        self.expect_unchanged(tracker, lambda: tracker.add_action(data), (InvalidActionError,))
        self.cases["payloads"] += 1

    def file_case(self, tracker: ActionTracker) -> None:
        rng = self.rng
        lines = [
            mutate(rng.choice(SEEDS), rng) if rng.random() < 0.3 else rng.choice(SEEDS)
            for _ in range(rng.randint(0, 30))
        ]
        body = b"\n".join(lines) if rng.random() < 0.5 else b"[" + b",".join(lines) + b"]"
        if rng.random() < 0.3:
            body = mutate(body, rng)
        before = tracker.snapshot().total_count
        try:
            report = tracker.load(io.BytesIO(body))
        except InvalidActionError:
            report = None
        except Exception as error:  # anything else is a finding
            self.failures.append(f"load raised {type(error).__name__}: {error} for {body[:80]!r}")
            return
        added = report.accepted if report is not None else 0
        if tracker.snapshot().total_count != before + added:
            self.failures.append(f"load changed more than its report says for {body[:80]!r}")
        self.cases["files"] += 1

    def session_case(self, good: bytes, folder: Path) -> None:
        path = folder / "fuzzed.atsession"
        path.write_bytes(mutate(good, self.rng))
        try:
            restored = ActionTracker.open(path)
        except SessionError:
            pass
        except Exception as error:
            self.failures.append(f"open raised {type(error).__name__}: {error}")
        else:
            restored.get_stats()
            restored.snapshot()
        self.cases["sessions"] += 1

    def expect_unchanged(
        self,
        tracker: ActionTracker,
        call: Callable[[], None],
        allowed: tuple[type[BaseException], ...],
    ) -> None:
        version, stats = tracker.version, tracker.get_stats()
        try:
            call()
        except allowed:
            if tracker.version != version or tracker.get_stats() != stats:
                self.failures.append("a rejected payload changed the tracker")
        except Exception as error:
            self.failures.append(f"{type(error).__name__}: {error}")

    def run(self) -> int:
        tracker = ActionTracker()
        with tempfile.TemporaryDirectory() as folder:
            good_path = Path(folder) / "good.atsession"
            for payload in SEEDS:
                tracker.add_action(payload)
            tracker.save(good_path)
            good = good_path.read_bytes()
            while time.monotonic() < self.deadline and not self.failures:
                self.payload_case(tracker)
                if self.cases["payloads"] % 20 == 0:
                    self.file_case(tracker)
                    self.session_case(good, Path(folder))
        print("fuzz: " + ", ".join(f"{count:,} {name}" for name, count in self.cases.items()))
        for failure in self.failures[:10]:
            print(f"  FAILED: {failure}")
        print("fuzz: PASSED" if not self.failures else "fuzz: FAILED")
        return 1 if self.failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args(argv)
    print(f"fuzz: seed {args.seed}")
    return Fuzz(args.seconds, args.seed).run()


if __name__ == "__main__":
    sys.exit(main())
