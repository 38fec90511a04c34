"""The entry form: names and times, or raw JSON payloads, go through the engine exactly.

Every outcome the form shows is compared with what ``ActionTracker.add_action`` itself
does with the same payload, so the window can never word an error differently from the
engine or accept something the engine refuses.
"""

from __future__ import annotations

import contextlib

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from core import MAX_PAYLOAD_BYTES, ActionTracker, InvalidActionError
from gui import MainWindow
from widgets import child

pytestmark = pytest.mark.window(active=True)
"""Shown and active, around an empty tracker: keys go to the form."""


def action_field(window: MainWindow) -> QLineEdit:
    combo = window.findChild(QComboBox, "actionInput")
    assert combo is not None
    assert combo.isEditable()
    return combo.lineEdit()


def time_field(window: MainWindow) -> QLineEdit:
    return child(window, QLineEdit, "timeInput")


def json_field(window: MainWindow) -> QLineEdit:
    return child(window, QLineEdit, "jsonInput")


def label(window: MainWindow, name: str) -> QLabel:
    return child(window, QLabel, name)


def button(window: MainWindow, name: str) -> QPushButton:
    return child(window, QPushButton, name)


def engine_outcome(payload: str) -> str | None:
    """The engine's own InvalidActionError message for ``payload``; None if it accepts it."""
    try:
        ActionTracker().add_action(payload)
    except InvalidActionError as error:
        return str(error)
    return None


def engine_error(payload: str) -> str:
    message = engine_outcome(payload)
    assert message is not None, f"the engine accepted {payload!r}"
    return message


def engine_snapshot_actions(payloads: list[str]) -> tuple[object, ...]:
    """What a plain engine tracker holds after the valid ones of ``payloads``."""
    tracker = ActionTracker()
    for payload in payloads:
        with contextlib.suppress(InvalidActionError):
            tracker.add_action(payload)
    return tracker.snapshot().actions


def type_entry(qtbot: QtBot, window: MainWindow, name: str, time_text: str) -> None:
    """Click into each field and type, as a person would."""
    qtbot.mouseClick(action_field(window), Qt.MouseButton.LeftButton)
    qtbot.keyClicks(action_field(window), name)
    qtbot.mouseClick(time_field(window), Qt.MouseButton.LeftButton)
    qtbot.keyClicks(time_field(window), time_text)


def test_enter_in_time_field_adds_and_keeps_focus_with_time_selected(
    qtbot: QtBot, window: MainWindow
) -> None:
    type_entry(qtbot, window, "jump", "100")
    with qtbot.waitSignal(window.entry.added, timeout=1000) as added:
        qtbot.keyClick(time_field(window), Qt.Key.Key_Return)

    assert added.args == ["jump"]
    stats = window.tracker.snapshot().get("jump")
    assert stats is not None
    assert (stats.count, stats.mean) == (1, 100)
    message = label(window, "entryMessage")
    assert "jump" in message.text()
    assert "100" in message.text()
    assert message.property("state") == "ok"
    assert QApplication.focusWidget() is time_field(window)
    assert time_field(window).selectedText() == "100"

    # The selected time is replaced by the next one typed: fast entry of many times.
    qtbot.keyClicks(time_field(window), "250")
    qtbot.keyClick(time_field(window), Qt.Key.Key_Return)
    stats = window.tracker.snapshot().get("jump")
    assert stats is not None
    assert (stats.count, stats.mean, stats.max) == (2, 175, 250)
    assert QApplication.focusWidget() is time_field(window)


def test_add_button_adds_the_typed_action(qtbot: QtBot, window: MainWindow) -> None:
    type_entry(qtbot, window, "  run ", "12.5")
    qtbot.mouseClick(button(window, "addButton"), Qt.MouseButton.LeftButton)

    assert window.tracker.snapshot().actions == engine_snapshot_actions(
        ['{"action": "  run ", "time": 12.5}']
    )
    assert label(window, "entryMessage").text().startswith("Added run")
    assert QApplication.focusWidget() is time_field(window)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=2000)  # the next poll
    assert window.model.index(0, 0).data() == "run"


def test_enter_in_action_field_also_adds(qtbot: QtBot, window: MainWindow) -> None:
    type_entry(qtbot, window, "walk", "300")
    qtbot.keyClick(action_field(window), Qt.Key.Key_Return)
    assert window.tracker.snapshot().get("walk") is not None


