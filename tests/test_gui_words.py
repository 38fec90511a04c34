"""Words the window shows: messages that hold only while true, and what the filter
leaves."""

from __future__ import annotations

import html
import logging
from pathlib import Path

import orjson
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from core.export import COLUMNS
from gui import MainWindow
from widgets import child, menu_action


def message(window: MainWindow, name: str) -> QLabel:
    return child(window, QLabel, name)


def type_into(qtbot: QtBot, field: QLineEdit, text: str) -> None:
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def action_field(window: MainWindow) -> QLineEdit:
    line = child(window, QComboBox, "actionInput").lineEdit()
    assert line is not None
    return line


@pytest.mark.window(active=True)
def test_a_reset_clears_the_forms_messages(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    type_into(qtbot, action_field(window), "alpha")
    type_into(qtbot, child(window, QLineEdit, "timeInput"), "30")
    type_into(qtbot, child(window, QLineEdit, "jsonInput"), "not json")
    assert message(window, "entryMessage").text() == "Added alpha: 30"
    assert message(window, "jsonMessage").property("state") == "error"

    monkeypatch.setattr(
        QMessageBox, "question", lambda *_args, **_kwargs: QMessageBox.StandardButton.Reset
    )
    window.confirm_reset()
    assert message(window, "entryMessage").text() == ""
    assert message(window, "jsonMessage").text() == ""


@pytest.mark.window(active=True)
def test_a_successful_json_add_clears_the_forms_error(qtbot: QtBot, window: MainWindow) -> None:
    type_into(qtbot, action_field(window), "alpha")
    type_into(qtbot, child(window, QLineEdit, "timeInput"), "abc")
    assert message(window, "entryMessage").property("state") == "error"

    type_into(qtbot, child(window, QLineEdit, "jsonInput"), '{"action": "beta", "time": 2}')
    assert message(window, "jsonMessage").text() == "Added beta: 2"
    assert message(window, "entryMessage").text() == ""
    assert message(window, "entryMessage").property("state") == ""


@pytest.mark.window(
    '{"action": "jump", "time": 1}',
    '{"action": "jumble", "time": 2}',
    '{"action": "run", "time": 3}',
)
def test_the_filter_says_how_many_actions_it_leaves(qtbot: QtBot, window: MainWindow) -> None:
    window.refresh()
    status = message(window, "filterStatus")
    assert status.text() == ""

    window.filter.setText("JU")
    assert window.proxy.rowCount() == 2
    assert status.text() == "2 of 3 actions"

    window.filter.setText("swim")
    assert window.proxy.rowCount() == 0
    assert status.text() == "No actions match 'swim'"

    window.tracker.add_action('{"action": "swimming", "time": 4}')
    window.refresh()
    assert status.text() == "1 of 4 actions"

    window.filter.clear()
    assert status.text() == ""


@pytest.mark.window(
    '{"action": "jump", "time": 1}',
    '{"action": "jump", "time": 1}',
    '{"action": "jump", "time": 2}',
    '{"action": "run", "time": 1234.5}',
)
def test_export_all_columns_writes_every_figure_and_json_export_stays_get_stats(
    window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "all.json"
    assert window.export_all_json(path) is True
    exported = orjson.loads(path.read_bytes())
    snapshot = window.tracker.snapshot()
    assert [{column: entry[column] for column in COLUMNS} for entry in exported] == [
        {column: getattr(stats, column) for column in COLUMNS} for stats in snapshot.actions
    ]
    assert exported[0]["mean"] == 4 / 3  # every digit, not the table's 1.33
    assert str(path) in window.statusBar().currentMessage()
    assert menu_action(window, "Export &All Columns as JSON…").shortcut().toString() == (
        "Ctrl+Alt+E"
    )

    plain = tmp_path / "plain.json"
    assert window.export_json(plain) is True
    assert plain.read_text(encoding="utf-8") == window.tracker.get_stats() + "\n"


def test_the_about_box_names_the_log_file(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda _parent, _title, text: shown.append(text))
    log_path = tmp_path / "logs & more" / "action-tracker.log"
    log_path.parent.mkdir()
    handler = logging.FileHandler(log_path, encoding="utf-8")
    logging.getLogger().handlers.insert(0, handler)  # the first file handler is shown
    try:
        window.show_about()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert f"Its log is written to {html.escape(str(log_path))}." in shown[-1]


@pytest.mark.window(active=True)
def test_the_table_stays_put_when_a_form_message_appears(qtbot: QtBot, window: MainWindow) -> None:
    def table_top() -> int:
        QApplication.processEvents()  # let the layout settle
        return window.table.mapTo(window, window.table.rect().topLeft()).y()

    before = table_top()
    type_into(qtbot, action_field(window), "alpha")
    type_into(qtbot, child(window, QLineEdit, "timeInput"), "abc")
    assert message(window, "entryMessage").property("state") == "error"
    assert table_top() == before
    type_into(qtbot, child(window, QLineEdit, "jsonInput"), "not json")
    assert table_top() == before
