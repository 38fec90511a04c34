"""Everyday commands: export, copy, reset, remembered window layout, menus and shortcuts,
and the About box."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox, QSplitter
from pytestqt.qtbot import QtBot

import gui.main_window
from core import ActionTracker
from core.loadgen import LoadSpec
from gui import MainWindow
from widgets import STATS_HEADERS, all_menu_actions, menu_action

CSV_COLUMNS = ["action", "count", "mean", "min", "max", "stdev", "p50", "p90", "p99"]
"""The figures; the rate and the window follow them (tests/test_export_window.py)."""


pytestmark = pytest.mark.window(
    '{"action": "jump", "time": 1}',
    '{"action": "jump", "time": 1}',
    '{"action": "jump", "time": 2}',
    '{"action": "run", "time": 1234.5}',
    '{"action": "swim", "time": 0.1}',
    strategy="samples",
    active=True,
)
"""A shown, active window whose session holds a few actions."""


def select_rows(window: MainWindow, *names: str) -> None:
    selection = window.table.selectionModel()
    selection.clearSelection()
    for row in range(window.proxy.rowCount()):
        if window.proxy.index(row, 0).data() in names:
            selection.select(
                window.proxy.index(row, 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )


def run_small_benchmark(qtbot: QtBot, window: MainWindow) -> ActionTracker:
    window.benchmark.set_spec(LoadSpec(duration=None, count=2000, producers=1))
    window.benchmark.start()
    qtbot.waitUntil(lambda: not window.benchmark.busy, timeout=5000)
    assert window.benchmark.tracker is not None
    window.refresh()
    return window.benchmark.tracker


# --- export ----------------------------------------------------------------------------


def test_export_json_writes_exactly_get_stats(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "stats.json"
    assert window.export_json(path) is True
    assert path.read_text(encoding="utf-8") == window.tracker.get_stats() + "\n"
    assert [entry["action"] for entry in orjson.loads(path.read_bytes())] == [
        "jump",
        "run",
        "swim",
    ]
    assert str(path) in window.statusBar().currentMessage()


def test_export_csv_has_every_column_at_full_precision(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    assert window.export_csv(str(path)) is True
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0][: len(CSV_COLUMNS)] == CSV_COLUMNS
    snapshot = window.tracker.snapshot()
    assert [row[0] for row in rows[1:]] == [stats.action for stats in snapshot.actions]
    for row, stats in zip(rows[1:], snapshot.actions, strict=True):
        assert len(row) == len(rows[0])
        assert int(row[1]) == stats.count
        for column, field in enumerate(CSV_COLUMNS[2:], start=2):
            assert float(row[column]) == getattr(stats, field), (stats.action, field)
    jump = rows[1]
    assert jump[2] == repr(4 / 3)  # the table shows 1.33; the export keeps every digit


def test_exports_apply_to_the_session_shown(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    benchmark = run_small_benchmark(qtbot, window)
    assert window.sessions.currentIndex() == 1
    json_path, csv_path = tmp_path / "bench.json", tmp_path / "bench.csv"
    assert window.export_json(json_path)
    assert window.export_csv(csv_path)
    assert json_path.read_text(encoding="utf-8") == benchmark.get_stats() + "\n"
    names = [row[0] for row in csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8")))]
    assert names[1:] == [stats.action for stats in benchmark.snapshot().actions]
    assert "walk" in names  # only the benchmark has it
    assert json_path.read_text(encoding="utf-8") != window.tracker.get_stats() + "\n"


@pytest.mark.parametrize("kind", ["json", "csv"])
@pytest.mark.parametrize("where", ["missing-folder", "a-folder"])
def test_export_to_an_unwritable_place_shows_an_error(
    window: MainWindow, tmp_path: Path, kind: str, where: str
) -> None:
    path = tmp_path / "missing" / f"stats.{kind}" if where == "missing-folder" else tmp_path
    export = window.export_json if kind == "json" else window.export_csv
    assert export(path) is False
    box = window.findChild(QMessageBox, "exportError")
    assert box is not None
    assert box.isVisible()
    assert str(path) in box.text()
    assert not (tmp_path / "missing").exists()


def test_export_asks_for_a_file_when_given_none(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = tmp_path / "chosen.json"
    answers = [("", ""), (str(chosen), "JSON (*.json)")]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: answers.pop(0))
    assert window.export_json() is False  # cancelled
    assert not chosen.exists()
    assert window.export_json() is True
    assert chosen.read_text(encoding="utf-8") == window.tracker.get_stats() + "\n"


@pytest.mark.parametrize(
    "text",
    ["Export Stats as &JSON…", "Export Stats as &CSV…", "Save Session &As…", "Open &Session…"],
)
def test_file_commands_in_the_menu_ask_for_a_file(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    asked: list[str] = []

    def cancelled_dialog(*args: object, **_kwargs: object) -> tuple[str, str]:
        asked.append(str(args[1]))
        return "", ""

    opened: list[object] = []

    def fake_open(cls: type[ActionTracker], path: object) -> ActionTracker:
        opened.append(path)  # never let a bad path reach the real file system
        return cls()

    monkeypatch.setattr(QFileDialog, "getSaveFileName", cancelled_dialog)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", cancelled_dialog)
    monkeypatch.setattr(ActionTracker, "open", classmethod(fake_open))
    answer_reset_question(monkeypatch, QMessageBox.StandardButton.Cancel)  # never block
    with qtbot.captureExceptions() as exceptions:
        menu_action(window, text).trigger()
    assert not exceptions, exceptions[0][1] if exceptions else None
    assert len(asked) == 1
    assert opened == []


# --- copy and reset ----------------------------------------------------------------------


def test_copy_selection_puts_tab_separated_rows_on_the_clipboard(window: MainWindow) -> None:
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("untouched")
    window.copy_selection()  # nothing selected: nothing copied
    assert clipboard.text() == "untouched"

    select_rows(window, "jump", "swim")
    window.copy_selection()
    lines = clipboard.text().split("\n")
    assert lines[-1] == ""
    assert lines[0] == "\t".join(STATS_HEADERS)
    # Full precision that a spreadsheet reads, not the table's rounded, grouped text.
    assert lines[1].split("\t")[:5] == ["jump", "3", repr(4 / 3), "1", "2"]
    assert lines[2].split("\t")[0] == "swim"
    assert len(lines) == 4
    assert all(len(line.split("\t")) == len(STATS_HEADERS) for line in lines[:-1])


def test_copied_numbers_are_full_precision_where_the_table_rounds_and_groups(
    window: MainWindow,
) -> None:
    window.tracker.add_action('{"action": "big", "time": 1200.125}')
    window.tracker.add_action('{"action": "tiny", "time": 0.001}')
    window.refresh()
    select_rows(window, "big", "tiny")
    window.copy_selection()
    rows = list(csv.reader(io.StringIO(QGuiApplication.clipboard().text()), delimiter="\t"))
    shown = {row[0]: row for row in rows[1:]}
    assert shown["big"][2:5] == ["1200.125"] * 3  # shown as 1,200.13
    assert shown["tiny"][2:5] == ["0.001"] * 3  # shown as 1.000e-03
    assert all(float(cell) >= 0 for row in rows[1:] for cell in row[1:])


def test_copy_follows_the_sorted_order_shown(window: MainWindow) -> None:
    window.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    select_rows(window, "jump", "run", "swim")
    window.copy_selection()
    names = [line.split("\t")[0] for line in QGuiApplication.clipboard().text().splitlines()]
    assert names == ["Action", "run", "jump", "swim"]


def test_ctrl_c_in_the_table_copies_rows(qtbot: QtBot, window: MainWindow) -> None:
    window.table.setFocus()
    qtbot.waitUntil(window.table.hasFocus, timeout=1000)
    select_rows(window, "run")
    QGuiApplication.clipboard().setText("")
    qtbot.keyClick(window.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text().splitlines()[1].startswith("run\t1\t1234.5\t")


def answer_reset_question(
    monkeypatch: pytest.MonkeyPatch, answer: QMessageBox.StandardButton
) -> list[str]:
    questions: list[str] = []

    def question(*args: object, **_kwargs: object) -> QMessageBox.StandardButton:
        questions.append(str(args[2]))
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    return questions


def test_reset_cancelled_keeps_the_data(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = answer_reset_question(monkeypatch, QMessageBox.StandardButton.Cancel)
    version = window.tracker.version
    window.confirm_reset()
    assert len(questions) == 1
    assert "My actions" in questions[0]
    assert window.tracker.version == version
    assert window.proxy.rowCount() == 3


def test_reset_confirmed_clears_the_session(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_reset_question(monkeypatch, QMessageBox.StandardButton.Reset)
    window.confirm_reset()
    assert window.tracker.snapshot().actions == ()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 0, timeout=2000)  # the next poll
    assert "0 actions" in window.totals.text()
    window.tracker.add_action('{"action": "again", "time": 1}')
    window.refresh()
    assert window.proxy.rowCount() == 1


def test_reset_applies_to_the_benchmark_session_when_shown(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    benchmark = run_small_benchmark(qtbot, window)
    questions = answer_reset_question(monkeypatch, QMessageBox.StandardButton.Reset)
    window.confirm_reset()
    assert "Benchmark" in questions[0]
    assert benchmark.snapshot().actions == ()
    assert window.tracker.snapshot().total_count == 5
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 0, timeout=2000)


def test_benchmark_tab_before_any_run_never_acts_on_the_users_session(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    window.show_session(gui.main_window.BENCHMARK_SESSION)
    assert window.proxy.rowCount() == 0
    qtbot.waitUntil(lambda: "Benchmark: 0 actions" in window.totals.text(), timeout=2000)
    assert window.export_json(tmp_path / "bench.json")
    assert (tmp_path / "bench.json").read_text(encoding="utf-8") == "[]\n"
    answer_reset_question(monkeypatch, QMessageBox.StandardButton.Reset)
    window.confirm_reset()
    assert window.tracker.snapshot().total_count == 5


# --- remembered layout -------------------------------------------------------------------


def test_window_geometry_and_splitters_persist(
    qtbot: QtBot, window: MainWindow, make_window: Callable[..., MainWindow]
) -> None:
    window.resize(700, 500)
    window.splitter.setSizes([420, 280])
    right = window.findChild(QSplitter, "rightSplitter")
    right.setSizes([120, 300])
    qtbot.waitUntil(lambda: window.size().width() == 700, timeout=1000)
    size = window.size()
    main_sizes, right_sizes = window.splitter.sizes(), right.sizes()
    window.shutdown()

    later = make_window()
    assert later.size() == size
    assert later.splitter.sizes() == main_sizes
    assert later.findChild(QSplitter, "rightSplitter").sizes() == right_sizes


# --- menus, shortcuts and the About box ------------------------------------------------


def test_menu_commands_have_distinct_shortcuts(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    recent = tmp_path / "recent.ndjson"
    recent.write_text('{"action": "recent", "time": 1}\n', encoding="utf-8")
    window.open_file(recent)  # so that Open Recent lists a file too
    qtbot.waitUntil(lambda: not window.loading, timeout=5000)

    actions = all_menu_actions(window)
    assert len(actions) >= 15
    missing = [action.text() for action in actions if action.shortcut().isEmpty()]
    assert missing == []  # Quit included: the platform's StandardKey.Quit may be empty
    shortcuts = [action.shortcut().toString() for action in all_menu_actions(window)]
    shortcuts = [shortcut for shortcut in shortcuts if shortcut]
    assert len(shortcuts) == len(set(shortcuts)), sorted(shortcuts)


def test_view_shortcuts_switch_sessions_and_find_focuses_the_filter(
    qtbot: QtBot, window: MainWindow
) -> None:
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.sessions.currentIndex() == 1
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.sessions.currentIndex() == 0
    find = QKeySequence(QKeySequence.StandardKey.Find)
    assert menu_action(window, "&Filter Actions").shortcut() == find
    menu_action(window, "&Filter Actions").trigger()
    assert QApplication.focusWidget() is window.findChild(QLineEdit, "filterInput")


def test_about_box(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[tuple[object, str, str]] = []
    monkeypatch.setattr(
        QMessageBox,
        "about",
        lambda parent, title, text: shown.append((parent, title, text)),
    )
    window.show_about()
    menu_action(window, "&About Action Tracker").trigger()
    assert len(shown) == 2
    parent, title, text = shown[0]
    assert parent is window
    assert "About" in title
    assert re.search(r"Action Tracker \d+\.\d+", text)  # the installed version
    assert "Action Tracker" in title
    assert "Action Tracker" in text
