"""*Sources → Serve Prometheus metrics…* in the window: the dialog, the panel's row, the
Live session served over HTTP on 127.0.0.1, the port-in-use and open-to-network
messages, and a server stopped on close and started again only when the user asked."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from PySide6.QtWidgets import QMessageBox, QPushButton, QTableWidget
from pytestqt.qtbot import QtBot

from core import PortInUseError, SourceCounts
from core.metrics import SUMMARY_NAME, MetricsServer
from gui import MainWindow
from gui.menus import LIVE_SESSION, USER_SESSION
from gui.metrics_dialog import MetricsDialog
from gui.sources import SourceStatus
from gui.sources_panel import SourcesPanel
from livetools import live_threads
from widgets import child, menu_action


@pytest.fixture(autouse=True)
def _no_live_threads_left() -> Iterator[None]:
    yield
    assert live_threads() == []


def _counts(server: MetricsServer) -> dict[str, float]:
    with urllib.request.urlopen(server.url, timeout=10) as response:
        text = response.read().decode("utf-8")
    return {
        sample.labels["action"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == SUMMARY_NAME
        for sample in family.samples
        if sample.name == f"{SUMMARY_NAME}_count"
    }


def _row(window: MainWindow, row: int = 0) -> tuple[str, str]:
    table = child(window, QTableWidget, "sourcesTable")
    return table.item(row, 0).text(), table.item(row, 1).text()


def test_the_menu_opens_the_dialog_that_serves_the_live_session(window: MainWindow) -> None:
    window.show_session(USER_SESSION)
    window.tracker.add("mine", 1)  # My actions are not served
    window.sources.tracker.add("live", 5)
    window.sources.tracker.add("live", 7)
    menu_action(window, "Serve &Prometheus metrics…").trigger()
    dialog = child(window, MetricsDialog, "metricsDialog")
    assert dialog.address.text() == "127.0.0.1:9464"
    assert "network" not in dialog.note.text()
    dialog.address.setText("127.0.0.1:0")
    dialog.accept()
    (server,) = window.sources.sources
    assert isinstance(server, MetricsServer)
    assert window.sessions.currentIndex() == LIVE_SESSION
    assert _counts(server) == {"live": 2}
    assert window.sources.last_metrics() == "127.0.0.1:0"


def test_the_panel_shows_the_server_and_its_scrapes(window: MainWindow) -> None:
    panel = child(window, SourcesPanel, "sourcesPanel")
    server = window.serve_metrics("0")
    assert panel.isVisible()
    assert _row(window) == (f"metrics http://127.0.0.1:{server.address[1]}/metrics", "0 scrapes")
    table = child(window, QTableWidget, "sourcesTable")
    assert table.columnSpan(0, 1) == 5  # one cell across the line counts
    assert panel.findChild(QPushButton, "sourceErrorsButton") is None  # it rejects no lines
    _counts(server)
    window.sources.read_status()
    assert _row(window)[1] == "1 scrape"
    _counts(server)
    window.sources.read_status()
    assert _row(window)[1] == "2 scrapes"


def test_a_listener_and_the_server_share_the_panel(qtbot: QtBot, window: MainWindow) -> None:
    listener = window.listen("0")
    server = window.serve_metrics("0")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"sent:3|ms", listener.address)
    qtbot.waitUntil(lambda: _counts(server) == {"sent": 1}, timeout=5000)
    qtbot.waitUntil(lambda: _row(window, 1)[1] != "0 scrapes", timeout=5000)  # on its timer
    assert _row(window, 0)[0] == listener.description
    table = child(window, QTableWidget, "sourcesTable")
    assert table.columnSpan(0, 1) == 1
    assert table.item(0, 2).text() == "1"  # the listener's accepted lines


def test_stop_and_stop_all_end_the_server(window: MainWindow) -> None:
    server = window.serve_metrics("0")
    child(window, QPushButton, "stopSourceButton").click()
    assert window.sources.sources == ()
    assert live_threads() == []
    with pytest.raises(OSError):
        _counts(server)
    window.serve_metrics("0")
    window.listen("0")
    menu_action(window, "&Stop All Sources").trigger()
    assert window.sources.sources == ()
    assert live_threads() == []


def test_a_port_in_use_is_said_plainly(window: MainWindow) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUseError, match="already in use"):
            window.serve_metrics(f"127.0.0.1:{port}")
        dialog = window.choose_metrics()
        dialog.address.setText(str(port))
        dialog.accept()
    assert dialog.isVisible()  # said in the dialog (tests/test_ux3_metrics_dialog.py)
    assert f"port {port} on 127.0.0.1 is already in use" in dialog.note.text()
    assert window.findChild(QMessageBox, "sourceError") is None
    assert window.sources.sources == ()
    dialog.reject()


def test_a_bad_address_is_explained(window: MainWindow) -> None:
    with pytest.raises(ValueError, match="not an address to serve metrics on"):
        window.serve_metrics("localhost:http")
    assert window.sources.sources == ()


def test_an_address_open_to_the_network_is_said(window: MainWindow) -> None:
    dialog = window.choose_metrics()
    dialog.address.setText("0.0.0.0:9464")
    assert "open to the network" in dialog.note.text()
    dialog.reject()

    # As the panel sees a server bound to all interfaces (tests bind only loopback
    # addresses, so this one is never started), beside a listener on loopback.
    exposed = MetricsServer(window.sources.tracker, host="0.0.0.0", port=9464)
    panel = child(window, SourcesPanel, "sourcesPanel")
    status = SourceStatus(exposed, exposed.description, SourceCounts(), 0.0, True, 0)
    panel._on_status_changed((status,))
    assert panel.network_label.isVisibleTo(panel)
    assert panel.network_label.text() == (
        "⚠ metrics http://0.0.0.0:9464/metrics is open to the network: any machine that "
        "can reach this one can read the Live session's figures from it."
    )


def test_close_stops_the_server_and_does_not_restart_it(
    make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    session = tmp_path / "session.atsession"
    first = make_window(session_path=session)
    first.serve_metrics("0")
    first.close()
    first.shutdown()
    assert live_threads() == []

    second = make_window(session_path=session)
    assert second.sources.sources == ()  # not restarted: the user did not ask
    assert second.sources.last_metrics() == "0"  # offered again by the dialog
    dialog = second.choose_metrics()
    assert dialog.address.text() == "0"
    dialog.reject()


def test_the_server_starts_again_when_the_user_asked(
    qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    session = tmp_path / "session.atsession"
    first = make_window(session_path=session)
    port = first.serve_metrics("0").address[1]
    first.sources_panel.restart_check.setChecked(True)
    first.sources.tracker.add("kept", 9)
    first.shutdown()

    second = make_window(session_path=session)
    qtbot.waitUntil(lambda: len(second.sources.sources) == 1, timeout=5000)
    (server,) = second.sources.sources
    assert isinstance(server, MetricsServer)
    assert server.address == ("127.0.0.1", port)  # the same port, for the scraper
    assert _counts(server) == {"kept": 1}  # the restored Live session
