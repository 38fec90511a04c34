"""``ActionTracker``: thread-safe per-action statistics fed by JSON payloads.

Each thread writes into a stripe of its own, so busy producers share no lock: under the
GIL a shared lock convoys, and the original one-lock design fell to a fifth of its speed
with two threads. A writer only appends to a per-action list (atomic) and bumps its own
counter; the lists are folded into the aggregates in batches, by numpy, under the
stripe's lock, which only folding and readers take. Readers merge the stripes while
holding every stripe lock, so each action's figures describe one set of samples.
"""

from __future__ import annotations

import operator
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import orjson

from core.errors import InvalidActionError, SessionError
from core.exactsum import Number
from core.loading import FileLoad, Source
from core.moments import Moments
from core.report import LoadProgress, LoadReport
from core.samples import SampleStore
from core.session import ActionState, TrackerState, read_session, write_session
from core.sketch import LogSketch
from core.stats import ActionStats, Snapshot
from core.timer import Timer
from core.validation import check_record, parse_payload

STRATEGIES = ("running", "samples")
MAX_ACTIONS = 10_000
"""Distinct action names one tracker holds; protects memory from runaway names."""
FLUSH_AT = 1024
"""Buffered times per action and thread before they are folded into the aggregates by
numpy; larger batches spread numpy's fixed cost per call (measured in bench/engine.py)."""
QUANTILES = (0.5, 0.9, 0.99)


class _Slot:
    """One action's buffer and aggregates inside one stripe."""

    __slots__ = ("distribution", "moments", "pending")

    def __init__(self, keeps_samples: bool) -> None:
        self.pending: list[Number] = []  # appended to by the owner thread without a lock
        self.moments = Moments()
        self.distribution: LogSketch | SampleStore = SampleStore() if keeps_samples else LogSketch()

    def fold(self, values: list[Number]) -> None:
        """Fold a batch into the aggregates (caller holds the stripe lock, and has
        flushed the buffer first so that order is kept)."""
        array = np.array(values, dtype=np.float64)
        low = self.moments.add(values, array)
        self.distribution.add(array, low)

    def flush(self) -> None:
        """Fold the buffered times into the aggregates (caller holds the stripe lock).

        Slicing and deleting a list prefix are single operations under the GIL, so the
        owner may keep appending meanwhile: what it appends stays for the next fold.
        """
        pending = self.pending
        count = len(pending)
        if count:
            values = pending[:count]
            del pending[:count]
            self.fold(values)


class _Stripe:
    """The state one thread writes; its lock serializes folding and reading. New slots
    are inserted under the tracker's names lock instead, so read ``slots`` as a whole
    only through ``ActionTracker._contents``."""

    __slots__ = ("adds", "lock", "slots")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.slots: dict[str, _Slot] = {}
        self.adds = 0  # written only by the owner, never reset: versions are built on it


class _Claim:
    """Held in a thread's local storage; when the thread ends, its stripe is freed for
    the next new thread, so the number of stripes follows the threads alive at once."""

    __slots__ = ("pool", "stripe")

    def __init__(self, stripe: _Stripe, pool: deque[_Stripe]) -> None:
        self.stripe, self.pool = stripe, pool

    def __del__(self) -> None:
        self.pool.append(self.stripe)  # deque.append is atomic: no lock in a finalizer


