"""Window-modal messages that do not block the event loop."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from gui.load_summary import Message


def show_message(parent: QWidget, message: Message, name: str) -> QMessageBox:
    """Open ``message`` over ``parent`` as a box named ``name`` (tests find it by name);
    it deletes itself when closed."""
    icon = QMessageBox.Icon.Warning if message.warning else QMessageBox.Icon.Information
    box = QMessageBox(icon, message.title, message.text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName(name)
    if message.details:
        box.setDetailedText(message.details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def warn(parent: QWidget, title: str, text: str, name: str, details: str = "") -> QMessageBox:
    return show_message(parent, Message(title, text, details, warning=True), name)


def show_about(parent: QWidget, version: str) -> None:
    QMessageBox.about(
        parent,
        "About Action Tracker",
        f"<h3>Action Tracker {version}</h3><p>Records how long named actions take and "
        "shows their statistics live.</p><p>Add actions in the form, load JSON files, or "
        "run the benchmark to watch the engine under load.</p>",
    )


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
