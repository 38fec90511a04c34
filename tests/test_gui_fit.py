"""What fits: every figure column at the default size once figures are long, the whole
run history, and a usable table at the minimum size."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QHeaderView, QTableWidget

from core.loadgen import LoadResult
from gui import MainWindow
from gui.benchmark_panel import HistoryEntry
from widgets import child

LONG_FIGURES = (
    '{"action": "jump", "time": 1e308}',
    '{"action": "jump", "time": 3}',
    '{"action": "run", "time": 1.5e-7}',
    '{"action": "walk", "time": 123456789.123}',
)


def settle(window: MainWindow, width: int, height: int) -> None:
    window.resize(width, height)
    for _ in range(3):
        QApplication.processEvents()
    window.refresh()
    QApplication.processEvents()


def hidden_columns(header: QHeaderView, visible_width: int) -> list[int]:
    return [
        column
        for column in range(header.count())
        if header.sectionViewportPosition(column) + header.sectionSize(column) > visible_width
    ]


@pytest.mark.window(*LONG_FIGURES)
def test_every_figure_column_shows_at_the_default_size(window: MainWindow) -> None:
    settle(window, 1280, 800)
    assert "e+307" in window.proxy.index(0, 2).data()  # long, scientific figures
    header = window.table.horizontalHeader()
    assert hidden_columns(header, window.table.viewport().width()) == []


def test_the_whole_run_history_shows_after_a_comparison(window: MainWindow) -> None:
    settle(window, 1280, 800)
    window.benchmark.restore_history(
        [
            HistoryEntry(number, "compared", LoadResult(strategy, 4, 1_000_000, 1.23, 0.1, 1 << 27))
            for number, strategy in ((1, "running"), (2, "samples"))
        ]
    )
    window.benchmark.live.setText("running-stats strategy: …\nall-samples strategy: …")
    QApplication.processEvents()
    history = child(window, QTableWidget, "benchmarkHistory")
    header = history.horizontalHeader()
    assert hidden_columns(header, history.viewport().width()) == []  # Memory included
    assert history.horizontalScrollBar().isVisible() is False
    rows_room = history.viewport().height() // history.rowHeight(0)
    assert rows_room >= 5


@pytest.mark.window(*LONG_FIGURES)
def test_the_table_stays_usable_at_the_minimum_size(window: MainWindow) -> None:
    minimum = window.minimumSizeHint()
    settle(window, 683, 359)
    assert minimum.height() <= 359
    assert window.table.viewport().height() >= 3 * window.table.rowHeight(0)
    assert window.table.viewport().width() >= 500
    tabs = window.sessions
    benchmark_tab = tabs.tabRect(1)
    assert benchmark_tab.width() >= tabs.fontMetrics().horizontalAdvance("Benchmark")
    assert window.table.isVisible()


def test_a_wide_window_puts_the_benchmark_beside_the_table(window: MainWindow) -> None:
    settle(window, 1600, 900)
    assert window.splitter.orientation() == Qt.Orientation.Horizontal
    settle(window, 1280, 800)
    assert window.splitter.orientation() == Qt.Orientation.Vertical
    assert min(window.splitter.sizes()) > 0  # tall enough for both