class ActionTracker:
    """Average time per named action, safe to call from any number of threads.

    ``strategy="running"`` keeps O(1) memory per action (a 1%-accurate quantile sketch);
    ``strategy="samples"`` keeps every time (8 bytes each) for exact percentiles and
    export. Both give identical count, mean, min and max.
    """

    def __init__(self, strategy: str = "running") -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be 'running' or 'samples', got {strategy!r}")
        self._strategy = strategy
        self._keeps_samples = strategy == "samples"
        self._local = threading.local()
        # Lock order: _structure_lock, then stripe locks in list order, then _names_lock.
        # Writers take none of them on the common path.
        self._structure_lock = threading.Lock()
        self._names_lock = threading.Lock()
        self._stripes: list[_Stripe] = []
        self._free_stripes: deque[_Stripe] = deque()
        self._names: dict[str, None] = {}  # first-seen order
        self._resets = 0
        self._last_snapshot: Snapshot | None = None
        # The last snapshot's figures by name, with the reset count they belong to: an
        # action whose count has not moved since is reused, not recomputed.
        self._known_stats: tuple[int, dict[str, ActionStats]] = (-1, {})

    @property
    def strategy(self) -> str:
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
        try:
            stripe = self._local.stripe
        except AttributeError:
            stripe = self._claim_stripe()
        slot = stripe.slots.get(name)
        if slot is None:
            slot = self._open_slot(stripe, name, time)
        else:
            slot.pending.append(time)
        stripe.adds += 1  # after the append: a reader that sees the count sees the time
        if len(slot.pending) >= FLUSH_AT:
            with stripe.lock:
                slot.flush()

    def add(self, action: str, time: Number) -> None:
        """Add one ``time`` (milliseconds) under ``action``, checked by exactly the rules of
        ``add_action``: for callers that already hold a name and a number (live sources,
        timers), so they need not build JSON. Raises ``InvalidActionError``; nothing changes
        then."""
        name, time = check_record({"action": action, "time": time})
        try:
            stripe = self._local.stripe
        except AttributeError:
            stripe = self._claim_stripe()
        slot = stripe.slots.get(name)
        if slot is None:
            slot = self._open_slot(stripe, name, time)
        else:
            slot.pending.append(time)
        stripe.adds += 1
        if len(slot.pending) >= FLUSH_AT:
            with stripe.lock:
                slot.flush()

    def timer(self, name: str) -> Timer:
        """A context manager and decorator adding the elapsed wall time (ms) under
        ``name``; see ``core.timer.Timer``. Raises ``InvalidActionError`` for a bad name."""
        return Timer(self, name)

    def add_actions(self, payloads: Iterable[str | bytes]) -> LoadReport:
        """Add many payloads; bad ones are reported by 1-based position, not raised."""
        report = LoadReport()
        records: list[tuple[int, str, Number]] = []
        for position, payload in enumerate(payloads, start=1):
            try:
                name, time = parse_payload(payload)
            except (InvalidActionError, TypeError) as error:
                report.reject(position, str(error))
            else:
                records.append((position, name, time))
        self.add_records(records, report)
        report.rejected.sort(key=lambda rejection: rejection.record)
        return report

    def add_records(self, records: list[tuple[int, str, Number]], report: LoadReport) -> None:
        """Add already-checked ``(record number, name, time)`` triples, counting them in
        ``report``."""
        try:
            stripe = self._local.stripe
        except AttributeError:
            stripe = self._claim_stripe()
        for record, name, time in records:
            slot = stripe.slots.get(name)
            if slot is None:
                try:
                    slot = self._open_slot(stripe, name, time)
                except InvalidActionError as error:
                    report.reject(record, str(error))
                    continue
            else:
                slot.pending.append(time)
            stripe.adds += 1
            report.accepted += 1
            if len(slot.pending) >= FLUSH_AT:
                with stripe.lock:
                    slot.flush()

    def add_batch(self, names: list[str], times: list[Number]) -> bool:
        """Add checked ``names[i]`` with ``times[i]`` all at once, folding each action's
        times in one numpy pass; the file loader's fast path. Adds nothing and returns
        False when the batch would pass the limit of distinct actions."""
        distinct = list(dict.fromkeys(names))
        with self._names_lock:
            new = [name for name in distinct if name not in self._names]
            if len(self._names) + len(new) > MAX_ACTIONS:
                return False
            self._names.update(dict.fromkeys(new))
        groups = _group(names, times, distinct)
        try:
            stripe = self._local.stripe
        except AttributeError:
            stripe = self._claim_stripe()
        with stripe.lock:
            for name, values in groups.items():
                slot = stripe.slots.get(name)
                if slot is None:
                    slot = self._open_slot(stripe, name)  # unseen until the lock is let go
                slot.flush()
                slot.fold(values)
            stripe.adds += len(times)
        return True

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
        return FileLoad(self, source)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the whole state (aggregates, sketches or samples, strategy, version) to
        ``path`` atomically; see ``core.session`` for the format."""
        cut = self._gather(copy_distributions=True)
        actions = []
        for name, slots in cut.in_order():
            state = ActionState(name, Moments.merged(slot.moments for slot in slots))
            stores = [slot.distribution for slot in slots]
            if self._keeps_samples:
                views = [store.view() for store in stores if isinstance(store, SampleStore)]
                state.samples = np.concatenate(views)
            else:
                state.sketch = LogSketch.merged(s for s in stores if isinstance(s, LogSketch))
            actions.append(state)
        write_session(path, TrackerState(self._strategy, cut.version, actions))

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> ActionTracker:
        """A tracker restored from a session saved by ``save``, figure for figure.
        Raises ``SessionError`` for a damaged, foreign or newer file, ``OSError`` when it
        cannot be read; no half-restored tracker is ever returned."""
        state = read_session(path)
        if len(state.actions) > MAX_ACTIONS:
            raise SessionError(f"the session holds more than {MAX_ACTIONS:,} actions")
        tracker = cls(state.strategy)
        stripe = _Stripe()  # owned by no thread: new adds go to the writers' own stripes
        for action in state.actions:
            slot = _Slot(tracker._keeps_samples)
            slot.moments = action.moments
            if action.sketch is not None:
                slot.distribution = action.sketch
            elif action.samples is not None:
                store = SampleStore()
                store.add(action.samples)
                slot.distribution = store
            stripe.slots[action.name] = slot
            tracker._names[action.name] = None
        tracker._stripes.append(stripe)
        tracker._resets = state.version
        return tracker

    def reset(self) -> None:
        """Forget every action and sample."""
        with self._structure_lock, ExitStack() as stack:
            for stripe in self._stripes:
                stack.enter_context(stripe.lock)
            with self._names_lock:
                for stripe in self._stripes:
                    stripe.slots = {}
                self._names.clear()
                self._resets += 1
        self._known_stats = (-1, {})

    # --- reading -------------------------------------------------------------------

    def get_stats(self) -> str:
        """JSON array of ``{"action", "avg"}`` in first-seen order; costs O(actions)."""
        cut = self._gather()
        return orjson.dumps(
            [
                {"action": name, "avg": Moments.merged(s.moments for s in slots).mean}
                for name, slots in cut.in_order()
            ]
        ).decode()

    def snapshot(self) -> Snapshot:
        """An immutable, consistent view of every action's figures."""
        cached = self._last_snapshot
        if cached is not None and cached.version == self.version:
            return cached
        known = self._known_stats  # one read: another thread may replace it meanwhile
        cut = self._gather(copy_distributions=True, known=known)
        actions = []
        for name in cut.names:
            stats = known[1].get(name) if name in cut.unchanged else None
            if stats is None:
                slots = cut.groups.get(name)
                if slots is None or not any(slot.moments.count for slot in slots):
                    continue
                stats = self._stats(name, slots)
            actions.append(stats)
        snapshot = Snapshot(cut.version, tuple(actions), self._strategy, cut.resets)
        self._known_stats = (cut.resets, {stats.action: stats for stats in actions})
        self._last_snapshot = snapshot
        return snapshot

    def samples(self, action: str) -> npt.NDArray[np.float64]:
        """Every time recorded for ``action`` (a copy), for export; "samples" only."""
        if not self._keeps_samples:
            raise ValueError(
                "the 'running' strategy keeps no samples; use ActionTracker(strategy='samples')"
            )
        stores = [slot.distribution for slot in self._gather().groups.get(action, [])]
        views = [store.view() for store in stores if isinstance(store, SampleStore)]
        return np.concatenate(views) if views else np.empty(0, dtype=np.float64)

    def memory_bytes(self) -> int:
        """Bytes held by sketches or sample arrays (buffers and small objects excluded)."""
        total = 0
        with self._structure_lock:
            stripes = list(self._stripes)
        for stripe in stripes:
            with stripe.lock:
                for _, slot in self._contents(stripe):
                    store = slot.distribution
                    total += store.nbytes if isinstance(store, SampleStore) else store.bins.nbytes
        return total

    # --- internals -----------------------------------------------------------------

    def _claim_stripe(self) -> _Stripe:
        """Give the calling thread a stripe: one freed by an ended thread, or a new one."""
        try:
            stripe = self._free_stripes.popleft()
        except IndexError:
            stripe = _Stripe()
            with self._structure_lock:
                self._stripes.append(stripe)
        self._local.claim = _Claim(stripe, self._free_stripes)
        self._local.stripe = stripe
        return stripe

    def _contents(self, stripe: _Stripe) -> list[tuple[str, _Slot]]:
        """A copy of ``stripe``'s slots, taken under the names lock, under which writers
        insert new ones. A C-level copy alone is not enough: a garbage collection during
        it can run a finalizer, which lets other threads in (seen as "dictionary changed
        size during iteration")."""
        with self._names_lock:
            return list(stripe.slots.items())

    def _open_slot(self, stripe: _Stripe, name: str, first: Number | None = None) -> _Slot:
        """Register ``name`` if new and give it a slot in the caller's own stripe, holding
        ``first`` already: a reader may see the slot at once, and an empty slot would
        show an action with no samples (an average of 0, a session that will not open)."""
        slot = _Slot(self._keeps_samples)
        if first is not None:
            slot.pending.append(first)
        # Registering and inserting under one lock: a reset in between would otherwise
        # leave a slot whose name is unknown, hiding its samples from every reader.
        with self._names_lock:
            if name not in self._names:
                if len(self._names) >= MAX_ACTIONS:
                    raise InvalidActionError(
                        f"cannot add action {name!r}: the tracker already holds "
                        f"{MAX_ACTIONS:,} distinct actions, the limit; reset it first"
                    )
                self._names[name] = None
            stripe.slots[name] = slot
        return slot

    def _gather(
        self,
        copy_distributions: bool = False,
        known: tuple[int, dict[str, ActionStats]] | None = None,
    ) -> _Cut:
        """Version, names in first-seen order, and a private copy of each action's slots,
        all from one instant.

        Buffers are flushed stripe by stripe first, so the moment when every lock is held
        at once (the consistent cut) has little left to do. Actions in ``known`` (stats
        from an earlier cut, with its reset count) whose count has not moved are listed
        in ``unchanged`` and not copied: samples are only ever added, so within one reset
        an equal count means the very same samples.
        """
        with self._structure_lock:
            stripes = list(self._stripes)
            resets = self._resets
        for stripe in stripes:
            with stripe.lock:
                _flush(self._contents(stripe))
        groups: dict[str, list[_Slot]] = {}
        with ExitStack() as stack:
            for stripe in stripes:
                stack.enter_context(stripe.lock)
            resets = self._resets
            # Counted before folding: every counted add has its time in a buffer already.
            version = resets + sum(stripe.adds for stripe in stripes)
            contents = [self._contents(stripe) for stripe in stripes]
            for items in contents:
                _flush(items)
            unchanged = _unchanged(contents, known[1]) if known and known[0] == resets else set()
            for items in contents:
                for name, slot in items:
                    if name not in unchanged:
                        groups.setdefault(name, []).append(_copy_slot(slot, copy_distributions))
            # Inside the cut: a reset right after it must not rename what was read.
            with self._names_lock:
                names = list(self._names)
        return _Cut(version, resets, names, groups, unchanged)

    def _stats(self, name: str, slots: list[_Slot]) -> ActionStats:
        moments = Moments.merged(slot.moments for slot in slots)
        quantiles = _quantiles(moments, slots)
        return ActionStats(
            name,
            moments.count,
            moments.mean,
            moments.minimum,
            moments.maximum,
            moments.stdev,
            *quantiles,
        )


