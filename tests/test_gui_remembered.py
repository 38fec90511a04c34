"""What a restart keeps besides the session: the benchmark's run history and the table's
sort order."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot

from core.loadgen import LoadSpec
from gui import MainWindow
from widgets import child


def history_rows(window: MainWindow) -> list[list[str]]:
    table = child(window, QTableWidget, "benchmarkHistory")
    return [
        [table.item(row, column).text() for column in range(table.columnCount())]
        for row in range(table.rowCount())
    ]


def test_the_benchmark_history_is_kept_across_a_restart(
    qtbot: QtBot, window: MainWindow, make_window: Callable[..., MainWindow]
) -> None:
    window.benchmark.set_spec(LoadSpec(duration=None, count=2000, producers=1))
    for _ in range(2):
        window.benchmark.start()
        qtbot.waitUntil(lambda: not window.benchmark.busy, timeout=5000)
    before = history_rows(window)
    assert [row[0] for row in before] == ["#2", "#1"]
    window.shutdown()

    later = make_window(shown=False)
    assert history_rows(later) == before
    later.benchmark.set_spec(LoadSpec(duration=None, count=1000, producers=1))
    later.benchmark.start()
    qtbot.waitUntil(lambda: not later.benchmark.busy, timeout=5000)
    assert [row[0] for row in history_rows(later)] == ["#3", "#2", "#1"]  # numbered on


@pytest.mark.window(
    '{"action": "b", "time": 1}', '{"action": "c", "time": 3}', '{"action": "a", "time": 2}'
)
def test_the_tables_sort_order_is_kept_across_a_restart(
    window: MainWindow, make_window: Callable[..., MainWindow]
) -> None:
    window.refresh()
    window.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # the mean, largest first
    assert [window.proxy.index(row, 0).data() for row in range(3)] == ["c", "a", "b"]
    tracker = window.tracker
    window.shutdown()

    later = make_window(tracker, shown=False)
    later.refresh()
    header = later.table.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        2,
        Qt.SortOrder.DescendingOrder,
    )
    assert [later.proxy.index(row, 0).data() for row in range(3)] == ["c", "a", "b"]


def test_a_first_run_shows_first_seen_order(make_window: Callable[..., MainWindow]) -> None:
    window = make_window(
        None, '{"action": "b", "time": 1}', '{"action": "a", "time": 2}', shown=False
    )
    window.refresh()
    assert [window.proxy.index(row, 0).data() for row in range(2)] == ["b", "a"]


def test_a_saved_run_keeps_the_rate_it_showed(qtbot: QtBot) -> None:
    """The history showed adds/s without the time spent making payloads, and after a
    restart adds over all the seconds (340,132 became 289,990)."""
    from PySide6.QtCore import QSettings

    from core.loadgen import LoadResult
    from gui.benchmark_panel import HistoryEntry
    from gui.window_settings import save_history, saved_history

    result = LoadResult(
        strategy="running",
        producers=4,
        added=1_000_000,
        seconds=2.0,
        payload_seconds=0.25,
        get_stats_ms=0.1,
        memory_bytes=1000,
        stopped=False,
    )
    settings = QSettings()
    save_history(settings, [HistoryEntry(1, "", result)])
    (restored,) = saved_history(settings)
    assert restored.result.rate == result.rate
