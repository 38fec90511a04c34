"""Live sources in the window: the Live session, the Sources menu and dialogs, the
panel's figures and errors, the port-in-use and open-to-network messages, and sources
stopped on close and started again only when the user asked."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import statsd
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from core import ActionTracker, Listener, PortInUseError
from gui import MainWindow
from gui.menus import LIVE_SESSION, USER_SESSION
from gui.sources import SourceStatus
from gui.sources_panel import ListenDialog, SourcesPanel
from livetools import live_threads, wait_until
from widgets import child, menu_action


@pytest.fixture(autouse=True)
def _no_live_threads_left() -> Iterator[None]:
    yield
    assert live_threads() == []


def _shown_counts(window: MainWindow) -> dict[str, int]:
    """Count per action as the table's model holds it (the Live session shown)."""
    window.refresh()
    model = window.model
    return {
        model.stats_at(row).action: model.stats_at(row).count  # type: ignore[union-attr]
        for row in range(model.rowCount())
    }


def _panel_row(window: MainWindow, row: int = 0) -> list[str]:
    table = child(window, QTableWidget, "sourcesTable")
    return [table.item(row, column).text() for column in range(6)]


def test_the_sources_menu_and_the_live_session_are_there(window: MainWindow) -> None:
    assert window.sessions.tabText(LIVE_SESSION) == "Live"
    for text in ("&Listen…", "&Follow File…", "&Stop All Sources", "&Live Session"):
        menu_action(window, text)
    menu_action(window, "&Live Session").trigger()
    assert window.shown_tracker is window.sources.tracker
    assert window.shown_tracker is not window.tracker


def test_timings_sent_by_statsd_appear_in_the_live_table(window: MainWindow) -> None:
    listener = window.listen("127.0.0.1:0")
    assert listener.description == f"udp 127.0.0.1:{listener.address[1]}"
    assert window.sessions.currentIndex() == LIVE_SESSION
    client = statsd.StatsClient("127.0.0.1", listener.address[1])
    client.timing("db.query", 12.5)
    client.timing("db.query", 7.5)
    client.close()
    wait_until(lambda: listener.counts().accepted == 2)
    assert _shown_counts(window) == {"db.query": 2}
    assert window.tracker.snapshot().total_count == 0  # My actions untouched
    window.show_session(USER_SESSION)
    assert _shown_counts(window) == {}


def test_the_panel_shows_each_source_with_its_counts_and_errors(
    qtbot: QtBot, window: MainWindow
) -> None:
    panel = child(window, SourcesPanel, "sourcesPanel")
    assert not panel.isVisible()
    listener = window.listen("0")
    assert panel.isVisible()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"ok:1|ms\nhits:1|c\nbad:-5|ms", listener.address)
    wait_until(lambda: listener.counts().received == 3)
    window.sources.read_status()
    description, _rate, accepted, rejected, ignored, dropped = _panel_row(window)
    assert description == listener.description
    assert (accepted, rejected, ignored, dropped) == ("1", "1", "1", "0")

    child(panel, QPushButton, "sourceErrorsButton").click()
    errors = child(window, QPlainTextEdit, "sourceErrorsText").toPlainText()
    assert "bad:-5|ms" in errors
    assert "negative" in errors


def test_the_panel_takes_room_from_the_table_only_with_the_live_session(
    window: MainWindow,
) -> None:
    # With a source running it once showed on every tab, leaving My actions 1.5 rows.
    panel = child(window, SourcesPanel, "sourcesPanel")
    window.listen("0")
    assert panel.isVisible()
    window.show_session(USER_SESSION)
    assert not panel.isVisible()
    window.show_session(LIVE_SESSION)
    assert panel.isVisible()
    table = child(panel, QTableWidget, "sourcesTable")
    one_row = table.horizontalHeader().sizeHint().height() + table.rowHeight(0)
    assert table.height() <= one_row + 2 * table.frameWidth()  # no empty rows' room
    window.stop_sources()
    assert not panel.isVisible()


def test_the_status_is_read_on_a_timer(qtbot: QtBot, window: MainWindow) -> None:
    listener = window.listen("0")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for number in range(50):
            sender.sendto(b"tick:%d|ms" % number, listener.address)
    wait_until(lambda: listener.counts().accepted == 50)
    # No call here: the panel catches up by itself, within a few status periods.
    qtbot.waitUntil(lambda: _panel_row(window)[2] == "50", timeout=5000)


def test_a_port_in_use_is_said_plainly(qtbot: QtBot, window: MainWindow) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(PortInUseError, match="already in use"):
            window.listen(f"127.0.0.1:{port}")
        dialog = window.choose_listen()
        dialog.address.setText(str(port))
        dialog.accept()
    # Said in the dialog, which stays open with the port to change.
    assert dialog.isVisible()
    assert f"port {port}" in dialog.note.text()
    assert "already in use" in dialog.note.text()
    assert window.findChild(QMessageBox, "sourceError") is None
    assert window.sources.sources == ()
    dialog.reject()


def test_a_bad_address_is_explained(window: MainWindow) -> None:
    with pytest.raises(ValueError, match="not an address to listen on"):
        window.listen("localhost:http")
    assert window.sources.sources == ()