def _flush(contents: list[tuple[str, _Slot]]) -> None:
    """Fold the buffers of ``contents``, a copy of one stripe's slots (caller holds that
    stripe's lock)."""
    for _, slot in contents:
        if slot.pending:  # tested here: a call per idle slot costs 10 ms per 10,000
            slot.flush()


def _quantiles(moments: Moments, slots: list[_Slot]) -> tuple[Number, ...]:
    """p50, p90, p99 within [min, max]: exact ("samples") or from the sketch."""
    low, high = moments.minimum, moments.maximum
    stores = [slot.distribution for slot in slots]
    sketches = [s for s in stores if isinstance(s, LogSketch)]
    if len(sketches) == 1:  # one stripe saw the action: read its (copied) sketch as is
        return sketches[0].quantiles(QUANTILES, low, high)
    if sketches:
        return LogSketch.merged(sketches).quantiles(QUANTILES, low, high)
    views = [s.view() for s in stores if isinstance(s, SampleStore)]
    data = np.concatenate(views) if len(views) > 1 else views[0].copy()
    exact = np.quantile(data, QUANTILES, overwrite_input=True)
    return tuple(min(max(float(value), low), high) for value in exact)


def _unchanged(contents: list[list[tuple[str, _Slot]]], known: dict[str, ActionStats]) -> set[str]:
    """Names in ``known`` whose count across the stripes' ``contents`` is still the known
    one (caller holds every stripe lock, buffers flushed)."""
    counts: dict[str, int] = {}
    for items in contents:
        for name, slot in items:
            counts[name] = counts.get(name, 0) + slot.moments.count
    return {
        name
        for name, count in counts.items()
        if count and (stats := known.get(name)) is not None and stats.count == count
    }


