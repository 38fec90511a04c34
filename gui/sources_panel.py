"""The running live sources as the user sees them, and the dialogs that start them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core import Follower, Listener
from core.livecounts import LineError
from core.metrics import MetricsServer
from gui.address_dialog import AddressDialog
from gui.sources import LiveSources, Source, SourceStatus

COLUMNS = ("Source", "Lines/s", "Accepted", "Rejected", "Ignored", "Dropped", "")
NUMBER_COLUMNS = range(1, 6)
COUNTS_NOTE = "Lines counted since each source started; a reset of the session keeps them"
"""Beside the panel's title: the counts describe the sources, the table the session.
Kept through a reset of the Live session since a sender's rejected lines and the
socket's drops are about the source, whatever the table shows (and the Errors… dialog
counts the same "in all")."""
COUNT_TIPS = {
    "Accepted": "Lines this source added to the Live session since it started",
    "Rejected": "Lines this source could not read since it started (Errors… shows why)",
    "Ignored": "Valid StatsD metrics that are not timers, since this source started",
    "Dropped": "Lines or packets lost before they could be read, since this source started",
}
"""Header tooltips of the count columns; each ends as COUNTS_NOTE says."""


def network_warning(descriptions: Sequence[str], can: str = "send timings to it") -> str:
    """What the panel says about listeners (or, with ``can``, metrics servers) reachable
    from other machines ("" if none)."""
    if not descriptions:
        return ""
    names = ", ".join(descriptions)
    verb = "is" if len(descriptions) == 1 else "are"
    return f"⚠ {names} {verb} open to the network: any machine that can reach this one can {can}."


QWIDGETSIZE_MAX = (1 << 24) - 1
"""Qt's "no maximum" for a widget's size."""


def sources_summary(running: int, statuses: Sequence[SourceStatus]) -> str:
    """The folded panel's one line: how many sources run, their lines per second and
    their rejected lines in all (metrics servers read, and count no lines)."""
    lines = [status for status in statuses if status.scrapes is None]
    per_second = sum(status.lines_per_second for status in lines)
    rejected = sum(status.counts.rejected for status in lines)
    sources = "1 source" if running == 1 else f"{running:,} sources"
    return f"{sources} · {per_second:,.0f} lines/s · {rejected:,} rejected"


METRICS_REACH = "read the Live session's figures from it"


def errors_text(errors: Sequence[LineError]) -> str:
    """The rejected lines, latest last, one per paragraph, for reading and copying."""
    if not errors:
        return "No line was rejected."
    return "\n\n".join(f"{error.source}: {error.reason}\n    {error.line}" for error in errors)


class SourcesPanel(QWidget):
    """One row per running source: what it is, lines per second, its counts, and
    buttons to see its latest rejected lines and to stop it; and the opt-in to start
    them again at the next start. Shown only with the Live session, while a source runs.

    Its title (``sourcesToggle``) folds it to one line that sums the sources up
    (``sourcesSummary``), so a low window keeps its rows for the statistics; a warning
    about a port open to the network stays shown, folded or not.

    The rows are rebuilt only when a source starts or stops; the figures are set from
    ``LiveSources.status_changed``, a few times a second at most.

    Signals
    -------
    collapsed_changed(bool)
        The panel was folded (True) or unfolded, by its title or by ``set_collapsed``.
    """

    collapsed_changed = Signal(bool)

    def __init__(self, sources: LiveSources) -> None:
        super().__init__()
        self.setObjectName("sourcesPanel")
        self._sources = sources
        self._rows: list[Source] = []
        self._live_shown = False
        self._error_dialogs: list[QDialog] = []
        self.toggle = QToolButton()
        self.toggle.setObjectName("sourcesToggle")
        self.toggle.setText("Live sources")
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)  # unfolded
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setStyleSheet("QToolButton { font-weight: bold; }")
        self.toggle.setToolTip("Fold or unfold the sources' figures")
        self.summary = QLabel()
        self.summary.setObjectName("sourcesSummary")
        self.summary.hide()
        # Labels never take more height than their text: the panel's own height is
        # capped at what it shows (see _fit_height).
        self.summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.restart_check = QCheckBox("Start these sources again when Action Tracker starts")
        self.restart_check.setObjectName("restartSourcesCheck")
        self.restart_check.setChecked(sources.restart_at_start)
        # One line for the title, the summary (folded) and the opt-in (unfolded).
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.toggle)
        header.addWidget(self.summary, 1)
        self.counts_note = QLabel(COUNTS_NOTE)
        self.counts_note.setObjectName("sourcesCountsNote")
        self.counts_note.setStyleSheet("color: #666;")
        self.counts_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.counts_note.setToolTip(COUNTS_NOTE)
        header.addWidget(self.counts_note, 1)
        header.addStretch()
        header.addWidget(self.restart_check)
        self.network_label = QLabel()
        self.network_label.setObjectName("networkWarning")
        self.network_label.setWordWrap(True)
        self.network_label.setStyleSheet("color: #b35c00;")
        wrapped = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        wrapped.setHeightForWidth(True)
        self.network_label.setSizePolicy(wrapped)
        self.network_label.hide()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("sourcesTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for column, title in enumerate(COLUMNS):
            tip = COUNT_TIPS.get(title)
            header_item = self.table.horizontalHeaderItem(column)
            if tip is not None and header_item is not None:
                header_item.setToolTip(f"{tip}; resetting the Live session keeps the count")
        self._started: dict[int, str] = {}  # per source: the time its counts began
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        header_view = self.table.horizontalHeader()
        header_view.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header_view.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.network_label)
        layout.addWidget(self.table, 1)
        self.hide()

        self.toggle.toggled.connect(self._on_toggled)
        self.restart_check.toggled.connect(sources.set_restart_at_start)

        sources.sources_changed.connect(self._on_sources_changed)
        sources.status_changed.connect(self._on_status_changed)

    @property
    def collapsed(self) -> bool:
        """Folded to its title line and summary."""
        return not self.toggle.isChecked()

    def set_collapsed(self, collapsed: bool) -> None:
        """Fold the panel to its title line (True) or show its rows again."""
        self.toggle.setChecked(not collapsed)

    def _on_toggled(self, unfolded: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if unfolded else Qt.ArrowType.RightArrow)
        self.table.setVisible(unfolded)
        self.restart_check.setVisible(unfolded)
        self.counts_note.setVisible(unfolded)
        self.summary.setVisible(not unfolded)
        self._fit_height(refit=True)
        self.collapsed_changed.emit(not unfolded)

    def show_errors(self, source: Listener | Follower) -> QDialog:
        """Open the latest rejected lines of ``source`` in a dialog (text selectable)."""
        dialog = QDialog(self.window())
        dialog.setObjectName("sourceErrors")
        dialog.setWindowTitle(f"Rejected lines: {source.description}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        text = QPlainTextEdit(errors_text(source.errors()))
        text.setObjectName("sourceErrorsText")
        text.setReadOnly(True)
        note = QLabel(
            f"The latest {_lines(len(source.errors()))} rejected, oldest first; "
            f"{source.counts().rejected:,} rejected in all."
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(note)
        layout.addWidget(text)
        layout.addWidget(buttons)
        dialog.resize(720, 420)
        dialog.finished.connect(lambda _result: self._error_dialogs.remove(dialog))
        self._error_dialogs.append(dialog)
        dialog.open()
        return dialog

    def _on_sources_changed(self) -> None:
        self._rows = list(self._sources.sources)
        self.table.setRowCount(len(self._rows))
        self.table.clearSpans()
        now = datetime.now().strftime("%H:%M:%S")
        self._started = {id(source): self._started.get(id(source), now) for source in self._rows}
        for row, source in enumerate(self._rows):
            name = QTableWidgetItem(source.description)
            since = "serving" if isinstance(source, MetricsServer) else "counting lines"
            name.setToolTip(f"{source.description}\n{since} since {self._started[id(source)]}")
            self.table.setItem(row, 0, name)
            for column in NUMBER_COLUMNS:
                item = QTableWidgetItem("0")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
            if isinstance(source, MetricsServer):
                # Its figure is not lines: one cell across the line counts' columns.
                self._set_text(row, NUMBER_COLUMNS[0], _scrapes(source.scrapes))
                self.table.setSpan(row, NUMBER_COLUMNS[0], 1, len(NUMBER_COLUMNS))
            self.table.setCellWidget(row, len(COLUMNS) - 1, self._buttons(source))
        self._fit_rows()
        self.summary.setText(sources_summary(len(self._rows), ()))
        self._show_when_useful()

    def _fit_rows(self) -> None:
        """At most as tall as its rows (empty room here is taken from the Live session's
        own table), at least one row: the splitter above sizes it in between."""
        table = self.table
        table.resizeRowsToContents()
        rows = [table.rowHeight(row) for row in range(table.rowCount())]
        frame = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
        table.setMinimumHeight(frame + (rows[0] if rows else 0))
        table.setMaximumHeight(frame + sum(rows))
        self._fit_height()

    def _fit_height(self, refit: bool = False) -> None:
        """Never taller than what it shows, so the splitter above opens no empty room
        under it; the height the user dragged it to is kept while it fits, and ``refit``
        (folded or unfolded) or a panel that showed all its rows shows all of them."""
        old_maximum = self.maximumHeight()
        self.setMaximumHeight(QWIDGETSIZE_MAX)  # let the layout say
        layout = self.layout()
        assert layout is not None
        layout.invalidate()
        maximum = layout.maximumSize().height()
        self.setMaximumHeight(maximum)
        splitter = self.parentWidget()
        if not isinstance(splitter, QSplitter):
            return
        sizes = splitter.sizes()
        index = splitter.indexOf(self)
        current = sizes[index]
        if refit or current <= 0 or current >= old_maximum:
            # Unfolded in a low window, it shares the room with the statistics.
            share = max(self.minimumSizeHint().height(), sum(sizes) // 2)
            wanted = min(maximum, self.sizeHint().height(), share)
        else:
            wanted = max(min(current, maximum), self.minimumSizeHint().height())
        others = [i for i in range(len(sizes)) if i != index]
        if others:  # the room given up or taken goes to (or comes from) the table
            sizes[others[0]] += current - wanted
        sizes[index] = wanted
        splitter.setSizes(sizes)

    def set_live_shown(self, shown: bool) -> None:
        """Whether the Live session is the one shown: the panel takes room from the table
        only there, since the sources feed only that session."""
        self._live_shown = shown
        self._show_when_useful()

    def _show_when_useful(self) -> None:
        self.setVisible(self._live_shown and bool(self._rows))

    def _buttons(self, source: Source) -> QWidget:
        holder = QWidget()
        layout = QHBoxLayout(holder)
        layout.setContentsMargins(2, 0, 2, 0)
        if not isinstance(source, MetricsServer):  # it rejects no lines
            errors = QPushButton("Errors…")
            errors.setObjectName("sourceErrorsButton")
            errors.setToolTip("Show the latest rejected lines")
            errors.clicked.connect(lambda _checked=False: self.show_errors(source))
            layout.addWidget(errors)
        stop = QPushButton("Stop")
        stop.setObjectName("stopSourceButton")
        stop.clicked.connect(lambda _checked=False: self._sources.stop(source))
        layout.addWidget(stop)
        return holder

    def _on_status_changed(self, statuses: tuple[SourceStatus, ...]) -> None:
        by_source = {id(status.source): status for status in statuses}
        for row, source in enumerate(self._rows):
            status = by_source.get(id(source))
            if status is None:
                continue
            if status.scrapes is not None:
                self._set_text(row, NUMBER_COLUMNS[0], _scrapes(status.scrapes))
                continue
            counts = status.counts
            figures = (
                f"{status.lines_per_second:,.0f}",
                f"{counts.accepted:,}",
                f"{counts.rejected:,}",
                f"{counts.ignored:,}",
                f"{counts.dropped:,}",
            )
            for column, text in zip(NUMBER_COLUMNS, figures, strict=True):
                self._set_text(row, column, text)
        self.summary.setText(sources_summary(len(self._rows), statuses))
        exposed = [status for status in statuses if status.open_to_network]
        warnings = (
            network_warning([s.description for s in exposed if s.scrapes is None]),
            network_warning(
                [s.description for s in exposed if s.scrapes is not None], METRICS_REACH
            ),
        )
        warning = "\n".join(text for text in warnings if text)
        self.network_label.setText(warning)
        self.network_label.setVisible(bool(warning))

    def _set_text(self, row: int, column: int, text: str) -> None:
        item = self.table.item(row, column)
        if item is not None and item.text() != text:
            item.setText(text)


class ListenDialog(AddressDialog):
    """Asks where to listen: ``[HOST:]PORT`` and UDP or TCP, warning as the user types
    an address that opens the port to the network.

    Signals
    -------
    chosen(str, str)
        The address and protocol ("udp" or "tcp") when the user presses *Listen*. The
        dialog closes then, unless a receiver calls ``refuse``: it stays open, saying
        why, with the address as typed to correct.
    """

    chosen = Signal(str, str)

    def __init__(self, parent: QWidget, address: str, protocol: str) -> None:
        super().__init__(
            parent,
            name="listen",
            title="Listen for StatsD timings",
            width=420,
            address=address,
            placeholder="8125 or 127.0.0.1:8125",
            button="Listen",
            local_note="Only programs on this machine can send to it.",
            network_note=(
                "⚠ The port will be open to the network: other machines will be "
                "able to send timings to it."
            ),
        )
        self.protocol = QComboBox()
        self.protocol.setObjectName("listenProtocol")
        self.protocol.addItem("UDP", "udp")
        self.protocol.addItem("TCP", "tcp")
        self.protocol.setCurrentIndex(max(0, self.protocol.findData(protocol)))
        self.address_row()
        self.form.addRow("Protocol:", self.protocol)
        self.finish()

    def emit_chosen(self) -> None:
        self.chosen.emit(self.address.text().strip(), str(self.protocol.currentData()))


def _scrapes(count: int) -> str:
    return f"{count:,} scrape" if count == 1 else f"{count:,} scrapes"


def _lines(count: int) -> str:
    return f"{count:,} line" if count == 1 else f"{count:,} lines"
