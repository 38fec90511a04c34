"""The percentiles over time of an idle action showed nothing after a window change or
a new selection: its history had one point, a step of no length. Each line now ends in
a dot at its latest value, as the averages chart's do."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

import gui.charts
import gui.snapshots
from core import ActionTracker
from gui import MainWindow
from widgets import child


@pytest.fixture(autouse=True)
def _redraw_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gui.charts, "REDRAW_SECONDS", 0.0)
    monkeypatch.setattr(gui.charts, "DISTRIBUTION_REDRAW_SECONDS", 0.0)
    monkeypatch.setattr(gui.snapshots, "HISTOGRAM_SECONDS", 0.0)


def select(window: MainWindow, name: str) -> None:
    proxy = window.proxy
    (row,) = [row for row in range(proxy.rowCount()) if proxy.index(row, 0).data() == name]
    window.table.selectionModel().select(
        proxy.index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )


def test_an_idle_actions_percentiles_show_as_end_dots(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    tracker = ActionTracker("samples")
    for time in (2000.0, 2500.0, 9000.0):
        tracker.add("idle", time)
    tracker.add("other", 40.0)
    window = make_window(tracker)
    window.refresh()
    selector = child(window, QComboBox, "windowSelector")
    selector.setCurrentIndex(selector.findText("Last minute"))  # the charts start again
    window.refresh()
    view = window.charts.distribution

    for name in ("idle", "other"):  # a new selection, nothing added since
        select(window, name)
        window.refresh()

        def drawn(name: str = name) -> bool:
            window.charts.redraw()
            return set(view.plotted_ends().get(name, {})) == {"p50", "p90", "p99"}

        qtbot.waitUntil(drawn, timeout=5000)
        (stats,) = [s for s in tracker.snapshot(window=60).actions if s.action == name]
        ends = view.plotted_ends()[name]
        assert {label: y for label, (_x, y) in ends.items()} == pytest.approx(
            {"p50": stats.p50, "p90": stats.p90, "p99": stats.p99}
        )
        (x_low, x_high), (y_low, y_high) = view.percentiles_plot.viewRange()
        for x, y in ends.values():  # within the axes (times this small are not scaled)
            assert x_low <= x <= x_high
            assert y_low <= y <= y_high
        # A single point: the lines alone would be steps of no length.
        steps = view.plotted_percentiles()[name]
        assert steps.edges[0] == steps.edges[-1]
