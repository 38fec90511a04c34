"""The statistics table's view: columns that fit their figures, and a names' column
that takes the rest.

Only ``resizeEvent`` and ``setModel`` are overridden, so painting stays in C++: a Python
override of ``paintEvent`` or an event filter on the viewport would make every repaint
wait for the GIL, which busy producer threads hold.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

CELL_PADDING = 16
"""Pixels around a figure in its cell: the style's margins, with room to spare."""
ACTION_MIN_WIDTH = 160
"""The names' column is never narrower than this (about 20 characters): past it the
table scrolls sideways instead."""
NAME_COLUMN = 0


class StatsView(QTableView):
    """A sortable, row-selecting table whose figure columns widen to fit their texts.

    Signals
    -------
    resized()
        Its size changed (panels that share its room may make way).
    """

    resized = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("statsTable")
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(64)
        header.setDefaultSectionSize(64)
        header.sectionResized.connect(self._on_section_resized)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if model is not None and model.columnCount() > NAME_COLUMN:
            # The names' width is computed (fill_name_column): a drag handle there would
            # offer a width that snaps back at once.
            self.horizontalHeader().setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Fixed)

    def fit_columns(self, widened: dict[int, str], cleared: bool) -> None:
        """Widen each figure column in ``widened`` to fit its longest text. Until the
        rows are ``cleared`` a column never narrows, so one the user widened keeps its
        width; after a reset or a switch of session each fits its new figures again."""
        if not widened:
            return
        metrics = self.fontMetrics()
        header = self.horizontalHeader()
        for column, text in widened.items():
            if column != NAME_COLUMN:
                needed = max(
                    metrics.horizontalAdvance(text) + CELL_PADDING, header.sectionSizeHint(column)
                )
                if cleared or needed > self.columnWidth(column):
                    self.setColumnWidth(column, needed)
        self.fill_name_column()

    def fill_name_column(self) -> None:
        """Give the names' column the width the figures leave, at least ACTION_MIN_WIDTH."""
        header = self.horizontalHeader()
        figures = header.length() - header.sectionSize(NAME_COLUMN)
        width = max(self.viewport().width() - figures, ACTION_MIN_WIDTH)
        if width != self.columnWidth(NAME_COLUMN):
            self.setColumnWidth(NAME_COLUMN, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fill_name_column()
        self.resized.emit()

    def rows_room(self) -> int:
        """How many whole rows fit in the viewport."""
        return self.viewport().height() // max(1, self.verticalHeader().defaultSectionSize())

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        if column != NAME_COLUMN:  # a figure column, by the user or by fit_columns
            self.fill_name_column()
