"""Finding the window's widgets by their stable object names and menu texts, as outside
tests do; shared by the GUI tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow

T = TypeVar("T", bound=QObject)

STATS_HEADERS = ["Action", "Count", "Average", "Min", "Max", "Std dev", "p50", "p90", "p99", "Rate"]
"""The statistics table's column headers, as people read them (and copy them)."""


def child(parent: QObject, kind: type[T], name: str) -> T:
    """The ``kind`` widget named ``name`` under ``parent``; fails the test when missing."""
    found = parent.findChild(kind, name)
    assert found is not None, f"no {kind.__name__} named {name!r}"
    return found


def all_menu_actions(window: QMainWindow) -> list[QAction]:
    """Every command in the menu bar, recursively, without separators or submenus."""

    def walk(actions: list[QAction]) -> Iterator[QAction]:
        for action in actions:
            if action.menu() is not None:
                yield from walk(action.menu().actions())
            elif not action.isSeparator():
                yield action

    return list(walk(window.menuBar().actions()))


def menu_action(window: QMainWindow, text: str) -> QAction:
    """The menu command labelled ``text`` (with its ``&`` mnemonic); fails when missing."""
    for action in all_menu_actions(window):
        if action.text() == text:
            return action
    raise AssertionError(f"no menu action {text!r}")
