"""``action-stats FILE...``: print ``get_stats()`` for files, rejected records on stderr.

``--format json|csv|table`` prints every column (count, mean, min, max, stdev, p50, p90,
p99) instead of ``get_stats()``'s action and average; ``--strategy running|samples``
chooses how times are kept (``samples`` gives exact percentiles, at a memory cost).

Exit status: 0 when every record was accepted, 1 when some were rejected, 2 when a file
could not be read at all (the stats of the files that could are still printed); argparse
exits with 2 on bad arguments.

``action-stats --listen [HOST:]PORT [--tcp] [--follow FILE]... [--every S] [--for S]``
watches live sources instead, headless: a stats table every ``--every`` seconds and once
more at the end (after ``--for`` seconds, Ctrl+C or SIGTERM); exit status 0, or 2 when a
source cannot start. ``--metrics [HOST:]PORT`` also serves the live figures to Prometheus
at ``http://HOST:PORT/metrics`` (``core.metrics``).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from core.errors import InvalidFileError, reason
from core.export import snapshot_csv, snapshot_json, snapshot_table
from core.follower import Follower
from core.listener import Listener
from core.metrics import (
    DEFAULT_BUCKETS_MS,
    DEFAULT_QUANTILE_WINDOW,
    MetricsServer,
    check_buckets,
    check_quantile_window,
)
from core.report import LoadReport, Rejection
from core.stats import Snapshot
from core.strategy import STRATEGIES, check_strategy
from core.tracker import ActionTracker

DEFAULT_EVERY_SECONDS = 10.0
FORMATS: dict[str, Callable[[Snapshot], str]] = {
    "json": snapshot_json,
    "csv": snapshot_csv,
    "table": snapshot_table,
}
"""``--format``'s choices: each prints every column."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="action-stats",
        description="Print the average time per action of JSON action files "
        "(arrays, newline-delimited JSON or single objects); '-' reads standard input.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE")
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="running",
        help="how times are kept: 'running' (a bounded sketch, percentiles within 1%%) "
        "or 'samples' (every time, exact percentiles); default running",
    )
    parser.add_argument(
        "--format",
        choices=tuple(FORMATS),
        help="print every column (count, mean, min, max, stdev, p50, p90, p99) as json, "
        "csv or an aligned table; default: get_stats() (action and average)",
    )
    _add_live_arguments(parser)
    args = parser.parse_args(argv)
    if args.metrics is not None and args.listen is None and not args.follow:
        parser.error(
            "--metrics serves the figures of live sources: add --listen or --follow "
            "(FILE arguments are read once and the program ends; --follow FILE reads a "
            "file from its start, then serves its figures)"
        )
    if args.listen is not None or args.follow:
        if args.format is not None:
            parser.error("--format is for FILE arguments; live sources print tables")
        _check_live_arguments(parser, args)
        return _watch_live(args)
    if not args.files:
        parser.error("give FILE arguments, or live sources with --listen or --follow")

    tracker = ActionTracker(check_strategy(args.strategy))
    try:
        return _print_files(tracker, args.files, args.format)
    except KeyboardInterrupt:  # Ctrl+C: a half-read file's figures would mislead
        print("action-stats: interrupted; nothing printed", file=sys.stderr)
        return 130


def _print_files(tracker: ActionTracker, files: list[str], fmt: str | None) -> int:
    """Load ``files`` in turn, print each one's rejected records to stderr and then the
    figures of all of them; the exit status (0, 1 with rejected records, 2 when a file
    could not be read)."""
    status = 0
    loaded = 0
    for name in files:
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
        if fmt is None:
            print(tracker.get_stats())
        else:
            print(FORMATS[fmt](tracker.snapshot()).rstrip("\n"))
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


# --- live sources ------------------------------------------------------------------------


