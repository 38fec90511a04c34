"""Lines from a live source gathered into batches that a tracker merges at once.

A worker process parses and checks every line, groups the timings by action and hands
its owner a ``LiveBatch`` every few tens of milliseconds: per action, the aggregates a
tracker keeps (a ``TrackerState``), so that the owner's process spends per batch time
in proportion to the actions in it, not to the lines. Lines are checked by exactly the
rules of ``LineFeeder`` (``tracker.add``); the limit of distinct actions is checked
again when the batch is merged, against the tracker's own names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import core.tracker
from core.errors import InvalidActionError
from core.exactsum import Number
from core.linefeed import describe_peer, parse_line, text_lines
from core.livecounts import MAX_ERROR_LINE, LineError, SourceTally, TallyDelta
from core.moments import Moments
from core.session import ActionState, TrackerState
from core.statsd import Ignored, plain_timer
from core.strategy import NEW_DISTRIBUTION, Strategy
from core.tracker import ActionTracker
from core.validation import check_record


@dataclass(frozen=True, slots=True)
class LiveBatch:
    """What a worker read since its last batch: the timings as per-action aggregates
    (``state``), the lines each action stands for with the first of them and its
    source (to list them should the tracker refuse the action), and the other counts."""

    state: TrackerState
    lines: dict[str, tuple[int, str, str]]
    """Per action: (lines, first line cut for showing, the first line's source)."""
    counted: TallyDelta
    """Lines ignored or rejected while parsing, drops and errors."""


def limit_reason(name: str) -> str:
    """Why a new action is refused at the limit, in ``ActionTracker.add``'s words."""
    return (
        f"cannot add action {name!r}: the tracker already holds "
        f"{core.tracker.MAX_ACTIONS:,} distinct actions, the limit; reset it first"
    )


class BatchFeeder:
    """Parses lines like ``LineFeeder`` but gathers the timings by action instead of
    adding them; ``take()`` hands them on as a ``LiveBatch``. One thread feeds; the
    taker runs on the same thread (the parser's tick)."""

    def __init__(self, strategy: Strategy, tally: SourceTally) -> None:
        self._strategy = strategy
        self._tally = tally
        self._start_batch()

    def _start_batch(self) -> None:
        # Keyed by the name as sent: one dictionary look-up a line on the common path;
        # names that trim to the same action are put together in ``take``.
        self._groups: dict[str, list[Number]] = {}
        self._action_of: dict[str, str] = {}
        self._first: dict[str, tuple[str, str]] = {}
        self._packed: dict[str, int] = {}  # values beyond one a line, per name as sent
        self._actions: dict[str, None] = {}

    def feed(self, data: bytes, source: object) -> None:
        """Take ``data``: lines separated by newlines, as ``LineFeeder.feed`` does. A bad
        line is counted and listed, never raised, and adds nothing."""
        rejections: list[tuple[str, str]] = []
        lines = text_lines(data, rejections)
        ignored = 0
        groups = self._groups
        plain = plain_timer
        for text in lines:
            line = text[:-1] if text.endswith("\r") else text  # CRLF senders
            if not line:
                continue
            try:
                if line[0] != "{" and (timing := plain(line)) is not None:
                    sent, value = timing
                    if value == math.inf:  # a plain decimal too large for a float
                        check_record({"action": sent, "time": value})
                    values = groups.get(sent)
                    if values is None:
                        values = self._open(sent, line, source)
                    values.append(value)
                    continue
                parsed = parse_line(line)
                if isinstance(parsed, Ignored):
                    ignored += 1
                    continue
                sent = parsed.name
                values = groups.get(sent)
                if values is None:
                    values = self._open(sent, line, source)
                values.extend(parsed.values)
                if len(parsed.values) > 1:
                    self._packed[sent] = self._packed.get(sent, 0) + len(parsed.values) - 1
            except InvalidActionError as error:
                rejections.append((line, str(error)))
        if ignored or rejections:
            self._tally.add(0, ignored, rejections, describe_peer(source) if rejections else "")

    def _open(self, sent: str, line: str, source: object) -> list[Number]:
        """A new name in this batch: checked like ``tracker.add`` checks it (raising
        ``InvalidActionError``), and refused past the limit of distinct actions."""
        action, _ = check_record({"action": sent, "time": 0})
        if action not in self._actions and len(self._actions) >= core.tracker.MAX_ACTIONS:
            raise InvalidActionError(limit_reason(action))
        self._actions[action] = None
        self._action_of[sent] = action
        self._first[sent] = (line[:MAX_ERROR_LINE], describe_peer(source))
        values: list[Number] = []
        self._groups[sent] = values
        return values

    def take(self) -> LiveBatch | None:
        """The batch gathered since the last ``take`` (None when nothing happened), and a
        fresh one begun."""
        counted = self._tally.take()
        if not self._groups and counted == _NOTHING_COUNTED:
            return None
        by_action: dict[str, list[list[Number]]] = {}
        lines: dict[str, tuple[int, str, str]] = {}
        for sent, values in self._groups.items():
            action = self._action_of[sent]
            by_action.setdefault(action, []).append(values)
            count = len(values) - self._packed.get(sent, 0)
            before = lines.get(action)
            if before is None:
                lines[action] = (count, *self._first[sent])
            else:
                lines[action] = (before[0] + count, before[1], before[2])
        new_distribution = NEW_DISTRIBUTION[self._strategy]
        actions = []
        for action, parts in by_action.items():
            values = parts[0] if len(parts) == 1 else [v for part in parts for v in part]
            array = np.array(values, dtype=np.float64)
            moments = Moments()
            moments.add(values, array)
            distribution = new_distribution()
            distribution.add(array)
            actions.append(ActionState(action, moments, distribution))
        self._start_batch()
        return LiveBatch(TrackerState(self._strategy, 0, actions), lines, counted)


_NOTHING_COUNTED = TallyDelta(0, 0, 0, 0, 0, 0, ())


def apply_batch(batch: LiveBatch, tracker: ActionTracker, tally: SourceTally) -> None:
    """Merge ``batch`` into ``tracker`` at once and count its lines in ``tally``. When the
    tracker cannot take every new action (its limit of distinct ones), the actions it
    holds and as many new ones as fit are merged, and the lines of the others are
    rejected, as ``tracker.add`` would have rejected them one by one."""
    state = batch.state
    refused: list[str] = []
    if state.actions:
        try:
            tracker.merge(state)
        except InvalidActionError:
            refused = _merge_within_limit(state, tracker)
    lines = batch.lines
    accepted = sum(count for count, _, _ in lines.values())
    rejections = []
    for action in refused:
        count, line, source = lines[action]
        accepted -= count
        rejections.append((LineError(line, limit_reason(action), source), count))
    tally.absorb(batch.counted, accepted, rejections)


def _merge_within_limit(state: TrackerState, tracker: ActionTracker) -> list[str]:
    """Merge the actions of ``state`` that the tracker holds, and the new ones that fit
    under its limit, first come first; return the names refused."""
    held = {stats.action for stats in tracker.snapshot().actions}
    room = max(0, core.tracker.MAX_ACTIONS - len(held))
    kept: list[ActionState] = []
    refused: list[str] = []
    for action in state.actions:
        if action.name in held:
            kept.append(action)
        elif room:
            kept.append(action)
            room -= 1
        else:
            refused.append(action.name)
    try:
        tracker.merge(TrackerState(state.strategy, state.version, kept))
    except InvalidActionError:  # another source took the room meanwhile: new ones wait no more
        known = [action for action in kept if action.name in held]
        refused += [action.name for action in kept if action.name not in held]
        try:
            tracker.merge(TrackerState(state.strategy, state.version, known))
        except InvalidActionError:
            refused += [action.name for action in known]
    return refused
