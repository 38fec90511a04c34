"""``ActionTracker``: thread-safe per-action statistics fed by JSON payloads.

Each thread writes into a stripe of its own (``core.stripes``), so busy producers share
no lock: the original one-lock design fell to a fraction of its speed with two threads.
Readers merge the stripes while holding every stripe lock, so each action's figures
describe one set of samples.

Every way in checks its input first: ``add_action``, ``add`` and ``add_actions`` check
here; files are checked by ``core.loading``, which hands only checked records back
through the private ``_add_checked``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import threading
import time as _time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import orjson

from core.errors import InvalidActionError, SessionError
from core.exactsum import Number, unscaled
from core.folded import FoldedRecords
from core.loading import FileLoad, Source
from core.moments import Moments
from core.report import LoadProgress, LoadReport
from core.ring import (
    RING_SECONDS,
    SecondRing,
    WindowReader,
    WindowRows,
    merged_in_time_order,
    window_start,
)
from core.samples import SampleStore, stacked_quantiles
from core.session import ActionState, TrackerState, read_session, write_session
from core.sketch import EXACT_LIMIT, MAX_BINS, Accuracy, LogSketch, bucket_quantiles
from core.stats import ActionStats, Snapshot
from core.strategy import (
    NEW_DISTRIBUTION,
    RING_BUCKETS,
    Distribution,
    Strategy,
    check_strategy,
)
from core.stripes import (
    FLUSH_AT,
    Stripe,
    StripeClaim,
    Tally,
    flush_all,
    group_by_name,
    window_tally,
)
from core.timer import Timer
from core.validation import (
    MAX_PAYLOAD_BYTES,
    CheckedRecords,
    check_record,
    decode_single_payload,
    parse_payload,
)

MAX_ACTIONS = 10_000
"""Distinct action names one tracker holds; protects memory from runaway names."""
QUANTILES = (0.5, 0.9, 0.99)


class ActionTracker:
    """Average time per named action, safe to call from any number of threads.

    ``strategy="running"`` keeps O(1) memory per action (a 1%-accurate quantile sketch);
    ``strategy="samples"`` keeps every time (8 bytes each) for exact percentiles and
    export. Both give identical count, mean, min and max.
    """

    def __init__(
        self, strategy: Strategy = "running", *, clock: Callable[[], float] = _time.time
    ) -> None:
        """``clock`` gives the time in seconds (wall clock by default) that rates and
        windows are measured by; tests pass one they control."""
        self._strategy: Strategy = check_strategy(strategy)
        self._clock = clock
        self._new_distribution = NEW_DISTRIBUTION[self._strategy]
        self._ring_buckets = RING_BUCKETS[self._strategy]
        self._local = threading.local()
        # Lock order: _structure_lock, then stripe locks in list order, then _names_lock.
        # Writers take none of them on the common path.
        self._structure_lock = threading.Lock()
        self._names_lock = threading.Lock()
        self._stripes: list[Stripe] = []
        self._free_stripes: deque[Stripe] = deque()
        # First-seen order; each name's value is the clock when its first time came,
        # which all-time rates count from.
        self._names: dict[str, float] = {}
        self._held: Stripe | None = None  # owned by no thread: restored and merged actions
        self._resets = 0
        # The last all-time snapshot and the clock's second it was taken in: its rates
        # hold for that second only.
        self._last_snapshot: tuple[Snapshot, int] | None = None
        self._last_windowed: dict[int, tuple[Snapshot, int]] = {}  # likewise, by window
        # The last snapshot's figures by name, with the reset count they belong to: an
        # action whose count has not moved since is reused, not recomputed.
        self._known_stats: tuple[int, dict[str, ActionStats]] = (-1, {})

    @property
    def strategy(self) -> Strategy:
        return self._strategy

    @property
    def version(self) -> int:
        """Grows with every change; cheap and lock-free, for polling."""
        return self._resets + sum(stripe.adds for stripe in self._stripes)

    # --- writing -------------------------------------------------------------------

    def add_action(self, payload: str | bytes) -> None:
        """Add one ``{"action": name, "time": number}`` payload.

        Raises ``InvalidActionError`` naming the field and the problem, and ``TypeError``
        for a payload that is neither str nor bytes; either way nothing changes.
        """
        # parse_payload's common case and _add_one inlined: this is the hottest path,
        # where one more call shows. A payload that is not plainly valid, or does not
        # trim to a name, goes through parse_payload for its verdict and its message.
        # Exact types, not isinstance with a tuple (a slower call): a subclass of str or
        # bytes takes parse_payload's way, which accepts it alike.
        name = ""
        kind = type(payload)
        if (kind is str or kind is bytes) and len(payload) <= MAX_PAYLOAD_BYTES:
            try:
                plain = decode_single_payload(payload)
            except ValueError:
                pass
            else:
                name, time = plain.action.strip(), plain.time
        if not name:
            name, time = parse_payload(payload)
        try:
            stripe: Stripe = self._local.stripe
        except AttributeError:
            stripe = self._own_stripe()
        # Read, then called: self._clock() would be a method lookup that finds an
        # instance attribute, which the interpreter cannot specialize.
        clock = self._clock
        now = clock()
        if now >= stripe.second_ends:  # the buffered times' second is over
            self._roll(stripe, now)
        try:  # a subscript, cheaper than .get; a name new to this stripe raises once
            tally = stripe.tallies[name]
        except KeyError:
            tally = self._open_tally(stripe, name, time)
            pending = tally.pending
        else:
            pending = tally.pending
            pending.append(time)
        stripe.adds += 1
        if len(pending) >= FLUSH_AT:
            with stripe.lock:
                tally.flush(stripe.second)

    def add(self, action: str, time: Number) -> None:
        """Add one ``time`` (milliseconds) under ``action``, checked by exactly the rules of
        ``add_action``: for callers that already hold a name and a number (live sources,
        timers), so they need not build JSON. Raises ``InvalidActionError``; nothing changes
        then."""
        name, time = check_record({"action": action, "time": time})
        self._add_one(name, time)

    def timer(self, name: str) -> Timer:
        """A context manager and decorator adding the elapsed wall time (ms) under
        ``name``; see ``core.timer.Timer``. Raises ``InvalidActionError`` for a bad name."""
        return Timer(self, name)

    def add_actions(self, payloads: Iterable[str | bytes]) -> LoadReport:
        """Add many payloads; bad ones are reported by 1-based position, not raised."""
        report = LoadReport()
        names: list[str] = []
        times: list[Number] = []
        positions: list[int] = []
        for position, payload in enumerate(payloads, start=1):
            try:
                name, time = parse_payload(payload)
            except (InvalidActionError, TypeError) as error:
                report.reject(position, str(error))
            else:
                names.append(name)
                times.append(time)
                positions.append(position)
        self._add_checked(CheckedRecords(names, times, positions), report)
        report.rejected.sort(key=lambda rejection: rejection.record)
        return report

    def load(
        self,
        source: Source,
        progress: Callable[[LoadProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> LoadReport:
        """Load a JSON array, newline-delimited JSON or single-object file.

        ``source`` is a path or a binary file object. Valid records are added and bad ones
        reported; a missing file raises ``OSError``, a file that is not JSON at all raises
        ``InvalidFileError``. ``progress`` is called between chunks; setting ``cancel``
        stops at the next chunk, keeping what was added (the report says so).
        """
        return self.start_load(source).run(progress, cancel)

    def start_load(self, source: Source) -> FileLoad:
        """``load`` step by step, for a worker thread: iterate for progress, read
        ``.report``, call ``.cancel()`` to stop."""
        return FileLoad(source, self._add_checked, self._strategy)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the whole state (aggregates, sketches or samples, strategy, version) to
        ``path`` atomically; see ``core.session`` for the format."""
        write_session(path, self.capture())

    def capture(self, names: Collection[str] | None = None) -> TrackerState:
        """The state of the actions ``names`` (every action when None), as ``save`` writes
        it, for ``restore`` to put back later (undo). Names without samples are absent."""
        cut = self._gather(
            with_distributions=True, only=None if names is None else set(names), with_rings=True
        )
        actions = []
        for name, tallies in cut.in_order():
            distribution, ring = merged_in_time_order(
                [(tally.distribution, tally.ring) for tally in tallies], self._ring_buckets
            )
            moments = Moments.merged(t.moments for t in tallies)
            actions.append(ActionState(name, moments, distribution, cut.firsts.get(name), ring))
        return TrackerState(self._strategy, cut.version, actions)

    def restore(self, state: TrackerState, names: Collection[str] | None = None) -> None:
        """Put back what ``capture`` took: each of ``names`` (every action when None) gets
        its captured figures, or is removed when the capture holds none. Raises
        ``ValueError`` for another strategy's state and ``InvalidActionError`` when the
        result would pass the limit of distinct actions; nothing changes then."""
        covered = None if names is None else set(names) | {a.name for a in state.actions}
        self._replace(state, covered, merge=False)

    def remove(self, names: Collection[str]) -> None:
        """Forget the actions ``names`` and their times (names not held are ignored)."""
        self._replace(TrackerState(self._strategy, 0, []), set(names), merge=False)

    def merge(self, state: TrackerState) -> None:
        """Add the times of ``state`` (another tracker's ``capture()``, a staged file load)
        to this tracker's, all at once. Raises like ``restore``; nothing changes then."""
        self._replace(state, set(), merge=True)

    @classmethod
    def open(
        cls, path: str | os.PathLike[str], *, clock: Callable[[], float] = _time.time
    ) -> ActionTracker:
        """A tracker restored from a session saved by ``save``, figure for figure, its
        rates and windows measured by ``clock``. Raises ``SessionError`` for a damaged,
        foreign or newer file, ``OSError`` when it cannot be read; no half-restored
        tracker is ever returned."""
        state = read_session(path)
        if len(state.actions) > MAX_ACTIONS:
            raise SessionError(f"the session holds more than {MAX_ACTIONS:,} actions")
        tracker = cls(state.strategy, clock=clock)
        opened = tracker._clock()
        stripe = Stripe()  # owned by no thread: new adds go to the writers' own stripes
        for action in state.actions:
            tally = Tally(action.distribution, action.ring or tracker._new_ring())
            tally.moments = action.moments
            stripe.tallies[action.name] = tally
            tracker._names[action.name] = opened if action.first is None else action.first
        tracker._stripes.append(stripe)
        tracker._held = stripe
        tracker._resets = state.version
        return tracker

    def reset(self) -> None:
        """Forget every action and sample."""
        with self._structure_lock, ExitStack() as stack:
            for stripe in self._stripes:
                stack.enter_context(stripe.lock)
            with self._names_lock:
                for stripe in self._stripes:
                    stripe.tallies = {}
                self._names.clear()
                self._resets += 1
        self._known_stats = (-1, {})

    # --- reading -------------------------------------------------------------------

    def get_stats(self) -> str:
        """JSON array of ``{"action", "avg"}`` in first-seen order; costs O(actions)."""
        cut = self._gather()
        return orjson.dumps(
            [
                {"action": name, "avg": Moments.merged(t.moments for t in tallies).mean}
                for name, tallies in cut.in_order()
            ]
        ).decode()

    def snapshot(self, window: int | None = None) -> Snapshot:
        """An immutable, consistent view of every action's figures: of all their times,
        or with ``window`` (whole seconds, 1 to 300) of those added in the current second
        of the clock and the ``window - 1`` before it; actions with none are left out.

        ``rate`` is times per second: for all time, from the action's first time to the
        clock's current whole second; for a window, over the window's span up to now
        (``window - 1`` seconds and the current one so far), or from the action's first
        time when that came later; either way over at least one second. Rates and
        windows change as time passes with no add: the same snapshot is handed out
        again only while neither the version nor the clock's second has changed."""
        if window is not None:
            return self._windowed_snapshot(check_window(window))
        second = math.floor(self._clock())
        cached = self._last_snapshot
        if cached is not None and cached[0].version == self.version:
            if cached[1] != second:
                self._last_snapshot = cached = (self._rates_renewed(cached[0], second), second)
            return cached[0]
        known = self._known_stats  # one read: another thread may replace it meanwhile
        cut = self._gather(with_distributions=True, known=known)
        snapshot = self._snapshot(cut, second, known)
        self._last_snapshot = (snapshot, second)
        return snapshot

    def histograms(
        self,
        bounds: Sequence[float],
        actions: Collection[str] | None = None,
        window: int | None = None,
    ) -> dict[str, tuple[int, ...]]:
        """For each action with times (every one, or those of ``actions`` held; within
        the last ``window`` seconds when given, as ``snapshot`` counts them), how many of
        its times are <= each of ``bounds`` (cumulative, like Prometheus' ``le``).

        ``bounds`` must be finite numbers in ascending order (``ValueError`` otherwise).
        The counts are exact while the action's percentiles are ("exact"); past that
        (the "running" sketch) a time counts as its bucket's estimate, so each count lies
        between the true counts at bound / 1.01 and bound / 0.99. For counts and sums
        from the very same instant, use ``snapshot_and_histograms``."""
        return self._histograms(bounds, actions, window)[1]

    def snapshot_and_histograms(
        self,
        bounds: Sequence[float],
        actions: Collection[str] | None = None,
        window: int | None = None,
    ) -> tuple[Snapshot, dict[str, tuple[int, ...]]]:
        """A snapshot of ``actions`` (every action when None) and their ``histograms``,
        taken at one instant, so each action's last count never exceeds its ``count``
        and the counts agree with the snapshot's (an exporter's ``le="+Inf"`` bucket)."""
        cut, counts, now = self._histograms(bounds, actions, window)
        if window is None:
            return self._snapshot(cut, math.floor(now)), counts
        return self._window_snapshot(cut, now, window), counts

    def _histograms(
        self, bounds: Sequence[float], actions: Collection[str] | None, window: int | None
    ) -> tuple[_Cut, dict[str, tuple[int, ...]], float]:
        """The cut ``histograms`` counts from, its counts, and the clock it was taken at
        (the percentiles of a snapshot are worked out only when one is asked for)."""
        checked = _check_bounds(bounds)
        if isinstance(actions, str):
            raise TypeError("actions must be a collection of names, not one name")
        only = None if actions is None else set(actions)
        now = self._clock()
        if window is not None:
            cut = self._gather(only=only, since=window_start(now, check_window(window)))
        else:
            cut = self._gather(with_distributions=True, only=only)
        counts = {name: _cumulative_counts(tallies, checked) for name, tallies in cut.in_order()}
        return cut, counts, now

    def _windowed_snapshot(self, window: int) -> Snapshot:
        """``snapshot(window)``, handed out again while the version and second hold."""
        now = self._clock()
        second = math.floor(now)
        version = self.version
        cached = self._last_windowed.get(window)
        if cached is not None and cached[0].version == version and cached[1] == second:
            return cached[0]
        snapshot = self._window_snapshot(self._gather(since=window_start(now, window)), now, window)
        self._last_windowed[window] = (snapshot, second)
        return snapshot

    def _window_snapshot(self, cut: _Cut, now: float, window: int) -> Snapshot:
        """The snapshot of a window's ``cut`` taken at clock ``now``."""
        start = window_start(now, window)
        found = cut.window
        assert found is not None
        rows = found.rows
        names = [name for name in cut.names if name in found.moments and found.moments[name].count]
        # The usual actions (a sketch's window past its exact values, or the samples of
        # any window) have their percentiles worked out together with the others'.
        sketched: dict[int, tuple[npt.NDArray[np.integer], int, bool]] = {}
        stored: dict[int, SampleStore] = {}
        for index, name in enumerate(names):
            parts = found.parts[name]
            if rows.buckets[parts[0]] is None:
                stores = [
                    kept for part in parts if isinstance(kept := found.latest[part], SampleStore)
                ]
                if len(stores) == len(parts):
                    first, *others = stores
                    stored[index] = first.merged_with(others) if others else first
            elif (exact := found.exact_values(parts)) is not None:
                stored[index] = SampleStore.of(exact)  # a sketch's few times, kept as they are
            elif (counts := _summed_buckets(rows, parts)) is not None:
                sketched[index] = counts
        figures: dict[int, tuple[Number, ...]] = {}
        for chosen, quantiles in (
            (sketched, self._bucket_quantiles(sketched, names, found)),
            (stored, self._stacked_quantiles(stored, names, found)),
        ):
            figures.update(zip(chosen, quantiles, strict=True))
        actions = []
        for index, name in enumerate(names):
            seconds = now - max(start, cut.firsts[name])
            moments = found.moments[name]
            if index in stored:
                actions.append(_stats_of(name, moments, figures[index], "exact", seconds))
            elif index in sketched:
                accuracy: Accuracy = "folded" if sketched[index][2] else "approximate"
                actions.append(_stats_of(name, moments, figures[index], accuracy, seconds))
            else:
                actions.append(_stats(name, found.tallies(name), seconds))
        return Snapshot(cut.version, tuple(actions), self._strategy, cut.resets, window)

    @staticmethod
    def _bucket_quantiles(
        sketched: dict[int, tuple[npt.NDArray[np.integer], int, bool]],
        names: list[str],
        found: _Window,
    ) -> list[tuple[Number, ...]]:
        moments = [found.moments[names[index]] for index in sketched]
        return bucket_quantiles(
            [counts for counts, _, _ in sketched.values()],
            [offset for _, offset, _ in sketched.values()],
            QUANTILES,
            [each.minimum for each in moments],
            [each.maximum for each in moments],
        )

    @staticmethod
    def _stacked_quantiles(
        stored: dict[int, SampleStore], names: list[str], found: _Window
    ) -> list[tuple[Number, ...]]:
        moments = [found.moments[names[index]] for index in stored]
        return stacked_quantiles(
            list(stored.values()),
            QUANTILES,
            [each.minimum for each in moments],
            [each.maximum for each in moments],
        )

    def _rates_renewed(self, snapshot: Snapshot, now: int) -> Snapshot:
        """``snapshot`` with its rates counted up to ``now``: itself when none changed."""
        with self._names_lock:
            firsts = dict(self._names)
        renewed = []
        for stats in snapshot.actions:
            first = firsts.get(stats.action)
            rate = stats.rate if first is None else _rate(stats.count, now - first)
            renewed.append(stats if rate == stats.rate else dataclasses.replace(stats, rate=rate))
        if all(new is old for new, old in zip(renewed, snapshot.actions, strict=True)):
            return snapshot
        return dataclasses.replace(snapshot, actions=tuple(renewed))

    def _snapshot(
        self, cut: _Cut, now: float, known: tuple[int, dict[str, ActionStats]] = (-1, {})
    ) -> Snapshot:
        """The snapshot of ``cut``, its rates counted up to ``now`` (the clock's whole
        second, so that figures within one second are the same objects), reusing the
        figures of ``known`` (the ones the cut was taken with) that it names unchanged."""
        actions = []
        for name in cut.names:
            stats = known[1].get(name) if name in cut.unchanged else None
            if stats is not None:
                rate = _rate(stats.count, now - cut.firsts[name])
                if rate != stats.rate:
                    stats = dataclasses.replace(stats, rate=rate)
            else:
                tallies = cut.groups.get(name)
                if tallies is None or not any(tally.moments.count for tally in tallies):
                    continue
                stats = _stats(name, tallies, now - cut.firsts[name])
            actions.append(stats)
        snapshot = Snapshot(cut.version, tuple(actions), self._strategy, cut.resets)
        if cut.only is None:
            self._known_stats = (cut.resets, {stats.action: stats for stats in actions})
        return snapshot

    def samples(self, action: str) -> npt.NDArray[np.float64]:
        """Every time recorded for ``action`` (a copy), for export; "samples" only."""
        if self._strategy != "samples":
            raise ValueError(
                "the 'running' strategy keeps no samples; use ActionTracker(strategy='samples')"
            )
        tallies = self._gather(with_distributions=True).groups.get(action)
        values = _merged(tallies).values() if tallies else None
        return np.array(values, dtype=np.float64) if values is not None else np.empty(0)

    def memory_bytes(self) -> int:
        """Bytes held by sketches or sample arrays (buffers and small objects excluded)."""
        total = 0
        with self._structure_lock:
            stripes = list(self._stripes)
        for stripe in stripes:
            with stripe.lock:
                total += sum(tally.distribution.nbytes for _, tally in self._contents(stripe))
        return total

    # --- internals -----------------------------------------------------------------

    def _own_stripe(self) -> Stripe:
        """The calling thread's stripe: its own, one freed by an ended thread, or a new one."""
        try:
            stripe: Stripe = self._local.stripe
        except AttributeError:
            try:
                stripe = self._free_stripes.popleft()
            except IndexError:
                stripe = Stripe()
                with self._structure_lock:
                    self._stripes.append(stripe)
            self._local.claim = StripeClaim(stripe, self._free_stripes)
            self._local.stripe = stripe
        return stripe

    def _add_one(self, name: str, time: Number) -> None:
        """The hot path: a checked time into the caller's stripe, without a lock unless
        the action is new there or its buffer is due to be folded."""
        try:
            stripe: Stripe = self._local.stripe
        except AttributeError:
            stripe = self._own_stripe()
        clock = self._clock  # not self._clock(): see add_action
        now = clock()
        if now >= stripe.second_ends:  # the buffered times' second is over
            self._roll(stripe, now)
        try:
            tally = stripe.tallies[name]
        except KeyError:
            tally = self._open_tally(stripe, name, time)
            pending = tally.pending
        else:
            pending = tally.pending
            pending.append(time)
        stripe.adds += 1  # after the append: a reader that sees the count sees the time
        if len(pending) >= FLUSH_AT:
            with stripe.lock:
                tally.flush(stripe.second)

    def _add_checked(self, records: CheckedRecords | FoldedRecords, report: LoadReport) -> bool:
        """The one way checked records from a file or a batch come in, counted in
        ``report``: folded together when all their names fit under the limit of distinct
        actions, else one by one, rejecting (by record number) the ones that do not.
        Records already folded (a piece of a file read by a worker process) are merged
        whole or not at all: False, nothing added, when they would pass the limit."""
        if isinstance(records, FoldedRecords):
            if not records.count:
                return True
            if not self._fold_batch(records):
                return False
            report.accepted += records.count
            return True
        if not records.names:
            return True
        if self._fold_batch(records):
            report.accepted += len(records.names)
            return True
        stripe = self._own_stripe()
        now = self._clock()
        if now >= stripe.second_ends:
            self._roll(stripe, now)
        for number, name, time in zip(records.numbers, records.names, records.times, strict=True):
            tally = stripe.tallies.get(name)
            if tally is None:
                try:
                    tally = self._open_tally(stripe, name, time)
                except InvalidActionError as error:
                    report.reject(number, str(error))
                    continue
            else:
                tally.pending.append(time)
            stripe.adds += 1
            report.accepted += 1
            if len(tally.pending) >= FLUSH_AT:
                with stripe.lock:
                    tally.flush(stripe.second)
        return True

    def _fold_batch(self, records: CheckedRecords | FoldedRecords) -> bool:
        """Add every record at once, folding each action's times in one numpy pass (or
        merging the aggregates already folded). Adds nothing and returns False when the
        batch would pass the limit of distinct actions."""
        if isinstance(records, FoldedRecords):
            distinct, count, groups = records.names, records.count, None
        else:
            distinct = records.distinct or list(dict.fromkeys(records.names))
            count = len(records.times)
            groups = group_by_name(records.names, records.times, distinct, records.array)
        stripe = self._own_stripe()
        now = self._clock()
        if now >= stripe.second_ends:
            self._roll(stripe, now)
        # The limit check, the registering of new names and the opening of their tallies
        # happen under this stripe's lock, which a reset needs: a reset between them
        # would let other names take the room, failing the batch half-folded.
        with stripe.lock:
            tallies = stripe.tallies
            with self._names_lock:
                new = [name for name in distinct if name not in self._names]
                if len(self._names) + len(new) > MAX_ACTIONS:
                    return False
                self._names.update(dict.fromkeys(new, self._clock()))
                for name in distinct:
                    if name not in tallies:  # empty, but unseen until the lock is let go
                        tallies[name] = self._new_tally()
            second = stripe.second
            if groups is not None:
                for name, (values, array) in groups.items():
                    tally = tallies[name]
                    tally.flush(second)
                    tally.fold(values, second, array)
            else:
                assert isinstance(records, FoldedRecords)
                for name, moments, distribution in zip(
                    records.names, records.moments, records.distributions, strict=True
                ):
                    tally = tallies[name]
                    tally.flush(second)
                    tally.moments = Moments.merged([tally.moments, moments])
                    # Every time, when kept, is appended in order; a sketch merges its counts.
                    kept = distribution.values()
                    if kept is not None:
                        tally.distribution.add(kept)
                    else:
                        tally.distribution = tally.distribution.merged_with([distribution])
                    tally.ring.fold_aggregate(second, moments, distribution)
            stripe.adds += count
        return True

    def _replace(self, state: TrackerState, covered: set[str] | None, merge: bool) -> None:
        """Drop the ``covered`` actions (all when None), then add ``state``'s actions (to
        what is left, when ``merge``), under every lock at once: readers see the change
        whole. Written into the stripe that no thread owns, so writers are undisturbed."""
        if state.strategy != self._strategy:
            raise ValueError(
                f"cannot combine a {state.strategy!r} state with a {self._strategy!r} tracker"
            )
        for action in state.actions:  # a hand-made state is checked like a session file
            m = action.moments
            if not (m.count >= 1 and 0 <= m.minimum <= m.maximum < math.inf):
                raise InvalidActionError(f"inconsistent figures for {action.name!r}")
            check_record({"action": action.name, "time": m.maximum})
        with self._structure_lock, ExitStack() as stack:
            for stripe in self._stripes:
                stack.enter_context(stripe.lock)
            with self._names_lock:
                incoming = {action.name for action in state.actions}
                # Actions keep their place; covered ones stay only if the state holds them.
                kept = [
                    name
                    for name in self._names
                    if name in incoming or (covered is not None and name not in covered)
                ]
                # A merge's times arrive now; a restore puts back when they first came.
                now = self._clock()
                firsts = {
                    action.name: now if merge or action.first is None else action.first
                    for action in state.actions
                }
                names = {
                    name: self._names[name] if merge or name not in incoming else firsts[name]
                    for name in kept
                }
                for action in state.actions:
                    names.setdefault(action.name, firsts[action.name])
                if len(names) > MAX_ACTIONS:
                    raise InvalidActionError(
                        f"cannot add {len(names) - len(kept):,} new actions to the "
                        f"{len(kept):,} held: the limit is {MAX_ACTIONS:,} distinct actions"
                    )
                for stripe in self._stripes:
                    if covered is None:
                        stripe.tallies = {}
                    else:
                        for name in covered:
                            stripe.tallies.pop(name, None)
                if self._held is None:
                    self._held = Stripe()
                    self._stripes.append(self._held)
                held = self._held.tallies
                second = math.floor(now)
                for action in state.actions:
                    before = held.get(action.name)  # only when merging: covered names are gone
                    if merge:  # the times come in now, whenever they came to the state
                        ring = before.ring if before is not None else self._new_ring()
                        ring.fold_aggregate(second, action.moments, action.distribution)
                    else:
                        ring = self._new_ring() if action.ring is None else action.ring.copy()
                    tally = Tally(action.distribution.frozen(), ring)
                    tally.moments = action.moments.copy()
                    if before is not None:
                        tally.moments = Moments.merged([before.moments, tally.moments])
                        tally.distribution = before.distribution.merged_with([tally.distribution])
                    held[action.name] = tally
                self._names = names
                if merge:
                    self._held.adds += sum(action.moments.count for action in state.actions)
                else:  # rows may vanish: viewers must rebuild, as after a reset
                    self._resets += 1
        self._known_stats = (-1, {})

    def _contents(self, stripe: Stripe, only: set[str] | None = None) -> list[tuple[str, Tally]]:
        """A copy of ``stripe``'s tallies, taken under the names lock, under which writers
        insert new ones. A C-level copy alone is not enough: a garbage collection during
        it can run a finalizer, which lets other threads in (seen as "dictionary changed
        size during iteration")."""
        with self._names_lock:
            if only is not None:  # a few actions (undo's capture): not every one held
                tallies = stripe.tallies
                return [(name, tallies[name]) for name in only if name in tallies]
            return list(stripe.tallies.items())

    def _new_tally(self) -> Tally:
        return Tally(self._new_distribution(), self._new_ring())

    def _new_ring(self) -> SecondRing:
        return SecondRing(self._ring_buckets)

    def _roll(self, stripe: Stripe, now: float) -> None:
        """Fold the times ``stripe`` holds into the second they came in, and start the
        second of ``now``: called by the stripe's owner on its first add of a new second,
        so each time is counted in the second of the clock when it was added."""
        with stripe.lock:
            flush_all(self._contents(stripe), stripe.second)
            second = math.floor(now)
            stripe.second, stripe.second_ends = second, float(second + 1)

    def _open_tally(self, stripe: Stripe, name: str, first: Number) -> Tally:
        """Register ``name`` if new and give it a tally in the caller's own stripe, holding
        ``first`` already: a reader may see the tally at once, and an empty one would
        show an action with no samples (an average of 0, a session that will not open)."""
        tally = self._new_tally()
        tally.pending.append(first)
        # Registering and inserting under one lock: a reset in between would otherwise
        # leave a tally whose name is unknown, hiding its samples from every reader.
        with self._names_lock:
            if name not in self._names:
                if len(self._names) >= MAX_ACTIONS:
                    # From None: the writers call this while handling their lookup's KeyError.
                    raise InvalidActionError(
                        f"cannot add action {name!r}: the tracker already holds "
                        f"{MAX_ACTIONS:,} distinct actions, the limit; reset it first"
                    ) from None
                self._names[name] = self._clock()
            stripe.tallies[name] = tally
        return tally

    def _gather(
        self,
        with_distributions: bool = False,
        known: tuple[int, dict[str, ActionStats]] | None = None,
        only: set[str] | None = None,
        with_rings: bool = False,
        since: int | None = None,
    ) -> _Cut:
        """Version, names in first-seen order, and a private copy of each action's tallies,
        all from one instant; without ``with_distributions``, only the moments are private.

        Buffers are flushed stripe by stripe first, so the moment when every lock is held
        at once (the consistent cut) has little left to do. Actions in ``known`` (stats
        from an earlier cut, with its reset count) whose count has not moved are listed
        in ``unchanged`` and not copied: samples are only ever added, so within one reset
        an equal count means the very same samples. With ``only``, just those actions'
        tallies are copied. ``with_rings`` copies the rings too; ``since``, a second,
        makes the cut a window's: every tally's seconds from that second on, read by one
        ``WindowReader`` into the cut's ``window`` (not ``groups``), none left out as
        unchanged.
        """
        with self._structure_lock:
            stripes = list(self._stripes)
            resets = self._resets
        for stripe in stripes:
            with stripe.lock:
                flush_all(self._contents(stripe, only), stripe.second)
        groups: dict[str, list[Tally]] = {}
        reader = None if since is None else WindowReader(since)
        parts: dict[str, list[int]] = {}
        latest: dict[int, Distribution] = {}
        with ExitStack() as stack:
            for stripe in stripes:
                stack.enter_context(stripe.lock)
            resets = self._resets
            # Counted before folding: every counted add has its time in a buffer already.
            version = resets + sum(stripe.adds for stripe in stripes)
            contents = [self._contents(stripe, only) for stripe in stripes]
            for stripe, items in zip(stripes, contents, strict=True):
                flush_all(items, stripe.second)
            unchanged = _unchanged(contents, known[1]) if known and known[0] == resets else set()
            for items in contents:
                for name, tally in items:
                    if name in unchanged or (only is not None and name not in only):
                        continue
                    if reader is None:
                        copy = tally.copy(with_distributions, with_rings)
                        groups.setdefault(name, []).append(copy)
                    elif (part := reader.read(tally.ring)) is not None:
                        parts.setdefault(name, []).append(part)
                        # The window's times one by one, where the distribution keeps
                        # them: taken below, once the parts' counts are known.
                        distribution = tally.distribution
                        if isinstance(distribution, SampleStore) or distribution.kept() is not None:
                            latest[part] = distribution
            if reader is not None:
                rows = reader.finish()
                if latest:
                    counts = rows.counts()
                    latest = {part: kept.latest(counts[part]) for part, kept in latest.items()}
            # Inside the cut: a reset right after it must not rename what was read.
            with self._names_lock:
                firsts = dict(self._names)
        window = None
        if reader is not None:  # a window's figures, worked out of the locks, all at once
            moments = dict(zip(parts, rows.moments(list(parts.values())), strict=True))
            window = _Window(rows, parts, latest, moments)
        return _Cut(version, resets, list(firsts), groups, unchanged, firsts, only, window)


