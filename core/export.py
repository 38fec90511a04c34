"""Snapshots as CSV text, with every column and full-precision numbers."""

from __future__ import annotations

import csv
import io

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
