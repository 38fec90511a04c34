"""The charts: throughput points from progress, averages per action, redraw economy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

import gui.benchmark_panel
import gui.charts
import gui.session_commands
from core import ActionTracker, Snapshot
from core.loadgen import LoadSpec
from gui import MainWindow
from gui.average_history import AverageHistory, Steps
from gui.charts import MAX_LINES, ChartsPanel, _nice_ceiling
from gui.menus import BENCHMARK_SESSION
from widgets import menu_action


@pytest.fixture
def charts(qtbot: QtBot) -> ChartsPanel:
    panel = ChartsPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def snapshot_of(*records: tuple[str, float]) -> Snapshot:
    tracker = ActionTracker()
    for name, time in records:
        tracker.add_action(f'{{"action": "{name}", "time": {time}}}')
    return tracker.snapshot()


def test_throughput_is_the_rate_over_each_progress_interval(charts: ChartsPanel) -> None:
    charts.start_throughput(10.0)
    charts.add_status(0.0, 0)
    charts.add_status(0.5, 100_000)
    charts.add_status(1.0, 300_000)
    charts.add_status(1.0, 300_000)  # the same point again adds nothing
    assert charts.rates == [(0.5, 200_000.0), (1.0, 400_000.0)]


def test_redraw_draws_the_rates_from_zero_and_a_new_run_starts_empty(
    charts: ChartsPanel,
) -> None:
    charts.start_throughput(10.0)
    for elapsed, added in ((0.0, 0), (1.0, 420_000), (2.0, 960_000)):
        charts.add_status(elapsed, added)
    charts.redraw()
    xs, ys = charts._throughput_curve.getData()
    assert list(xs) == [1.0, 2.0]
    assert list(ys) == [420_000.0, 540_000.0]
    low, high = charts.throughput_plot.viewRange()[1]
    assert low == 0
    assert high >= 540_000

    charts.start_throughput(10.0)
    assert charts.rates == []


@pytest.mark.parametrize("duration", [None, 10.0], ids=["by-count", "stopped-early"])
def test_end_fits_the_time_axis_to_a_short_run(charts: ChartsPanel, duration: float | None) -> None:
    charts.start_throughput(duration)
    for elapsed, added in ((0.0, 0), (0.6, 1000), (1.3, 2000)):
        charts.add_status(elapsed, added)
    charts.end_throughput()
    low, high = charts.throughput_plot.viewRange()[0]
    assert low <= 0
    assert 1.3 < high <= 2.1  # not the planned 10 s


def test_end_keeps_the_axis_of_a_run_that_lasted_its_duration(charts: ChartsPanel) -> None:
    charts.start_throughput(10.0)
    for elapsed, added in ((0.0, 0), (5.0, 1000), (10.0004, 2000)):  # ends just past it
        charts.add_status(elapsed, added)
    charts.end_throughput()
    assert charts.throughput_plot.viewRange()[0][1] <= 10.3  # not rounded up to 20 s


def test_averages_follow_the_most_frequent_actions(charts: ChartsPanel) -> None:
    charts.setCurrentWidget(charts.averages_plot)
    charts.show_history(AverageHistory(None, origin=0.0))
    names = [f"action{index}" for index in range(MAX_LINES + 2)]
    records = [(name, 10.0 * (index + 1)) for index, name in enumerate(names)]
    records += [(name, 10.0 * (index + 1)) for index, name in enumerate(names[:MAX_LINES])]
    charts.add_snapshot(1.0, snapshot_of(*records))
    charts.redraw()
    plotted = charts.plotted_averages()
    assert sorted(plotted) == sorted(names[:MAX_LINES])
    assert plotted["action1"] == Steps((1.0, 1.0), (20.0,))


def test_averages_are_drawn_as_steps_up_to_the_latest_snapshot(
    charts: ChartsPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An average changes in one step when an action is added: no ramp between points,
    and a value that did not change holds up to the latest snapshot."""
    monkeypatch.setattr(gui.charts, "REDRAW_SECONDS", 0.0)
    charts.setCurrentWidget(charts.averages_plot)
    charts.show_history(AverageHistory(None, origin=100.0))
    tracker = ActionTracker()
    tracker.add_action('{"action": "a", "time": 10}')
    charts.add_snapshot(101.0, tracker.snapshot())
    tracker.add_action('{"action": "a", "time": 20}')
    charts.add_snapshot(102.0, tracker.snapshot())
    tracker.add_action('{"action": "b", "time": 7}')
    charts.add_snapshot(103.5, tracker.snapshot())
    charts.redraw()
    assert charts.plotted_averages() == {
        "a": Steps((1.0, 2.0, 3.5), (10.0, 15.0)),
        "b": Steps((3.5, 3.5), (7.0,)),
    }
    assert all(curve.opts["stepMode"] == "center" for curve in charts._curves)


