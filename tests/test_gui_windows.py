"""Windows of time in the window: the ``windowSelector`` above the table, the Rate column,
the charts following the choice, an empty window said in words, and the choice kept
across a restart. The trackers run on a clock the tests move, so each window's content is
known."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel
from pytestqt.qtbot import QtBot

import gui.charts
import gui.snapshots
from core import ActionTracker, Snapshot
from gui import MainWindow
from gui.average_history import Steps
from gui.menus import BENCHMARK_SESSION
from gui.stats_model import RATE_COLUMN, SORT_ROLE, format_rate_cell
from widgets import child

START = 1_000_000.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def add(tracker: ActionTracker, name: str, *times: float) -> None:
    for time in times:
        tracker.add_action(f'{{"action": "{name}", "time": {time}}}')


def rows(window: MainWindow) -> dict[str, list[str]]:
    proxy = window.proxy
    return {
        proxy.index(row, 0).data(): [
            proxy.index(row, column).data() for column in range(1, proxy.columnCount())
        ]
        for row in range(proxy.rowCount())
    }


def choose(window: MainWindow, text: str) -> None:
    """Pick ``text`` in the selector, as a user does."""
    selector = child(window, QComboBox, "windowSelector")
    index = selector.findText(text)
    assert index >= 0, text
    selector.setCurrentIndex(index)
    window.refresh()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def clocked(clock: Clock, make_window: Callable[..., MainWindow]) -> MainWindow:
    """A window on a tracker that got "old" 100 at START and "new" 10 and 30 two minutes
    later (now)."""
    tracker = ActionTracker("samples", clock=clock)
    add(tracker, "old", 100)
    clock.now += 120
    add(tracker, "new", 10, 30)
    return make_window(tracker)


def test_the_selector_offers_four_windows_and_starts_at_all_time(window: MainWindow) -> None:
    selector = child(window, QComboBox, "windowSelector")
    texts = [selector.itemText(index) for index in range(selector.count())]
    assert texts == ["All time", "Last 10 s", "Last minute", "Last 5 minutes"]
    assert selector.currentText() == "All time"
    assert window.live.window is None


def test_the_selector_changes_what_the_table_and_the_averages_chart_show(
    qtbot: QtBot, clocked: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gui.charts, "REDRAW_SECONDS", 0.0)
    window = clocked
    window.charts.setCurrentWidget(window.charts.averages_plot)
    window.refresh()
    assert list(rows(window)) == ["old", "new"]

    choose(window, "Last minute")
    assert window.live.window == 60
    assert list(rows(window)) == ["new"]
    assert rows(window)["new"][:4] == ["2", "20.00", "10.00", "30.00"]
    window.charts.redraw()
    assert set(window.charts.plotted_averages()) == {"new"}
    assert window.charts.plotted_averages()["new"].means[-1] == 20.0
    assert "last minute" in window.totals.text()
    assert "2 actions · 1 distinct" in window.totals.text()

    choose(window, "Last 5 minutes")  # "old" is back, in its first-seen place
    assert list(rows(window)) == ["old", "new"]
    choose(window, "All time")
    assert list(rows(window)) == ["old", "new"]
    window.charts.redraw()
    assert window.charts.plotted_averages() == {
        "old": Steps(window.charts.plotted_averages()["old"].edges, (100.0,)),
        "new": Steps(window.charts.plotted_averages()["new"].edges, (20.0,)),
    }
    assert window.totals.text().startswith("My actions: 3 actions · 2 distinct")


def test_the_rate_column_shows_each_actions_rate_over_the_window(
    clock: Clock, make_window: Callable[..., MainWindow]
) -> None:
    tracker = ActionTracker(clock=clock)
    add(tracker, "slow", 5)
    clock.now += 4
    add(tracker, "fast", *range(1, 41))
    add(tracker, "slow", 6)
    clock.now += 4
    window = make_window(tracker)
    window.refresh()
    assert window.proxy.headerData(RATE_COLUMN, Qt.Orientation.Horizontal) == "Rate"
    expected = {stats.action: stats.rate for stats in tracker.snapshot().actions}
    assert expected["slow"] == pytest.approx(2 / 8)
    assert {name: cells[RATE_COLUMN - 1] for name, cells in rows(window).items()} == {
        name: format_rate_cell(rate) for name, rate in expected.items()
    }

    choose(window, "Last 10 s")
    windowed = {stats.action: stats.rate for stats in tracker.snapshot(window=10).actions}
    assert windowed["fast"] > windowed["slow"] > 0
    assert {name: cells[RATE_COLUMN - 1] for name, cells in rows(window).items()} == {
        name: format_rate_cell(rate) for name, rate in windowed.items()
    }
    window.table.sortByColumn(
        RATE_COLUMN, Qt.SortOrder.DescendingOrder
    )  # numerically, fastest first
    assert [window.proxy.index(row, 0).data() for row in range(2)] == ["fast", "slow"]
    assert window.proxy.index(0, RATE_COLUMN).data(SORT_ROLE) == windowed["fast"]


def test_a_window_with_no_adds_says_so_and_empties_as_time_passes(
    qtbot: QtBot,
    clock: Clock,
    make_window: Callable[..., MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gui.snapshots, "REPOLL_SECONDS", 0.1)  # the re-poll tested, sooner
    tracker = ActionTracker(clock=clock)
    add(tracker, "jump", 7)
    window = make_window(tracker)
    note = child(window, QLabel, "emptyTableNote")
    choose(window, "Last 10 s")
    assert list(rows(window)) == ["jump"]
    assert not note.isVisible()

    clock.now += 30  # no add: the poller asks again on its own, at least once a second
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 0, timeout=5000)
    qtbot.waitUntil(note.isVisible, timeout=1000)
    assert note.text() == "No actions in the last 10 s"
    assert "0 actions" in window.totals.text()

    add(tracker, "jump", 8)
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1, timeout=5000)
    assert not note.isVisible()


def test_the_window_applies_to_every_session(window: MainWindow) -> None:
    choose(window, "Last minute")
    window.show_session(BENCHMARK_SESSION)
    window.refresh()
    assert window.live.window == 60
    assert window.totals.text().startswith("Benchmark, last minute:")


def test_the_choice_is_kept_across_a_restart(
    window: MainWindow, make_window: Callable[..., MainWindow]
) -> None:
    choose(window, "Last 5 minutes")
    window.shutdown()
    later = make_window(shown=False)
    assert child(later, QComboBox, "windowSelector").currentText() == "Last 5 minutes"
    assert later.live.window == 300
    later.refresh()
    assert later.live.current_snapshot().window == 300


def test_windowed_snapshots_are_never_taken_on_the_gui_thread(
    qtbot: QtBot,
    clock: Clock,
    make_window: Callable[..., MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gui.snapshots, "REPOLL_SECONDS", 0.1)  # the re-poll, sooner
    threads: list[str] = []
    original = ActionTracker.snapshot

    def recording_snapshot(tracker: ActionTracker, window: int | None = None) -> Snapshot:
        threads.append(threading.current_thread().name)
        return original(tracker, window=window)

    monkeypatch.setattr(ActionTracker, "snapshot", recording_snapshot)
    tracker = ActionTracker(clock=clock)
    add(tracker, "jump", 7, 9)
    window = make_window(tracker)
    choose(window, "Last 10 s")
    window.table.selectRow(0)
    clock.now += 30
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 0, timeout=5000)
    assert threads
    assert threading.current_thread().name not in threads
