"""The charts' plots have no context menu: their axes follow the data, not the mouse."""

from __future__ import annotations

import pyqtgraph as pg
from pytestqt.qtbot import QtBot

from gui.charts import ChartsPanel


def test_no_plot_offers_a_context_menu(qtbot: QtBot) -> None:
    panel = ChartsPanel()
    qtbot.addWidget(panel)
    plots = panel.findChildren(pg.PlotWidget)
    assert len(plots) == 4  # throughput, averages, and the distribution view's two
    for plot in plots:
        assert not plot.getPlotItem().menuEnabled()
        assert not plot.getViewBox().menuEnabled()
        assert plot.getViewBox().menu is None
