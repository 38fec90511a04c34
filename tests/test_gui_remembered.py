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
