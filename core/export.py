"""Snapshots as CSV, JSON or aligned text, with every column and full-precision numbers
(the text table rounds to three decimals, for reading)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import orjson

from core.stats import Snapshot

COLUMNS = ("action", "count", "mean", "min", "max", "stdev", "p50", "p90", "p99")


def snapshot_csv(snapshot: Snapshot) -> str:
    """One header row, then one row per action in first-seen order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for stats in snapshot.actions:
        writer.writerow([getattr(stats, column) for column in COLUMNS])
    return buffer.getvalue()


def snapshot_json(snapshot: Snapshot) -> str:
    """A JSON array with one object per action, every column as a key, in first-seen
    order; unlike ``get_stats()`` (action and average only), which stays as it is."""
    return orjson.dumps(
        [{column: getattr(stats, column) for column in COLUMNS} for stats in snapshot.actions]
    ).decode()


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