def _group(names: list[str], times: list[Number], distinct: list[str]) -> dict[str, list[Number]]:
    """Times grouped by name, keeping arrival order within each name."""
    if len(distinct) == 1:
        return {distinct[0]: times}
    if len(distinct) <= 32:  # a numpy pass per name, gathering in C, beats a Python loop
        code_of = {name: code for code, name in enumerate(distinct)}
        codes = np.fromiter(map(code_of.__getitem__, names), dtype=np.intp, count=len(names))
        groups = {}
        for code, name in enumerate(distinct):
            where = np.flatnonzero(codes == code).tolist()
            picked = operator.itemgetter(*where)(times)
            groups[name] = list(picked) if len(where) > 1 else [picked]
        return groups
    grouped: dict[str, list[Number]] = {name: [] for name in distinct}
    for name, time in zip(names, times, strict=True):
        grouped[name].append(time)
    return grouped


def _copy_slot(slot: _Slot, copy_distribution: bool) -> _Slot:
    """A private copy of a flushed slot, so merging can happen outside the locks.

    Sample stores are append-only, so a frozen view of the filled prefix needs no copy.
    Sketches are shared, not copied, when the caller only needs the moments.
    """
    clone = _Slot.__new__(_Slot)
    clone.pending = []
    clone.moments = slot.moments.copy()
    store = slot.distribution
    if isinstance(store, LogSketch):
        clone.distribution = store.copy() if copy_distribution else store
    else:
        clone.distribution = store.frozen()
    return clone


@dataclass(frozen=True, slots=True)
class _Cut:
    """Everything a reader took from the stripes at one instant."""

    version: int
    resets: int
    names: list[str]
    groups: dict[str, list[_Slot]]
    unchanged: set[str]
    """Names left out of ``groups`` because the caller's known figures still hold."""

    def in_order(self) -> list[tuple[str, list[_Slot]]]:
        """Actions with samples, in first-seen order."""
        groups = self.groups
        return [
            (name, groups[name])
            for name in self.names
            if name in groups and any(slot.moments.count for slot in groups[name])
        ]
