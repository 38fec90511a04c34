"""Where the panels sit in the window."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QSplitter, QTabBar, QVBoxLayout, QWidget


@dataclass(frozen=True)
class Layout:
    central: QWidget
    filter: QLineEdit
    splitter: QSplitter
    """The main one, between the form and table and the benchmark and charts."""
    splitters: tuple[QSplitter, ...]
    """Every splitter whose state is remembered, the main one first."""


def build_layout(
    entry: QWidget, sessions: QTabBar, table: QWidget, benchmark: QWidget, charts: QWidget
) -> Layout:
    """The form above the session tabs, filter and table on the left; the benchmark
    above the charts on the right."""
    filter_input = QLineEdit()
    filter_input.setObjectName("filterInput")
    filter_input.setPlaceholderText("Filter actions…")
    filter_input.setClearButtonEnabled(True)
    filter_input.setMaximumWidth(260)
    table_bar = QHBoxLayout()
    table_bar.addWidget(sessions)
    table_bar.addStretch()
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
    central = QWidget()
    central_layout = QVBoxLayout(central)
    central_layout.setContentsMargins(6, 4, 6, 0)  # keep frames off the window's edge
    central_layout.addWidget(splitter)
    return Layout(central, filter_input, splitter, (splitter, right))
