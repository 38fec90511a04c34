"""Rates read alike at every magnitude, in the table's Rate column and the status bar:
a slow action's rate showed "5.708e-03" (the times' number format), and the status bar
wrote "0/s" for all time but "0.0/s" for a window."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from core import ActionTracker
from gui import MainWindow
from gui.stats_model import RATE_COLUMN, SORT_ROLE, format_rate, format_rate_cell
from widgets import child

START = 1_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("per_second", "text"),
    [
        (0.0, "0.0/s"),
        (12.345, "12.3/s"),
        (1_234_567.8, "1,234,567.8/s"),
        (0.99, "1.0/s"),  # rounds to one a second: not 59.4/min
        (0.5, "30.0/min"),
        (5.708e-3, "20.5/h"),
        (1 / 3600, "1.0/h"),
        (2 / 86400, "2.0/day"),
        (0.5 / 86400, "0.5/day"),
    ],
)
def test_a_rate_reads_per_second_minute_hour_or_day(per_second: float, text: str) -> None:
    assert format_rate(per_second) == text


@pytest.mark.parametrize(
    ("per_second", "text"),
    [
        (0.0, "0.00"),
        (float("nan"), "0.00"),
        (129.114, "129.11"),
        (1234.5, "1,234.50"),
        (1.0, "1.00"),
        (0.99, "0.99"),
        (0.0328, "0.033"),
        (0.01, "0.010"),
        (5.708e-3, "0.0057"),
        (1 / 3600, "0.00028"),
        (2e-7, "2.000e-07"),
    ],
)
def test_a_rate_cell_is_per_second_and_reads_back_as_a_number(per_second: float, text: str) -> None:
    assert format_rate_cell(per_second) == text


def test_no_figure_reads_as_nothing_added() -> None:
    assert format_rate(float("nan")) == "0.0/s"
    assert format_rate(-1.0) == "0.0/s"


def test_slow_actions_rates_read_per_second_say_per_hour_and_sort_by_number(
    clock: Clock, make_window: Callable[..., MainWindow]
) -> None:
    tracker = ActionTracker(clock=clock)
    tracker.add_action('{"action": "hourly", "time": 1}')
    tracker.add_action('{"action": "busy", "time": 1}')
    clock.now += 60
    for _ in range(119):
        tracker.add_action('{"action": "busy", "time": 1}')
    tracker.add_action('{"action": "minutely", "time": 1}')
    clock.now += 60 * 60
    tracker.add_action('{"action": "hourly", "time": 1}')
    tracker.add_action('{"action": "minutely", "time": 1}')
    window = make_window(tracker)
    window.refresh()
    proxy = window.proxy
    shown = {
        proxy.index(row, 0).data(): proxy.index(row, RATE_COLUMN).data()
        for row in range(proxy.rowCount())
    }
    rates = {stats.action: stats.rate for stats in tracker.snapshot().actions}
    assert shown == {name: format_rate_cell(rate) for name, rate in rates.items()}
    # Per second, as a number that reads back; the tooltip says it per hour.
    assert {name: float(text) for name, text in shown.items()} == pytest.approx(rates, rel=0.06)
    assert "e" not in "".join(shown.values())
    tips = {
        proxy.index(row, 0).data(): proxy.index(row, RATE_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
        for row in range(proxy.rowCount())
    }
    assert tips == {name: format_rate(rate) for name, rate in rates.items()}
    assert tips["hourly"].endswith("/h")
    assert not any(tip.endswith("/s") for tip in tips.values())  # all slower than 1/s
    window.table.sortByColumn(RATE_COLUMN, Qt.SortOrder.DescendingOrder)
    order = [proxy.index(row, 0).data() for row in range(proxy.rowCount())]
    assert order == sorted(rates, key=rates.__getitem__, reverse=True)
    assert proxy.index(0, RATE_COLUMN).data(SORT_ROLE) == max(rates.values())


def test_the_status_bar_writes_rates_alike_for_all_time_and_a_window(
    clock: Clock, make_window: Callable[..., MainWindow]
) -> None:
    tracker = ActionTracker(clock=clock)
    tracker.add_action('{"action": "jump", "time": 1}')
    clock.now += 30
    window = make_window(tracker)
    window.refresh()
    all_time = window.totals.text().rsplit(" · ", 1)[-1]
    assert all_time in ("0.0/s", "1.0/s")
    selector = child(window, QComboBox, "windowSelector")
    selector.setCurrentIndex(selector.findText("Last minute"))
    window.refresh()
    windowed = window.totals.text().rsplit(" · ", 1)[-1]
    (stats,) = tracker.snapshot(window=60).actions
    assert windowed == format_rate(stats.rate)
    assert windowed.endswith("/min")  # fewer than one a second: not "0.0/s"


@pytest.fixture
def clock() -> Clock:
    return Clock()
