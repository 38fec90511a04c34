"""The form for typing actions: name and time, or a raw JSON payload.

Both go through the engine's ``add_action``, so the rules and the messages people see
are exactly the engine's. Enter submits, and focus stays put for fast typing.
"""

from __future__ import annotations

import math
import re

import orjson
from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from core import MAX_PAYLOAD_BYTES, ActionTracker, InvalidActionError
from core.validation import check_record
from gui.label_state import set_label_state
from gui.user_session import UserSession

JSON_FIELD_MAX_LENGTH = 16 * MAX_PAYLOAD_BYTES
SHOWN_LENGTH = 24
"""Longer names and typed numbers (400 digits, say) are cut short in the one-line
messages under the form."""


_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""A decimal as people type it (".5", "5.", "+5", "007"): what the form takes as a number,
and the benchmark settings too. ASCII digits only, where float() takes any script's."""


def form_payload(name: str, time_text: str) -> bytes:
    """The JSON payload for the form's fields, so that the engine judges (and words the
    error for) exactly what was typed. A JSON number goes in verbatim; a plain decimal
    that JSON spells differently (".5", "5.", "+5", "007") as its value; anything else
    (including Python-only forms like "1_000" or "inf") as a string, which the engine
    refuses as not a number.

    A number too large for a double raises ``InvalidActionError`` here: the engine would
    word it by its position in a payload that the user never saw."""
    text = time_text.strip()
    plain = PLAIN_NUMBER.fullmatch(text) is not None
    if not text or (plain and not math.isfinite(float(text))):
        check_record({"action": name, "time": 0})  # a bad name is still named first
        if not text:
            raise InvalidActionError('"time" is empty: type a number >= 0')
        if text.startswith("-"):
            raise InvalidActionError(f'"time" must be a number >= 0, got {shorten(text)}')
        raise InvalidActionError(
            f'"time" is out of range: {shorten(text)} is beyond the largest number, about 1.8e308'
        )
    if _JSON_NUMBER.fullmatch(text):
        return b'{"action":' + orjson.dumps(name) + b',"time":' + text.encode() + b"}"
    return orjson.dumps({"action": name, "time": float(text) if plain else text})


def shorten(text: str) -> str:
    """``text``, cut to SHOWN_LENGTH characters with an ellipsis when longer."""
    return text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 1] + "…"


class MessageLabel(QLabel):
    """A one-line outcome under a field: ``show_error`` or ``show_ok``; styled by the
    ``state`` property in resources/style.qss."""

    def __init__(self, object_name: str) -> None:
        super().__init__()
        self.setObjectName(object_name)
        self.setTextFormat(Qt.TextFormat.PlainText)  # names like "<b>x</b>" show as typed
        self.setWordWrap(True)
        # A long unbroken word (a 256-character name) must clip here, not widen the window.
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)  # still as tall as its wrapped lines
        self.setSizePolicy(policy)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # One line is kept free even when empty, so that a message appearing does not
        # push the table down (a long one still wraps onto more lines); not in a low
        # window, where that line is worth more as a row of the table (set_line_kept).
        self._line_kept = True
        self.setMinimumHeight(self.fontMetrics().lineSpacing())

    def set_line_kept(self, kept: bool) -> None:
        """Keep a line free when empty (True), or take no room until a message comes."""
        self._line_kept = kept
        self.setMinimumHeight(self.fontMetrics().lineSpacing() if kept else 0)
        self._show_when_useful()

    def _show_when_useful(self) -> None:
        self.setVisible(self._line_kept or bool(self.text()))

    def show_error(self, text: str) -> None:
        self._set_state(text, "error")

    def show_ok(self, text: str) -> None:
        self._set_state(text, "ok")

    def clear_message(self) -> None:
        """Show nothing: the last outcome no longer holds."""
        self._set_state("", "")

    def _set_state(self, text: str, state: str) -> None:
        set_label_state(self, text, state)
        self._show_when_useful()


class PopupClickMovesFocus(QObject):
    """A click outside the name completion popup, on another field of the form's
    window, moves focus there. Qt's completer only closes the popup and swallows the
    click, so focus stayed in the name and the next keys typed (a time) replaced it."""

    def __init__(self, home: QWidget) -> None:
        super().__init__(home)
        self._home = home

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.MouseButtonPress
            and isinstance(event, QMouseEvent)
            and isinstance(watched, QWidget)
        ):
            where = event.globalPosition().toPoint()
            if not watched.rect().contains(watched.mapFromGlobal(where)):
                # Looked up in the form's own window, not on the screen: the same answer
                # wherever the window sits, also partly off screen.
                home = self._home.window()
                target = home.childAt(home.mapFromGlobal(where))
                if target is not None and target.focusPolicy() & Qt.FocusPolicy.ClickFocus:
                    watched.hide()
                    target.setFocus(Qt.FocusReason.MouseFocusReason)
        return False  # the completer still sees the click, and closes the popup


