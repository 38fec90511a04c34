"""The statistics table: model consistency, formatting, numeric sorting, filtering,
selection across refreshes, refresh economy and the status bar totals."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QLineEdit, QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

import gui.snapshots
from core import ActionTracker, Snapshot
from core.sketch import EXACT_LIMIT
from gui import MainWindow
from gui.stats_model import (
    APPROXIMATE_SIGN,
    APPROXIMATE_TIPS,
    PERCENTILE_COLUMNS,
    SORT_ROLE,
    format_time,
)
from gui.stats_view import ACTION_MIN_WIDTH
from widgets import STATS_HEADERS


def add(tracker: ActionTracker, name: str, *times: float) -> None:
    for time in times:
        tracker.add_action(f'{{"action": "{name}", "time": {time}}}')


def table(window: MainWindow) -> QTableView:
    view = window.findChild(QTableView, "statsTable")
    assert view is not None
    return view


def shown_column(window: MainWindow, column: int) -> list[str]:
    proxy = table(window).model()
    return [proxy.index(row, column).data() for row in range(proxy.rowCount())]


def selected_names(window: MainWindow) -> list[str]:
    rows = table(window).selectionModel().selectedRows(0)
    return sorted(index.data() for index in rows)


def click_header(qtbot: QtBot, window: MainWindow, section: int) -> None:
    header = table(window).horizontalHeader()
    x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    qtbot.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2)
    )


def test_headers_are_the_nine_statistics(window: MainWindow) -> None:
    proxy = table(window).model()
    assert proxy is window.proxy
    assert proxy.columnCount() == len(STATS_HEADERS)
    shown = [proxy.headerData(c, Qt.Orientation.Horizontal) for c in range(proxy.columnCount())]
    assert shown == STATS_HEADERS


def test_models_pass_the_model_tester_while_data_changes(
    qtmodeltester: ModelTester, window: MainWindow
) -> None:
    add(window.tracker, "jump", 100, 150)
    add(window.tracker, "run", 75)
    window.refresh()
    qtmodeltester.check(window.model)
    qtmodeltester.check(window.proxy)
    # The testers stay attached: updates, new rows, sorting, filtering and a reset are
    # all checked as they happen.
    add(window.tracker, "jump", 10)
    add(window.tracker, "swim", 500)
    window.refresh()
    window.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    window.filter.setText("u")
    window.filter.clear()
    window.tracker.reset()
    window.refresh()
    assert window.proxy.rowCount() == 0
    add(window.tracker, "walk", 3)
    window.refresh()
    assert shown_column(window, 0) == ["walk"]


def test_rows_show_every_figure_of_the_snapshot(window: MainWindow) -> None:
    add(window.tracker, "jump", 100, 200, 300)
    window.refresh()
    stats = window.tracker.snapshot().get("jump")
    assert stats is not None
    row = [window.proxy.index(0, column).data() for column in range(9)]
    assert row[:5] == ["jump", "3", "200.00", "100.00", "300.00"]
    figures = (stats.stdev, stats.p50, stats.p90, stats.p99)
    for column, value in zip(range(5, 9), figures, strict=True):
        assert float(row[column].replace(",", "")) == pytest.approx(value, abs=0.005)


def test_large_figures_are_shown_whole_not_elided(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(1280, 800)
    add(window.tracker, "jump", 123_456_789.5, 987_654_321.25)
    window.refresh()
    qtbot.waitUntil(lambda: window.table.columnWidth(8) > 64, timeout=1000)
    metrics = window.table.fontMetrics()
    for column in range(1, 9):
        text = window.proxy.index(0, column).data()
        assert metrics.horizontalAdvance(text) < window.table.columnWidth(column), text


def test_names_take_the_room_the_figures_leave(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(1100, 800)
    add(window.tracker, "jump", 100)
    window.refresh()
    view = table(window)
    header = view.horizontalHeader()
    qtbot.waitUntil(lambda: header.length() == view.viewport().width(), timeout=1000)
    assert view.columnWidth(0) > ACTION_MIN_WIDTH
    names, figures = view.columnWidth(0), [view.columnWidth(c) for c in range(1, 9)]
    # Wider (and still below gui.layout.STACK_BELOW_WIDTH, so the table keeps the whole
    # width): the names take the new room, the figures keep theirs.
    window.resize(1400, 800)
    qtbot.waitUntil(lambda: view.columnWidth(0) > names, timeout=1000)
    assert header.length() == view.viewport().width()
    assert [view.columnWidth(column) for column in range(1, 9)] == figures


def test_names_keep_a_readable_width_when_figures_are_wide(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.resize(700, 500)
    add(window.tracker, "a long action name", 123_456_789_012.5, 987_654_321_098.25)
    window.refresh()
    assert table(window).columnWidth(0) == ACTION_MIN_WIDTH  # the table scrolls instead


def test_columns_fit_the_figures_again_after_a_reset(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(1280, 800)
    add(window.tracker, "jump", 123_456_789.5)
    window.refresh()
    view = table(window)
    wide = view.columnWidth(2)
    window.tracker.reset()
    add(window.tracker, "jump", 1)
    window.refresh()
    assert view.columnWidth(2) < wide
    metrics = view.fontMetrics()
    assert metrics.horizontalAdvance(window.proxy.index(0, 2).data()) < view.columnWidth(2)


def test_a_column_the_user_widened_keeps_its_width(qtbot: QtBot, window: MainWindow) -> None:
    add(window.tracker, "jump", 1)
    window.refresh()
    view = table(window)
    view.setColumnWidth(4, 200)
    add(window.tracker, "jump", 123_456.5)  # Max grows to "123,456.50"
    window.refresh()
    assert view.columnWidth(4) == 200
    assert view.horizontalHeader().sectionResizeMode(0) == QHeaderView.ResizeMode.Fixed


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0.00"),
        (0.004, "4.000e-03"),
        (12.5, "12.50"),
        (999_999_999.5, "999,999,999.50"),
        (1e9, "1.000e+09"),
        (123_456_789_012.5, "1.235e+11"),
        (78.125, "78.13"),  # halves round up, as people round (not to even: 78.12)
        (1.005, "1.01"),  # as typed, though the double lies just below 1.005
        (2.675, "2.68"),
        (0.0012345, "1.235e-03"),
        (18_446_744_073_709_551_615, "1.845e+19"),
        (0.5, "0.50"),
    ],
)
def test_times_are_grouped_and_turn_scientific_only_when_tiny_or_huge(
    value: float, text: str
) -> None:
    assert format_time(value) == text


def percentile_cells(window: MainWindow, row: int) -> list[tuple[str, str]]:
    proxy = table(window).model()
    return [
        (
            proxy.index(row, column).data(),
            proxy.index(row, column).data(Qt.ItemDataRole.ToolTipRole),
        )
        for column in PERCENTILE_COLUMNS
    ]


def test_estimated_percentiles_carry_a_sign_and_say_why(window: MainWindow) -> None:
    add(window.tracker, "few", 80, 99.5, 100.5, 120)
    window.refresh()
    assert percentile_cells(window, 0)[0] == ("100.00", "")
    assert all(not text.startswith(APPROXIMATE_SIGN) for text, _ in percentile_cells(window, 0))
    add(window.tracker, "few", *range(1, EXACT_LIMIT))  # now past the exact times kept
    add(window.tracker, "huge", *([1e26, 1.7e308] * (EXACT_LIMIT // 2 + 1)))
    window.refresh()
    for row, accuracy in ((0, "approximate"), (1, "folded")):
        for text, tip in percentile_cells(window, row):
            assert text.startswith(APPROXIMATE_SIGN)
            assert tip == APPROXIMATE_TIPS[accuracy]
    assert "far too high" in APPROXIMATE_TIPS["folded"]
    # The sign is text only: sorting stays numeric.
    assert (
        table(window).model().index(0, 6).data(SORT_ROLE)
        == window.tracker.snapshot().actions[0].p50
    )


@pytest.mark.window(strategy="samples")
def test_percentiles_of_samples_are_never_marked(window: MainWindow) -> None:
    add(window.tracker, "many", *range(2 * EXACT_LIMIT))
    window.refresh()
    assert all(
        not text.startswith(APPROXIMATE_SIGN) and not tip
        for text, tip in percentile_cells(window, 0)
    )


def test_a_name_cut_short_by_its_column_is_whole_in_its_tooltip(window: MainWindow) -> None:
    name = "a name far longer than the column that holds it " * 4
    add(window.tracker, name.strip(), 1)
    window.refresh()
    assert window.proxy.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == name.strip()


def test_numbers_are_right_aligned_and_digit_grouped(window: MainWindow) -> None:
    window.tracker.add_actions(['{"action": "jump", "time": 1234.5}'] * 1234)
    window.refresh()
    count = window.proxy.index(0, 1)
    average = window.proxy.index(0, 2)
    assert count.data() == "1,234"
    assert average.data() == "1,234.50"
    for column in range(1, 9):
        alignment = Qt.AlignmentFlag(
            window.proxy.index(0, column).data(Qt.ItemDataRole.TextAlignmentRole)
        )
        assert alignment & Qt.AlignmentFlag.AlignRight, STATS_HEADERS[column]
    name_alignment = window.proxy.index(0, 0).data(Qt.ItemDataRole.TextAlignmentRole)
    assert not (name_alignment and Qt.AlignmentFlag(name_alignment) & Qt.AlignmentFlag.AlignRight)


def test_cells_are_read_only(window: MainWindow) -> None:
    add(window.tracker, "jump", 1)
    window.refresh()
    for column in range(9):
        assert not window.proxy.flags(window.proxy.index(0, column)) & Qt.ItemFlag.ItemIsEditable


def wait_for_refresh_ticks(qtbot: QtBot, window: MainWindow, ticks: int = 4) -> None:
    """Let the refresh timer fire ``ticks`` times; the poller runs at the same interval,
    so each of them had its chances to do (needless) work meanwhile."""
    for _ in range(ticks):
        with qtbot.waitSignal(window.live.refresh_timer.timeout, timeout=2000):
            pass


def test_snapshot_is_taken_only_when_the_version_changes(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rates change as time passes, so the poller also asks once a second (REPOLL_SECONDS):
    # this test looks at what adds make it do.
    monkeypatch.setattr(gui.snapshots, "REPOLL_SECONDS", 3600.0)
    tracker = window.tracker
    calls: list[int] = []
    original = tracker.snapshot

    def counting_snapshot() -> Snapshot:
        calls.append(tracker.version)
        return original()

    monkeypatch.setattr(tracker, "snapshot", counting_snapshot)
    add(tracker, "jump", 1)
    window.refresh()
    assert calls in ([1], [1, 1])  # refresh's own, and the poller's if it polled first
    wait_for_refresh_ticks(qtbot, window)
    assert set(calls) == {1}, "only the changed version is ever snapshotted"

    calls.clear()
    for _ in range(5):
        window.refresh()
    wait_for_refresh_ticks(qtbot, window)  # the poller and the refresh timer find nothing to do
    assert calls == []

    add(tracker, "jump", 2)  # no explicit refresh: the poller notices on its own
    qtbot.waitUntil(lambda: shown_column(window, 1) == ["2"], timeout=2000)
    wait_for_refresh_ticks(qtbot, window)
    window.refresh()
    assert calls == [2], "one snapshot per change, none while it stays unchanged"


def test_the_timer_refreshes_the_table_on_its_own(qtbot: QtBot, window: MainWindow) -> None:
    add(window.tracker, "jump", 1)
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1, timeout=1000)


def test_header_click_sorts_numerically(qtbot: QtBot, window: MainWindow) -> None:
    # Counts 10, 9, 100, 2: as text "10" < "100" < "2" < "9".
    for name, count in (("a", 10), ("b", 9), ("c", 100), ("d", 2)):
        add(window.tracker, name, *([1] * count))
    window.refresh()
    assert shown_column(window, 0) == ["a", "b", "c", "d"]  # first-seen order

    header = table(window).horizontalHeader()
    click_header(qtbot, window, 1)
    assert header.sortIndicatorSection() == 1
    ascending = header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    expected = ["2", "9", "10", "100"]
    assert shown_column(window, 1) == (expected if ascending else expected[::-1])

    click_header(qtbot, window, 1)
    assert shown_column(window, 1) == (expected[::-1] if ascending else expected)


def test_sorted_table_stays_sorted_when_figures_change(qtbot: QtBot, window: MainWindow) -> None:
    add(window.tracker, "slow", 900)
    add(window.tracker, "fast", 5)
    add(window.tracker, "mid", 80)
    window.refresh()
    table(window).sortByColumn(2, Qt.SortOrder.DescendingOrder)
    assert shown_column(window, 0) == ["slow", "mid", "fast"]

    add(window.tracker, "fast", 5000)  # its average jumps to 2,502.50
    add(window.tracker, "new", 100)
    window.refresh()
    assert shown_column(window, 0) == ["fast", "slow", "new", "mid"]


def test_filter_box_narrows_rows_case_insensitively(qtbot: QtBot, window: MainWindow) -> None:
    for name in ("jump", "JUGGLE", "run", "high jump"):
        add(window.tracker, name, 1)
    window.refresh()
    field = window.findChild(QLineEdit, "filterInput")
    assert field is not None
    qtbot.keyClicks(field, "ju")
    assert shown_column(window, 0) == ["jump", "JUGGLE", "high jump"]
    qtbot.keyClicks(field, "mp")
    assert shown_column(window, 0) == ["jump", "high jump"]

    add(window.tracker, "jumper", 1)  # new rows are filtered too
    add(window.tracker, "walk", 1)
    window.refresh()
    assert shown_column(window, 0) == ["jump", "high jump", "jumper"]

    field.clear()
    assert window.proxy.rowCount() == 6


def test_selection_survives_a_refresh_with_new_values_and_actions(
    qtbot: QtBot, window: MainWindow
) -> None:
    for name, time in (("jump", 150), ("run", 75), ("walk", 300)):
        add(window.tracker, name, time)
    window.refresh()
    table(window).sortByColumn(2, Qt.SortOrder.AscendingOrder)  # rows move with averages
    assert shown_column(window, 0) == ["run", "jump", "walk"]
    view = table(window)
    row = shown_column(window, 0).index("jump")
    view.selectionModel().select(
        window.proxy.index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    assert selected_names(window) == ["jump"]

    add(window.tracker, "jump", 1000)  # jump's average moves past walk's
    add(window.tracker, "run", 80)
    add(window.tracker, "aaa", 1)  # a new action sorts in first
    window.refresh()
    assert shown_column(window, 0) == ["aaa", "run", "walk", "jump"]
    assert selected_names(window) == ["jump"]
    assert window.proxy.index(3, 1).data() == "2"


def test_status_bar_shows_total_and_distinct_counts(window: MainWindow) -> None:
    totals = window.findChild(QLabel, "totalsLabel")
    assert totals is not None
    window.tracker.add_actions(['{"action": "jump", "time": 1}'] * 1200)
    add(window.tracker, "run", 1, 2)
    window.refresh()
    assert "1,202 actions" in totals.text()
    assert "2 distinct" in totals.text()

    add(window.tracker, "swim", 3)
    window.refresh()
    assert "1,203 actions" in totals.text()
    assert "3 distinct" in totals.text()


def test_status_bar_rate_of_a_single_entry_is_at_most_one_per_second(
    window: MainWindow,
) -> None:
    totals = window.findChild(QLabel, "totalsLabel")
    assert totals is not None
    add(window.tracker, "jump", 1)
    window.refresh()
    assert totals.text().startswith("My actions: 1 action · 1 distinct · ")
    assert totals.text().endswith((" 0.0/s", " 1.0/s"))


def test_reset_tracker_empties_the_table(window: MainWindow) -> None:
    add(window.tracker, "jump", 1)
    window.refresh()
    window.tracker.reset()
    window.refresh()
    assert window.proxy.rowCount() == 0
    add(window.tracker, "run", 2)
    window.refresh()
    assert shown_column(window, 0) == ["run"]


def test_a_reset_followed_by_larger_counts_still_restarts_the_rows(window: MainWindow) -> None:
    add(window.tracker, "a", 1)
    add(window.tracker, "b", 2)
    window.refresh()
    window.tracker.reset()
    add(window.tracker, "b", 5, 5, 5)  # b first now, with more samples than before
    add(window.tracker, "a", 7, 7)
    window.refresh()
    assert shown_column(window, 0) == ["b", "a"]  # first-seen order after the reset
    assert shown_column(window, 1) == ["3", "2"]
