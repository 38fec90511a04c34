"""What the window remembers between runs, in QSettings: geometry, splitters, the
table's sort order and window of time, and the benchmark's settings and history."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import orjson
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMainWindow, QSplitter, QTableView

from core.loadgen import LoadResult, LoadSpec, spec_from_dict, spec_to_dict
from core.strategy import check_strategy
from gui.benchmark_panel import BenchmarkPanel, HistoryEntry
from gui.layout import AdaptiveCentral
from gui.window_choice import WINDOWS

log = logging.getLogger(__name__)


def saved_spec(settings: QSettings) -> LoadSpec:
    """The benchmark settings saved last, or the defaults when there are none (or they
    no longer parse)."""
    saved = settings.value("benchmark/spec")
    if saved:
        try:
            return spec_from_dict(orjson.loads(str(saved)))
        except (ValueError, TypeError, KeyError) as error:
            log.warning("ignoring saved benchmark settings: %s", error)
    return LoadSpec()


def save_spec(settings: QSettings, spec: LoadSpec) -> None:
    settings.setValue("benchmark/spec", orjson.dumps(spec_to_dict(spec)).decode())


def restore_layout(
    settings: QSettings, window: QMainWindow, splitters: Sequence[QSplitter]
) -> None:
    """The window's size and splitters as they were; a first run gets a size that fits
    the table's nine columns of figures."""
    geometry = settings.value("window/geometry")
    if geometry is None or not window.restoreGeometry(geometry):
        window.resize(1280, 800)
        splitters[0].setSizes([800, 480])
    for splitter in splitters:
        state = settings.value(f"window/{splitter.objectName()}")
        if state is not None:
            splitter.restoreState(state)
    central = window.centralWidget()
    if isinstance(central, AdaptiveCentral):
        central.fit_minimum()


def save_layout(settings: QSettings, window: QMainWindow, splitters: Sequence[QSplitter]) -> None:
    settings.setValue("window/geometry", window.saveGeometry())
    for splitter in splitters:
        settings.setValue(f"window/{splitter.objectName()}", splitter.saveState())


def save_history(settings: QSettings, entries: Sequence[HistoryEntry]) -> None:
    """The benchmark's run history, oldest first, as JSON."""
    rows = [
        {
            "number": entry.number,
            "kind": entry.kind,
            "strategy": entry.result.strategy,
            "producers": entry.result.producers,
            "added": entry.result.added,
            "seconds": entry.result.seconds,
            "payload_seconds": entry.result.payload_seconds,
            "get_stats_ms": entry.result.get_stats_ms,
            "memory_bytes": entry.result.memory_bytes,
            "stopped": entry.result.stopped,
        }
        for entry in entries
    ]
    settings.setValue("benchmark/history", orjson.dumps(rows).decode())


def saved_history(settings: QSettings) -> list[HistoryEntry]:
    """The history saved last; empty when there is none (or it no longer parses)."""
    saved = settings.value("benchmark/history")
    if not saved:
        return []
    try:
        return [
            HistoryEntry(
                int(row["number"]),
                str(row["kind"]),
                LoadResult(
                    strategy=check_strategy(row["strategy"]),
                    producers=int(row["producers"]),
                    added=int(row["added"]),
                    seconds=float(row["seconds"]),
                    # Saved before payload time was kept: the rate is then the wall rate.
                    payload_seconds=float(row.get("payload_seconds", 0.0)),
                    get_stats_ms=float(row["get_stats_ms"]),
                    memory_bytes=int(row["memory_bytes"]),
                    stopped=bool(row["stopped"]),
                ),
            )
            for row in orjson.loads(str(saved))
        ]
    except (ValueError, TypeError, KeyError) as error:
        log.warning("ignoring the saved benchmark history: %s", error)
        return []


def save_sort(settings: QSettings, table: QTableView) -> None:
    """The column the table is sorted by (-1: first-seen order) and the direction."""
    header = table.horizontalHeader()
    settings.setValue(
        "table/sort", [header.sortIndicatorSection(), header.sortIndicatorOrder().value]
    )


def restore_sort(settings: QSettings, table: QTableView) -> None:
    """Sort ``table`` as it was when saved; first-seen order when nothing was saved."""
    column, order = -1, Qt.SortOrder.AscendingOrder
    saved = settings.value("table/sort")
    if isinstance(saved, list) and len(saved) == 2:
        try:
            column, order = int(saved[0]), Qt.SortOrder(int(saved[1]))
        except (ValueError, TypeError):
            log.warning("ignoring the saved sort order: %r", saved)
    if table.model() is not None and column >= table.model().columnCount():
        column = -1
    table.sortByColumn(column, order)


def save_window_choice(settings: QSettings, window: int | None) -> None:
    """The window of time the table covers (``windowSelector``): seconds, or "all"."""
    settings.setValue("table/window", "all" if window is None else str(window))


def saved_window_choice(settings: QSettings) -> int | None:
    """The window of time chosen last; all time when none was (or it is not offered)."""
    saved = settings.value("table/window")
    if saved is None or saved == "all":
        return None
    for _text, seconds in WINDOWS:
        if seconds is not None and str(seconds) == str(saved):
            return seconds
    log.warning("ignoring the saved window of time: %r", saved)
    return None


def save_window_settings(
    settings: QSettings,
    window: QMainWindow,
    splitters: Sequence[QSplitter],
    table: QTableView,
    benchmark: BenchmarkPanel,
) -> None:
    """Everything above, as the window closes, written to disk at once."""
    save_layout(settings, window, splitters)
    save_spec(settings, benchmark.spec)
    save_history(settings, benchmark.entries)
    save_sort(settings, table)
    settings.sync()