@pytest.mark.parametrize(
    ("name", "time_text", "payload"),
    [
        ("jump", "-5", '{"action": "jump", "time": -5}'),
        ("jump", "abc", '{"action": "jump", "time": "abc"}'),
        ("jump", "nan", '{"action": "jump", "time": "nan"}'),
        ("", "5", '{"action": "", "time": 5}'),
        ("   ", "5", '{"action": "   ", "time": 5}'),
        ("x" * 257, "5", '{"action": "' + "x" * 257 + '", "time": 5}'),
        ("jump", "1_000", '{"action": "jump", "time": "1_000"}'),
        ("jump", "inf", '{"action": "jump", "time": "inf"}'),
        ("jump", "0x10", '{"action": "jump", "time": "0x10"}'),
    ],
    ids=[
        "negative",
        "text",
        "nan",
        "empty-name",
        "blank-name",
        "long-name",
        "underscores",
        "infinity",
        "hex",
    ],
)
def test_invalid_entry_shows_engine_message_and_adds_nothing(
    qtbot: QtBot, window: MainWindow, name: str, time_text: str, payload: str
) -> None:
    expected = engine_error(payload)
    version = window.tracker.version
    type_entry(qtbot, window, name, time_text)
    with qtbot.assertNotEmitted(window.entry.added):
        qtbot.keyClick(time_field(window), Qt.Key.Key_Return)

    message = label(window, "entryMessage")
    assert message.text() == expected
    assert message.property("state") == "error"
    assert window.tracker.version == version
    assert window.tracker.snapshot().actions == ()
    assert window.model.rowCount() == 0


@pytest.mark.parametrize(
    ("name", "time_text", "message"),
    [
        (
            "jump",
            "1e400",
            '"time" is out of range: 1e400 is beyond the largest number, about 1.8e308',
        ),
        (
            "jump",
            "+2e308",
            '"time" is out of range: +2e308 is beyond the largest number, about 1.8e308',
        ),
        (
            "jump",
            "1" * 400,
            f'"time" is out of range: {"1" * 23}… is beyond the largest number, about 1.8e308',
        ),
        ("jump", "-1e400", '"time" must be a number >= 0, got -1e400'),
        ("jump", "  ", '"time" is empty: type a number >= 0'),
        ("", "", '"action" must not be empty or only whitespace'),
    ],
    ids=["1e400", "plus", "400-digits", "negative", "empty", "empty-name-first"],
)
def test_times_the_engine_would_word_obscurely_are_refused_in_the_fields_terms(
    qtbot: QtBot, window: MainWindow, name: str, time_text: str, message: str
) -> None:
    """The engine would point at a character of a payload the user never saw, or call an
    empty field "the string ''"."""
    action_field(window).setText(name)
    time_field(window).setText(time_text)
    qtbot.mouseClick(button(window, "addButton"), Qt.MouseButton.LeftButton)
    assert label(window, "entryMessage").text() == message
    assert window.tracker.version == 0


@pytest.mark.parametrize(
    ("time_text", "stored"),
    [
        ("100", 100),
        (" 2.5 ", 2.5),
        ("1e3", 1000),
        (".5", 0.5),
        ("5.", 5),
        ("+7", 7),
        ("007", 7),
        ("18446744073709551616", 2**64),
        ("-0", 0),
    ],
)
def test_time_field_takes_numbers_as_people_type_them(
    qtbot: QtBot, window: MainWindow, time_text: str, stored: float
) -> None:
    type_entry(qtbot, window, "jump", time_text)
    qtbot.keyClick(time_field(window), Qt.Key.Key_Return)
    assert label(window, "entryMessage").property("state") == "ok"
    assert window.tracker.snapshot().actions[0].mean == stored


def test_error_message_is_replaced_by_confirmation(qtbot: QtBot, window: MainWindow) -> None:
    type_entry(qtbot, window, "jump", "abc")
    qtbot.keyClick(time_field(window), Qt.Key.Key_Return)
    assert label(window, "entryMessage").property("state") == "error"

    time_field(window).clear()
    qtbot.keyClicks(time_field(window), "7")
    qtbot.keyClick(time_field(window), Qt.Key.Key_Return)
    assert label(window, "entryMessage").property("state") == "ok"
    assert window.tracker.snapshot().total_count == 1


JSON_PAYLOADS = [
    '{"action": "jump", "time": 100}',
    '{"action": " jump ", "time": 0.25}',
    '{"action": "swim", "time": 0}',
    "not json",
    '{"action": "jump"}',
    '{"time": 3}',
    '{"action": "jump", "time": true}',
    '{"action": "jump", "time": -1}',
    '{"action": 5, "time": 1}',
    "[1, 2]",
    '{"action": "run", "time": 2e3}',
]


def test_json_field_accepts_and_refuses_exactly_like_the_engine(
    qtbot: QtBot, window: MainWindow
) -> None:
    field = json_field(window)
    message = label(window, "jsonMessage")
    for payload in JSON_PAYLOADS:
        field.clear()
        qtbot.keyClicks(field, payload)
        assert field.text() == payload
        version = window.tracker.version
        qtbot.keyClick(field, Qt.Key.Key_Return)
        expected_error = engine_outcome(payload)
        if expected_error is None:
            assert message.property("state") == "ok", payload
            assert window.tracker.version == version + 1, payload
        else:
            assert message.text() == expected_error, payload
            assert message.property("state") == "error"
            assert window.tracker.version == version, payload
    assert window.tracker.snapshot().actions == engine_snapshot_actions(JSON_PAYLOADS)


