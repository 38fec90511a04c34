"""A message's details (the rejected records of a load) open in a box roomy enough to
read them without scrolling at every line."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QPushButton, QTextEdit

from gui import MainWindow
from gui.load_summary import Message
from gui.messages import DETAILS_LINES, show_message


def test_details_show_many_lines(window: MainWindow) -> None:
    details = "\n".join(f'line {n}: "time" must be a number >= 0, got -1' for n in range(40))
    box = show_message(window, Message("File loaded", "40 rejected", details), "loadSummary")
    show = next(
        button
        for button in box.findChildren(QPushButton)
        if button.text().startswith("Show Details")
    )
    show.click()
    QApplication.processEvents()
    text = box.findChild(QTextEdit)
    assert text is not None
    assert text.isVisible()
    metrics = text.fontMetrics()
    assert text.viewport().height() >= (DETAILS_LINES - 1) * metrics.lineSpacing()
    longest = max(details.splitlines(), key=len)
    assert text.viewport().width() >= metrics.horizontalAdvance(longest)  # no wrapping
    box.close()
