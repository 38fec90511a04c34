"""``action-tracker``'s command line: ``--help`` and ``--version``, a check for the system
libraries Qt needs, then the window (gui.app).

Nothing here imports Qt. A missing system library makes ``import PySide6.QtGui`` itself
fail with a traceback, and Qt's own message for its xcb platform names only one of the
libraries it lacks (and the same one again once that is installed), so the check runs
first and names every missing library with the command that installs it.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from gui.resources import app_version


@dataclass(frozen=True)
class SystemLibrary:
    """A shared library Qt loads from the system, and the packages that install it."""

    soname: str
    debian: str
    """The Debian and Ubuntu package."""
    fedora: str
    """The Fedora package."""


QT_LIBRARIES = (
    SystemLibrary("libGL.so.1", "libgl1", "libglvnd-glx"),
    SystemLibrary("libEGL.so.1", "libegl1", "libglvnd-egl"),
    SystemLibrary("libX11.so.6", "libx11-6", "libX11"),
    SystemLibrary("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    SystemLibrary("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    SystemLibrary("libfreetype.so.6", "libfreetype6", "freetype"),
    SystemLibrary("libglib-2.0.so.0", "libglib2.0-0", "glib2"),
    SystemLibrary("libgthread-2.0.so.0", "libglib2.0-0", "glib2"),
    SystemLibrary("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
)
"""What PySide6's Qt libraries need on Linux whatever the platform (offscreen included):
the dependencies of libQt6Core, Gui, Widgets and DBus that PySide6 does not bundle."""

XCB_LIBRARIES = (
    SystemLibrary("libxcb.so.1", "libxcb1", "libxcb"),
    SystemLibrary("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    SystemLibrary("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    SystemLibrary("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    SystemLibrary("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    SystemLibrary("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    SystemLibrary("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    SystemLibrary("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    SystemLibrary("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    SystemLibrary("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    SystemLibrary("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    SystemLibrary("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    SystemLibrary("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    SystemLibrary("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    SystemLibrary("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    SystemLibrary("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
)
"""What Qt's xcb platform plugin (libqxcb.so and libQt6XcbQpa) needs on top, found with
``readelf -d`` on PySide6's plugin; Qt names only the first missing one."""


def can_load(soname: str) -> bool:
    """Whether the dynamic loader finds ``soname`` (and what it needs) as Qt would."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def uses_xcb(environ: Mapping[str, str]) -> bool:
    """Whether Qt will start its xcb (X11) platform, as Qt chooses it on Linux: the first
    of QT_QPA_PLATFORM's choices, else Wayland in a Wayland session, else X11 when
    DISPLAY is set."""
    requested = environ.get("QT_QPA_PLATFORM", "")
    if requested:
        return requested.split(";")[0].split(":")[0] == "xcb"
    if environ.get("XDG_SESSION_TYPE") == "wayland" and environ.get("WAYLAND_DISPLAY"):
        return False
    return bool(environ.get("DISPLAY"))


def needed_libraries(environ: Mapping[str, str]) -> tuple[SystemLibrary, ...]:
    """The system libraries Qt will load here; none off Linux, where Qt brings its own."""
    if not sys.platform.startswith("linux"):
        return ()
    return QT_LIBRARIES + (XCB_LIBRARIES if uses_xcb(environ) else ())


def missing_libraries(
    environ: Mapping[str, str] | None = None, loadable: Callable[[str], bool] | None = None
) -> list[SystemLibrary]:
    """The needed system libraries that ``loadable`` (by default can_load) cannot find."""
    needed = needed_libraries(os.environ if environ is None else environ)
    found = can_load if loadable is None else loadable
    return [library for library in needed if not found(library.soname)]


def missing_libraries_message(missing: Iterable[SystemLibrary]) -> str:
    """Which libraries are missing and the commands that install them."""
    missing = list(missing)
    debian = " ".join(dict.fromkeys(library.debian for library in missing))
    fedora = " ".join(dict.fromkeys(library.fedora for library in missing))
    return (
        "action-tracker: Qt cannot open a window: these system libraries are missing:\n"
        + "".join(f"  {library.soname}\n" for library in missing)
        + "Install them, then start action-tracker again:\n"
        f"  Debian, Ubuntu:  sudo apt-get install {debian}\n"
        f"  Fedora:          sudo dnf install {fedora}"
    )


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="action-tracker",
        description="Record how long named actions take and watch their statistics live.",
        epilog=(
            "Your entries are kept between runs in your data folder and saved on exit "
            "(closing the window, SIGTERM or Ctrl+C). Without a display, set "
            "QT_QPA_PLATFORM=offscreen or use xvfb-run."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {app_version()}")
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="JSON or newline-delimited JSON files to load"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``action-tracker``; ``argv`` starts with the program's name, as sys.argv does.

    Returns the exit status: 2 when no window can be opened here (the reason on stderr).
    """
    args = list(sys.argv if argv is None else argv)
    options = argument_parser().parse_args(args[1:])
    missing = missing_libraries()
    if missing:
        print(missing_libraries_message(missing), file=sys.stderr)
        return 2
    # Qt is loaded from here on, once its libraries are known to be there.
    from gui.app import main as open_window  # noqa: PLC0415

    return open_window([args[0], *options.files])
