"""A note across an empty table, so that a window of time with no adds reads as such
("No actions in the last 10 s"), not as a blank the user has to interpret."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractScrollArea, QLabel, QVBoxLayout


class EmptyNote(QLabel):
    """A label centred on ``view``'s viewport, shown only while ``show_for`` says so.

    It sits in a layout of the viewport, so Qt keeps it centred on resize and paints it
    in C++; clicks go through to the view.
    """

    def __init__(self, view: QAbstractScrollArea) -> None:
        super().__init__()
        self.setObjectName("emptyTableNote")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # One line: wrapped, the note grew taller than a short table's viewport.
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("color: palette(placeholder-text); background: transparent;")
        layout = QVBoxLayout(view.viewport())
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self, 0, Qt.AlignmentFlag.AlignCenter)
        self.hide()

    def show_for(self, text: str | None) -> None:
        """Show ``text`` across the view; None hides the note."""
        if text is None:
            self.hide()
            return
        self.setText(text)
        self.show()
