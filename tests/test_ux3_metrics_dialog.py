"""The Serve Prometheus metrics dialog: an address that cannot be served is said in the
dialog, which stays open with it; the summary's percentile window is chosen there,
served, remembered for the next time and for a restart."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QMessageBox
from pytestqt.qtbot import QtBot

from core.metrics import DEFAULT_QUANTILE_WINDOW, MetricsServer
from gui import MainWindow
from gui.metrics_dialog import MetricsDialog
from livetools import live_threads
from widgets import child, menu_action


@pytest.fixture(autouse=True)
def _no_live_threads_left() -> Iterator[None]:
    yield
    assert live_threads() == []


def _open_dialog(window: MainWindow) -> MetricsDialog:
    menu_action(window, "Serve &Prometheus metrics…").trigger()
    return child(window, MetricsDialog, "metricsDialog")


def _window_texts(dialog: MetricsDialog) -> list[str]:
    combo = child(dialog, QComboBox, "metricsQuantileWindow")
    return [combo.itemText(index) for index in range(combo.count())]


def test_a_port_in_use_keeps_the_dialog_open_saying_why(window: MainWindow) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        dialog = _open_dialog(window)
        dialog.address.setText(f"127.0.0.1:{port}")
        dialog.accept()
    assert dialog.isVisible()
    assert dialog.result() != MetricsDialog.DialogCode.Accepted
    assert f"port {port} on 127.0.0.1 is already in use" in dialog.note.text()
    assert dialog.note.property("state") == "error"
    assert dialog.address.text() == f"127.0.0.1:{port}"  # kept, selected to retype
    assert dialog.address.selectedText() == f"127.0.0.1:{port}"
    assert window.findChild(QMessageBox, "sourceError") is None
    assert window.sources.sources == ()

    # Corrected, it serves and closes; the note no longer reads as an error on typing.
    dialog.address.setText("127.0.0.1:0")
    assert dialog.note.property("state") == ""
    dialog.accept()
    assert not dialog.isVisible()
    (server,) = window.sources.sources
    assert isinstance(server, MetricsServer)


def test_a_bad_host_keeps_the_dialog_open_saying_why(window: MainWindow) -> None:
    dialog = _open_dialog(window)
    dialog.address.setText("localhost:http")
    dialog.accept()
    assert dialog.isVisible()
    assert "not an address to serve metrics on" in dialog.note.text()
    assert window.sources.sources == ()
    dialog.reject()


def test_the_window_reads_as_the_window_selector(window: MainWindow) -> None:
    dialog = _open_dialog(window)
    assert _window_texts(dialog) == ["Last 10 s", "Last minute", "Last 5 minutes", "All time"]
    assert DEFAULT_QUANTILE_WINDOW == 300
    assert dialog.window_choice.currentText() == "Last 5 minutes"
    assert dialog.quantile_window == 300
    dialog.reject()


@pytest.mark.parametrize(("text", "seconds"), [("Last 10 s", 10), ("All time", None)])
def test_the_chosen_window_is_served(window: MainWindow, text: str, seconds: int | None) -> None:
    dialog = _open_dialog(window)
    dialog.address.setText("127.0.0.1:0")
    dialog.window_choice.setCurrentText(text)
    dialog.accept()
    (server,) = window.sources.sources
    assert isinstance(server, MetricsServer)
    assert server.quantile_window == seconds
    assert window.sources.last_metrics_window() == seconds


def test_the_window_is_offered_again_and_restarted_with_the_server(
    qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    session = tmp_path / "session.atsession"
    first = make_window(session_path=session)
    dialog = _open_dialog(first)
    dialog.address.setText("127.0.0.1:0")
    dialog.window_choice.setCurrentText("Last minute")
    dialog.accept()
    first.sources_panel.restart_check.setChecked(True)
    first.shutdown()

    second = make_window(session_path=session)
    qtbot.waitUntil(lambda: len(second.sources.sources) == 1, timeout=5000)
    (server,) = second.sources.sources
    assert isinstance(server, MetricsServer)
    assert server.quantile_window == 60
    again = _open_dialog(second)
    assert again.window_choice.currentText() == "Last minute"
    again.reject()


def test_a_window_not_offered_shows_the_default(window: MainWindow) -> None:
    dialog = MetricsDialog(window, "0", quantile_window=42)
    assert dialog.quantile_window == DEFAULT_QUANTILE_WINDOW
    dialog.close()


def test_the_window_call_takes_a_window_and_refuses_a_bad_one(window: MainWindow) -> None:
    assert window.serve_metrics("0", None).quantile_window is None
    with pytest.raises(ValueError):
        window.serve_metrics("0", 0)
    assert len(window.sources.sources) == 1


def test_the_dialog_is_as_tall_as_its_text_and_grows_for_a_reason(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = _open_dialog(window)
    qtbot.waitExposed(dialog)
    form = dialog.layout()
    assert dialog.height() == form.totalHeightForWidth(dialog.width())  # no blank below
    dialog.address.setText("localhost:http")
    dialog.accept()
    qtbot.waitUntil(lambda: dialog.note.height() >= dialog.note.heightForWidth(dialog.note.width()))
    assert dialog.height() >= form.totalHeightForWidth(dialog.width())
    dialog.reject()
