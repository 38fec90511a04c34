"""Snapshots as CSV, JSON or aligned text, with every column and full-precision numbers
(the text table rounds to three decimals, for reading).

``COLUMNS`` are the figures of every snapshot (``action-stats`` prints them);
``SHOWN_COLUMNS`` add what the window's table shows of a live session: the rate, and the
window of time the figures cover, so that an exported "Last minute" says so."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import orjson

from core.stats import ActionStats, Snapshot

COLUMNS = ("action", "count", "mean", "min", "max", "stdev", "p50", "p90", "p99")
WINDOW_COLUMN = "window_seconds"
"""The seconds the figures cover (``Snapshot.window``): empty in CSV and null in JSON for
all time. The same in every row, so that each row read alone still says it."""
SHOWN_COLUMNS = (*COLUMNS, "rate", WINDOW_COLUMN)
"""The table's columns with its window: ``rate`` is the times per second over the
window (all time: since the action's first time), as the table's *Rate* column."""


def snapshot_csv(snapshot: Snapshot, columns: Sequence[str] = COLUMNS) -> str:
    """One header row of ``columns``, then one row per action in first-seen order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for stats in snapshot.actions:
        writer.writerow(_values(snapshot, stats, columns))
    return buffer.getvalue()


def snapshot_json(snapshot: Snapshot, columns: Sequence[str] = COLUMNS) -> str:
    """A JSON array with one object per action, each of ``columns`` as a key, in
    first-seen order; unlike ``get_stats()`` (action and average only), which stays."""
    return orjson.dumps(
        [
            dict(zip(columns, _values(snapshot, stats, columns), strict=True))
            for stats in snapshot.actions
        ]
    ).decode()


def _values(snapshot: Snapshot, stats: ActionStats, columns: Sequence[str]) -> list[object]:
    return [
        snapshot.window if column == WINDOW_COLUMN else getattr(stats, column) for column in columns
    ]


def snapshot_table(
    snapshot: Snapshot,
    columns: Sequence[str] = COLUMNS,
    header: Sequence[str] | None = None,
) -> str:
    """``columns`` of every action (``action`` and ``count`` first) as aligned text, in
    first-seen order, under ``header`` (the column names by default); the figures
    rounded to three decimals, for people to read."""
    shown_header = tuple(columns if header is None else header)
    rows = [
        (
            stats.action,
            f"{stats.count:,}",
            *(f"{getattr(stats, column):,.3f}" for column in columns[2:]),
        )
        for stats in snapshot.actions
    ]
    if not rows:
        return "(no timings yet)"
    lines = (shown_header, *rows)
    widths = [max(len(row[column]) for row in lines) for column in range(len(shown_header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in lines
    )
