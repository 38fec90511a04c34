"""The distribution view: the selected actions' histograms and their p50/p90/p99 over
time (as Locust's response-time chart), overlaid with a legend when several are selected.

It only stores what arrives (bins from the poller's thread, percentiles from the session's
history) and draws in ``redraw``, which the charts panel calls on its bounded timer and
only while this view is visible. Bars and lines are plain ``QGraphicsPathItem``s and the
legend a label, all painted in C++: under load every Python call in a paint waits for the
GIL, and pyqtgraph's curves and legends paint in Python.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from gui.average_history import AverageHistory, PercentileSteps
from gui.histogram_bins import MAX_SHOWN, Histograms
from gui.plot_scale import nice_ceiling, scaled_label, value_scale
from gui.plot_titles import PlotTitle
from gui.step_paths import bars_path, read_bars, read_steps, steps_path

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
"""One per overlaid action, in the table's order (as many as MAX_SHOWN)."""
PERCENTILE_LINES = (
    ("p50", Qt.PenStyle.SolidLine),
    ("p90", Qt.PenStyle.DashLine),
    ("p99", Qt.PenStyle.DotLine),
)
HINT = "Select one or more actions in the table to see how their times are distributed."
STYLE_KEYS = {"p50": "──", "p90": "– –", "p99": "···"}
"""How the legend shows each percentile's line style."""
END_DOT_PIXELS = 7.0
"""The diameter of the dot that marks each percentile line's latest value."""


def _pen(color: str, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(QColor(color), width, style)
    pen.setCosmetic(True)  # pixels wide, whatever the axes' scale
    return pen


def _plot(left: str, bottom: str, units: str | None = None) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="w", enableMenu=False)
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom, units=units)
    # No grid: pyqtgraph's axes draw it, in Python, so with a grid every redraw of the
    # bars or lines repaints the axes as well.
    plot.setMouseEnabled(x=False, y=False)
    plot.disableAutoRange()
    plot.getAxis("left").enableAutoSIPrefix(False)
    plot.getAxis("bottom").enableAutoSIPrefix(False)
    return plot


