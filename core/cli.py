"""``action-stats FILE...``: print ``get_stats()`` for files, rejected records on stderr.

Exit status: 0 when every record was accepted, 1 when some were rejected, 2 when a file
could not be read at all (the stats of the files that could are still printed).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core.errors import InvalidFileError, reason
from core.report import LoadReport, Rejection
from core.strategy import STRATEGIES, check_strategy
from core.tracker import ActionTracker


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="action-stats",
        description="Print the average time per action of JSON action files "
        "(arrays, newline-delimited JSON or single objects); '-' reads standard input.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--strategy", choices=STRATEGIES, default="running")
    args = parser.parse_args(argv)

    tracker = ActionTracker(check_strategy(args.strategy))
    status = 0
    loaded = 0
    for name in args.files:
        try:
            report = tracker.load(sys.stdin.buffer if name == "-" else name)
        except (OSError, InvalidFileError) as error:
            print(f"action-stats: {name}: {reason(error)}", file=sys.stderr)
            status = 2
            continue
        loaded += 1
        if not report.accepted and not report.rejected_count:
            print(f"action-stats: {name}: no records", file=sys.stderr)  # a note, not an error
        for rejection in report.rejected:
            print(f"{_place(name, report, rejection)} {rejection.reason}", file=sys.stderr)
        hidden = report.rejected_count - len(report.rejected)
        if hidden:
            print(f"{name}: {hidden:,} more rejected records not shown", file=sys.stderr)
        if report.rejected_count:
            status = max(status, 1)
    if loaded:  # with no file read at all, an empty [] would look like an answer
        print(tracker.get_stats())
    return status


def _place(name: str, report: LoadReport, rejection: Rejection) -> str:
    """FILE:LINE: for lines, as compilers and grep print them (editors jump there); an
    array's records are elements, which no editor numbers; a single object's one record
    needs no number."""
    if report.format == "lines":
        return f"{name}:{rejection.record}:"
    if report.format == "array":
        return f"{name}: {report.where(rejection)}:"
    return f"{name}:"


if __name__ == "__main__":
    sys.exit(main())
