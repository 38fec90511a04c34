"""The distribution view: selecting actions in the table shows their histograms (read
back from the plot and compared with numpy's histogram of the raw times) and their
p50/p90/p99 over time; several selected are overlaid; a reset clears the selection."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel
from pytestqt.qtbot import QtBot

import gui.charts
import gui.snapshots
from core import ActionTracker, Snapshot
from gui import MainWindow
from gui.histogram_bins import BINS, LOG_RATIO, Histograms, bin_edges, bins_from_cumulative

START = 1_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _redraw_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gui.charts, "REDRAW_SECONDS", 0.0)
    monkeypatch.setattr(gui.charts, "DISTRIBUTION_REDRAW_SECONDS", 0.0)
    monkeypatch.setattr(gui.snapshots, "HISTOGRAM_SECONDS", 0.0)


def add(tracker: ActionTracker, name: str, times: Sequence[float]) -> None:
    for time in times:
        tracker.add_action(f'{{"action": "{name}", "time": {float(time)!r}}}')


def select(window: MainWindow, *names: str) -> None:
    """Select the rows of ``names`` in the table, as a user's clicks do."""
    proxy, selection = window.proxy, QItemSelection()
    for row in range(proxy.rowCount()):
        if proxy.index(row, 0).data() in names:
            selection.select(proxy.index(row, 0), proxy.index(row, proxy.columnCount() - 1))
    window.table.selectionModel().select(
        selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
    )


def drawn_bins(
    qtbot: QtBot, window: MainWindow, names: Sequence[str]
) -> dict[str, tuple[tuple[float, ...], tuple[int, ...]]]:
    """The bins the distribution view draws for ``names``, once all of them are drawn."""
    view = window.charts.distribution

    def drawn() -> bool:
        window.charts.redraw()
        return set(view.plotted_bins()) == set(names)

    qtbot.waitUntil(drawn, timeout=5000)
    return view.plotted_bins()


def assert_numpy_histogram(
    bins: tuple[tuple[float, ...], tuple[int, ...]], times: np.ndarray
) -> None:
    edges, counts = bins
    inner = np.array(edges[1:-1])
    assert not np.isin(times, inner).any(), "a time on an inner edge: numpy bins it [a, b)"
    expected, _ = np.histogram(times, bins=np.array(edges))
    assert counts == tuple(int(count) for count in expected)
    assert sum(counts) == len(times)


def test_bins_are_log_spaced_only_when_the_range_calls_for_it() -> None:
    edges, log = bin_edges(81.3, 118.9)
    assert not log
    assert edges[0] <= 81.3 < edges[1]
    assert edges[-2] < 118.9 <= edges[-1]
    assert np.allclose(np.diff(edges), 1.0)  # round steps: 80, 81, ... 119
    assert len(edges) - 1 <= BINS
    edges, log = bin_edges(1.5, LOG_RATIO * 5)
    assert log
    assert edges[0] <= 1.5 < edges[1]
    assert edges[-2] < LOG_RATIO * 5 <= edges[-1]
    assert np.allclose(np.diff(np.log10(edges)), np.diff(np.log10(edges))[0])
    assert len(edges) - 1 <= BINS
    assert not bin_edges(0.0, 1e6)[1]  # a zero has no place on a log axis
    edges, _ = bin_edges(7.0, 7.0)  # one value: a bar around it
    assert edges[0] < 7.0 < edges[-1]
    for low, high in ((0.0, 1.7e308), (1e-300, 1.7e308)):
        edges, _ = bin_edges(low, high)
        assert np.all(np.isfinite(edges))
        assert edges[0] <= low
        assert edges[-1] >= high
    assert bins_from_cumulative((2, 5, 5, 9)) == (5, 0, 4)


@pytest.mark.parametrize(
    ("spread", "log"), [("narrow", False), ("wide", True)], ids=["linear", "log"]
)
def test_one_selected_action_shows_numpys_histogram_of_its_times(
    qtbot: QtBot, make_window: Callable[..., MainWindow], spread: str, log: bool
) -> None:
    rng = np.random.default_rng(12)
    draw = rng.normal if spread == "narrow" else rng.lognormal
    times = draw(100.0, 10.0, 700) if spread == "narrow" else draw(2.0, 1.6, 700)
    times = np.round(np.abs(times), 6) + 0.001
    tracker = ActionTracker("samples")
    add(tracker, "other", [1.0, 2.0])
    add(tracker, "jump", times)
    window = make_window(tracker)
    window.refresh()
    select(window, "jump")
    assert window.charts.currentWidget() is window.charts.distribution
    bins = drawn_bins(qtbot, window, ["jump"])
    assert_numpy_histogram(bins["jump"], times)
    view = window.charts.distribution
    assert view.log_scale is log
    label = view.histogram_plot.getAxis("bottom").labelText
    assert ("log scale" if log else "linear scale") in label