class DistributionView(QWidget):
    """Histogram of the selected actions' times beside their percentiles over time."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("distributionView")
        self.hint = QLabel(HINT)
        self.hint.setObjectName("distributionHint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.histogram_plot = _plot("samples per bin", "time (ms)")
        self.percentiles_plot = _plot("time (ms)", "elapsed", units="s")
        self.histogram_title = PlotTitle(self.histogram_plot, "Distribution of times", "Histogram")
        self.percentiles_title = PlotTitle(
            self.percentiles_plot, "Percentiles over time", "Percentiles"
        )
        self.legend = QLabel()
        self.legend.setObjectName("distributionLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._bars: list[QGraphicsPathItem] = []
        self._lines: list[QGraphicsPathItem] = []
        # A dot at the end of each line, as the averages chart has: an action idle
        # since it was selected (or since the window changed) has one point, a step of
        # no length that a line alone would not show.
        self._ends: list[QGraphicsEllipseItem] = []
        self._selected: tuple[str, ...] = ()
        self._histograms: Histograms | None = None
        self._bar_names: list[str] = []
        self._line_names: list[tuple[str, str]] = []
        self._single = False
        self._x_scale = self._y_scale = 1.0
        self._axis: tuple[bool, float] | None = None
        self._drawn_histograms: object = None
        self._drawn_percentiles: object = None
        self._histogram_ranges: tuple[float, float, float] | None = None
        self._percentile_ranges: tuple[float, float] | None = None
        self._window_words = "all time"

        plots = QHBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.addWidget(self.histogram_plot, 1)
        plots.addWidget(self.percentiles_plot, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.hint)
        layout.addWidget(self.legend)
        layout.addLayout(plots, 1)

    # --- what arrives -----------------------------------------------------------------

    @property
    def selected(self) -> tuple[str, ...]:
        return self._selected

    def set_selected(self, names: tuple[str, ...]) -> None:
        """The actions selected in the table, in its order; their bins come later."""
        self._selected = names
        self.hint.setVisible(not names)
        self.legend.setVisible(bool(names))
        if self._histograms is not None and not set(self._histograms.counts) & set(names):
            self._histograms = None

    def show_histograms(self, histograms: Histograms | None) -> None:
        self._histograms = histograms

    def set_window_words(self, words: str) -> None:
        """Name the window shown ("all time", "last minute") in the plots' titles."""
        self._window_words = words
        suffix = "" if words == "all time" else f", {words}"
        self.histogram_title.set_title(f"Distribution of times{suffix}", f"Histogram{suffix}")
        self.percentiles_title.set_title(f"Percentiles over time{suffix}", f"Percentiles{suffix}")

    # --- drawing ----------------------------------------------------------------------

    def redraw(self, history: AverageHistory) -> None:
        """Draw the stored bins and ``history``'s percentiles of the selected actions;
        either is left as it is when what it would draw has not changed (pyqtgraph's
        updates run Python, which waits for the GIL while producers run)."""
        histograms = self._histograms
        names = [n for n in self._selected if histograms is not None and n in histograms.counts]
        names = names[:MAX_SHOWN]
        if (histograms, names) != self._drawn_histograms:
            self._drawn_histograms = (histograms, names)
            self._redraw_histogram(histograms, names)
        drawn = (history, history.changes, self._selected)
        if drawn != self._drawn_percentiles:
            self._drawn_percentiles = drawn
            self._redraw_percentiles(history)

    def _redraw_histogram(self, histograms: Histograms | None, names: list[str]) -> None:
        self._have_bars(names)
        if not self._selected:
            self._clear_histogram_axes()
        if histograms is None or not names:
            return
        edges = np.array(histograms.edges)
        scale = 1.0 if histograms.log else value_scale(float(np.max(np.abs(edges))))
        self._x_scale = scale
        if (histograms.log, scale) != self._axis:
            self._axis = (histograms.log, scale)
            axis = self.histogram_plot.getAxis("bottom")
            # The curves get log10 of the edges; the axis only labels them as powers of
            # ten (what PlotItem.setLogMode does, without its slower PlotDataItems).
            axis.setLogMode(histograms.log)
            name = scaled_label("time (ms)", scale)
            axis.setLabel(f"{name}, log scale" if histograms.log else f"{name}, linear scale")
        x = np.log10(edges) if histograms.log else edges / scale
        top = 0
        for bar, name in zip(self._bars, names, strict=False):
            counts = np.array(histograms.counts[name], dtype=np.float64)
            bar.setPath(bars_path(x, counts))
            top = max(top, int(counts.max(initial=0)))
        # Set only when they change (rarely: the edges are round numbers), so pyqtgraph
        # keeps its axis pictures.
        # The counts' axis grows to twice what is needed and shrinks only below a
        # quarter, so that counts growing during a run seldom change it.
        shown_top = self._histogram_ranges[2] if self._histogram_ranges else 0.0
        if not top * 1.05 <= shown_top <= max(top, 1) * 4:
            shown_top = nice_ceiling(top * 2.0)
        ranges = (float(x[0]), float(x[-1]), shown_top)
        if ranges != self._histogram_ranges:
            self._histogram_ranges = ranges
            self.histogram_plot.setXRange(ranges[0], ranges[1], padding=0.02)
            self.histogram_plot.setYRange(0, ranges[2], padding=0)

    def _clear_histogram_axes(self) -> None:
        """Nothing selected: empty axes, not those of the last selection (a reset left
        "samples per bin" up to 50,000 beside the hint to select actions)."""
        if self._histogram_ranges is None and self._axis is None:
            return
        self._histogram_ranges = self._axis = None
        self._x_scale = 1.0
        axis = self.histogram_plot.getAxis("bottom")
        axis.setLogMode(False)
        axis.setLabel("time (ms)")
        self.histogram_plot.setXRange(0, 1, padding=0.02)
        self.histogram_plot.setYRange(0, 1, padding=0)

    def _clear_percentile_axes(self) -> None:
        if self._percentile_ranges is None:
            return
        self._percentile_ranges = None
        self._y_scale = 1.0
        self.percentiles_plot.setLabel("left", "time (ms)")
        self.percentiles_plot.setXRange(0, 1, padding=0.02)
        self.percentiles_plot.setYRange(0, 1, padding=0)

    def _have_bars(self, names: list[str]) -> None:
        """An outline of bars per name, in order, not filled: filling translucent areas
        the size of the plot took the raster engine long enough, on the GUI thread, to
        delay its timers several times over while producers ran (bench.gui_responsiveness
        --distribution), and outlines overlay more readably. Items are made once and kept
        (hidden when unused)."""
        if names == self._bar_names:
            return
        while len(self._bars) < len(names):
            color = COLORS[len(self._bars) % len(COLORS)]
            bar = QGraphicsPathItem()
            bar.setPen(_pen(color, 2))
            self.histogram_plot.addItem(bar)
            self._bars.append(bar)
        for index, bar in enumerate(self._bars):
            bar.setVisible(index < len(names))
        self._bar_names = list(names)
        self._show_legend()

    def _redraw_percentiles(self, history: AverageHistory) -> None:
        shown = [
            (name, steps)
            for name in self._selected[:MAX_SHOWN]
            if (steps := history.percentile_steps(name)) is not None
        ]
        single = len(shown) == 1
        wanted = [(name, label) for name, _steps in shown for label, _style in PERCENTILE_LINES]
        self._have_lines(wanted, single)
        if not self._selected:
            self._clear_percentile_axes()
        if not shown:
            return
        top = max(max(steps.p99, default=0.0) for _name, steps in shown)
        scale = value_scale(top)
        if scale != self._y_scale:
            self._y_scale = scale
            self.percentiles_plot.setLabel("left", scaled_label("time (ms)", scale))
        lines = iter(zip(self._lines, self._ends, strict=True))
        for _name, steps in shown:
            for label, _style in PERCENTILE_LINES:
                values = np.array(getattr(steps, label)) / scale
                line, end = next(lines)
                line.setPath(steps_path(steps.edges, values))
                end.setPos(steps.edges[-1], float(values[-1]))
        ranges = (nice_ceiling(max(history.latest, 1.0)), nice_ceiling(top / scale * 1.05))
        if ranges != self._percentile_ranges:
            self._percentile_ranges = ranges
            self.percentiles_plot.setXRange(0, ranges[0], padding=0.02)
            self.percentiles_plot.setYRange(0, ranges[1], padding=0)

    def _have_lines(self, wanted: list[tuple[str, str]], single: bool) -> None:
        """Three lines per action (p50 solid, p90 dashed, p99 dotted) in its colour.
        Items are made once and kept, like the bars."""
        if (wanted, single) == (self._line_names, self._single):
            return
        styles = dict(PERCENTILE_LINES)
        while len(self._lines) < len(wanted):
            index = len(self._lines)
            style = styles[PERCENTILE_LINES[index % len(PERCENTILE_LINES)][0]]
            color = COLORS[(index // len(PERCENTILE_LINES)) % len(COLORS)]
            line = QGraphicsPathItem()
            line.setPen(_pen(color, 2, style))
            self.percentiles_plot.addItem(line)
            self._lines.append(line)
            self._ends.append(self._end_dot(color))
        for index, (line, end) in enumerate(zip(self._lines, self._ends, strict=True)):
            line.setVisible(index < len(wanted))
            end.setVisible(index < len(wanted))
        self._line_names, self._single = list(wanted), single
        self._show_legend()

    def _end_dot(self, color: str) -> QGraphicsEllipseItem:
        """A dot of END_DOT_PIXELS, whatever the axes' scale (it ignores the view's
        transformation), painted by Qt in C++ like the lines."""
        radius = END_DOT_PIXELS / 2
        dot = QGraphicsEllipseItem(-radius, -radius, END_DOT_PIXELS, END_DOT_PIXELS)
        dot.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        dot.setPen(Qt.PenStyle.NoPen)
        dot.setBrush(QBrush(QColor(color)))
        dot.setZValue(1)  # over the lines
        self.percentiles_plot.addItem(dot)
        return dot

    def _show_legend(self) -> None:
        """Each action drawn in its colour, then the percentiles' line styles."""
        names = self._bar_names or list(dict.fromkeys(name for name, _ in self._line_names))
        actions = " &nbsp; ".join(
            f'<span style="color:{COLORS[index % len(COLORS)]}">■</span> {_escaped(name)}'
            for index, name in enumerate(names)
        )
        keys = " &nbsp; ".join(f"{STYLE_KEYS[label]} {label}" for label, _ in PERCENTILE_LINES)
        self.legend.setText(f"{actions} &nbsp;&nbsp;&nbsp; {keys}" if names else "")

    # --- read back (tests, screenshots) ----------------------------------------------

    @property
    def log_scale(self) -> bool:
        """Whether the histogram's time axis is logarithmic as drawn."""
        return bool(self.histogram_plot.getAxis("bottom").logMode)

    def plotted_bins(self) -> dict[str, tuple[tuple[float, ...], tuple[int, ...]]]:
        """Per action drawn: the bins' edges and counts, read back from its curve (as last
        redrawn, in times, unscaled)."""
        plotted = {}
        for name, bar in zip(self._bar_names, self._bars, strict=False):
            xs, counts = read_bars(bar.path())
            edges = 10.0 ** np.asarray(xs) if self.log_scale else np.asarray(xs) * self._x_scale
            plotted[name] = (
                tuple(float(edge) for edge in edges),
                tuple(int(count) for count in counts),
            )
        return plotted

    def plotted_percentiles(self) -> dict[str, PercentileSteps]:
        """Per action drawn: its p50/p90/p99 steps, read back from its three lines."""
        drawn: dict[str, dict[str, tuple[float, ...]]] = {}
        edges: dict[str, tuple[float, ...]] = {}
        for (name, label), line in zip(self._line_names, self._lines, strict=False):
            xs, ys = read_steps(line.path())
            edges[name] = tuple(float(x) for x in xs)
            drawn.setdefault(name, {})[label] = tuple(float(y) * self._y_scale for y in ys)
        return {
            name: PercentileSteps(edges[name], lines["p50"], lines["p90"], lines["p99"])
            for name, lines in drawn.items()
            if len(lines) == len(PERCENTILE_LINES)
        }

    def plotted_ends(self) -> dict[str, dict[str, tuple[float, float]]]:
        """Per action drawn: where each percentile's end dot stands (seconds, time),
        read back from the dots shown."""
        ends: dict[str, dict[str, tuple[float, float]]] = {}
        for (name, label), end in zip(self._line_names, self._ends, strict=False):
            if end.isVisible():
                position = end.pos()
                ends.setdefault(name, {})[label] = (position.x(), position.y() * self._y_scale)
        return ends


def _escaped(name: str) -> str:
    return name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
