"""Where the panels sit in the window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

STACK_BELOW_WIDTH = 1500
"""Narrower than this (pixels), the benchmark and charts go under the table instead of
beside it, side by side: the table's nine columns of figures need the window's width
once figures are long (1.000e+308), and the run history needs more than a side column."""
SHORT_HEIGHT = 560
"""Stacked and shorter than this, the benchmark and charts start collapsed (the handle
at the bottom brings them back), so the table keeps its rows."""


class AdaptiveCentral(QWidget):
    """The window's central widget: places ``main``'s two sides beside each other when
    the window is wide, one above the other when it is not (``right`` turns the other
    way). Only ``resizeEvent`` is overridden: painting stays in C++.

    Signals
    -------
    low_changed(bool, bool)
        Whether the window is now lower than SHORT_HEIGHT (wide or stacked), and whether
        this is its first arrangement (what the last run saved stands), each time that
        changes: panels that tighten or fold in a low window follow it.
    """

    low_changed = Signal(bool, bool)

    def __init__(self, main: QSplitter, right: QSplitter) -> None:
        super().__init__()
        self._main = main
        self._right = right
        main.setCollapsible(0, False)  # the table never disappears; the rest may
        self._short: bool | None = None  # a stacked window shorter than SHORT_HEIGHT
        self._low: bool | None = None  # any window shorter than SHORT_HEIGHT

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.arrange(event.size().width(), event.size().height())

    def arrange(self, width: int, height: int) -> None:
        """Turn the splitters to suit a window of ``width`` x ``height``. Sizes are set
        anew only when the orientation changes or a stacked window turns short or tall,
        so the user's dragging is kept otherwise."""
        wide = width >= STACK_BELOW_WIDTH
        short = not wide and height < SHORT_HEIGHT
        main_way = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        turned = self._main.orientation() != main_way
        first = self._short is None  # sizes restored from the last run are kept
        low = height < SHORT_HEIGHT
        if low != self._low:  # first: what fits the form and panel sets the minimum below
            self._low = low
            self.low_changed.emit(low, first)
        if not turned and (first or short == self._short):
            self._short = short
            self._fit_minimum(wide)
            return
        self._short = short
        self._main.setOrientation(main_way)
        self._right.setOrientation(Qt.Orientation.Vertical if wide else Qt.Orientation.Horizontal)
        self._fit_minimum(wide)
        if wide:
            self._main.setSizes([width * 3 // 5, width * 2 // 5])
            self._right.setSizes([height // 2, height // 2])
        else:
            self._main.setSizes([height, 0] if short else [height * 11 // 20, height * 9 // 20])
            self._right.setSizes([width * 11 // 20, width * 9 // 20])

    def fit_minimum(self) -> None:
        """Ask for no more height than the splitters' current way needs; for a window
        restored before it is shown, which would otherwise grow to the minimum of a
        splitter not yet arranged (a window closed at 700 x 380 came back 500 high)."""
        self._fit_minimum(self._main.orientation() == Qt.Orientation.Horizontal)

    def _fit_minimum(self, wide: bool) -> None:
        """A splitter asks for the minimum of all its sides, a collapsed one too; stacked,
        the window may be as short as the table's side needs (0: the splitter's own)."""
        table_side = self._main.widget(0)
        needed = table_side.minimumSizeHint().height() if table_side is not None else 0
        self._main.setMinimumHeight(0 if wide else needed)


@dataclass(frozen=True)
class Layout:
    central: AdaptiveCentral
    sessions: QTabBar
    filter: QLineEdit
    filter_status: QLabel
    """Beside the filter: how many actions it leaves."""
    splitter: QSplitter
    """The main one, between the form and table and the benchmark and charts."""
    splitters: tuple[QSplitter, ...]
    """Every splitter whose state is remembered, the main one first."""


def with_panel_below(table: QWidget, panel: QWidget) -> QSplitter:
    """``table`` with ``panel`` under it, in a splitter of their own (``sourcesSplitter``,
    remembered under its own name: a new pane in a saved splitter would take the place
    of a saved one, the charts, in settings saved before it existed). The table takes
    any height gained; neither side collapses to nothing, since the panel folds itself
    (see ``SourcesPanel.set_collapsed``) and a hidden panel hides the handle too."""
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.setObjectName("sourcesSplitter")
    splitter.addWidget(table)
    splitter.addWidget(panel)
    splitter.setChildrenCollapsible(False)
    splitter.setStretchFactor(0, 1)
    splitter.setStretchFactor(1, 0)
    return splitter


def build_layout(
    entry: QWidget,
    session_names: Sequence[str],
    table: QWidget,
    benchmark: QWidget,
    charts: QWidget,
    *,
    window_selector: QWidget | None = None,
) -> Layout:
    """The form above the session tabs, window of time, filter and table on the left;
    the benchmark above the charts on the right."""
    sessions = QTabBar()
    sessions.setObjectName("sessionTabs")
    for name in session_names:
        sessions.addTab(name)
    sessions.setTabToolTip(1, "Load generated by the benchmark")
    if len(session_names) > 2:
        sessions.setTabToolTip(2, "Timings from live sources (Sources → Listen…, Follow File…)")
    filter_input = QLineEdit()
    filter_input.setObjectName("filterInput")
    filter_input.setPlaceholderText("Filter actions…")
    filter_input.setClearButtonEnabled(True)
    filter_input.setMaximumWidth(260)
    filter_status = QLabel()
    filter_status.setObjectName("filterStatus")
    table_bar = QHBoxLayout()
    table_bar.addWidget(sessions)
    table_bar.addStretch()
    if window_selector is not None:
        table_bar.addWidget(window_selector)
    table_bar.addWidget(filter_status)
    table_bar.addWidget(filter_input)
    table_area = QWidget()
    table_layout = QVBoxLayout(table_area)
    table_layout.setContentsMargins(0, 0, 0, 0)
    table_layout.addLayout(table_bar)
    table_layout.addWidget(table)
    # The form takes the height its messages need (a long error wraps onto more lines);
    # the table takes the rest.
    left = QWidget()
    left_layout = QVBoxLayout(left)
    left_layout.setContentsMargins(0, 0, 0, 0)
    left_layout.addWidget(entry)
    left_layout.addWidget(table_area, 1)
    right = QSplitter(Qt.Orientation.Vertical)
    right.setObjectName("rightSplitter")
    right.addWidget(benchmark)
    right.addWidget(charts)
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.setObjectName("mainSplitter")
    splitter.addWidget(left)
    splitter.addWidget(right)
    splitter.setStretchFactor(0, 3)
    splitter.setStretchFactor(1, 2)
    central = AdaptiveCentral(splitter, right)
    central_layout = QVBoxLayout(central)
    central_layout.setContentsMargins(6, 4, 6, 0)  # keep frames off the window's edge
    central_layout.addWidget(splitter)
    return Layout(central, sessions, filter_input, filter_status, splitter, (splitter, right))
