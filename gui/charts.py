"""Live charts (pyqtgraph): benchmark throughput, each action's average over time, and
the selected actions' distribution (``gui/distribution_view.py``).

Both only store points when data arrives and redraw when ``redraw`` is called by the
window's refresh timer, so they update with the table, never faster.
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QTabWidget

from core import Snapshot
from core.loadgen import LoadResult, LoadStatus
from gui.average_history import MAX_LINES, AverageHistory, Steps
from gui.distribution_view import DistributionView
from gui.histogram_bins import Histograms
from gui.plot_scale import LARGEST_PLOTTED, scaled_label
from gui.plot_scale import nice_ceiling as _nice_ceiling
from gui.plot_scale import value_scale as _y_scale
from gui.plot_titles import PlotTitle

HISTORY = 1200
"""Throughput points kept: two minutes at the refresh rate."""
REDRAW_SECONDS = 0.25
"""Charts redraw at most 4 times a second, on the table's refresh timer."""
DISTRIBUTION_REDRAW_SECONDS = 1.0
"""The distribution view (two plots, up to 6 histograms and 18 lines) redraws at most
once a second, as Locust's charts do: each of its plots' repaints enters Python
(pyqtgraph's view), which waits for the GIL while producers run, and its figures move
slowly."""

__all__ = ["LARGEST_PLOTTED", "MAX_LINES", "ChartsPanel"]

_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _plot(left: str, units: str | None = None) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="w", enableMenu=False)
    plot.setLabel("left", left, units=units)
    plot.setLabel("bottom", "elapsed", units="s")
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.setMouseEnabled(x=False, y=False)
    return plot


