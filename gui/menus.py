"""The window's menus and their shortcuts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

from gui.benchmark_panel import BenchmarkPanel

USER_SESSION, BENCHMARK_SESSION, LIVE_SESSION = 0, 1, 2
STRATEGY_MENU = "strategyMenu"


class Commands(Protocol):
    """What the menus call: the window's commands."""

    def choose_file(self) -> None: ...
    def open_session(self) -> object: ...
    def save_session_as(self) -> object: ...
    def export_json(self) -> object: ...
    def export_all_json(self) -> object: ...
    def export_csv(self) -> object: ...
    def close(self) -> object: ...
    def copy_selection(self) -> None: ...
    def focus_filter(self) -> None: ...
    def confirm_reset(self) -> None: ...
    def undo(self) -> None: ...
    def delete_selected(self) -> None: ...
    def show_session(self, index: int) -> None: ...
    def show_about(self) -> None: ...
    def choose_listen(self) -> object: ...
    def choose_follow(self) -> None: ...
    def choose_metrics(self) -> object: ...
    def stop_sources(self) -> None: ...


def build_menus(
    window: QMainWindow, commands: Commands, table: QWidget, benchmark: BenchmarkPanel
) -> QMenu:
    """Fill ``window``'s menu bar; returns the (empty) *Open Recent* menu."""
    bar = window.menuBar()

    def add(
        menu: QMenu, text: str, shortcut: str | QKeySequence.StandardKey, slot: Callable[[], object]
    ) -> QAction:
        action = QAction(text, window)
        action.setShortcut(QKeySequence(shortcut))
        # triggered(bool) would pass its "checked" flag as the slot's first argument
        # (a path, for the file commands); the commands take none from a menu.
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    file_menu = bar.addMenu("&File")
    add(file_menu, "&Open…", QKeySequence.StandardKey.Open, commands.choose_file)
    recent_menu = file_menu.addMenu("Open &Recent")
    file_menu.addSeparator()
    add(file_menu, "Open &Session…", "Ctrl+Shift+O", commands.open_session)
    add(file_menu, "Save Session &As…", "Ctrl+Shift+S", commands.save_session_as)
    file_menu.addSeparator()
    add(file_menu, "Export Stats as &JSON…", "Ctrl+E", commands.export_json)
    add(file_menu, "Export Stats as &CSV…", "Ctrl+Shift+E", commands.export_csv)
    add(file_menu, "Export &All Columns as JSON…", "Ctrl+Alt+E", commands.export_all_json)
    file_menu.addSeparator()
    add(file_menu, "&Quit", "Ctrl+Q", commands.close)

    edit_menu = bar.addMenu("&Edit")
    undo = add(edit_menu, "&Undo", QKeySequence.StandardKey.Undo, commands.undo)
    undo.setObjectName("undoAction")  # its text names what it takes back
    undo.setEnabled(False)
    edit_menu.addSeparator()
    copy = add(edit_menu, "&Copy Rows", QKeySequence.StandardKey.Copy, commands.copy_selection)
    copy.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    table.addAction(copy)
    add(edit_menu, "&Filter Actions", QKeySequence.StandardKey.Find, commands.focus_filter)
    # The table's own: Delete in a text field deletes text.
    delete = add(
        edit_menu, "&Delete Actions…", QKeySequence.StandardKey.Delete, commands.delete_selected
    )
    delete.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    table.addAction(delete)
    edit_menu.addSeparator()
    add(edit_menu, "&Reset Session…", "Ctrl+Shift+R", commands.confirm_reset)
    # Filled by gui/strategy_choice.py, which keeps its entries checked as the session is.
    edit_menu.addMenu("S&trategy of My Actions").setObjectName(STRATEGY_MENU)

    view_menu = bar.addMenu("&View")
    add(view_menu, "&My Actions", "Ctrl+1", lambda: commands.show_session(USER_SESSION))
    add(
        view_menu,
        "&Benchmark Session",
        "Ctrl+2",
        lambda: commands.show_session(BENCHMARK_SESSION),
    )
    add(view_menu, "&Live Session", "Ctrl+3", lambda: commands.show_session(LIVE_SESSION))

    bench_menu = bar.addMenu("&Benchmark")
    add(bench_menu, "&Start or Stop", "Ctrl+B", benchmark.toggle)
    add(bench_menu, "&Compare Strategies", "Ctrl+Shift+B", benchmark.compare)
    add(bench_menu, "S&ettings…", "Ctrl+,", benchmark.edit_settings)

    sources_menu = bar.addMenu("&Sources")
    add(sources_menu, "&Listen…", "Ctrl+L", commands.choose_listen)
    add(sources_menu, "&Follow File…", "Ctrl+Shift+L", commands.choose_follow)
    add(sources_menu, "Serve &Prometheus metrics…", "Ctrl+Shift+M", commands.choose_metrics)
    add(sources_menu, "&Stop All Sources", "Ctrl+Alt+L", commands.stop_sources)

    help_menu = bar.addMenu("&Help")
    add(help_menu, "&About Action Tracker", "F1", commands.show_about)
    return recent_menu