def _merged(tallies: list[Tally]) -> Distribution:
    """One distribution holding every tally's times (the first one itself when alone)."""
    first = tallies[0].distribution
    return first.merged_with([t.distribution for t in tallies[1:]]) if len(tallies) > 1 else first


def _stats(name: str, tallies: list[Tally], seconds: float) -> ActionStats:
    """The figures of one action's ``tallies``, whose times came over ``seconds``."""
    moments = Moments.merged(tally.moments for tally in tallies)
    first, *others = (tally.distribution for tally in tallies)
    found = first.quantiles(QUANTILES, moments.minimum, moments.maximum, others)
    return _stats_of(name, moments, found, first.accuracy(others), seconds)


def _stats_of(
    name: str,
    moments: Moments,
    percentiles: tuple[Number, ...],
    accuracy: Accuracy,
    seconds: float,
) -> ActionStats:
    """The figures of one action from its ``moments`` and p50, p90, p99 worked out."""
    low, high = moments.minimum, moments.maximum
    p50, p90, p99 = percentiles
    count = moments.count
    return ActionStats(
        name,
        count,
        moments.mean,
        low,
        high,
        moments.stdev,
        p50,
        p90,
        p99,
        accuracy,
        unscaled(moments.total_scaled),
        _rate(count, seconds),
    )


