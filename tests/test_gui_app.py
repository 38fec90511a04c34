"""Starting the application: a clear message and exit status 2 when there is no display."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import gui.app

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
