"""Synthetic load for benchmarks: producer threads calling ``add_action`` concurrently.

The window's benchmark and ``bench/`` both run this, so what the button measures is what
the scripts measure. Payloads are drawn from each action's normal distribution ahead of
time and cycled, so producers spend their time in the tracker, not in ``random``.
"""

from __future__ import annotations

import math
import random
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from core.strategy import STRATEGIES, Strategy, check_strategy
from core.tracker import ActionTracker
from core.validation import check_record

PAYLOAD_POOL = 16384
"""Distinct payloads prepared for a run and cycled by every producer, each from its own
starting point; preparing them once, before the producers start, keeps generation out of
the timing and out of the way (per-producer pools, drawn while other producers already
ran, made large runs slow to start; bench/engine.py times start and stop)."""
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
    seed: int = 0

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

    @property
    def rate(self) -> float:
        """Adds per second over the whole run."""
        return self.added / self.seconds if self.seconds > 0 else 0.0


class _Counter:
    """Adds made by one producer; written only by that producer's thread."""

    __slots__ = ("added", "ended")

    def __init__(self) -> None:
        self.added = 0
        self.ended: float | None = None  # perf_counter() when the producer returned


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
        payloads = _payloads(self.spec)
        producers = self.spec.producers
        for index in range(producers):
            quota = self._quota[index] if self._quota else None
            counter = _Counter()
            self._counters.append(counter)
            self._threads.append(
                threading.Thread(
                    target=self._produce,
                    args=(counter, payloads, index * len(payloads) // producers, quota),
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

    def _produce(
        self, counter: _Counter, payloads: Sequence[bytes], start: int, quota: int | None
    ) -> None:
        try:
            self._add_until_done(counter, payloads, start, quota)
        except Exception as error:  # kept for join(), which raises it on the caller's thread
            self._errors.append(error)
            self._stop.set()
        finally:
            counter.ended = time.perf_counter()

    def _add_until_done(
        self, counter: _Counter, payloads: Sequence[bytes], start: int, quota: int | None
    ) -> None:
        self._go.wait()
        add = self.tracker.add_action
        deadline = None if self.spec.duration is None else self._started + self.spec.duration
        stop = self._stop
        pool = len(payloads)
        position = start
        while not stop.is_set():
            burst = STOP_CHECK_EVERY
            if quota is not None:
                burst = min(burst, quota - counter.added)
            if burst <= 0:
                return
            for _ in range(burst):
                add(payloads[position])
                position = (position + 1) % pool
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
        return LoadStatus(added, elapsed, min(max(fraction, 0.0), 1.0))

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


def _payloads(spec: LoadSpec) -> list[bytes]:
    """A shuffled pool of JSON payloads, the actions in equal shares, whose times follow
    each action's normal distribution, clipped to [0, the largest float]."""
    rng = random.Random(spec.seed)
    pool = []
    for index in range(PAYLOAD_POOL):
        action = spec.actions[index % len(spec.actions)]
        # Clipped to the finite range: a mean near the float limit must not draw infinity.
        value = min(max(0.0, rng.gauss(action.mean, action.spread)), sys.float_info.max)
        pool.append(orjson.dumps({"action": action.name, "time": round(value, 3)}))
    rng.shuffle(pool)
    return pool


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