def _rate(count: int, seconds: float) -> float:
    """``count`` times per second over ``seconds``, counted as at least one second: a
    time that just came is one time per second, not thousands."""
    return count / max(seconds, 1.0)


def _cumulative_counts(tallies: list[Tally], bounds: tuple[float, ...]) -> tuple[int, ...]:
    moments = Moments.merged(tally.moments for tally in tallies)
    first, *others = (tally.distribution for tally in tallies)
    return first.cumulative_counts(bounds, moments.minimum, moments.maximum, others)


def check_window(window: object) -> int:
    """``window`` as a number of seconds, 1 to RING_SECONDS; ``ValueError`` in words."""
    if type(window) is not int or not 1 <= window <= RING_SECONDS:
        raise ValueError(
            f"a window is a whole number of seconds from 1 to {RING_SECONDS}, got {window!r}"
        )
    return window


def _check_bounds(bounds: Sequence[float]) -> tuple[float, ...]:
    """``bounds`` as a tuple of floats: finite numbers in ascending order, else
    ``ValueError`` saying which one is wrong."""
    checked: list[float] = []
    for bound in bounds:
        if type(bound) not in (int, float) and not isinstance(bound, (np.integer, np.floating)):
            raise ValueError(f"histogram bounds must be numbers, got {bound!r}")
        value = float(bound)
        if not math.isfinite(value):
            raise ValueError(f"histogram bounds must be finite numbers, got {bound!r}")
        if checked and value < checked[-1]:
            raise ValueError(
                f"histogram bounds must be in ascending order: {bound!r} comes after "
                f"{checked[-1]!r}"
            )
        checked.append(value)
    return tuple(checked)


