"""Starting the application: a clear message and exit status 2 when there is no display."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QThread, QTimer, Slot
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

import gui.app
import gui.main_window
from core import ActionTracker
from gui import MainWindow
from gui.workers import running_threads

DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DISPLAY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")


@pytest.mark.usefixtures("no_display")
def test_display_problem_explains_a_missing_display() -> None:
    problem = gui.app.display_problem()
    assert problem is not None
    assert "no display" in problem
    assert "DISPLAY" in problem
    assert "WAYLAND_DISPLAY" in problem
    assert "QT_QPA_PLATFORM=offscreen" in problem


@pytest.mark.usefixtures("no_display")
@pytest.mark.parametrize(
    ("name", "value"),
    [("QT_QPA_PLATFORM", "offscreen"), ("DISPLAY", ":0"), ("WAYLAND_DISPLAY", "wayland-0")],
)
def test_display_problem_is_none_when_a_display_is_set(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert gui.app.display_problem() is None


def test_display_problem_is_none_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DISPLAY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    assert gui.app.display_problem() is None


@pytest.mark.usefixtures("no_display")
def test_main_returns_2_without_creating_an_application(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_application(*_args: object) -> None:
        raise AssertionError("main() went on to create the application")

    monkeypatch.setattr(gui.app, "QApplication", no_application)
    assert gui.app.main(["action-tracker"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == gui.app.display_problem()
    assert captured.out == ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux")
def test_python_m_gui_without_display_exits_2_with_the_message() -> None:
    env = {name: value for name, value in os.environ.items() if name not in DISPLAY_VARIABLES}
    result = subprocess.run(
        [sys.executable, "-m", "gui"],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "no display found" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.fixture
def reporter(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[gui.app.ErrorReporter]:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    installed = gui.app.ErrorReporter(tmp_path / "action-tracker.log")
    installed.install()
    yield installed
    for box in list(installed.boxes):
        box.close()


class _Faulty(QObject):
    @Slot()
    def fail(self) -> None:
        raise LookupError("no such action")


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_slot_is_shown_and_logged(
    qtbot: QtBot, reporter: gui.app.ErrorReporter, caplog: pytest.LogCaptureFixture
) -> None:
    faulty = _Faulty()
    QTimer.singleShot(0, faulty.fail)
    qtbot.waitUntil(lambda: len(reporter.boxes) == 1, timeout=2000)
    box = reporter.boxes[0]
    assert box.text().startswith("LookupError: no such action")
    assert str(reporter.log_path) in box.text()
    assert "raise LookupError" in box.detailedText()
    assert "unexpected error" in caplog.text


@pytest.mark.qt_no_exception_capture
@pytest.mark.parametrize("where", ["qthread", "python thread"])
def test_an_error_on_another_thread_is_shown_on_the_gui_thread(
    qtbot: QtBot, reporter: gui.app.ErrorReporter, where: str
) -> None:
    if where == "qthread":
        faulty = _Faulty()
        thread = QThread()
        faulty.moveToThread(thread)
        thread.started.connect(faulty.fail)
        thread.start()
        qtbot.waitUntil(lambda: len(reporter.boxes) == 1, timeout=2000)
        thread.quit()
        assert thread.wait(2000)
    else:
        failing = threading.Thread(target=_Faulty().fail)
        failing.start()
        failing.join()
        qtbot.waitUntil(lambda: len(reporter.boxes) == 1, timeout=2000)
    box = reporter.boxes[0]
    assert box.thread() is QApplication.instance().thread()
    assert box.text().startswith("LookupError: no such action")
    box.close()
    qtbot.waitUntil(lambda: not reporter.boxes, timeout=2000)


def test_an_error_before_the_event_loop_is_printed_and_waits_to_be_read(
    qtbot: QtBot,
    reporter: gui.app.ErrorReporter,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown: list[QMessageBox] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box) or 0)
    try:
        raise PermissionError("data folder is read-only")
    except PermissionError as error:
        reporter.report_fatal(error)
    assert "PermissionError: data folder is read-only" in capsys.readouterr().err
    assert [box.windowTitle() for box in shown] == ["Action Tracker could not start"]
    assert shown[0].text().startswith("PermissionError: data folder is read-only")
    assert "raise PermissionError" in shown[0].detailedText()


@pytest.mark.qt_no_exception_capture
def test_sys_exit_in_a_thread_ends_it_quietly(
    qtbot: QtBot, reporter: gui.app.ErrorReporter
) -> None:
    for target in (partial(sys.exit, 0), _Faulty().fail):
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    # Reports reach the GUI thread in order: the first box shown is the error's.
    qtbot.waitUntil(lambda: bool(reporter.boxes), timeout=2000)
    assert [box.text().split(":")[0] for box in reporter.boxes] == ["LookupError"]


@pytest.mark.parametrize("failing", ["restore_layout", "build_menus"])
def test_a_window_that_fails_to_build_leaves_no_thread_running(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """Otherwise Qt aborts the process when the running QThread is destroyed, after the
    user has read the 'could not start' dialog."""

    def fail(*_args: object) -> None:
        raise RuntimeError("settings unreadable")

    monkeypatch.setattr(gui.main_window, failing, fail)
    with pytest.raises(RuntimeError, match="settings unreadable"):
        MainWindow(ActionTracker())
    assert running_threads() == []
