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
