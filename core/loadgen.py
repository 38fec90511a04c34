"""Synthetic load for benchmarks: producer threads calling ``add_action`` concurrently.

The window's benchmark and ``bench/`` both run this, so what the button measures is what
the scripts measure. Every payload carries a fresh draw from its action's normal
distribution, so the statistics behave like real data's (a cycled pool repeated the same
minimum, maximum and p99 in every run). Each producer makes its payloads in blocks with
numpy, between bursts of adds, and times that work apart: the add rate reported leaves
it out (``LoadStatus.adding``), and ``payload_seconds`` says what it cost.
"""

from __future__ import annotations

import math
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import orjson

from core.strategy import STRATEGIES, Strategy, check_strategy
from core.tracker import ActionTracker
from core.validation import check_record

PAYLOAD_BLOCK = 4096
"""Payloads a producer makes at once: numpy's fixed cost per call is spread over many
draws, and a block stays small (about 0.3 MB) however long the run."""
_ROUNDED_BELOW = 1e15
"""Times are rounded to 3 decimals, as a clock in ms would give them; from here up the
third decimal is below a double's precision (and scaling by 1000 could overflow)."""
STOP_CHECK_EVERY = 64
"""Adds between looks at the stop flag and offers of the GIL (see ``_add_until_done``).
Fewer adds between offers make the GUI thread wait less for the GIL at a small cost in
adds/s; bench/gui_responsiveness.py measures the GUI side, and the README gives figures."""