def test_a_snapshot_with_nothing_new_does_not_stretch_the_curves(
    charts: ChartsPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A finished run shown again after a tab switch once grew its curves to the time of
    every switch (10 s, then 13 s, then 38 s)."""
    monkeypatch.setattr(gui.charts, "REDRAW_SECONDS", 0.0)
    charts.setCurrentWidget(charts.averages_plot)
    charts.show_history(AverageHistory(None, origin=100.0))
    tracker = ActionTracker()
    tracker.add_action('{"action": "a", "time": 10}')
    finished = tracker.snapshot()
    charts.add_snapshot(110.0, finished)
    for later in (113.4, 138.0):
        charts.add_snapshot(later, tracker.snapshot())
    charts.redraw()
    assert charts.plotted_averages() == {"a": Steps((10.0, 10.0), (10.0,))}


def test_a_reset_removes_the_old_curves_and_starts_the_clock_again(
    charts: ChartsPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gui.charts, "REDRAW_SECONDS", 0.0)
    charts.setCurrentWidget(charts.averages_plot)
    charts.show_history(AverageHistory(None, origin=0.0))
    tracker = ActionTracker()
    tracker.add_action('{"action": "old", "time": 10}')
    charts.add_snapshot(5.0, tracker.snapshot())
    charts.redraw()
    tracker.reset()
    charts.add_snapshot(6.0, tracker.snapshot())
    charts.redraw()
    assert charts.plotted_averages() == {}
    tracker.add_action('{"action": "new", "time": 3}')
    charts.add_snapshot(8.0, tracker.snapshot())
    charts.redraw()
    assert charts.plotted_averages() == {"new": Steps((2.0, 2.0), (3.0,))}
    assert [label.text for _, label in charts._legend.items] == ["new"]


def test_the_legend_follows_the_table_order_when_the_frequent_actions_change(
    charts: ChartsPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gui.charts, "REDRAW_SECONDS", 0.0)
    charts.setCurrentWidget(charts.averages_plot)
    charts.show_history(AverageHistory(None, origin=0.0))
    names = [f"action{index}" for index in range(MAX_LINES + 1)]
    tracker = ActionTracker()
    for name in names:
        tracker.add(name, 1.0)
    for name in names[1:]:  # the first is the least frequent: not drawn
        tracker.add(name, 3.0)
    charts.add_snapshot(1.0, tracker.snapshot())
    charts.redraw()
    legend = [label.text for _, label in charts._legend.items]
    assert legend == list(charts.plotted_averages()) == names[1:]
    for _ in range(2):
        tracker.add(names[0], 5.0)  # now among the most frequent; the last one drops out
    tracker.add(names[1], 5.0)  # ties keep the table's (first-seen) order
    charts.add_snapshot(2.0, tracker.snapshot())
    charts.redraw()
    shown = names[:MAX_LINES]
    legend = [label.text for _, label in charts._legend.items]
    assert legend == list(charts.plotted_averages()) == shown


def test_an_action_gone_from_the_snapshot_leaves_the_chart(
    charts: ChartsPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a reset too (a removal): the chart draws the actions of the last snapshot."""
    monkeypatch.setattr(gui.charts, "REDRAW_SECONDS", 0.0)
    charts.setCurrentWidget(charts.averages_plot)
    charts.show_history(AverageHistory(None, origin=0.0))
    charts.add_snapshot(1.0, snapshot_of(("kept", 4.0), ("gone", 9.0)))
    charts.redraw()
    assert sorted(charts.plotted_averages()) == ["gone", "kept"]
    charts.add_snapshot(2.0, snapshot_of(("kept", 4.0)))
    charts.redraw()
    assert charts.plotted_averages() == {"kept": Steps((1.0, 2.0), (4.0,))}


@pytest.mark.parametrize("huge", [1e308, 1.7976931348623157e308, 1e20])
def test_a_huge_average_keeps_the_axis_true(
    charts: ChartsPanel, monkeypatch: pytest.MonkeyPatch, huge: float
) -> None:
    monkeypatch.setattr(gui.charts, "REDRAW_SECONDS", 0.0)
    charts.setCurrentWidget(charts.averages_plot)
    charts.show_history(AverageHistory(None, origin=0.0))
    charts.add_snapshot(1.0, snapshot_of(("small", 5.0), ("jump", huge)))
    charts.redraw()
    plotted = charts.plotted_averages()
    assert sorted(plotted) == ["jump", "small"]
    assert plotted["small"].edges == plotted["jump"].edges == (1.0, 1.0)
    assert plotted["jump"].means == pytest.approx((huge,), rel=1e-12)
    assert plotted["small"].means == pytest.approx((5.0,), rel=1e-12)
    axis = charts.averages_plot.getAxis("left")
    (x_low, x_high), (y_low, y_high) = charts.averages_plot.viewRange()
    assert y_low == 0
    scale = 1.0
    if huge > 1e300:  # plotted divided by the power of ten the label names
        exponent = int(axis.labelText.rpartition("×1e")[2].rstrip(")"))
        assert 300 < exponent < 308
        scale = 10.0**exponent
    else:
        assert axis.labelText == "time (ms)"
    assert huge <= y_high * scale <= 10 * huge
    assert x_low <= 0
    assert x_high > 1.0
    assert axis.autoSIPrefixScale == 1.0  # no "(x1e+27)" of pyqtgraph's beside it


def test_redraw_skips_a_hidden_panel_and_waits_out_its_interval(
    charts: ChartsPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the machine's speed: the interval is set far longer than the test, then
    to nothing. How often a running benchmark repaints is bench/gui_stopping.py's."""
    charts.start_throughput(10.0)
    charts.add_status(0.0, 0)
    charts.add_status(1.0, 1000)
    charts.hide()
    charts.redraw()
    assert len(charts._throughput_curve.getData()[0] or []) == 0
    charts.show()
    charts.redraw()
    assert list(charts._throughput_curve.getData()[0]) == [1.0]

    monkeypatch.setattr(gui.charts, "REDRAW_SECONDS", 3600.0)
    charts.add_status(2.0, 3000)
    charts.redraw()  # within REDRAW_SECONDS of the last: the new point waits
    assert list(charts._throughput_curve.getData()[0]) == [1.0]
    monkeypatch.setattr(gui.charts, "REDRAW_SECONDS", 0.0)
    charts.redraw()
    assert list(charts._throughput_curve.getData()[0]) == [1.0, 2.0]


def test_a_finished_benchmark_leaves_its_throughput_fitted(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window(ActionTracker())
    window.benchmark.set_spec(LoadSpec(producers=2, duration=None, count=400_000))
    window.benchmark.start()
    qtbot.waitUntil(lambda: not window.benchmark.busy, timeout=20_000)
    rates = window.charts.rates
    assert rates, "the run reported no progress"
    assert all(rate > 0 for _, rate in rates)
    high = window.charts.throughput_plot.viewRange()[0][1]
    end = rates[-1][0]
    assert end < high <= 1.05 * _nice_ceiling(end)  # fitted, whatever the machine's speed


# --- the window: the chart shows what the table shows, after any sequence ---------------


def table_averages(window: MainWindow) -> dict[str, float]:
    """The averages of the table's most frequent actions (the ones the chart draws)."""
    rows = [window.model.stats_at(row) for row in range(window.model.rowCount())]
    frequent = sorted((stats for stats in rows if stats is not None), key=lambda s: -s.count)
    return {stats.action: float(stats.mean) for stats in frequent[:MAX_LINES]}


def chart_averages(window: MainWindow) -> dict[str, float]:
    """The last value of each curve the averages chart draws."""
    return {name: steps.means[-1] for name, steps in window.charts.plotted_averages().items()}


def assert_chart_shows_the_table(qtbot: QtBot, window: MainWindow, rows: int) -> None:
    """Waits for the refresh timer to redraw, then checks the chart against the table:
    the same actions, each curve ending at the table's average, within the axes."""
    window.charts.setCurrentWidget(window.charts.averages_plot)
    window.refresh()
    qtbot.waitUntil(lambda: window.model.rowCount() == rows, timeout=5000)
    # To 12 digits, where the table shows 4: huge times are plotted divided by a power
    # of ten (the axis label names it), which may round the last bit.
    qtbot.waitUntil(
        lambda: chart_averages(window) == pytest.approx(table_averages(window), rel=1e-12),
        timeout=5000,
    )
    plotted = window.charts.plotted_averages()
    assert len(plotted) == min(rows, MAX_LINES)
    (x_low, x_high), (y_low, y_high) = window.charts.averages_plot.viewRange()
    assert x_low >= -0.1  # no axis around zero for lack of a span (-1.5 to 1.5 s)
    assert y_low == 0
    for steps in plotted.values():
        assert len(steps.edges) == len(steps.means) + 1  # steps, not ramps between points
        assert x_low <= steps.edges[0] <= steps.edges[-1] <= x_high
        assert max(steps.means) <= y_high * 10.0 ** _label_exponent(window)


def _label_exponent(window: MainWindow) -> int:
    label = window.charts.averages_plot.getAxis("left").labelText
    return int(label.rpartition("×1e")[2].rstrip(")")) if "×1e" in label else 0


SMALL_RUN = LoadSpec(producers=2, duration=None, count=20_000)


def run_benchmark(qtbot: QtBot, window: MainWindow) -> None:
    window.benchmark.set_spec(SMALL_RUN)
    window.benchmark.start()
    qtbot.waitUntil(lambda: not window.benchmark.busy, timeout=20_000)


def test_the_benchmark_averages_come_back_after_switching_tabs(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_benchmark(qtbot, window)
    actions = len(SMALL_RUN.actions)
    assert_chart_shows_the_table(qtbot, window, actions)
    for _ in range(2):
        menu_action(window, "&My Actions").trigger()
        assert_chart_shows_the_table(qtbot, window, 0)
        window.show_session(BENCHMARK_SESSION)
        assert_chart_shows_the_table(qtbot, window, actions)

    monkeypatch.setattr(gui.benchmark_panel, "COMPARE_COUNT_PER_PRODUCER", 5_000)
    window.benchmark.compare()
    qtbot.waitUntil(lambda: not window.benchmark.busy, timeout=20_000)
    assert_chart_shows_the_table(qtbot, window, actions)
    menu_action(window, "&My Actions").trigger()
    window.show_session(BENCHMARK_SESSION)
    assert_chart_shows_the_table(qtbot, window, actions)


@pytest.mark.window('{"action": "alpha", "time": 30}', '{"action": "beta", "time": 4}')
def test_my_actions_averages_follow_a_reset(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_chart_shows_the_table(qtbot, window, 2)
    monkeypatch.setattr(gui.session_commands, "confirm_reset", lambda *_: True)
    window.confirm_reset()
    assert_chart_shows_the_table(qtbot, window, 0)
    window.tracker.add_action('{"action": "gamma", "time": 7}')
    assert_chart_shows_the_table(qtbot, window, 1)
    assert set(chart_averages(window)) == {"gamma"}
    window.tracker.add_action('{"action": "gamma", "time": 9}')
    assert_chart_shows_the_table(qtbot, window, 1)
    assert window.charts.plotted_averages()["gamma"].means[-2:] == (7.0, 8.0)


def test_a_restarted_session_shows_its_averages(
    qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    path = tmp_path / "autosave.atsession"
    first = make_window(
        None,
        '{"action": "alpha", "time": 30}',
        '{"action": "beta", "time": 4}',
        session_path=path,
    )
    first.shutdown()
    second = make_window(session_path=path)
    assert_chart_shows_the_table(qtbot, second, 2)


HUGE = ('{"action": "jump", "time": 1e308}', '{"action": "walk", "time": 5}')


@pytest.mark.window(*HUGE)
def test_a_huge_time_is_charted_as_the_table_shows_it(
    qtbot: QtBot, window: MainWindow, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    assert_chart_shows_the_table(qtbot, window, 2)
    assert window.charts.averages_plot.getAxis("left").autoSIPrefixScale == 1.0

    path = tmp_path / "huge.atsession"
    with qtbot.waitSignal(window.session_files.saved, timeout=5000):
        assert window.save_session_as(path)
    other = make_window(None, '{"action": "before", "time": 1}')
    assert_chart_shows_the_table(qtbot, other, 1)
    with qtbot.waitSignal(other.user.changed, timeout=5000):
        assert other.open_session(path, confirm=False)
    assert_chart_shows_the_table(qtbot, other, 2)
    assert chart_averages(other) == pytest.approx({"jump": 1e308, "walk": 5.0}, rel=1e-12)