class ChartsPanel(QTabWidget):
    """Three tabs: "Throughput" (adds/s during a benchmark), "Averages" (per action) and
    "Distribution" (of the actions selected in the table)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("charts")
        self.throughput_plot = _plot("adds", units="/s")
        self.throughput_title = PlotTitle(
            self.throughput_plot, "Benchmark throughput", "Throughput"
        )
        self._throughput_curve = self.throughput_plot.plot(pen=pg.mkPen("#1f77b4", width=2))
        self.averages_plot = _plot("time (ms)")
        self.averages_title = PlotTitle(self.averages_plot, "Average time per action", "Averages")
        self._legend = self.averages_plot.addLegend(offset=(-10, 10))
        # pyqtgraph's own scaling of the axis (a power of ten in its label) is wrong for
        # huge times ("x1e+27" for 1e308); _y_scale scales them instead.
        self.averages_plot.getAxis("left").enableAutoSIPrefix(False)
        self._y_scale = self._shown_y_scale = 1.0
        self.averages_plot.disableAutoRange()
        self._ends = pg.ScatterPlotItem(size=7, pen=None)
        self.averages_plot.addItem(self._ends)
        self.distribution = DistributionView()
        self.addTab(self.throughput_plot, "Throughput")
        self.addTab(self.averages_plot, "Averages")
        self.addTab(self.distribution, "Distribution")
        self._rates: deque[tuple[float, float]] = deque(maxlen=HISTORY)
        self._last_status: tuple[float, int] | None = None
        self._history = AverageHistory(None, time.monotonic())
        # Curve i draws the i-th action of the history, in the table's order: a change of
        # the most frequent actions renames curves instead of building new ones (which
        # costs milliseconds of Python each), and colours follow the table's order.
        self._curves: list[pg.PlotDataItem] = []
        self._curve_names: list[str] = []
        self._dirty = False
        self._redrawn = 0.0
        self._y_top = 0.0
        self._duration: float | None = None
        self.currentChanged.connect(self._on_current_changed)

    # throughput ---------------------------------------------------------------------

    def start_throughput(self, duration: float | None = None) -> None:
        """Clear the throughput chart for a new run of ``duration`` seconds (if known).

        The axes are fixed for the run (x to the duration, y grown in 1-2-5 steps), so
        pyqtgraph keeps its cached axis pictures and a redraw repaints only the curve:
        its axis code is Python, and under busy producers every Python call in a paint
        waits for the GIL.
        """
        self._rates.clear()
        self._last_status = None
        self._duration = duration
        self._y_top = 0.0
        self.throughput_plot.disableAutoRange()
        self.throughput_plot.setXRange(0, duration or 10.0, padding=0.02)
        self.throughput_plot.setYRange(0, 1, padding=0)
        self._dirty = True

    def show_run_started(self, duration: float | None) -> None:
        """A benchmark run begins: its throughput chart comes to the front."""
        self.start_throughput(duration)
        self.setCurrentWidget(self.throughput_plot)

    def show_run_status(self, status: LoadStatus) -> None:
        self.add_status(status.elapsed, status.added)

    def show_run_ended(self, _result: LoadResult) -> None:
        self.end_throughput()

    def add_status(self, elapsed: float, added: int) -> None:
        """Record a benchmark progress point; the rate is over the last interval."""
        if self._last_status is not None:
            last_elapsed, last_added = self._last_status
            if elapsed > last_elapsed:
                self._rates.append((elapsed, (added - last_added) / (elapsed - last_elapsed)))
                self._dirty = True
        self._last_status = (elapsed, added)

    def end_throughput(self) -> None:
        """Fit the time axis to a run by count, or one stopped early, which would otherwise
        fill only part of its axis. A run that lasted its planned duration keeps the axis
        set for it (it ends a little past it, which would round up to twice as long)."""
        if self._rates:
            end = self._rates[-1][0]
            if self._duration is not None and end >= 0.95 * self._duration:
                return
            self.throughput_plot.setXRange(0, _nice_ceiling(end), padding=0.02)
            self._dirty = True
            self._redrawn = 0.0

    @property
    def rates(self) -> list[tuple[float, float]]:
        return list(self._rates)

    # averages -----------------------------------------------------------------------

    def show_history(self, history: AverageHistory) -> None:
        """Draw ``history`` (a session's) in the averages chart from now on."""
        self._history = history
        history.watch(self.distribution.selected)
        self._dirty = True

    def set_window_words(self, words: str) -> None:
        """Name the window the charts cover ("all time", "last minute") in their titles."""
        suffix = "" if words == "all time" else f", {words}"
        self.averages_title.set_title(f"Average time per action{suffix}", f"Averages{suffix}")
        self.distribution.set_window_words(words)
        self._dirty = True

    def show_selected(self, names: tuple[str, ...]) -> None:
        """Chart the distribution of ``names`` (the table's selection); a selection brings
        the distribution to the front."""
        self.distribution.set_selected(names)
        self._history.watch(names)
        if names:
            self.setCurrentWidget(self.distribution)
        self._dirty = True

    def show_histograms(self, histograms: Histograms | None) -> None:
        """The selected actions' bins, taken with the snapshot just shown."""
        self.distribution.show_histograms(histograms)
        self._dirty = True

    def add_snapshot(self, now: float, snapshot: Snapshot) -> None:
        """Record the averages of ``snapshot``, shown at monotonic time ``now``."""
        self._history.add(now, snapshot)
        self._dirty = True

    def plotted_averages(self) -> dict[str, Steps]:
        """What the averages chart draws, read back from its curves (as last redrawn)."""
        plotted = {}
        for name, curve in zip(self._curve_names, self._curves, strict=False):
            edges, means = curve.getData()
            means = [float(mean) * self._y_scale for mean in means]
            plotted[name] = Steps(tuple(map(float, edges)), tuple(means))
        return plotted

    def redraw(self) -> None:
        """Push stored points to the visible chart, at most every REDRAW_SECONDS.

        pyqtgraph paints in Python, so under busy producer threads every chart paint
        waits for the GIL (bench/gui_responsiveness.py measures it against the table):
        hidden charts are never redrawn and the visible one only a few times a second.
        """
        now = time.monotonic()
        interval = (
            DISTRIBUTION_REDRAW_SECONDS
            if self.currentWidget() is self.distribution
            else REDRAW_SECONDS
        )
        if not self._dirty or not self.isVisible() or now - self._redrawn < interval:
            return
        self._dirty = False
        self._redrawn = now
        if self.currentWidget() is self.throughput_plot:
            self._redraw_throughput()
        elif self.currentWidget() is self.distribution:
            self.distribution.redraw(self._history)
        else:
            self._redraw_averages()

    def _on_current_changed(self, _index: int) -> None:
        self._dirty = True
        self._redrawn = 0.0

    def _redraw_throughput(self) -> None:
        if self._rates:
            xs, ys = zip(*self._rates, strict=True)
            self._throughput_curve.setData(list(xs), list(ys))
            # From zero: a rate drawn from 420k to 540k looks like it halved.
            if max(ys) > self._y_top:
                self._y_top = _nice_ceiling(max(ys) * 1.1)
                self.throughput_plot.setYRange(0, self._y_top, padding=0)
            if xs[-1] > self.throughput_plot.viewRange()[0][1]:  # a count-based run
                self.throughput_plot.setXRange(0, _nice_ceiling(xs[-1] * 1.5), padding=0.02)
        else:
            self._throughput_curve.setData([], [])

    def _redraw_averages(self) -> None:
        history = self._history
        names = history.names
        self._name_curves(names)
        all_steps = [history.steps(name) for name in names]
        top = max((max(steps.means) for steps in all_steps), default=0.0)
        scale = _y_scale(top)
        self._y_scale = scale
        ends, brushes = [], []
        for curve, steps in zip(self._curves, all_steps, strict=False):
            means = np.array(steps.means)
            if scale != 1.0:
                means /= scale
            curve.setData(np.array(steps.edges), means, stepMode="center")
            ends.append({"pos": (steps.edges[-1], means[-1])})
            brushes.append(curve.opts["pen"].color())
        # The last value of each, marked: after a restart each action has one point,
        # which a line alone would not show.
        self._ends.setData(ends, brush=brushes)
        self._ends.setVisible(bool(ends))
        # Set, not autoranged: pyqtgraph's autorange loses huge times (its view stops at
        # 1e307 and its axis label scales by a wrong power of ten), and nice limits change
        # rarely, so the axes are seldom regenerated. From zero, like the throughput.
        if scale != self._shown_y_scale:
            self._shown_y_scale = scale
            self.averages_plot.setLabel("left", scaled_label("time (ms)", scale))
        self.averages_plot.setYRange(0, _nice_ceiling(top / scale * 1.05), padding=0)
        self.averages_plot.setXRange(0, _nice_ceiling(max(history.latest, 1.0)), padding=0.02)

    def _name_curves(self, names: tuple[str, ...]) -> None:
        """Have one curve per name, in order, each named in the legend."""
        while len(self._curves) > len(names):
            curve = self._curves.pop()
            self._curve_names.pop()
            self.averages_plot.removeItem(curve)
            self._legend.removeItem(curve)
        for index, name in enumerate(names):
            if index == len(self._curves):
                color = _COLORS[index % len(_COLORS)]
                curve = self.averages_plot.plot(pen=pg.mkPen(color, width=2), name=name)
                self._curves.append(curve)
                self._curve_names.append(name)
            elif self._curve_names[index] != name:
                self._curve_names[index] = name
                self._curves[index].opts["name"] = name
                for sample, label in self._legend.items:
                    if sample.item is self._curves[index]:
                        label.setText(name)
