"""The distribution view with nothing selected has empty axes, not those of the last
selection: after a reset the hint to select actions stood beside "samples per bin" up
to 50,000 and a time axis of the old figures."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel
from pytestqt.qtbot import QtBot

import gui.charts
import gui.snapshots
from core import ActionTracker
from gui import MainWindow


@pytest.fixture(autouse=True)
def _redraw_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gui.charts, "REDRAW_SECONDS", 0.0)
    monkeypatch.setattr(gui.charts, "DISTRIBUTION_REDRAW_SECONDS", 0.0)
    monkeypatch.setattr(gui.snapshots, "HISTOGRAM_SECONDS", 0.0)


def select_all(window: MainWindow) -> None:
    proxy = window.proxy
    selection = QItemSelection(proxy.index(0, 0), proxy.index(proxy.rowCount() - 1, 0))
    window.table.selectionModel().select(
        selection,
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )


def test_a_reset_leaves_empty_axes_beside_the_hint(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    tracker = ActionTracker("samples")
    for time in (2000.0, 2500.0, 3000.0) * 50:
        tracker.add("jump", time)
    window = make_window(tracker)
    window.refresh()
    view = window.charts.distribution
    histogram, percentiles = view.histogram_plot, view.percentiles_plot
    select_all(window)

    def drawn() -> bool:
        window.charts.redraw()
        return bool(view.plotted_bins()) and bool(view.plotted_percentiles())

    qtbot.waitUntil(drawn, timeout=5000)
    (x_range, y_range) = histogram.viewRange()
    assert x_range[1] > 2  # the times' axis, in ms (or scaled)
    assert y_range[1] >= 50  # counts per bin

    tracker.reset()
    window.refresh()
    qtbot.waitUntil(lambda: window.live.selected == (), timeout=2000)
    window.charts.redraw()
    assert view.hint.isVisible()
    for plot in (histogram, percentiles):
        (_, x_high), (_, y_high) = plot.viewRange()
        assert x_high <= 1.1
        assert y_high <= 1.1
    assert histogram.getAxis("bottom").labelText == "time (ms)"
