"""``action-tracker``: start the window, with a clear message when there is no display.

Unexpected exceptions are logged to the user's log folder and shown in a dialog; they
never end the program with a bare traceback.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Sequence
from functools import partial
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

import platformdirs
from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal, Slot
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


class ErrorReporter(QObject):
    """Logs unexpected exceptions and shows each in a dialog on the GUI thread, from
    whichever thread raised it: a widget built on another thread would crash Qt.

    Signals
    -------
    reported(str, str)
        The message and the traceback; queued to the GUI thread when emitted elsewhere.
    """

    reported = Signal(str, str)

    def __init__(self, log_path: Path) -> None:
        super().__init__()
        self.log_path = log_path
        self.boxes: list[QMessageBox] = []  # open dialogs, kept alive until closed
        self.reported.connect(self._show)

    def install(self) -> None:
        """Take over ``sys.excepthook`` (PySide calls it for errors in slots too) and
        ``threading.excepthook``."""
        sys.excepthook = self.report
        threading.excepthook = self._report_thread

    def report(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        log.error("unexpected error", exc_info=(kind, error, tb))
        self.reported.emit(*self._texts(error))

    def _report_thread(self, args: threading.ExceptHookArgs) -> None:
        # sys.exit() in a thread ends that thread quietly, as Python's own hook has it.
        if args.exc_value is not None and args.exc_type is not SystemExit:
            self.report(args.exc_type, args.exc_value, args.exc_traceback)

    def report_fatal(self, error: BaseException) -> None:
        """Report an error that stops the app from starting: logged, printed, and shown
        in a dialog that waits to be read (no event loop runs yet, and the process ends
        when it closes)."""
        log.error("could not start", exc_info=error)
        traceback.print_exception(error)
        self._box("Action Tracker could not start", *self._texts(error)).exec()

    def _texts(self, error: BaseException) -> tuple[str, str]:
        """A dialog's text and details for ``error``: its message, and its traceback."""
        return (
            f"{type(error).__name__}: {error}\n\nThe details were written to {self.log_path}.",
            "".join(traceback.format_exception(type(error), error, error.__traceback__)),
        )

    @Slot(str, str)
    def _show(self, text: str, details: str) -> None:
        box = self._box("Unexpected error", text, details)
        box.finished.connect(lambda _result: self.boxes.remove(box))
        self.boxes.append(box)
        box.open()

    def _box(self, title: str, text: str, details: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Critical, title, text)
        box.setObjectName("unexpectedError")
        box.setDetailedText(details)
        return box


QUIT_SIGNALS = (signal.SIGTERM, signal.SIGINT)
"""A logout and Ctrl+C: the window closes and saves the session, as when closed by hand."""


class QuitOnSignals(QObject):
    """Closes ``window`` (which saves the session) and quits the app on SIGTERM or SIGINT.

    Python runs a signal handler only when the main thread next runs Python code, and Qt's
    event loop, waiting in C++, may not for a long time. ``signal.set_wakeup_fd`` makes the
    signal also write a byte to a socket that a QSocketNotifier watches: the loop wakes at
    once and the slot quits. ``uninstall()`` puts back the previous handlers.
    """

    def __init__(self) -> None:
        super().__init__()
        self.window: MainWindow | None = None  # set once built; a signal before that just quits
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)  # the wakeup fd must never block the handler
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_wakeup)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous_handlers = {
            number: signal.signal(number, self._on_signal) for number in QUIT_SIGNALS
        }

    def _on_signal(self, number: int, _frame: object) -> None:
        """Python's handler: the quitting happens in _on_wakeup, in the event loop."""

    @Slot()
    def _on_wakeup(self) -> None:
        try:
            received = self._reader.recv(64)
        except BlockingIOError:
            return
        numbers = set(received) & {int(number) for number in QUIT_SIGNALS}
        if not numbers:
            return
        log.info("quitting on signal %s", ", ".join(signal.Signals(n).name for n in numbers))
        if self.window is not None:
            self.window.close()
            self.window.shutdown()  # saves even if the window refused to close; else a no-op
        QApplication.quit()  # also ends dialogs' event loops

    def uninstall(self) -> None:
        self._notifier.setEnabled(False)
        for number, handler in self._previous_handlers.items():
            signal.signal(number, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()


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
    reporter = ErrorReporter(log_path)
    reporter.install()
    quitter = QuitOnSignals()
    session = session_file()
    try:
        window = MainWindow(session_path=session)
    except Exception as error:  # before the event loop: a dialog opened later never shows
        quitter.uninstall()
        reporter.report_fatal(error)
        return 1
    quitter.window = window
    # Logged once the event loop runs: the smoke tests (.ci/smoke) wait for this line.
    QTimer.singleShot(0, partial(log.info, "running, session %s", session))
    # What exists now (Qt wrappers, pyqtgraph, the restored session) lives as long as the
    # app; frozen, it is not rescanned by every full collection. With 10,000 actions a
    # full collection took 50-130 ms on the GUI thread, and 0 ms after the freeze.
    gc.freeze()
    window.show()
    for path in args[1:]:  # after show(): their messages open over the window
        window.open_file(path)
    status = app.exec()
    quitter.uninstall()
    return status