def test_several_selected_actions_are_overlaid_on_common_bins_with_a_legend(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    rng = np.random.default_rng(3)
    walk, run = rng.normal(120.0, 15.0, 400), rng.normal(80.0, 5.0, 300)
    tracker = ActionTracker("samples")
    add(tracker, "walk", walk)
    add(tracker, "skip", [50.0])
    add(tracker, "run", run)
    window = make_window(tracker)
    window.refresh()
    select(window, "walk", "run")
    bins = drawn_bins(qtbot, window, ["walk", "run"])
    assert bins["walk"][0] == bins["run"][0]  # one set of edges, comparable bars
    assert_numpy_histogram(bins["walk"], walk)
    assert_numpy_histogram(bins["run"], run)
    legend = window.charts.distribution.legend.text()
    assert legend.index("walk") < legend.index("run")
    assert "skip" not in legend


def test_the_percentiles_over_time_end_at_the_tables_figures(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    tracker = ActionTracker("samples")
    add(tracker, "jump", [10.0, 20.0, 30.0, 40.0])
    window = make_window(tracker)
    window.refresh()
    select(window, "jump")
    add(tracker, "jump", [100.0, 200.0])
    window.refresh()
    stats = tracker.snapshot().get("jump")
    assert stats is not None
    view = window.charts.distribution

    def ends_at_table() -> bool:
        window.charts.redraw()
        drawn = view.plotted_percentiles().get("jump")
        return drawn is not None and (drawn.p50[-1], drawn.p90[-1], drawn.p99[-1]) == (
            stats.p50,
            stats.p90,
            stats.p99,
        )

    qtbot.waitUntil(ends_at_table, timeout=5000)
    drawn = view.plotted_percentiles()["jump"]
    assert len(drawn.p50) == 2  # a step when the two times came
    assert len(drawn.edges) == len(drawn.p50) + 1


def test_a_window_bins_only_its_own_times(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    clock = Clock()
    tracker = ActionTracker("samples", clock=clock)
    add(tracker, "jump", [1000.0, 2000.0])
    clock.now += 100
    recent = np.random.default_rng(5).normal(50.0, 5.0, 200)
    add(tracker, "jump", recent)
    window = make_window(tracker)
    window.window_selector.set_window(10)
    window.refresh()
    select(window, "jump")
    bins = drawn_bins(qtbot, window, ["jump"])
    assert_numpy_histogram(bins["jump"], recent)
    assert "last 10 s" in window.charts.distribution.histogram_plot.getPlotItem().titleLabel.text


def test_a_reset_clears_the_selection_and_the_distribution(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    tracker = ActionTracker("samples")
    add(tracker, "jump", [1.0, 2.0, 3.0])
    window = make_window(tracker)
    window.refresh()
    select(window, "jump")
    drawn_bins(qtbot, window, ["jump"])
    tracker.reset()
    add(tracker, "jump", [5.0])  # the same name again: still not selected
    window.refresh()
    qtbot.waitUntil(lambda: window.live.selected == (), timeout=2000)
    assert not window.table.selectionModel().hasSelection()
    window.charts.redraw()
    assert window.charts.distribution.plotted_bins() == {}
    assert window.charts.distribution.hint.isVisible()


def test_nothing_selected_shows_a_hint_and_no_bins(window: MainWindow) -> None:
    window.charts.setCurrentWidget(window.charts.distribution)
    window.charts.redraw()
    assert window.charts.distribution.hint.isVisible()
    assert window.charts.distribution.plotted_bins() == {}


def test_histograms_are_taken_only_while_the_distribution_is_shown(
    qtbot: QtBot, make_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[tuple[str, ...]] = []
    original = gui.snapshots.histograms_for

    def counting(
        tracker: ActionTracker, snapshot: Snapshot, actions: Sequence[str]
    ) -> Histograms | None:
        taken.append(tuple(actions))
        return original(tracker, snapshot, actions)

    monkeypatch.setattr(gui.snapshots, "histograms_for", counting)
    tracker = ActionTracker("samples")
    add(tracker, "jump", [1.0, 2.0])
    window = make_window(tracker)
    window.refresh()
    select(window, "jump")
    drawn_bins(qtbot, window, ["jump"])
    assert taken
    assert set(taken) == {("jump",)}

    window.charts.setCurrentWidget(window.charts.averages_plot)
    window.refresh()  # the switch's own request reaches the poller first
    taken.clear()
    add(tracker, "jump", [3.0])
    window.refresh()
    assert taken == []
    window.charts.setCurrentWidget(window.charts.distribution)
    qtbot.waitUntil(lambda: bool(taken), timeout=5000)