def _unchanged(contents: list[list[tuple[str, Tally]]], known: dict[str, ActionStats]) -> set[str]:
    """Names in ``known`` whose count across the stripes' ``contents`` is still the known
    one (caller holds every stripe lock, buffers flushed)."""
    counts: dict[str, int] = {}
    for items in contents:
        for name, tally in items:
            counts[name] = counts.get(name, 0) + tally.moments.count
    return {
        name
        for name, count in counts.items()
        if count and (stats := known.get(name)) is not None and stats.count == count
    }


@dataclass(frozen=True, slots=True)
class _Cut:
    """Everything a reader took from the stripes at one instant."""

    version: int
    resets: int
    names: list[str]
    groups: dict[str, list[Tally]]
    unchanged: set[str]
    """Names left out of ``groups`` because the caller's known figures still hold."""
    firsts: dict[str, float]
    """The clock when each name's first time came."""
    only: set[str] | None
    """The names the cut was limited to, if it was."""
    window: _Window | None = None
    """A window's cut holds its figures here, not in ``groups``; its rows live in the
    reading thread's scratch table, so a window cut is used up before that thread reads
    another window and is never kept."""

    def in_order(self) -> list[tuple[str, list[Tally]]]:
        """Actions with samples, in first-seen order."""
        window = self.window
        if window is not None:
            return [
                (name, window.tallies(name))
                for name in self.names
                if name in window.moments and window.moments[name].count
            ]
        groups = self.groups
        return [
            (name, groups[name])
            for name in self.names
            if name in groups and any(tally.moments.count for tally in groups[name])
        ]


