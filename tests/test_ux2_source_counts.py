"""A source's counts stayed after the Live session was reset, and nothing said why.
They are kept (they describe the source: a sender's rejected lines and the socket's
drops do not go away with the table's figures), and the panel says so."""

from __future__ import annotations

import socket

from PySide6.QtWidgets import QLabel, QTableWidget

from gui import MainWindow
from gui.sources_panel import COLUMNS, COUNTS_NOTE, SourcesPanel
from livetools import live_threads, wait_until
from widgets import child


def test_a_reset_of_the_live_session_keeps_the_sources_counts_and_the_panel_says_so(
    window: MainWindow,
) -> None:
    panel = child(window, SourcesPanel, "sourcesPanel")
    listener = window.listen("0")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"ok:1|ms\nbad:-5|ms", listener.address)
    wait_until(lambda: listener.counts().received == 2)
    window.refresh()
    assert window.shown_tracker is window.sources.tracker
    assert window.shown_tracker.snapshot().total_count == 1

    window.shown_tracker.reset()  # as Edit → Reset Session… does
    window.refresh()
    window.sources.read_status()
    table = child(panel, QTableWidget, "sourcesTable")
    accepted, rejected = (table.item(0, COLUMNS.index(name)).text() for name in COLUMNS[2:4])
    assert window.proxy.rowCount() == 0  # the session starts again
    assert (accepted, rejected) == ("1", "1")  # the source's counts do not

    note = child(panel, QLabel, "sourcesCountsNote")
    assert note.isVisible()
    assert note.text() == COUNTS_NOTE
    assert "since each source started" in note.text()
    for name in ("Accepted", "Rejected", "Ignored", "Dropped"):
        tip = table.horizontalHeaderItem(COLUMNS.index(name)).toolTip()
        assert "since" in tip
        assert "resetting the Live session keeps" in tip
    assert "counting lines since " in table.item(0, 0).toolTip()

    panel.set_collapsed(True)  # folded to its summary line: the note goes with the rows
    assert not note.isVisible()
    window.stop_sources()
    assert live_threads() == []
