"""The Listen dialog when what was typed cannot start: it stays open, says why where
its note was, keeps the address to correct, and listens once it is corrected."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox

from core import Listener
from gui import MainWindow
from gui.menus import LIVE_SESSION


def test_a_bad_address_keeps_the_dialog_open_to_correct_it(window: MainWindow) -> None:
    dialog = window.choose_listen()
    dialog.address.setText("localhost:http")
    dialog.accept()
    QApplication.processEvents()
    assert dialog.isVisible()
    assert "not an address to listen on" in dialog.note.text()
    assert dialog.note.property("state") == "error"
    assert dialog.address.text() == "localhost:http"
    assert dialog.address.selectedText() == "localhost:http"  # ready to retype
    assert window.findChild(QMessageBox, "sourceError") is None
    assert window.sources.sources == ()

    dialog.address.setText("127.0.0.1:0")  # typing again puts the plain note back
    assert dialog.note.property("state") == ""
    assert "Only programs on this machine" in dialog.note.text()
    closed: list[int] = []
    dialog.finished.connect(closed.append)
    dialog.accept()
    assert closed == [1]  # accepted and closed (then deleted)
    (listener,) = window.sources.sources
    assert isinstance(listener, Listener)
    assert window.sessions.currentIndex() == LIVE_SESSION
    window.stop_sources()