@dataclass(frozen=True, slots=True)
class _Window:
    """A window's figures, as ``_gather`` read them: every action's seconds in ``rows``
    (an action's parts, one per stripe holding some, by name in ``parts``), the times
    one by one of the parts whose distribution keeps them, and each action's moments."""

    rows: WindowRows
    parts: dict[str, list[int]]
    latest: dict[int, Distribution]
    """By part, its times as its distribution keeps them (``Distribution.latest``)."""
    moments: dict[str, Moments]

    def exact_values(self, parts: list[int]) -> npt.NDArray[np.float64] | None:
        """The times of ``parts`` (of rings with buckets) when their sketches keep them
        one by one, and together no more than EXACT_LIMIT, as a sketch's exact
        percentiles are worked out from; else None."""
        arrays = []
        for part in parts:
            latest = self.latest.get(part)
            kept = None if latest is None else latest.kept()
            if kept is None:
                return None
            arrays.append(kept)
        if sum(len(kept) for kept in arrays) > EXACT_LIMIT:
            return None
        return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)

    def tallies(self, name: str) -> list[Tally]:
        """Private tallies of ``name``'s window, one per part: its figures ride on the
        first, the others add their times."""
        found = []
        for index, part in enumerate(self.parts[name]):
            latest = self.latest.get(part)
            if latest is None:  # a sketch past its exact values
                latest = LogSketch()
                latest.exact = None
            distribution = self.rows.part(part).distribution(latest)
            found.append(
                window_tally(self.moments[name] if index == 0 else Moments(), distribution)
            )
        return found


