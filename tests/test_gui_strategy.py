"""Choosing the strategy of *My actions*: a new session kept that way, asked for first
when the old one held anything, and remembered through the session file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from core import ActionTracker
from gui import MainWindow
from gui.menus import BENCHMARK_SESSION, USER_SESSION
from widgets import all_menu_actions


def strategy_action(window: MainWindow, name: str) -> QAction:
    for action in all_menu_actions(window):
        if action.objectName() == name:
            return action
    raise AssertionError(f"no menu action named {name!r}")


def answer(monkeypatch: pytest.MonkeyPatch, button: QMessageBox.StandardButton) -> list[str]:
    questions: list[str] = []

    def question(*args: object, **_kwargs: object) -> QMessageBox.StandardButton:
        questions.append(str(args[2]))
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    return questions


def checked(window: MainWindow) -> list[str]:
    return [
        name
        for name in ("strategyRunning", "strategySamples")
        if strategy_action(window, name).isChecked()
    ]


def test_an_empty_session_takes_the_chosen_strategy_without_asking(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    assert window.tracker.strategy == "running"
    assert checked(window) == ["strategyRunning"]
    strategy_action(window, "strategySamples").trigger()
    assert window.tracker.strategy == "samples"
    assert checked(window) == ["strategySamples"]
    assert questions == []
    window.tracker.add("jump", 1.5)
    window.refresh()
    assert window.live.current_snapshot().strategy == "samples"


@pytest.mark.window('{"action": "jump", "time": 1}', '{"action": "jump", "time": 2}')
def test_a_session_with_data_is_replaced_only_when_the_user_agrees(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = window.tracker
    window.show_session(BENCHMARK_SESSION)
    questions = answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    strategy_action(window, "strategySamples").trigger()
    assert window.tracker is before
    assert checked(window) == ["strategyRunning"]
    assert "forgotten" in questions[0]

    answer(monkeypatch, QMessageBox.StandardButton.Reset)
    strategy_action(window, "strategySamples").trigger()
    assert window.tracker is not before
    assert window.tracker.strategy == "samples"
    assert window.sessions.currentIndex() == USER_SESSION
    window.refresh()
    assert window.live.current_snapshot().actions == ()
    assert window.model.rowCount() == 0


def test_the_check_follows_an_opened_session(window: MainWindow) -> None:
    window.set_user_tracker(ActionTracker("samples"))
    assert checked(window) == ["strategySamples"]


def test_the_choice_survives_a_restart(
    make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    path = tmp_path / "session.atsession"
    first = make_window(session_path=path, shown=False)
    strategy_action(first, "strategySamples").trigger()
    first.tracker.add("jump", 1.25)
    first.close()
    first.shutdown()
    second = make_window(session_path=path, shown=False)
    assert second.tracker.strategy == "samples"
    assert checked(second) == ["strategySamples"]


@pytest.mark.window(active=True)
def test_the_shortcut_chooses_from_the_keyboard(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_S, MODIFIERS)
    assert window.tracker.strategy == "samples"
    qtbot.keyClick(window, Qt.Key.Key_R, MODIFIERS)
    assert window.tracker.strategy == "running"


MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
