"""Chart titles fit their plots: too long for the room right of the left axis, a title
is shown in shorter words ("Percentiles, last 5 minutes"), elided with "…" when even
those do not fit, and the plot's tooltip holds it whole (at 1270 px the distribution's
"Percentiles over time, last 5 minutes" ran past the plot's edge)."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui import MainWindow
from gui.plot_titles import TITLE_POINTS, PlotTitle


def _text_width(plot: pg.PlotWidget, text: str) -> float:
    font = QFont(plot.font())
    font.setPointSizeF(TITLE_POINTS)
    return QFontMetricsF(font).horizontalAdvance(text)


def _settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


def _titles(window: MainWindow) -> list[tuple[pg.PlotWidget, PlotTitle]]:
    charts = window.charts
    distribution = charts.distribution
    return [
        (charts.throughput_plot, charts.throughput_title),
        (charts.averages_plot, charts.averages_title),
        (distribution.histogram_plot, distribution.histogram_title),
        (distribution.percentiles_plot, distribution.percentiles_title),
    ]


@pytest.mark.parametrize("tab", [1, 2])
def test_titles_fit_a_window_1270_px_wide(window: MainWindow, tab: int) -> None:
    window.resize(1270, 800)
    window.window_selector.set_window(300)
    window.charts.setCurrentIndex(tab)
    _settle()
    shortened = []
    for plot, title in _titles(window):
        if not plot.isVisible():
            continue
        label = plot.getPlotItem().titleLabel
        assert label.text == title.shown
        assert _text_width(plot, title.shown) <= title.room()
        # Centred over the plot area, the title ends within the plot.
        right = label.mapToScene(label.boundingRect()).boundingRect().right()
        assert right <= plot.width()
        if title.shown != title.title:
            shortened.append(title.shown)
            assert plot.toolTip() == title.title
        else:
            assert plot.toolTip() == ""
    if tab == 2:  # at this width the two plots side by side have room for shorter words
        assert shortened == ["Histogram, last 5 minutes", "Percentiles, last 5 minutes"]


def test_shorter_words_then_eliding_then_the_whole_title_again(qtbot: QtBot) -> None:
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    whole, short = "Percentiles over time, last 5 minutes", "Percentiles, last 5 minutes"
    title = PlotTitle(plot, whole, short)
    plot.resize(400, 200)
    plot.show()
    qtbot.waitExposed(plot)
    _settle()
    beside_the_title = plot.width() - title.room()  # the left axis and margins
    plot.resize(int(beside_the_title + _text_width(plot, short)) + 2, 200)
    _settle()
    assert _text_width(plot, short) <= title.room() < _text_width(plot, whole)
    assert title.shown == short
    assert plot.toolTip() == whole

    plot.resize(120, 200)
    _settle()
    assert title.shown.endswith("…")
    assert short.startswith(title.shown[:-1])
    assert _text_width(plot, title.shown) <= title.room()
    assert plot.toolTip() == whole

    plot.resize(800, 200)
    _settle()
    assert title.shown == whole
    assert plot.getPlotItem().titleLabel.text == whole
    assert plot.toolTip() == ""
    title.set_title("Percentiles over time")
    assert plot.getPlotItem().titleLabel.text == "Percentiles over time"
