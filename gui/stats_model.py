"""The statistics table's model: a QStandardItemModel filled from snapshots.

Qt asks a model for data once per cell per role on every paint. A Python
``QAbstractTableModel.data()`` makes each of those calls wait for the GIL, which busy
producer threads hold, so such a model's repaints slow down many times under load
(bench/gui_responsiveness.py compares the two). Here the cells live in C++ items, so
painting, sorting and filtering run no Python; the Python cost is paid once per refresh,
and only for the actions whose figures changed.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from core import ActionStats, Snapshot
from core.exactsum import Number

HEADERS = ("Action", "Count", "Average", "Min", "Max", "Std dev", "p50", "p90", "p99", "Rate")
FIELDS = ("action", "count", "mean", "min", "max", "stdev", "p50", "p90", "p99", "rate")
COUNT_COLUMN = 1
PERCENTILE_COLUMNS = (6, 7, 8)
RATE_COLUMN = 9
"""Adds per second over the window shown (all time: since the action's first add); last,
so the columns before it keep their places (and a saved sort order its column)."""
RATE_TIP = (
    "Times added per second, over the window chosen above the table; a cell's tooltip says "
    "it per minute, hour or day when fewer than one a second"
)
RATE_UNITS = ((1.0, "s"), (60.0, "min"), (3600.0, "h"), (86400.0, "day"))
"""A rate is shown per the first of these (seconds, name) that gives at least one."""
APPROXIMATE_SIGN = "≈"
"""Put before a percentile that is an estimate, not the true figure."""
APPROXIMATE_TIPS = {
    "approximate": (
        "An estimate, within 1% of the true figure: past 1,000 times of an action, the "
        '"running" strategy keeps a sketch of them. The "samples" strategy keeps every '
        "time, for exact percentiles."
    ),
    "folded": (
        "An estimate that may read far too high: this action's times span so wide a range "
        '(beyond 6.2e17 : 1) that the sketch of the "running" strategy folded its lowest '
        'ones together. The "samples" strategy keeps every time, for exact percentiles.'
    ),
}
"""Tooltips of estimated percentiles, by ``ActionStats.percentile_accuracy``."""
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
"""Holds the raw number (or the name) so sorting is numeric, not by the shown text."""
_NUMBER_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def format_count(value: int) -> str:
    return f"{value:,}"


def format_time(value: Number) -> str:
    """Digit-grouped with two decimals, whole numbers too, so a column's decimal points
    line up; scientific for tiny or huge non-zero values, from a billion up, so that
    nine columns of figures still fit a window. Halves round up, as people round: the
    figure rounded is the shortest decimal that reads back as the value (what was
    typed), so 78.125 shows 78.13 and 1.005 shows 1.01."""
    if not math.isfinite(value):
        return f"{value:,.2f}"
    exact = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    with localcontext() as context:
        context.rounding = ROUND_HALF_UP
        if value != 0 and (abs(value) < 0.01 or abs(value) >= 1e9):
            mantissa, exponent = f"{exact:.3e}".split("e")
            return f"{mantissa}e{int(exponent):+03d}"  # as floats write it: e-03, e+11
        return f"{exact:,.2f}"


def format_rate(per_second: float) -> str:
    """A rate with one decimal, per second, or per minute, hour or day when that reads
    below one ("5.708e-03" a second is "20.5/h"); digit-grouped, so that the table's
    column and the status bar read alike at every magnitude. A rate slower than one a
    day keeps two significant digits."""
    if not per_second > 0:  # nothing added (or no figure): the plain unit
        return "0.0/s"
    if per_second == math.inf:
        return "inf/s"
    for seconds, unit in RATE_UNITS:
        per_unit = per_second * seconds
        if per_unit >= 0.95:  # "1.0" once rounded: not "0.9/s" but "57.0/min"
            return f"{per_unit:,.1f}/{unit}"
    return f"{per_unit:.2g}/{unit}"


def format_rate_cell(per_second: float) -> str:
    """A rate per second for the table's Rate column, as a plain decimal that reads back
    as a number: two decimals like the other figures, and below one a second two
    significant digits ("0.033", "0.0057", not "5.708e-03"); scientific only below one
    in a million seconds. The cell's tooltip gives ``format_rate``'s reading."""
    if not math.isfinite(per_second) or per_second <= 0 or per_second >= 1:
        return format_time(per_second if math.isfinite(per_second) else 0.0)
    if per_second < 1e-6:
        return format_time(per_second)
    decimals = 1 - math.floor(math.log10(per_second))
    return f"{per_second:.{decimals}f}"


def full_precision(value: Number) -> str:
    """A number as a spreadsheet reads it back to the same value: no grouping, every
    digit (the shortest decimal that round-trips a float)."""
    return repr(value)


class StatsModel(QStandardItemModel):
    """One row per action in first-seen order; ``update`` applies a snapshot in place,
    so selection and scroll position survive refreshes, and an action leaving a window's
    snapshot removes only its own row."""

    def __init__(self) -> None:
        super().__init__(0, len(HEADERS))
        self.setHorizontalHeaderLabels(list(HEADERS))
        header = self.horizontalHeaderItem(RATE_COLUMN)
        if header is not None:
            header.setToolTip(RATE_TIP)
        self._rows: dict[str, int] = {}
        self._shown: dict[str, ActionStats] = {}
        # The longest text shown per column, so the view can fit a column when it grows
        # instead of measuring every cell on every change (ResizeToContents does, and
        # costs far more than the update itself).
        self._widest: list[str] = [""] * len(HEADERS)
        self._widened: set[int] = set()
        self._cleared = False
        self._resets = 0  # the shown tracker's reset count

    def update(self, snapshot: Snapshot) -> None:
        """Show ``snapshot``; rows of unchanged actions are not touched."""
        if snapshot.resets != self._resets:
            self.clear_rows()  # a reset, a removal or another session
            self._resets = snapshot.resets
        names = {stats.action for stats in snapshot.actions}
        gone = [row for name, row in self._rows.items() if name not in names]
        if gone:  # actions that left the window: their rows alone go
            for row in sorted(gone, reverse=True):
                self.removeRow(row)
            self._renumber()
        kept = [stats.action for stats in snapshot.actions if stats.action in self._rows]
        if kept != sorted(self._rows, key=self._rows.__getitem__):
            self.clear_rows()  # the order changed: shown anew, in the snapshot's
        inserted = False
        for position, stats in enumerate(snapshot.actions):
            shown = self._shown.get(stats.action)
            # The engine reuses unchanged figures; a rate is not compared by ==, as it
            # moves with time alone.
            if shown is stats or (shown == stats and shown.rate == stats.rate):
                continue
            if stats.action not in self._rows:
                # At its place in first-seen order: an action back in the window goes
                # back between the others, not after them.
                inserted |= position < self.rowCount()
                self._insert(position, stats)
            else:
                # The rows hold the snapshot's actions in its order, those above this one
                # included (inserted on the way down), so its row is its position. Only
                # the changed cells are set: as time passes, often the rate alone moves.
                for column in range(1, len(FIELDS)):
                    if shown is None or _differs(shown, stats, column):
                        self._set_number(self.item(position, column), column, stats)
            self._shown[stats.action] = stats
        if inserted:
            self._renumber()

    def clear_rows(self) -> None:
        self.setRowCount(0)
        self._rows.clear()
        self._shown.clear()
        self._widest = [""] * len(HEADERS)
        self._widened = set(range(len(HEADERS)))
        self._cleared = True

    def take_widened(self) -> tuple[dict[int, str], bool]:
        """Columns whose longest text grew since the last call, with that text; and
        whether the rows were cleared meanwhile, so that the widths may shrink again."""
        widened = {column: self._widest[column] for column in sorted(self._widened)}
        cleared = self._cleared
        self._widened.clear()
        self._cleared = False
        return widened, cleared

    def stats_at(self, row: int) -> ActionStats | None:
        """The figures shown in ``row`` of this model."""
        item = self.item(row, 0)
        return self._shown.get(item.text()) if item is not None else None

    def _renumber(self) -> None:
        """Map names to rows again after rows were removed or inserted."""
        shown = self._shown
        self._rows = {self.item(row, 0).text(): row for row in range(self.rowCount())}
        for name in [name for name in shown if name not in self._rows]:
            del shown[name]

    def _insert(self, position: int, stats: ActionStats) -> None:
        name = QStandardItem(stats.action)
        name.setData(stats.action, SORT_ROLE)
        name.setToolTip(stats.action)  # the whole name, where the column cuts it short
        name.setEditable(False)
        items = [name]
        for column in range(1, len(FIELDS)):
            item = QStandardItem()
            item.setEditable(False)
            item.setTextAlignment(_NUMBER_ALIGNMENT)
            self._set_number(item, column, stats)
            items.append(item)
        self._rows[stats.action] = position
        self.insertRow(position, items)

    def _set_number(self, item: QStandardItem, column: int, stats: ActionStats) -> None:
        value = getattr(stats, FIELDS[column])
        if column == COUNT_COLUMN:
            text = format_count(value)
        elif column == RATE_COLUMN:
            text = format_rate_cell(value)
            slow = format_rate(value)  # per minute, hour or day below one a second
            item.setToolTip("" if slow.endswith("/s") else slow)
        else:
            text = format_time(value)
        if column in PERCENTILE_COLUMNS:
            tip = APPROXIMATE_TIPS.get(stats.percentile_accuracy) if estimated(stats) else None
            if tip is not None:
                text = APPROXIMATE_SIGN + text
            item.setToolTip(tip or "")
        item.setData(text, Qt.ItemDataRole.DisplayRole)
        item.setData(float(value), SORT_ROLE)
        if len(text) > len(self._widest[column]):
            self._widest[column] = text
            self._widened.add(column)


def estimated(stats: ActionStats) -> bool:
    """Whether the percentiles of ``stats`` are estimates. Not when every time is the
    same (min == max): percentiles lie within [min, max], so they are that time exactly,
    whatever the sketch; "≈1.00" there would cast doubt on a true figure."""
    return not stats.percentiles_exact and stats.min != stats.max


def _differs(shown: ActionStats, stats: ActionStats, column: int) -> bool:
    """Whether ``column``'s cell shows something else for ``stats`` than for ``shown``."""
    field = FIELDS[column]
    if getattr(shown, field) != getattr(stats, field):
        return True
    return column in PERCENTILE_COLUMNS and (
        shown.percentile_accuracy != stats.percentile_accuracy
        or estimated(shown) != estimated(stats)
    )


class StatsProxy(QSortFilterProxyModel):
    """Sorts by the raw numbers and filters on the action name, both in C++."""

    def __init__(self, source: StatsModel) -> None:
        super().__init__()
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.setFilterKeyColumn(0)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
