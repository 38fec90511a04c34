"""The benchmark's settings: how long, how many producers, which actions, which strategy."""

from __future__ import annotations

import math
import re

from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core import STRATEGIES
from core.loadgen import ActionSpec, LoadSpec
from core.validation import MAX_ACTION_LENGTH
from gui.entry_panel import PLAIN_NUMBER


class BenchmarkDialog(QDialog):
    """Edits a ``LoadSpec``; ``spec()`` returns the result once accepted."""

    def __init__(self, spec: LoadSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Benchmark settings")
        self.setObjectName("benchmarkDialog")

        self.by_duration = QRadioButton("Duration (s)")
        self.by_count = QRadioButton("Number of adds")
        group = QButtonGroup(self)
        group.addButton(self.by_duration)
        group.addButton(self.by_count)
        self.duration = QDoubleSpinBox()
        self.duration.setObjectName("durationInput")
        self.duration.setRange(0.5, 24 * 3600)
        self.duration.setDecimals(1)
        self.duration.setValue(spec.duration or 10.0)
        self.count = QSpinBox()
        self.count.setObjectName("countInput")
        self.count.setRange(1, 2_000_000_000)
        self.count.setGroupSeparatorShown(True)
        self.count.setValue(spec.count or 1_000_000)
        (self.by_duration if spec.duration is not None else self.by_count).setChecked(True)

        self.producers = QSpinBox()
        self.producers.setObjectName("producersInput")
        self.producers.setRange(1, 64)
        self.producers.setValue(spec.producers)
        self.strategy = QComboBox()
        self.strategy.setObjectName("strategyInput")
        self.strategy.addItems(list(STRATEGIES))
        self.strategy.setCurrentText(spec.strategy)

        self.action_table = QTableWidget(0, 3)
        self.action_table.setObjectName("actionsTable")
        self.action_table.setHorizontalHeaderLabels(["Action", "Mean time", "Spread (std dev)"])
        self.action_table.horizontalHeader().setStretchLastSection(True)
        self.action_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for action in spec.actions:
            self._add_row(action.name, action.mean, action.spread)
        add_row = QPushButton("Add action")
        remove_row = QPushButton("Remove selected")

        self.error = QLabel()
        self.error.setObjectName("benchmarkDialogError")
        self.error.setProperty("state", "error")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )

        form = QFormLayout()
        run_for = QHBoxLayout()
        run_for.addWidget(self.by_duration)
        run_for.addWidget(self.duration)
        run_for.addWidget(self.by_count)
        run_for.addWidget(self.count)
        form.addRow("Run for", run_for)
        form.addRow("Producer threads", self.producers)
        form.addRow("Strategy", self.strategy)
        row_buttons = QHBoxLayout()
        row_buttons.addWidget(add_row)
        row_buttons.addWidget(remove_row)
        row_buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Actions generated (times drawn from a normal distribution):"))
        layout.addWidget(self.action_table)
        layout.addLayout(row_buttons)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(520, 420)

        self._spec = spec
        add_row.clicked.connect(self._on_add_row_clicked)
        remove_row.clicked.connect(self._on_remove_row_clicked)
        buttons.accepted.connect(self._on_accepted)
        buttons.rejected.connect(self.reject)

    def spec(self) -> LoadSpec:
        return self._spec

    def _add_row(self, name: str, mean: float, spread: float) -> QTableWidgetItem:
        """Append an action's row; returns its name cell."""
        row = self.action_table.rowCount()
        self.action_table.insertRow(row)
        cells = [
            QTableWidgetItem(value)
            for value in (name, _format_number(mean), _format_number(spread))
        ]
        for column, cell in enumerate(cells):
            self.action_table.setItem(row, column, cell)
        return cells[0]

    def _on_add_row_clicked(self) -> None:
        name_cell = self._add_row(f"action{self.action_table.rowCount() + 1}", 100.0, 10.0)
        self.action_table.editItem(name_cell)

    def _on_remove_row_clicked(self) -> None:
        selected = {index.row() for index in self.action_table.selectedIndexes()}
        for row in sorted(selected, reverse=True):
            self.action_table.removeRow(row)

    def _on_accepted(self) -> None:
        try:
            self._spec = self._read_spec()
        except ValueError as error:
            self.error.setText(str(error))
            return
        self.accept()

    def _read_spec(self) -> LoadSpec:
        actions = []
        rows_of: dict[str, int] = {}
        for row in range(self.action_table.rowCount()):
            cells = [self.action_table.item(row, column) for column in range(3)]
            name, mean, spread = (cell.text().strip() if cell else "" for cell in cells)
            if name in rows_of:  # the engine would merge them into one action
                raise ValueError(
                    f"rows {rows_of[name]} and {row + 1} both name {name!r}: list each action once"
                )
            rows_of[name] = row + 1
            try:
                actions.append(
                    ActionSpec(_name(name), _number("mean", mean), _number("spread", spread))
                )
            except ValueError as error:
                raise ValueError(f"row {row + 1}: {error}") from None
        by_duration = self.by_duration.isChecked()
        return LoadSpec(
            actions=tuple(actions),
            producers=self.producers.value(),
            duration=self.duration.value() if by_duration else None,
            count=None if by_duration else self.count.value(),
            strategy=STRATEGIES[self.strategy.currentIndex()],
        )


_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
"""Commas only between groups of three digits: "1,5" (a decimal comma) is refused, not
read as 15."""


# Every refusal of a row is worded alike: "the <field> must be <rule>, got <what>".


def _name(text: str) -> str:
    """``text`` (already trimmed) as an action name, or a message in the dialog's style."""
    if not 0 < len(text) <= MAX_ACTION_LENGTH:
        shown = f"{len(text)} characters" if text else "nothing"
        raise ValueError(f"the name must be 1 to {MAX_ACTION_LENGTH} characters, got {shown}")
    return text


def _number(field: str, text: str) -> float:
    """``text`` as a finite number >= 0, or a message naming ``field``. Only plain
    decimals and digit grouping are read: Python's float() would also take "1_000",
    "inf" and digits of other scripts, which the entry form refuses."""
    shown = repr(text) if text else "nothing"
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not PLAIN_NUMBER.fullmatch(text):
        raise ValueError(f"the {field} must be a number, got {shown}")
    value = float(text)
    if not 0 <= value < math.inf:
        raise ValueError(f"the {field} must be a number >= 0 (at most about 1.8e308), got {shown}")
    return value


def _format_number(value: float) -> str:
    """A number as the dialog shows it: digit-grouped, without a needless exponent."""
    return f"{value:,.15g}"
