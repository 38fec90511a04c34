"""Export and copy: the shown session's figures as files or clipboard text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QTableView

from core.errors import reason
from core.export import SHOWN_COLUMNS, snapshot_csv, snapshot_json
from gui.live_view import LiveView
from gui.messages import warn
from gui.recent_files import RecentFiles
from gui.stats_model import FIELDS, HEADERS, StatsModel, StatsProxy, full_precision

KINDS = {
    "json": ("Export statistics as JSON", "JSON (*.json)", "action-stats.json"),
    "all-json": ("Export all columns as JSON", "JSON (*.json)", "action-stats-all.json"),
    "csv": ("Export statistics as CSV", "CSV (*.csv)", "action-stats.csv"),
}


def csv_text(live: LiveView) -> str:
    """Every column of the shown figures (the rate too) and the window they cover, from
    the poller's latest snapshot of that window."""
    return snapshot_csv(live.current_snapshot(), SHOWN_COLUMNS)


def all_columns_json(live: LiveView) -> str:
    """Every column of the shown figures (the rate too) and the window they cover as
    JSON, full precision, from the poller's latest snapshot of that window."""
    return snapshot_json(live.current_snapshot(), SHOWN_COLUMNS) + "\n"


def export(
    window: QMainWindow,
    path: str | Path | None,
    recent: RecentFiles,
    kind: str,
    render: Callable[[], str],
) -> bool:
    """Write ``render()`` to ``path`` (asked for when None); say so in the status bar,
    or why it could not be written in a message. True when it was written."""
    title, pattern, name = KINDS[kind]
    if path is None:
        path = recent.ask_to_save(window, title, name, pattern)
        if not path:
            return False
    try:
        Path(path).write_text(render(), encoding="utf-8")
    except OSError as error:
        warn(window, "Export failed", f"Could not write {path}:\n{reason(error)}", "exportError")
        return False
    window.statusBar().showMessage(f"Exported to {path}", 5000)
    return True


def copy_rows(window: QMainWindow, table: QTableView, proxy: StatsProxy) -> None:
    """Copy the selected rows (all columns, with a header) as tab-separated text, in the
    order shown, with full-precision numbers a spreadsheet reads (not the rounded,
    grouped text of the table)."""
    rows = sorted({index.row() for index in table.selectionModel().selectedIndexes()})
    if not rows:
        return
    source = proxy.sourceModel()
    assert isinstance(source, StatsModel)
    lines = ["\t".join(HEADERS)]
    for row in rows:
        stats = source.stats_at(proxy.mapToSource(proxy.index(row, 0)).row())
        if stats is None:
            continue
        numbers = (full_precision(getattr(stats, field)) for field in FIELDS[1:])
        lines.append("\t".join((stats.action, *numbers)))
    QGuiApplication.clipboard().setText("\n".join(lines) + "\n")
    count = len(rows)
    window.statusBar().showMessage(f"Copied {count} row{'' if count == 1 else 's'}", 3000)
