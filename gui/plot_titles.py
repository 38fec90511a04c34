"""Chart titles that fit their plot: pyqtgraph lays a title out at its full width, so a
long one ("Percentiles over time, last 5 minutes") in a narrow plot ran past its right
edge and was cut mid-word. ``PlotTitle`` shows the longest of a title's wordings that
fits the room the plot has ("Percentiles, last 5 minutes"), the shortest elided with "…"
when none does; the whole title is then the plot's tooltip."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QFont, QFontMetricsF

TITLE_COLOR = "#333"
TITLE_POINTS = 10
RIGHT_GAP = 8
"""Pixels kept free right of a title, so that its last letter is not at the edge."""
TEXT_MARGINS = 8
"""Pixels a title's text item adds around its text (Qt's document margin, both sides)."""


class PlotTitle(QObject):
    """The title of ``plot``, kept within the width right of its left axis (over the
    plot area, where pyqtgraph centres it) as the plot is resized: ``title``, or the
    first of the ``shorter`` wordings that fits, or the last elided. The plot's tooltip
    is the whole title while a shorter one is shown, empty otherwise."""

    def __init__(self, plot: pg.PlotWidget, title: str, *shorter: str) -> None:
        super().__init__(plot)
        self._plot = plot
        self._title = title
        self._wordings = (title, *shorter)
        self._shown: str | None = None
        self._font = QFont(plot.font())
        self._font.setPointSizeF(TITLE_POINTS)
        plot.installEventFilter(self)
        # The left axis widens with its tick labels, leaving less room for the title.
        plot.getPlotItem().vb.sigResized.connect(self._fit)
        self._fit()

    @property
    def title(self) -> str:
        """The whole title."""
        return self._title

    @property
    def shown(self) -> str:
        """The title as shown: whole, or shortened with "…" to fit."""
        return self._shown or ""

    def set_title(self, title: str, *shorter: str) -> None:
        """Show ``title``, or the first of the ``shorter`` wordings that fits (longest
        first), or the last one elided."""
        self._title = title
        self._wordings = (title, *shorter)
        self._fit()

    def room(self) -> float:
        """Pixels the title's text may take: the plot's width right of its left axis."""
        axis = self._plot.getPlotItem().getAxis("left")
        # Its right edge as laid out: its bounding rectangle spans the grid it draws.
        left = axis.mapToScene(QPointF(axis.size().width(), 0)).x() if axis.isVisible() else 0
        return max(0.0, float(self._plot.width() - left) - RIGHT_GAP - TEXT_MARGINS)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._plot and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self._fit()
        return False

    def _fit(self, *_resized: object) -> None:
        metrics = QFontMetricsF(self._font)
        room = self.room()
        fitting = (text for text in self._wordings if metrics.horizontalAdvance(text) <= room)
        shown = next(fitting, None) or metrics.elidedText(
            self._wordings[-1], Qt.TextElideMode.ElideRight, room
        )
        if shown == self._shown:
            return  # setting it again would lay the plot out again, and resize it
        self._shown = shown
        self._plot.setTitle(shown, color=TITLE_COLOR, size=f"{TITLE_POINTS}pt")
        self._plot.setToolTip("" if shown == self._title else self._title)