def _summed_buckets(
    rows: WindowRows, parts: list[int]
) -> tuple[npt.NDArray[np.integer], int, bool] | None:
    """An action's bucket counts over its window's ``parts`` (a row as ``bucket_quantiles``
    takes it), their first bucket and whether any part folded its low buckets; None when
    the parts together span more than MAX_BINS buckets (merging their sketches would
    fold them, as the one-by-one way does)."""
    if len(parts) == 1:
        (part,) = parts
        counts = rows.buckets[part]
        assert counts is not None
        return counts, rows.offsets[part], rows.folded[part]
    rows_of = [counts for part in parts if (counts := rows.buckets[part]) is not None]
    assert len(rows_of) == len(parts)
    offsets = [rows.offsets[part] for part in parts]
    folded = any(rows.folded[part] for part in parts)
    low = min(offsets)
    high = max(offset + len(counts) - 1 for offset, counts in zip(offsets, rows_of, strict=True))
    if high - low <= MAX_BINS:  # the rows as they are, with any empty buckets at the ends
        summed = np.zeros(high - low + 1, dtype=np.int64)
        for offset, counts in zip(offsets, rows_of, strict=True):
            summed[0] += counts[0]
            summed[1 + offset - low : offset - low + len(counts)] += counts[1:]
        return summed, low, folded
    # Else only their filled buckets count: merged sketches are trimmed first.
    zeros = 0
    spans: list[tuple[int, npt.NDArray[np.integer]]] = []
    for part in parts:
        counts = rows.buckets[part]
        assert counts is not None
        zeros += int(counts[0])
        filled = np.flatnonzero(counts[1:])
        if len(filled):
            first, last = int(filled[0]), int(filled[-1])
            spans.append((rows.offsets[part] + first, counts[1 + first : 2 + last]))
    if not spans:
        return np.array([zeros], dtype=np.int64), 0, folded
    low = min(offset for offset, _ in spans)
    high = max(offset + len(bins) for offset, bins in spans)
    if high - low > MAX_BINS:
        return None
    summed = np.zeros(high - low + 1, dtype=np.int64)
    summed[0] = zeros
    for offset, bins in spans:
        summed[1 + offset - low : 1 + offset - low + len(bins)] += bins
    return summed, low, folded
