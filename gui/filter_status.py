"""What the filter leaves: "3 of 40 actions" while filtering, and "No actions match 'x'"
instead of a blank table."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QLabel, QLineEdit

from gui.entry_panel import shorten


class FilterStatus(QObject):
    """Keeps ``label`` saying how many of the session's actions ``proxy`` shows for the
    text in ``filter_input``; empty when nothing is filtered. Follows the proxy's row
    signals, which come once per shown snapshot, never once per action."""

    def __init__(
        self, label: QLabel, filter_input: QLineEdit, proxy: QSortFilterProxyModel
    ) -> None:
        super().__init__()
        self._filter = filter_input
        self._proxy = proxy
        self.label = label
        label.setTextFormat(Qt.TextFormat.PlainText)  # the filter text shows as typed
        filter_input.textChanged.connect(self.update)
        proxy.rowsInserted.connect(self.update)
        proxy.rowsRemoved.connect(self.update)
        proxy.modelReset.connect(self.update)
        proxy.layoutChanged.connect(self.update)
        self.update()

    def update(self, *_changed: object) -> None:
        text = self._filter.text()
        source = self._proxy.sourceModel()
        if not text or source is None:
            self.label.setText("")
            return
        shown, total = self._proxy.rowCount(), source.rowCount()
        if shown == 0:
            self.label.setText(f"No actions match {shorten(text)!r}")
        else:
            self.label.setText(f"{shown:,} of {total:,} action{'' if total == 1 else 's'}")
