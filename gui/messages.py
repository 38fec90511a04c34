"""Window-modal messages that do not block the event loop."""

from __future__ import annotations

import html
import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QTextEdit, QWidget

from gui.load_summary import Message


def show_message(parent: QWidget, message: Message, name: str) -> QMessageBox:
    """Open ``message`` over ``parent`` as a box named ``name`` (tests find it by name);
    it deletes itself when closed."""
    icon = QMessageBox.Icon.Warning if message.warning else QMessageBox.Icon.Information
    box = QMessageBox(icon, message.title, message.text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName(name)
    if message.details:
        box.setDetailedText(message.details)
        _roomy_details(box)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


DETAILS_COLUMNS = 90
DETAILS_LINES = 14
"""The size of a message's details (rejected records, a traceback), in characters and
lines: Qt's own fits about six lines of 50, and every rejection took scrolling."""


def _roomy_details(box: QMessageBox) -> None:
    details = box.findChild(QTextEdit)
    if details is not None:
        metrics = details.fontMetrics()
        details.setMinimumSize(
            metrics.averageCharWidth() * DETAILS_COLUMNS, metrics.lineSpacing() * DETAILS_LINES
        )


def warn(parent: QWidget, title: str, text: str, name: str, details: str = "") -> QMessageBox:
    return show_message(parent, Message(title, text, details, warning=True), name)


def show_about(parent: QWidget, version: str) -> None:
    log = log_file_path()
    where = (
        f"Its log is written to {html.escape(str(log))}."
        if log is not None
        else "This run writes no log file."
    )
    QMessageBox.about(
        parent,
        "About Action Tracker",
        f"<h3>Action Tracker {version}</h3><p>Records how long named actions take and "
        "shows their statistics live.</p><p>Add actions in the form, load JSON files, or "
        f"run the benchmark to watch the engine under load.</p><p>{where}</p>",
    )


def log_file_path() -> Path | None:
    """The file the application logs to (its root logger's file handler), if any."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def confirm_reset(parent: QWidget, session_name: str) -> bool:
    """Whether the user agrees to forget everything in the session ``session_name``."""
    answer = QMessageBox.question(
        parent,
        "Reset session",
        f"Forget every action and time in “{session_name}”? This cannot be undone.",
        QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Reset


def ask(parent: QWidget, title: str, text: str, *, yes: str, no: str, name: str) -> bool:
    """Ask a question with buttons worded ``yes`` and ``no`` (the default, and Escape);
    True for ``yes``. The box is named ``name`` for tests."""
    box = QMessageBox(
        QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent
    )
    box.setObjectName(name)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    no_button = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no_button)
    box.setEscapeButton(no_button)
    box.exec()
    return box.clickedButton() is yes_button


def confirm_delete(parent: QWidget, names: list[str]) -> bool:
    """Whether the user agrees to delete the actions ``names`` from "My actions"."""
    shown = ", ".join(f"“{name}”" for name in names[:5]) + (" …" if len(names) > 5 else "")
    many = len(names) > 1
    count = f"the {len(names):,} actions" if many else "the action"
    theirs = "all their times" if many else "all its times"
    return ask(
        parent,
        "Delete actions",
        f"Delete {count} {shown} and {theirs} from “My actions”? "
        "Edit → Undo (Ctrl+Z) brings them back.",
        yes="Delete",
        no="Cancel",
        name="deleteQuestion",
    )


def keep_cancelled_load(parent: QWidget, name: str, accepted: int) -> bool:
    """Whether the user keeps the ``accepted`` records read from file ``name`` before its
    load was cancelled (True), or discards them (False)."""
    return ask(
        parent,
        "Load cancelled",
        f"{name}: the load was cancelled before the end, after {accepted:,} records were "
        "read. Keep them in “My actions”, or discard them?",
        yes="Keep Them",
        no="Discard Them",
        name="keepQuestion",
    )
