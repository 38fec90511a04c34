"""The installed app's command line: --version and --help without a display or Qt, the
missing system library message, and quitting on SIGTERM/SIGINT with the session saved.

The wheel itself, installed outside the checkout, is started by .ci/smoke.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import gui.launch
from gui.launch import QT_LIBRARIES, XCB_LIBRARIES
from gui.resources import resource

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT / "resources" / "sample-actions.ndjson"
DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")
STARTUP_SECONDS = 60  # bounds, not expectations: the shared CI machine can be slow
linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the library check is for Linux"
)


def _environment(**overrides: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in DISPLAY_VARIABLES}
    env.update(overrides)
    return env


def _run_launcher(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``code`` after importing gui.launch in a fresh interpreter; it prints whether Qt
    was loaded on the last line of stdout."""
    script = (
        "import sys, gui.launch\n"
        f"{code}\n"
        "try:\n"
        "    status = gui.launch.main(['action-tracker', *sys.argv[1:]])\n"
        "except SystemExit as stop:\n"
        "    status = stop.code\n"
        "print('Qt loaded:', 'PySide6' in sys.modules)\n"
        "sys.exit(status)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, *env.pop("_ARGS", "").split()],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=STARTUP_SECONDS,
        check=False,
    )


@pytest.mark.parametrize("option", ["--version", "--help"])
def test_version_and_help_need_no_display_and_load_no_qt(option: str) -> None:
    result = _run_launcher("", _environment(_ARGS=option))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    output, qt_loaded = result.stdout.rstrip("\n").rsplit("\n", 1)
    assert qt_loaded == "Qt loaded: False"
    if option == "--version":
        assert output.startswith("action-tracker ")
        assert output.split()[1][0].isdigit()  # the installed version, not "(version unknown)"
    else:
        assert output.startswith("usage: action-tracker")
        assert "--version" in output
        assert "FILE" in output


@linux_only
def test_missing_libraries_are_named_before_qt_loads_and_exit_2() -> None:
    """As on a fresh Debian desktop: X11 is there, three of the xcb plugin's libraries
    are not (simulated: the loader is told they are missing)."""
    absent = ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    result = _run_launcher(
        f"gui.launch.can_load = lambda soname: soname not in {absent!r}",
        _environment(DISPLAY=":99", XDG_SESSION_TYPE="x11"),
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip() == "Qt loaded: False"
    for soname in absent:
        assert f"  {soname}\n" in result.stderr
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1\n" in result.stderr
    assert result.stderr.rstrip().endswith(
        "sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms"
    )


def test_the_message_lists_each_package_once() -> None:
    missing = [library for library in XCB_LIBRARIES if library.fedora == "libxcb"]
    message = gui.launch.missing_libraries_message(missing)
    fedora_line = message.splitlines()[-1]
    assert fedora_line.split() == ["Fedora:", "sudo", "dnf", "install", "libxcb"]
    apt_line = message.splitlines()[-2]
    assert apt_line.split()[5:] == [library.debian for library in missing]


@linux_only
@pytest.mark.parametrize(
    ("environ", "xcb"),
    [
        ({"DISPLAY": ":0"}, True),
        ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11", "WAYLAND_DISPLAY": "wayland-0"}, True),
        ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, False),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, False),
        ({"QT_QPA_PLATFORM": "xcb"}, True),
        ({"QT_QPA_PLATFORM": "xcb:display=:1;offscreen"}, True),
        ({}, False),
    ],
)
def test_the_xcb_libraries_are_checked_when_qt_will_use_xcb(
    environ: dict[str, str], xcb: bool
) -> None:
    asked: list[str] = []

    def loadable(soname: str) -> bool:
        asked.append(soname)
        return soname != "libxcb-icccm.so.4"

    missing = gui.launch.missing_libraries(environ, loadable)
    expected = QT_LIBRARIES + (XCB_LIBRARIES if xcb else ())
    assert asked == [library.soname for library in expected]
    assert [library.soname for library in missing] == (["libxcb-icccm.so.4"] if xcb else [])


def test_nothing_is_checked_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    assert gui.launch.missing_libraries({"DISPLAY": ":0"}, lambda _soname: False) == []


@linux_only
def test_can_load_tells_a_present_library_from_an_absent_one() -> None:
    assert gui.launch.can_load("libc.so.6")
    assert not gui.launch.can_load("libaction-tracker-absent.so.0")


def _needed(binary: Path) -> set[str]:
    readelf = shutil.which("readelf")
    assert readelf is not None
    listing = subprocess.run(
        [readelf, "-d", str(binary)], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return {
        line.split("[", 1)[1].rstrip("]") for line in listing.splitlines() if "(NEEDED)" in line
    }


@linux_only
@pytest.mark.skipif(shutil.which("readelf") is None, reason="needs readelf (binutils)")
def test_the_tables_cover_every_system_library_of_the_xcb_plugin() -> None:
    """If a PySide6 upgrade makes the xcb plugin need a new library, this fails and the
    table gets the library's packages."""
    import PySide6

    qt = Path(PySide6.__file__).parent / "Qt"
    binaries = [
        qt / "plugins" / "platforms" / "libqxcb.so",
        qt / "lib" / "libQt6XcbQpa.so.6",
        qt / "lib" / "libQt6Gui.so.6",
        qt / "lib" / "libQt6Widgets.so.6",
        qt / "lib" / "libQt6DBus.so.6",
    ]
    bundled = {path.name for path in (qt / "lib").iterdir()}
    always_there = {  # glibc, the C++ runtime, and what apt and dnf themselves need
        "libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libpthread.so.0",
        "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
        "libz.so.1", "libzstd.so.1",
    }  # fmt: skip
    needed = set().union(*(_needed(binary) for binary in binaries)) - bundled - always_there
    listed = {library.soname for library in QT_LIBRARIES + XCB_LIBRARIES}
    assert needed - listed == set()


def test_every_resource_the_wheel_carries_is_found() -> None:
    for name in ("icon.svg", "style.qss", "sample-actions.json", "sample-actions.ndjson"):
        assert resource(name).is_file()
    with pytest.raises(FileNotFoundError, match=r"no-such-file\.qss is missing"):
        resource("no-such-file.qss")


def _wait_for(condition: str, check: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not check():
        assert process.poll() is None, f"exited early ({process.returncode}) {condition}"
        assert time.monotonic() < deadline, f"timed out {condition}"
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.1)  # a pause that ends at once if the app exits


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _start(tmp_path: Path, *files: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gui", *map(str, files)],
        env=_environment(QT_QPA_PLATFORM="offscreen"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str], number: signal.Signals) -> tuple[int, str]:
    process.send_signal(number)
    try:
        _out, err = process.communicate(timeout=STARTUP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return process.returncode, err


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_saves_the_session_and_exits_0_and_a_restart_keeps_it(
    tmp_path: Path, number: signal.Signals
) -> None:
    from core import ActionTracker
    from gui.app import log_file, session_file

    session, log = session_file(), log_file()  # in this test's XDG folders (conftest)
    process = _start(tmp_path, SAMPLE)
    _wait_for("loading the sample", lambda: "8 accepted" in _text(log), process)
    status, err = _stop(process, number)
    assert status == 0, err
    assert "Traceback" not in err
    assert f"quitting on signal {number.name}" in log.read_text()
    saved = ActionTracker.open(session).get_stats()
    assert '"action":"jump"' in saved

    process = _start(tmp_path)
    _wait_for("restarting", lambda: _text(log).count("running, session") == 2, process)
    status, err = _stop(process, signal.SIGTERM)
    assert status == 0, err
    assert ActionTracker.open(session).get_stats() == saved
