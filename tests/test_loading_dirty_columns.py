"""A chunk with bad lines keeps its good ones on the column path, times as float64
included: the figures are those of adding every good line on its own."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import core.loading
from core import ActionTracker
from core.linechecks import check_lines_each
from tests.test_loading_paths import MIXED_LINES, line_by_line

CAREFUL_OTHERS = (
    b'{"action": "zero", "time": 0, "note": 1}',
    b'{"action": " big ", "time": 9007199254740993, "note": 1}',
    b'{"action": "tiny", "time": 5e-324, "note": [1]}',
)
"""Valid records that msgspec refuses (another field) and the column checks flag: their
times are decided on their own, float64 copy included."""


def figures(tracker: ActionTracker) -> list[tuple[object, ...]]:
    """Every action's figures, each with its type (an int mean or minimum stays one)."""
    return [
        (a.action, a.count, *((value, type(value)) for value in (a.mean, a.min, a.max)), a.p50)
        for a in tracker.snapshot().actions
    ]


@pytest.mark.parametrize("strategy", ["running", "samples"])
def test_a_dirty_file_has_the_figures_of_its_good_lines_added_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strategy: str
) -> None:
    monkeypatch.setattr(core.loading, "CHUNK_BYTES", 1 << 17)  # several chunks
    rng = random.Random(5)
    lines = []
    for _ in range(6000):
        if rng.random() < 0.03:
            lines.append(rng.choice(MIXED_LINES + CAREFUL_OTHERS))
        elif rng.random() < 0.5:
            lines.append(b'{"action": "a%d", "time": %d}' % (rng.randrange(4), rng.randrange(99)))
        else:
            lines.append(b'{"action": "b", "time": %r}' % rng.lognormvariate(3, 2))
    path = tmp_path / "dirty.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    loaded = ActionTracker(strategy)  # type: ignore[arg-type]
    report = loaded.load(path)
    kept, rejected = line_by_line(lines)
    alone = ActionTracker(strategy)  # type: ignore[arg-type]
    for name, time in kept:
        alone.add(name, time)
    assert [(r.record, r.reason) for r in report.rejected] == rejected
    assert report.accepted == len(kept)
    assert figures(loaded) == figures(alone)


def test_check_lines_each_gives_the_times_as_float64_where_not_flagged() -> None:
    lines = [line for line in MIXED_LINES + CAREFUL_OTHERS if line.strip()] * 2
    _names, times, flagged, array = check_lines_each(lines)
    assert array is not None
    assert len(array) == len(lines)
    kept = [at for at in range(len(lines)) if at not in flagged]
    assert kept  # plain records, and ones with other fields that orjson read
    assert array[kept].tolist() == np.array([times[at] for at in kept], dtype=np.float64).tolist()
    assert b'{"time": 7, "action": "walk"}' in [lines[at] for at in kept]