class EntryPanel(QGroupBox):
    """Signals
    -------
    added(str)
        The action name after a successful add.
    """

    added = Signal(str)

    def __init__(self, session: UserSession) -> None:
        super().__init__("Add an action")
        self._session = session

        self.action_input = QComboBox()
        self.action_input.setObjectName("actionInput")
        self.action_input.setEditable(True)
        self.action_input.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.action_line = self.action_input.lineEdit()  # editable, so never None
        assert self.action_line is not None
        self.action_line.setPlaceholderText("action, e.g. jump")
        self.action_input.setAccessibleName("Action name")
        self._names = QStringListModel()
        self._known_names: list[str] = []
        self.action_input.setModel(self._names)
        completer = QCompleter(self._names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.action_input.setCompleter(completer)
        # Installed after the completer's own filter, so it runs first.
        self._popup_clicks = PopupClickMovesFocus(self)
        popup = completer.popup()
        assert popup is not None  # made on first use, here
        popup.installEventFilter(self._popup_clicks)

        self.time_input = QLineEdit()
        self.time_input.setObjectName("timeInput")
        self.time_input.setPlaceholderText("time, e.g. 100")
        self.time_input.setAccessibleName("Time")
        self.time_input.setMaximumWidth(160)

        self.add_button = QPushButton("Add")
        self.add_button.setObjectName("addButton")
        self.add_button.setToolTip("Add this action (Enter)")
        self.entry_message = MessageLabel("entryMessage")

        self.json_input = QLineEdit()
        self.json_input.setObjectName("jsonInput")
        self.json_input.setPlaceholderText('{"action": "jump", "time": 100}')
        # Qt's default cap (32,767) would silently cut valid payloads; this one leaves room
        # past the engine's limit, so an over-long paste gets the engine's own message.
        self.json_input.setMaxLength(JSON_FIELD_MAX_LENGTH)
        self.json_input.setAccessibleName("JSON payload")
        self.add_json_button = QPushButton("Add JSON")
        self.add_json_button.setObjectName("addJsonButton")
        self.json_message = MessageLabel("jsonMessage")

        layout = QGridLayout(self)
        action_label = QLabel("&Action")
        layout.addWidget(action_label, 0, 0)
        layout.addWidget(self.action_input, 0, 1)
        time_label = QLabel("&Time")
        layout.addWidget(time_label, 0, 2)
        layout.addWidget(self.time_input, 0, 3)
        layout.addWidget(self.add_button, 0, 4)
        layout.addWidget(self.entry_message, 1, 1, 1, 4)
        json_label = QLabel("&JSON")
        layout.addWidget(json_label, 2, 0)
        layout.addWidget(self.json_input, 2, 1, 1, 3)
        layout.addWidget(self.add_json_button, 2, 4)
        layout.addWidget(self.json_message, 3, 1, 1, 4)
        layout.setColumnStretch(1, 1)
        action_label.setBuddy(self.action_input)
        time_label.setBuddy(self.time_input)
        json_label.setBuddy(self.json_input)

        self.add_button.clicked.connect(self._on_add_clicked)
        self.action_line.returnPressed.connect(self._on_add_clicked)
        self.time_input.returnPressed.connect(self._on_add_clicked)
        self.add_json_button.clicked.connect(self._on_add_json_clicked)
        self.json_input.returnPressed.connect(self._on_add_json_clicked)

    @property
    def tracker(self) -> ActionTracker:
        """The user's session, which the form adds to."""
        return self._session.tracker

    def set_compact(self, compact: bool) -> None:
        """Tighten the form for a low window (True): no line kept free under a field
        until it has a message, and rows closer together, so the table keeps its rows."""
        for message in (self.entry_message, self.json_message):
            message.set_line_kept(not compact)
        layout = self.layout()
        assert isinstance(layout, QGridLayout)  # made in __init__
        layout.setVerticalSpacing(2 if compact else -1)  # -1: the style's

    def clear_messages(self) -> None:
        """Clear both fields' outcomes, e.g. when the session they were about is reset."""
        self.entry_message.clear_message()
        self.json_message.clear_message()

    def set_known_names(self, names: list[str]) -> None:
        """Offer ``names`` for completion, keeping what the user is typing."""
        if names != self._known_names:  # compared in Python: stringList() copies them all
            self._known_names = names
            text = self.action_input.currentText()
            self._names.setStringList(names)
            self.action_input.setEditText(text)

    def _on_add_clicked(self) -> None:
        name, time_text = self.action_input.currentText(), self.time_input.text()
        try:
            payload = form_payload(name, time_text)
        except InvalidActionError as error:
            self.entry_message.show_error(str(error))
            return
        if self._submit(payload, self.entry_message, shown_time=time_text.strip()):
            self.time_input.setFocus()
            self.time_input.selectAll()

    def _on_add_json_clicked(self) -> None:
        if self._submit(self.json_input.text(), self.json_message):
            self.json_input.selectAll()

    def _submit(
        self, payload: str | bytes, message: MessageLabel, shown_time: str | None = None
    ) -> bool:
        """Add ``payload``; confirm it with the time as typed (``shown_time``) or as
        parsed, or show the engine's message."""
        try:
            self._session.add_action(payload)
        except InvalidActionError as error:
            message.show_error(str(error))
            return False
        # The fields' own typing history ends here: Ctrl+Z now takes back the add, not
        # the last keystroke (a field keeps its own undo once typed in again).
        for field in (self.action_input.lineEdit(), self.time_input, self.json_input):
            assert field is not None  # the name's combo box is editable
            field.setText(field.text())
        record = orjson.loads(payload)
        name = record["action"].strip()
        self.clear_messages()  # the other field's error is old news after an add
        message.show_ok(f"Added {shorten(name)}: {shown_time or record['time']}")
        self.added.emit(name)
        return True
