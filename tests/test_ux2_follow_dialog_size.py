"""Sources → Follow File… opened at Qt's default size, its date column cut short."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QTreeView
from pytestqt.qtbot import QtBot

from gui import MainWindow
from gui.source_commands import follow_file_dialog


def test_the_follow_dialog_shows_whole_dates_and_room_for_names(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    log = tmp_path / "a-rather-long-name-of-a-service-log-file.ndjson"
    log.write_text("", encoding="utf-8")
    os.utime(log, (1_790_000_000, 1_790_000_000))
    dialog = follow_file_dialog(window, str(tmp_path))
    dialog.show()
    details = dialog.findChild(QTreeView, "treeView")
    assert details is not None
    try:
        model = details.model()
        qtbot.waitUntil(lambda: model.rowCount(details.rootIndex()) == 1, timeout=5000)
        qtbot.wait(50)  # the columns fit the rows just read
        header = details.header()
        for column in range(1, header.count()):  # size, type, date modified
            assert header.sectionSize(column) >= details.sizeHintForColumn(column)
        assert header.sectionSize(0) >= details.sizeHintForColumn(0)  # the long name
        assert dialog.width() > dialog.fontMetrics().averageCharWidth() * 80
    finally:
        dialog.close()
        dialog.deleteLater()