def test_add_json_button_adds_and_empty_payload_shows_engine_error(
    qtbot: QtBot, window: MainWindow
) -> None:
    qtbot.mouseClick(button(window, "addJsonButton"), Qt.MouseButton.LeftButton)
    assert label(window, "jsonMessage").text() == engine_error("")
    assert window.tracker.version == 0

    qtbot.keyClicks(json_field(window), '{"action": "dig", "time": 4}')
    qtbot.mouseClick(button(window, "addJsonButton"), Qt.MouseButton.LeftButton)
    stats = window.tracker.snapshot().get("dig")
    assert stats is not None
    assert stats.mean == 4
    # The entry form's message is not touched by the JSON field.
    assert label(window, "entryMessage").text() == ""


def test_added_names_are_offered_for_completion(qtbot: QtBot, window: MainWindow) -> None:
    combo = window.findChild(QComboBox, "actionInput")
    type_entry(qtbot, window, "jump", "100")
    qtbot.keyClick(time_field(window), Qt.Key.Key_Return)
    window.tracker.add_action('{"action": "run", "time": 5}')  # e.g. from a loaded file
    window.refresh()

    completer = combo.completer()
    model = completer.model()
    names = [model.index(row, 0).data() for row in range(model.rowCount())]
    assert "jump" in names
    assert "run" in names

    completer.setCompletionPrefix("JU")
    assert completer.completionCount() == 1
    assert completer.currentCompletion() == "jump"


def test_refresh_keeps_the_name_being_typed(qtbot: QtBot, window: MainWindow) -> None:
    combo = window.findChild(QComboBox, "actionInput")
    qtbot.keyClicks(action_field(window), "wa")
    window.tracker.add_action('{"action": "swim", "time": 5}')
    window.refresh()
    assert combo.completer().model().rowCount() == 1
    assert combo.currentText() == "wa"


def test_adding_switches_back_to_the_users_session(qtbot: QtBot, window: MainWindow) -> None:
    window.show_session(1)
    type_entry(qtbot, window, "jump", "1")
    qtbot.keyClick(time_field(window), Qt.Key.Key_Return)
    assert window.sessions.currentIndex() == 0
    assert window.shown_tracker is window.tracker


def test_huge_whole_number_time_is_handled_like_the_engine(
    qtbot: QtBot, window: MainWindow
) -> None:
    huge = "1" + "0" * 25
    reference = ActionTracker()
    reference.add_action('{"action": "big", "time": ' + huge + "}")
    type_entry(qtbot, window, "big", huge)
    with qtbot.captureExceptions() as exceptions:
        qtbot.keyClick(time_field(window), Qt.Key.Key_Return)
    assert not exceptions, exceptions
    assert window.tracker.snapshot().actions == reference.snapshot().actions


def test_messages_show_names_literally(qtbot: QtBot, window: MainWindow) -> None:
    type_entry(qtbot, window, "<b>x</b>", "5")
    qtbot.keyClick(time_field(window), Qt.Key.Key_Return)
    message = label(window, "entryMessage")
    assert "<b>x</b>" in message.text()
    shown_as_rich_text = message.textFormat() == Qt.TextFormat.RichText or (
        message.textFormat() == Qt.TextFormat.AutoText
        and QtGuiNamespace.mightBeRichText(message.text())
    )
    assert not shown_as_rich_text


def test_long_names_and_messages_never_widen_the_window(qtbot: QtBot, window: MainWindow) -> None:
    width = window.minimumSizeHint().width()
    name = "x" * 256
    action_field(window).setText(name)
    time_field(window).setText("5")
    qtbot.mouseClick(button(window, "addButton"), Qt.MouseButton.LeftButton)
    assert window.tracker.snapshot().actions[0].action == name
    assert label(window, "entryMessage").text() == f"Added {'x' * 23}…: 5"
    window.entry.json_message.show_error("a long message that wraps " * 20)
    window.benchmark.live.setText("a long result line " * 20)
    QApplication.processEvents()
    assert window.minimumSizeHint().width() == width
    message = label(window, "jsonMessage")
    # Wrapped onto more lines, and the form grew to show them, rather than clipping.
    qtbot.waitUntil(lambda: message.height() >= 3 * message.fontMetrics().height(), timeout=2000)


def test_json_field_takes_payloads_up_to_the_engines_limit(
    qtbot: QtBot, window: MainWindow
) -> None:
    padding = "x" * (MAX_PAYLOAD_BYTES - 60)
    payload = f'{{"action": "big", "time": 1, "note": "{padding}"}}'
    assert 40_000 < len(payload) <= MAX_PAYLOAD_BYTES
    json_field(window).setText(payload)
    qtbot.mouseClick(button(window, "addJsonButton"), Qt.MouseButton.LeftButton)
    assert label(window, "jsonMessage").text() == "Added big: 1"

    json_field(window).setText(payload + " " * 100)
    qtbot.mouseClick(button(window, "addJsonButton"), Qt.MouseButton.LeftButton)
    assert label(window, "jsonMessage").text() == engine_error(payload + " " * 100)
    assert window.tracker.snapshot().total_count == 1
