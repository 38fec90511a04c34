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

import math
import os
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterable
from contextlib import ExitStack
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import orjson

from core.errors import InvalidActionError, SessionError
from core.exactsum import Number
from core.folded import FoldedRecords
from core.loading import FileLoad, Source
from core.moments import Moments
from core.report import LoadProgress, LoadReport
from core.session import ActionState, TrackerState, read_session, write_session
from core.stats import ActionStats, Snapshot
from core.strategy import NEW_DISTRIBUTION, Distribution, Strategy, check_strategy
from core.stripes import FLUSH_AT, Stripe, StripeClaim, Tally, flush_all, group_by_name
from core.timer import Timer
from core.validation import CheckedRecords, check_record, parse_payload

MAX_ACTIONS = 10_000
"""Distinct action names one tracker holds; protects memory from runaway names."""
QUANTILES = (0.5, 0.9, 0.99)


class ActionTracker:
    """Average time per named action, safe to call from any number of threads.

    ``strategy="running"`` keeps O(1) memory per action (a 1%-accurate quantile sketch);
    ``strategy="samples"`` keeps every time (8 bytes each) for exact percentiles and
    export. Both give identical count, mean, min and max.
    """

    def __init__(self, strategy: Strategy = "running") -> None:
        self._strategy: Strategy = check_strategy(strategy)
        self._new_distribution = NEW_DISTRIBUTION[self._strategy]
        self._local = threading.local()
        # Lock order: _structure_lock, then stripe locks in list order, then _names_lock.
        # Writers take none of them on the common path.
        self._structure_lock = threading.Lock()
        self._names_lock = threading.Lock()
        self._stripes: list[Stripe] = []
        self._free_stripes: deque[Stripe] = deque()
        self._names: dict[str, None] = {}  # first-seen order
        self._held: Stripe | None = None  # owned by no thread: restored and merged actions
        self._resets = 0
        self._last_snapshot: Snapshot | None = None
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
        name, time = parse_payload(payload)
        # _add_one inlined: this is the hottest path, where one more call shows.
        try:
            stripe: Stripe = self._local.stripe
        except AttributeError:
            stripe = self._own_stripe()
        tally = stripe.tallies.get(name)
        if tally is None:
            tally = self._open_tally(stripe, name, time)
        else:
            tally.pending.append(time)
        stripe.adds += 1
        if len(tally.pending) >= FLUSH_AT:
            with stripe.lock:
                tally.flush()

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
        cut = self._gather(with_distributions=True, only=None if names is None else set(names))
        actions = [
            ActionState(name, Moments.merged(t.moments for t in tallies), _merged(tallies))
            for name, tallies in cut.in_order()
        ]
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
    def open(cls, path: str | os.PathLike[str]) -> ActionTracker:
        """A tracker restored from a session saved by ``save``, figure for figure.
        Raises ``SessionError`` for a damaged, foreign or newer file, ``OSError`` when it
        cannot be read; no half-restored tracker is ever returned."""
        state = read_session(path)
        if len(state.actions) > MAX_ACTIONS:
            raise SessionError(f"the session holds more than {MAX_ACTIONS:,} actions")
        tracker = cls(state.strategy)
        stripe = Stripe()  # owned by no thread: new adds go to the writers' own stripes
        for action in state.actions:
            tally = Tally(action.distribution)
            tally.moments = action.moments
            stripe.tallies[action.name] = tally
            tracker._names[action.name] = None
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

    def snapshot(self) -> Snapshot:
        """An immutable, consistent view of every action's figures."""
        cached = self._last_snapshot
        if cached is not None and cached.version == self.version:
            return cached
        known = self._known_stats  # one read: another thread may replace it meanwhile
        cut = self._gather(with_distributions=True, known=known)
        actions = []
        for name in cut.names:
            stats = known[1].get(name) if name in cut.unchanged else None
            if stats is None:
                tallies = cut.groups.get(name)
                if tallies is None or not any(tally.moments.count for tally in tallies):
                    continue
                stats = _stats(name, tallies)
            actions.append(stats)
        snapshot = Snapshot(cut.version, tuple(actions), self._strategy, cut.resets)
        self._known_stats = (cut.resets, {stats.action: stats for stats in actions})
        self._last_snapshot = snapshot
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
        tally = stripe.tallies.get(name)
        if tally is None:
            tally = self._open_tally(stripe, name, time)
        else:
            tally.pending.append(time)
        stripe.adds += 1  # after the append: a reader that sees the count sees the time
        if len(tally.pending) >= FLUSH_AT:
            with stripe.lock:
                tally.flush()

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
                    tally.flush()
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
        # The limit check, the registering of new names and the opening of their tallies
        # happen under this stripe's lock, which a reset needs: a reset between them
        # would let other names take the room, failing the batch half-folded.
        with stripe.lock:
            tallies = stripe.tallies
            with self._names_lock:
                new = [name for name in distinct if name not in self._names]
                if len(self._names) + len(new) > MAX_ACTIONS:
                    return False
                self._names.update(dict.fromkeys(new))
                for name in distinct:
                    if name not in tallies:  # empty, but unseen until the lock is let go
                        tallies[name] = Tally(self._new_distribution())
            if groups is not None:
                for name, (values, array) in groups.items():
                    tally = tallies[name]
                    tally.flush()
                    tally.fold(values, array)
            else:
                assert isinstance(records, FoldedRecords)
                for name, moments, distribution in zip(
                    records.names, records.moments, records.distributions, strict=True
                ):
                    tally = tallies[name]
                    tally.flush()
                    tally.moments = Moments.merged([tally.moments, moments])
                    # Every time, when kept, is appended in order; a sketch merges its counts.
                    kept = distribution.values()
                    if kept is not None:
                        tally.distribution.add(kept)
                    else:
                        tally.distribution = tally.distribution.merged_with([distribution])
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
                names = dict.fromkeys(kept + [action.name for action in state.actions])
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
                for action in state.actions:
                    tally = Tally(action.distribution.frozen())
                    tally.moments = action.moments.copy()
                    before = held.get(action.name)
                    if before is not None:  # only when merging: covered names are gone
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

    def _open_tally(self, stripe: Stripe, name: str, first: Number) -> Tally:
        """Register ``name`` if new and give it a tally in the caller's own stripe, holding
        ``first`` already: a reader may see the tally at once, and an empty one would
        show an action with no samples (an average of 0, a session that will not open)."""
        tally = Tally(self._new_distribution())
        tally.pending.append(first)
        # Registering and inserting under one lock: a reset in between would otherwise
        # leave a tally whose name is unknown, hiding its samples from every reader.
        with self._names_lock:
            if name not in self._names:
                if len(self._names) >= MAX_ACTIONS:
                    raise InvalidActionError(
                        f"cannot add action {name!r}: the tracker already holds "
                        f"{MAX_ACTIONS:,} distinct actions, the limit; reset it first"
                    )
                self._names[name] = None
            stripe.tallies[name] = tally
        return tally

    def _gather(
        self,
        with_distributions: bool = False,
        known: tuple[int, dict[str, ActionStats]] | None = None,
        only: set[str] | None = None,
    ) -> _Cut:
        """Version, names in first-seen order, and a private copy of each action's tallies,
        all from one instant; without ``with_distributions``, only the moments are private.

        Buffers are flushed stripe by stripe first, so the moment when every lock is held
        at once (the consistent cut) has little left to do. Actions in ``known`` (stats
        from an earlier cut, with its reset count) whose count has not moved are listed
        in ``unchanged`` and not copied: samples are only ever added, so within one reset
        an equal count means the very same samples. With ``only``, just those actions'
        tallies are copied.
        """
        with self._structure_lock:
            stripes = list(self._stripes)
            resets = self._resets
        for stripe in stripes:
            with stripe.lock:
                flush_all(self._contents(stripe, only))
        groups: dict[str, list[Tally]] = {}
        with ExitStack() as stack:
            for stripe in stripes:
                stack.enter_context(stripe.lock)
            resets = self._resets
            # Counted before folding: every counted add has its time in a buffer already.
            version = resets + sum(stripe.adds for stripe in stripes)
            contents = [self._contents(stripe, only) for stripe in stripes]
            for items in contents:
                flush_all(items)
            unchanged = _unchanged(contents, known[1]) if known and known[0] == resets else set()
            for items in contents:
                for name, tally in items:
                    if name not in unchanged and (only is None or name in only):
                        groups.setdefault(name, []).append(tally.copy(with_distributions))
            # Inside the cut: a reset right after it must not rename what was read.
            with self._names_lock:
                names = list(self._names)
        return _Cut(version, resets, names, groups, unchanged)


def _merged(tallies: list[Tally]) -> Distribution:
    """One distribution holding every tally's times (the first one itself when alone)."""
    first = tallies[0].distribution
    return first.merged_with([t.distribution for t in tallies[1:]]) if len(tallies) > 1 else first


def _stats(name: str, tallies: list[Tally]) -> ActionStats:
    moments = Moments.merged(tally.moments for tally in tallies)
    low, high = moments.minimum, moments.maximum
    first, *others = (tally.distribution for tally in tallies)
    p50, p90, p99 = first.quantiles(QUANTILES, low, high, others)
    accuracy = first.accuracy(others)
    return ActionStats(
        name, moments.count, moments.mean, low, high, moments.stdev, p50, p90, p99, accuracy
    )


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

    def in_order(self) -> list[tuple[str, list[Tally]]]:
        """Actions with samples, in first-seen order."""
        groups = self.groups
        return [
            (name, groups[name])
            for name in self.names
            if name in groups and any(tally.moments.count for tally in groups[name])
        ]