def test_an_address_open_to_the_network_is_said(window: MainWindow) -> None:
    dialog = window.choose_listen()
    assert isinstance(dialog, ListenDialog)
    assert "network" not in dialog.note.text()
    dialog.address.setText("0.0.0.0:8125")
    assert "open to the network" in dialog.note.text()
    dialog.reject()

    # A listener as the panel sees it when bound to all interfaces (tests bind only
    # loopback addresses, so this one is never started).
    exposed = Listener(window.sources.tracker, host="0.0.0.0", port=8125)
    panel = child(window, SourcesPanel, "sourcesPanel")
    panel._on_status_changed(
        (SourceStatus(exposed, exposed.description, exposed.counts(), 0.0, True),)
    )
    assert panel.network_label.isVisibleTo(panel)
    assert "udp 0.0.0.0:8125 is open to the network" in panel.network_label.text()


def test_the_listen_dialog_starts_a_listener(window: MainWindow) -> None:
    dialog = window.choose_listen()
    dialog.address.setText("127.0.0.1:0")
    dialog.protocol.setCurrentIndex(dialog.protocol.findData("tcp"))
    dialog.accept()
    (listener,) = window.sources.sources
    assert isinstance(listener, Listener)
    assert listener.protocol == "tcp"
    client = statsd.TCPStatsClient("127.0.0.1", listener.address[1])
    client.timing("page", 3)
    client.close()
    wait_until(lambda: listener.counts().accepted == 1)
    assert _shown_counts(window) == {"page": 1}


def test_a_followed_file_feeds_the_live_session(window: MainWindow, tmp_path: Path) -> None:
    log = tmp_path / "app.ndjson"
    log.write_text('{"action": "save", "time": 5}\n', encoding="utf-8")
    follower = window.follow(log)
    assert follower.description == f"follow {log}"
    wait_until(lambda: follower.counts().accepted == 1)
    with log.open("a", encoding="utf-8") as appended:
        appended.write("save:7|ms\n")
    wait_until(lambda: follower.counts().accepted == 2)
    assert _shown_counts(window) == {"save": 2}


def test_stop_ends_a_source_and_the_session_keeps_its_figures(
    qtbot: QtBot, window: MainWindow
) -> None:
    listener = window.listen("0")
    window.listen("0", "tcp")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"kept:1|ms", listener.address)
    wait_until(lambda: listener.counts().accepted == 1)
    panel = child(window, SourcesPanel, "sourcesPanel")
    child(panel, QPushButton, "stopSourceButton").click()  # the first row's
    assert listener not in window.sources.sources
    assert len(window.sources.sources) == 1
    window.stop_sources()
    assert window.sources.sources == ()
    assert live_threads() == []
    assert not panel.isVisible()
    assert _shown_counts(window) == {"kept": 1}


def test_export_and_reset_apply_to_the_live_session(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.tracker.add_action('{"action": "mine", "time": 1}')
    window.sources.tracker.add_action('{"action": "live", "time": 2}')
    window.show_session(LIVE_SESSION)
    path = tmp_path / "live.json"
    assert window.export_json(path)
    assert path.read_text(encoding="utf-8") == '[{"action":"live","avg":2}]\n'
    monkeypatch.setattr("gui.session_commands.confirm_reset", lambda _parent, name: name == "Live")
    window.confirm_reset()
    assert window.sources.tracker.snapshot().total_count == 0
    assert window.tracker.snapshot().total_count == 1


def _send_one(listener: Listener, line: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(line, listener.address)
    wait_until(lambda: listener.counts().received >= 1)


def test_close_stops_sources_saves_the_live_session_and_does_not_restart_them(
    make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    session = tmp_path / "session.atsession"
    first = make_window(session_path=session)
    listener = first.listen("0")
    _send_one(listener, b"before.close:4|ms")
    first.close()
    first.shutdown()
    assert live_threads() == []
    assert ActionTracker.open(tmp_path / "session-live.atsession").snapshot().total_count == 1

    second = make_window(session_path=session)
    second.show_session(LIVE_SESSION)
    assert _shown_counts(second) == {"before.close": 1}
    assert second.sources.sources == ()  # not restarted: the user did not ask
    assert second.sources.last_listen() == ("0", "udp")  # offered again by Listen…


def test_sources_start_again_when_the_user_asked(
    qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    session = tmp_path / "session.atsession"
    log = tmp_path / "app.ndjson"
    log.write_text("old:1|ms\n", encoding="utf-8")
    first = make_window(session_path=session)
    first.follow(log)
    listener = first.listen("0", "tcp")
    port = listener.address[1]
    first.sources_panel.restart_check.setChecked(True)
    wait_until(lambda: first.sources.tracker.snapshot().total_count == 1)
    first.shutdown()

    second = make_window(session_path=session)
    qtbot.waitUntil(lambda: len(second.sources.sources) == 2, timeout=5000)
    descriptions = [source.description for source in second.sources.sources]
    assert descriptions == [f"follow {log}", f"tcp 127.0.0.1:{port}"]
    assert second.sources_panel.restart_check.isChecked()
    with log.open("a", encoding="utf-8") as appended:
        appended.write("new:2|ms\n")
    follower = second.sources.sources[0]
    wait_until(lambda: follower.counts().accepted == 1)
    # The file's old line was read once, before the close; the follower resumed at its end.
    second.show_session(LIVE_SESSION)
    assert _shown_counts(second) == {"old": 1, "new": 1}


def test_the_panel_leaves_the_remembered_panes_alone(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    saved = QSplitter(Qt.Orientation.Vertical)  # benchmark above charts, as saved before
    saved.addWidget(QWidget())
    saved.addWidget(QWidget())
    saved.resize(400, 800)
    saved.setSizes([500, 300])
    QSettings().setValue("window/rightSplitter", saved.saveState())
    window = make_window()
    window.listen("0")
    qtbot.waitUntil(lambda: window.sources_panel.height() > 0, timeout=2000)
    assert window.charts.height() > 100
    assert window.benchmark.height() > 100
