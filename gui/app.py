"""``action-tracker``: start the window, with a clear message when there is no display.

Unexpected exceptions are logged to the user's log folder and shown in a dialog; they
never end the program with a bare traceback.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Sequence
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

import platformdirs
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.main_window import MainWindow
from gui.resources import app_icon, style_sheet

APP_NAME = "Action Tracker"
ORGANIZATION = "ActionTracker"
log = logging.getLogger("gui")


def display_problem() -> str | None:
    """Why no window can be shown here, or None when one can."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return None
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return (
            "action-tracker: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
            "Run it from a desktop session, over ssh -X, or under xvfb-run; "
            "QT_QPA_PLATFORM=offscreen runs it without showing anything."
        )
    return None


def log_file() -> Path:
    folder = Path(platformdirs.user_log_dir("action-tracker", ORGANIZATION))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "action-tracker.log"


def session_file() -> Path:
    """Where the user's session is kept between runs."""
    return Path(platformdirs.user_data_dir("action-tracker", ORGANIZATION)) / "session.atsession"


def setup_logging() -> Path:
    path = log_file()
    handler = RotatingFileHandler(path, maxBytes=1 << 20, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    return path


def install_excepthook(log_path: Path) -> None:
    """Show unexpected exceptions (in slots too: PySide calls sys.excepthook) in a dialog."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error", exc_info=(kind, error, tb))
        if QApplication.instance() is None:
            traceback.print_exception(kind, error, tb)
            return
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Unexpected error",
            f"{kind.__name__}: {error}\n\nThe details were written to {log_path}.",
        )
        box.setDetailedText("".join(traceback.format_exception(kind, error, tb)))
        box.exec()

    sys.excepthook = hook


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv if argv is None else argv)
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    log_path = setup_logging()
    QApplication.setOrganizationName(ORGANIZATION)
    QApplication.setApplicationName(APP_NAME)
    app = QApplication(args)
    app.setWindowIcon(app_icon())
    app.setStyleSheet(style_sheet())
    install_excepthook(log_path)
    window = MainWindow(session_path=session_file())
    for path in args[1:]:
        window.open_file(path)
    window.show()
    return app.exec()