def _add_live_arguments(parser: argparse.ArgumentParser) -> None:
    live = parser.add_argument_group(
        "live sources",
        "Watch StatsD timings (name:12.5|ms) and JSON payloads as they arrive, printing "
        "a stats table every --every seconds and once more at the end.",
    )
    live.add_argument(
        "--listen",
        metavar="[HOST:]PORT",
        help="receive on PORT (UDP unless --tcp); HOST defaults to 127.0.0.1, and any "
        "other address opens the port to the network",
    )
    live.add_argument("--tcp", action="store_true", help="listen over TCP instead of UDP")
    live.add_argument(
        "--follow",
        metavar="FILE",
        action="append",
        default=[],
        help="read FILE and what is appended to it, by name like tail -F (repeatable)",
    )
    live.add_argument(
        "--every",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_EVERY_SECONDS,
        help=f"seconds between tables (default {DEFAULT_EVERY_SECONDS:g})",
    )
    live.add_argument(
        "--for",
        dest="duration",
        metavar="SECONDS",
        type=float,
        help="stop after SECONDS (default: until Ctrl+C or SIGTERM)",
    )
    live.add_argument(
        "--metrics",
        metavar="[HOST:]PORT",
        help="also serve the figures to Prometheus at http://HOST:PORT/metrics; HOST "
        "defaults to 127.0.0.1, and any other address opens the port to the network",
    )
    live.add_argument(
        "--metrics-buckets",
        metavar="MS,MS,...",
        help="the histogram's bucket bounds in milliseconds, rising (default "
        + ",".join(f"{bound:g}" for bound in DEFAULT_BUCKETS_MS)
        + "; +Inf is added)",
    )
    live.add_argument(
        "--metrics-quantile-window",
        metavar="SECONDS|all",
        help="the seconds the summary's quantiles 0.5, 0.9 and 0.99 cover, 1 to 300, or "
        f"'all' for every time since the start (default {DEFAULT_QUANTILE_WINDOW}, as "
        "Prometheus client libraries slide theirs); counts, sums and buckets are all time",
    )


def _check_live_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.files:
        parser.error(
            "FILE arguments cannot be mixed with live sources; --follow FILE reads "
            "a file from its start and then follows it"
        )
    if args.tcp and args.listen is None:
        parser.error("--tcp needs --listen")
    if not args.every > 0:
        parser.error("--every must be a number of seconds above 0")
    if args.duration is not None and not args.duration > 0:
        parser.error("--for must be a number of seconds above 0")
    if args.listen is not None:
        try:
            args.address = listen_address(args.listen)
        except ValueError as error:
            parser.error(str(error))
    for option, given in (
        ("--metrics-buckets", args.metrics_buckets),
        ("--metrics-quantile-window", args.metrics_quantile_window),
    ):
        if given is not None and args.metrics is None:
            parser.error(f"{option} needs --metrics")
    if args.metrics is not None:
        try:
            args.metrics_address = listen_address(args.metrics)
        except ValueError:
            parser.error(
                f"--metrics wants [HOST:]PORT with PORT from 0 to 65535, got {args.metrics!r}"
            )
        args.buckets = DEFAULT_BUCKETS_MS
        if args.metrics_buckets is not None:
            try:
                args.buckets = check_buckets(_numbers(args.metrics_buckets))
            except ValueError as error:
                parser.error(f"--metrics-buckets: {error}")
        args.quantile_window = _quantile_window(parser, args.metrics_quantile_window)


def _quantile_window(parser: argparse.ArgumentParser, text: str | None) -> int | None:
    """``--metrics-quantile-window``'s seconds, None for ``all``; a usage error otherwise."""
    if text is None:
        return DEFAULT_QUANTILE_WINDOW
    if text.strip().lower() == "all":
        return None
    try:
        return check_quantile_window(int(text))
    except ValueError:
        parser.error(
            f"--metrics-quantile-window wants whole seconds from 1 to 300 or 'all', got {text!r}"
        )


def _numbers(text: str) -> list[float]:
    """``1,2.5,5`` as numbers; ``ValueError`` naming the first that is not one."""
    numbers = []
    for part in text.split(","):
        try:
            numbers.append(float(part))
        except ValueError:
            raise ValueError(f"{part.strip()!r} is not a number of milliseconds") from None
    return numbers


def listen_address(text: str) -> tuple[str, int]:
    """``[HOST:]PORT`` as ``(host, port)``; HOST may be an IPv6 address in brackets."""
    host, colon, port_text = text.rpartition(":")
    if not colon:
        host = "127.0.0.1"
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"--listen wants [HOST:]PORT with PORT from 0 to 65535, got {text!r}")
    return host or "127.0.0.1", int(port_text)


