"""A worker's Folder: the aggregates of gathered chunks are those of adding the same
records to a tracker chunk by chunk, an int extreme staying an int and the first of
equal extremes (5 before 5.0) kept, whatever the folds' sizes."""

from __future__ import annotations

import random

import numpy as np
import pytest

import core.folded
from core import ActionTracker, LoadReport, Strategy
from core.exactsum import Number
from core.folded import Folder
from core.validation import CheckedRecords


def _chunks(seed: int) -> list[CheckedRecords]:
    """Chunks of checked records as a loader hands them on: several actions, one action,
    ints and floats of equal value at both ends (zero among them), and times past 2**53
    (no float64)."""
    rng = random.Random(seed)
    chunks = []
    for number in range(12):
        names: list[str] = []
        times: list[Number] = []
        actions = ["solo"] if number % 4 == 1 else [f"a{i}" for i in range(rng.randrange(2, 6))]
        for _ in range(rng.randrange(1, 400)):
            names.append(rng.choice(actions))
            kind = rng.random()
            if kind < 0.1:
                times.append(rng.choice([0, 0.0, 1, 1.0, 999, 999.0]))
            elif kind < 0.5:
                times.append(rng.randrange(2, 999))
            else:
                times.append(round(rng.uniform(1.5, 998), 3))
        if number == 7:
            times[0] = 2**60 + 1  # no float64 holds it: folded at once, exactly
            array = None
        else:
            array = np.array(times, dtype=np.float64)
        chunks.append(CheckedRecords(names, times, range(len(names)), array=array))
    return chunks


def _figures(tracker: ActionTracker) -> list[tuple[object, ...]]:
    """Every figure of every action, and with "samples" its times in the order kept
    (gathered runs folded out of order would change nothing else)."""
    return [
        (
            a.action, a.count, a.mean, a.min, type(a.min), a.max, type(a.max), a.p50, a.p99,
            tracker.samples(a.action).tobytes() if tracker.strategy == "samples" else None,
        )
        for a in sorted(tracker.snapshot().actions, key=lambda a: a.action)
    ]  # fmt: skip


@pytest.mark.parametrize("strategy", ["running", "samples"])
@pytest.mark.parametrize("fold_at", [1, 500, 1 << 17])
@pytest.mark.parametrize("byte_codes", [1, 256])  # actions numbered in uint16, in bytes
def test_folded_chunks_give_the_figures_of_adding_them_chunk_by_chunk(
    monkeypatch: pytest.MonkeyPatch, strategy: Strategy, fold_at: int, byte_codes: int
) -> None:
    monkeypatch.setattr(core.folded, "FOLD_AT", fold_at)
    monkeypatch.setattr(core.folded, "_BYTE_CODES", byte_codes)
    for seed in range(4):
        added, merged = ActionTracker(strategy), ActionTracker(strategy)
        folder = Folder(strategy)
        for chunk in _chunks(seed):
            added._add_checked(chunk, LoadReport(format="lines"))
            folder(chunk, LoadReport(format="lines"))
        folded = folder.folded()
        assert folded is not None
        assert merged._add_checked(folded, LoadReport(format="lines"))
        assert _figures(merged) == _figures(added)
        assert folded.count == sum(action.count for action in added.snapshot().actions)


def test_a_folder_gives_up_past_the_limit_of_distinct_actions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core.folded, "MAX_FOLDED_ACTIONS", 3)
    folder, report = Folder("running"), LoadReport(format="lines")
    names = ["a", "b", "c"]
    folder(CheckedRecords(names, [1, 2, 3], range(3), array=np.array([1.0, 2.0, 3.0])), report)
    assert folder.folded() is not None
    folder(CheckedRecords(["d"], [4], range(1), array=np.array([4.0])), report)
    assert folder.folded() is None