class LoadError(RuntimeError):
    """A producer thread failed; the load was stopped."""


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One simulated action: its name, mean time and spread (standard deviation)."""

    name: str
    mean: float
    spread: float

    def __post_init__(self) -> None:
        check_record({"action": self.name, "time": 0})  # the engine's own rules for names
        if not (0 <= self.mean < math.inf and 0 <= self.spread < math.inf):
            raise ValueError(
                "mean and spread must be finite numbers >= 0, "
                f"got mean {self.mean}, spread {self.spread}"
            )


DEFAULT_ACTIONS = (
    ActionSpec("jump", 150.0, 20.0),
    ActionSpec("run", 75.0, 10.0),
    ActionSpec("walk", 300.0, 60.0),
    ActionSpec("swim", 500.0, 120.0),
)


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """What to generate: ``duration`` seconds or ``count`` adds in all, whichever is set."""

    actions: tuple[ActionSpec, ...] = DEFAULT_ACTIONS
    producers: int = 4
    duration: float | None = 10.0
    count: int | None = None
    strategy: Strategy = "running"
    seed: int | None = None
    """Seeds the producers' random draws; None draws a fresh seed for every run, so runs
    differ as real data would (a number repeats a run's values exactly)."""

    def __post_init__(self) -> None:
        check_strategy(self.strategy)
        if not self.actions:
            raise ValueError("at least one action is needed")
        seen: set[str] = set()
        for action in self.actions:
            name = action.name.strip()  # as the engine trims it
            if name in seen:  # the engine would merge them into one action
                raise ValueError(f"the action {name!r} is listed twice")
            seen.add(name)
        if not 1 <= self.producers <= 64:
            raise ValueError(f"producers must be between 1 and 64, got {self.producers}")
        if (self.duration is None) == (self.count is None):
            raise ValueError("set exactly one of duration and count")
        if self.duration is not None and not self.duration > 0:
            raise ValueError(f"duration must be > 0 seconds, got {self.duration}")
        if self.count is not None and self.count < 1:
            raise ValueError(f"count must be >= 1, got {self.count}")


@dataclass(frozen=True, slots=True)
class LoadStatus:
    """Progress of a running load: adds so far, seconds elapsed, fraction done in [0, 1]."""

    added: int
    elapsed: float
    fraction: float
    payload_seconds: float = 0.0
    """Of ``elapsed``, the time the producers spent making payloads (see ``adding``)."""

    @property
    def adding(self) -> float:
        """Seconds spent adding: ``elapsed`` without the making of payloads. The rate of
        adds over it is the tracker's, not the benchmark's own cost."""
        return max(self.elapsed - self.payload_seconds, 0.0)

    @property
    def rate(self) -> float:
        """Adds per second of adding."""
        adding = self.adding
        return self.added / adding if adding > 0 else 0.0


@dataclass(frozen=True, slots=True)
class LoadResult:
    """A finished (or stopped) run, as one line of history."""

    strategy: Strategy
    producers: int
    added: int
    seconds: float
    get_stats_ms: float
    """Median time of one ``get_stats()`` call on the loaded tracker."""
    memory_bytes: int
    stopped: bool = False
    payload_seconds: float = 0.0
    """Of ``seconds``, the time spent making payloads, left out of ``rate``."""

    @property
    def rate(self) -> float:
        """Adds per second of adding (the run without the making of payloads)."""
        adding = self.seconds - self.payload_seconds
        return self.added / adding if adding > 0 else 0.0

    @property
    def payload_us(self) -> float:
        """Microseconds spent making each payload."""
        return self.payload_seconds / self.added * 1e6 if self.added else 0.0


class _Counter:
    """Adds made by one producer; written only by that producer's thread."""

    __slots__ = ("added", "ended", "making")

    def __init__(self) -> None:
        self.added = 0
        self.ended: float | None = None  # perf_counter() when the producer returned
        self.making = 0.0  # CPU seconds spent making payloads after the start


class LoadGenerator:
    """Runs ``spec`` against ``tracker`` on producer threads.

    ``start()`` returns at once; ``status()`` may be polled from any thread; ``stop()``
    asks the producers to finish and returns within milliseconds; ``join()`` waits for
    them and returns the ``LoadResult``.
    """

    def __init__(self, tracker: ActionTracker, spec: LoadSpec) -> None:
        self.tracker = tracker
        self.spec = spec
        self._stop = threading.Event()
        self._go = threading.Event()
        self._counters: list[_Counter] = []
        self._threads: list[threading.Thread] = []
        self._started = 0.0
        self._quota = _split(spec.count, spec.producers) if spec.count else None
        self._errors: list[Exception] = []

    def start(self) -> None:
        producers = self.spec.producers
        seed = self.spec.seed if self.spec.seed is not None else _fresh_seed()
        for index in range(producers):
            quota = self._quota[index] if self._quota else None
            counter = _Counter()
            self._counters.append(counter)
            payloads = PayloadStream(self.spec.actions, (seed, index))
            self._threads.append(
                threading.Thread(
                    target=self._produce,
                    args=(counter, payloads, quota),
                    name=f"load-producer-{index}",
                    daemon=True,
                )
            )
        threads, self._threads = self._threads, []
        try:
            for thread in threads:
                thread.start()
                self._threads.append(thread)  # join() and running see started ones only
        except BaseException:
            # No producer may outlive a failed start: release the started ones into a
            # stop, and wait for them.
            self._stop.set()
            self._release()
            for thread in self._threads:
                thread.join()
            raise
        self._release()

    def _release(self) -> None:
        # Released together: threads started while others already run would each wait
        # for the GIL to start, which adds up with many producers.
        self._started = time.perf_counter()
        self._go.set()

    def _produce(self, counter: _Counter, payloads: PayloadStream, quota: int | None) -> None:
        try:
            self._add_until_done(counter, payloads, quota)
        except Exception as error:  # kept for join(), which raises it on the caller's thread
            self._errors.append(error)
            self._stop.set()
        finally:
            counter.ended = time.perf_counter()

    def _add_until_done(
        self, counter: _Counter, payloads: PayloadStream, quota: int | None
    ) -> None:
        block = payloads.block()  # the first before the start: not part of the run
        self._go.wait()
        add = self.tracker.add_action
        deadline = None if self.spec.duration is None else self._started + self.spec.duration
        stop = self._stop
        position = 0
        while not stop.is_set():
            if position == len(block):
                # CPU time, not wall time: under the GIL no other producer adds while
                # this one makes payloads, so the producers' CPU times add up to the
                # run's time lost to making them (a wall clock would also count the
                # time this thread waited for the GIL).
                started = time.thread_time()
                block, position = payloads.block(), 0
                counter.making += time.thread_time() - started
            burst = min(STOP_CHECK_EVERY, len(block) - position)
            if quota is not None:
                burst = min(burst, quota - counter.added)
            if burst <= 0:
                return
            for payload in block[position : position + burst]:
                add(payload)
            position += burst
            counter.added += burst
            if deadline is not None and time.perf_counter() >= deadline:
                return
            # Offer the GIL to other threads between bursts. Without it a thread that
            # wants the GIL back (the GUI's, after each call into Qt) waits for CPython's
            # forced switch, a whole switch interval or more; with it, hardly at all.
            time.sleep(0)

    def status(self) -> LoadStatus:
        # Read first: once no thread is alive, every producer's end time is set (its
        # finally ran), so a producer finishing during this call cannot be missed.
        running = self.running
        added = sum(counter.added for counter in self._counters)
        # Once every producer has returned, the run ended with the last of them: time
        # after that (until someone calls join) would read as a falling rate.
        ends = [counter.ended for counter in self._counters if counter.ended is not None]
        end = max(ends) if ends and not running else time.perf_counter()
        elapsed = end - self._started if self._started else 0.0
        if self.spec.duration is not None:
            fraction = elapsed / self.spec.duration
        else:
            fraction = added / (self.spec.count or 1)
        making = sum(counter.making for counter in self._counters)
        return LoadStatus(added, elapsed, min(max(fraction, 0.0), 1.0), making)

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> LoadResult:
        """Wait for the producers, then time ``get_stats()`` on the result. Raises
        ``LoadError`` when a producer failed (the others were stopped)."""
        for thread in self._threads:
            thread.join(timeout)
        if self._errors:
            error = self._errors[0]
            raise LoadError(f"a producer thread failed: {error}") from error
        status = self.status()
        return LoadResult(
            strategy=self.tracker.strategy,
            producers=self.spec.producers,
            added=status.added,
            seconds=status.elapsed,
            get_stats_ms=time_get_stats(self.tracker) * 1e3,
            memory_bytes=self.tracker.memory_bytes(),
            stopped=self._stop.is_set(),
            payload_seconds=status.payload_seconds,
        )


def time_get_stats(tracker: ActionTracker, repeat: int = 15) -> float:
    """Median seconds of one ``get_stats()`` call."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        tracker.get_stats()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def compare_strategies(spec: LoadSpec, stop: threading.Event | None = None) -> list[LoadResult]:
    """Run the same count-based load into a fresh tracker of each strategy, one after the
    other, as the original solution's demonstration did."""
    results = []
    for strategy in STRATEGIES:
        if stop is not None and stop.is_set():
            break
        generator = LoadGenerator(ActionTracker(strategy), spec)
        generator.start()
        while generator.running:
            if stop is not None and stop.wait(0.05):
                generator.stop()
            elif stop is None:
                time.sleep(0.05)
        results.append(generator.join())
    return results


class PayloadStream:
    """Fresh JSON payloads, the actions in equal shares and shuffled, whose times are new
    draws from each action's normal distribution, clipped to [0, the largest float] and
    rounded to 3 decimals."""

    def __init__(self, actions: Sequence[ActionSpec], seed: int | tuple[int, ...]) -> None:
        self._rng = np.random.default_rng(seed)
        # b'{"action":"jump","time":' for each action: only the number is made per payload.
        self._prefixes = [orjson.dumps({"action": a.name, "time": 0})[:-2] for a in actions]
        self._means = np.array([a.mean for a in actions], dtype=np.float64)
        self._spreads = np.array([a.spread for a in actions], dtype=np.float64)

    def block(self, size: int = PAYLOAD_BLOCK) -> list[bytes]:
        """``size`` new payloads."""
        picks = self._rng.permutation(size) % len(self._prefixes)
        values = self._rng.normal(self._means[picks], self._spreads[picks])
        # Clipped to the finite range: a mean near the float limit must not draw infinity.
        np.clip(values, 0.0, sys.float_info.max, out=values)
        ordinary = values < _ROUNDED_BELOW
        values[ordinary] = np.round(values[ordinary], 3)
        # One C call writes every number as JSON does (shortest round-trip digits).
        numbers = orjson.dumps(values.tolist())[1:-1].split(b",")
        prefixes = self._prefixes
        pairs = zip(picks.tolist(), numbers, strict=True)
        return [prefixes[pick] + number + b"}" for pick, number in pairs]


def _split(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` near-equal whole shares."""
    share, extra = divmod(total, parts)
    return [share + (1 if index < extra else 0) for index in range(parts)]


def spec_to_dict(spec: LoadSpec) -> dict[str, object]:
    """A JSON-ready form of ``spec``, for saving settings."""
    return {
        "actions": [[a.name, a.mean, a.spread] for a in spec.actions],
        "producers": spec.producers,
        "duration": spec.duration,
        "count": spec.count,
        "strategy": spec.strategy,
    }


def _fresh_seed() -> int:
    """A seed from the system's entropy, as numpy draws one."""
    entropy = np.random.SeedSequence().entropy
    assert isinstance(entropy, int)
    return entropy


def spec_from_dict(data: object) -> LoadSpec:
    """The inverse of ``spec_to_dict``; raises ValueError (or TypeError) on bad data."""
    if not isinstance(data, dict):
        raise ValueError("benchmark settings must be an object")
    actions = tuple(ActionSpec(str(n), float(m), float(s)) for n, m, s in data["actions"])
    duration, count = data.get("duration"), data.get("count")
    strategy = check_strategy(data.get("strategy", "running"))
    return LoadSpec(
        actions=actions,
        producers=int(data["producers"]),
        duration=None if duration is None else float(duration),
        count=None if count is None else int(count),
        strategy=strategy,
    )