class _Stopped(Exception):
    """Raised by the SIGTERM handler to end the watch as Ctrl+C does."""


def _watch_live(args: argparse.Namespace) -> int:
    tracker = ActionTracker(args.strategy)
    sources: list[Listener | Follower] = []
    if args.listen is not None:
        host, port = args.address
        sources.append(Listener(tracker, host, port, "tcp" if args.tcp else "udp"))
    sources += [Follower(tracker, path) for path in args.follow]
    started: list[Listener | Follower] = []
    metrics: MetricsServer | None = None
    try:
        for source in sources:
            source.start()
            started.append(source)
            note = ""
            if isinstance(source, Listener) and source.open_to_network:
                note = " (open to the network: other machines can send to it)"
            print(f"action-stats: {source.description}{note}", file=sys.stderr, flush=True)
        if args.metrics is not None:
            host, port = args.metrics_address
            metrics = MetricsServer(tracker, host, port, args.buckets, args.quantile_window)
            metrics.start()
            note = " (open to the network: other machines can read it)"
            note = note if metrics.open_to_network else ""
            print(f"action-stats: {metrics.description}{note}", file=sys.stderr, flush=True)
    except OSError as error:
        print(f"action-stats: {reason(error)}", file=sys.stderr)
        for source in started:
            source.stop()
        return 2
    previous = _on_sigterm(_raise_stopped)
    shown = [0] * len(started)
    try:
        deadline = None if args.duration is None else time.monotonic() + args.duration
        pause = threading.Event()  # never set: its wait is the period between tables
        while True:
            left = args.every if deadline is None else min(args.every, deadline - time.monotonic())
            pause.wait(max(left, 0.0))
            if deadline is not None and time.monotonic() >= deadline:
                break
            _print_live(tracker.snapshot(), started, shown, metrics)
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        _on_sigterm(previous)
        for source in started:
            source.stop()
        if metrics is not None:
            metrics.stop()
    _print_live(tracker.snapshot(), started, shown, metrics)
    return 0


_SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


def _on_sigterm(handler: _SignalHandler) -> _SignalHandler:
    """Install ``handler`` for SIGTERM (main thread only, where Python allows it); return
    the one it replaces (None when nothing was installed)."""
    if threading.current_thread() is not threading.main_thread() or handler is None:
        return None
    return signal.signal(signal.SIGTERM, handler)


def _raise_stopped(number: int, frame: FrameType | None) -> None:
    raise _Stopped


def _print_live(
    snapshot: Snapshot,
    sources: Sequence[Listener | Follower],
    shown: list[int],
    metrics: MetricsServer | None = None,
) -> None:
    """The stats table on stdout with each source's counts (and the metrics' scrapes);
    new rejections on stderr (``shown`` holds how many each source's were printed
    already)."""
    lines = [f"-- {time.strftime('%H:%M:%S')}"]
    for number, source in enumerate(sources):
        counts = source.counts()
        lines.append(
            f"{source.description}: {counts.received:,} received, {counts.accepted:,} "
            f"accepted, {counts.rejected:,} rejected, {counts.ignored:,} ignored, "
            f"{counts.dropped:,} dropped"
        )
        new = counts.rejected - shown[number]
        if new > 0:
            for error in source.errors()[-new:]:
                where = f"{error.source}: " if error.source else ""
                print(f"{source.description}: {where}{error.reason}: {error.line}", file=sys.stderr)
            shown[number] = counts.rejected
    if metrics is not None:
        scrapes = metrics.scrapes
        lines.append(f"{metrics.description}: {scrapes:,} scrape{'' if scrapes == 1 else 's'}")
    lines.append(format_table(snapshot))
    print("\n".join(lines), flush=True)


_LIVE_COLUMNS = ("action", "count", "mean", "min", "max", "p50", "p90", "p99")
_LIVE_HEADER = ("action", "count", "mean ms", "min", "max", "p50", "p90", "p99")


def format_table(snapshot: Snapshot) -> str:
    """The live tables: each action's figures as aligned text columns, first-seen order."""
    return snapshot_table(snapshot, _LIVE_COLUMNS, _LIVE_HEADER)


if __name__ == "__main__":
    sys.exit(main())
