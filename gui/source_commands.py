"""The window's commands for live sources: Listen, Follow File, Serve Prometheus
Metrics, Stop All, and starting the remembered sources again when the application's
window opens.

``LiveSources`` does the work; this module asks the user (the Listen dialog, a file
dialog) and words what could not start, over the window.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QFileDialog, QHeaderView, QTreeView, QWidget

from core import Follower, Listener
from core.metrics import DEFAULT_QUANTILE_WINDOW, MetricsServer
from gui.messages import warn
from gui.metrics_dialog import MetricsDialog
from gui.recent_files import RecentFiles
from gui.sources import LiveSources
from gui.sources_panel import ListenDialog

FOLLOW_FILTER = "All files (*);;Logs and JSON lines (*.log *.ndjson *.jsonl *.txt)"
FOLLOW_DIALOG_CHARACTERS = (120, 30)
"""The Follow File dialog's size: average characters across, lines down."""


def follow_file_dialog(parent: QWidget, folder: str) -> QFileDialog:
    """Asks for a file to follow, which may not exist yet: a follower picks it up when
    it appears, as ``tail -F`` does, so the dialog takes any name (an open dialog
    would refuse it as "File not found"). Qt's own dialog, since a platform's native
    open dialog takes only existing files."""
    dialog = QFileDialog(parent, "Follow file", folder, FOLLOW_FILTER)
    dialog.setObjectName("followFileDialog")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setLabelText(QFileDialog.DialogLabel.Accept, "Follow")
    dialog.resize(follow_dialog_size(dialog))
    details = dialog.findChild(QTreeView, "treeView")  # Qt's detail view of the files
    if details is not None:
        # The size, type and date as wide as they read; the name takes the rest.
        header = details.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, header.count()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    return dialog


def follow_dialog_size(dialog: QWidget) -> QSize:
    """Room for a long name beside its size, type and whole date (Qt's default size cut
    the date column), in characters of the dialog's font so it scales with it; within
    the screen."""
    metrics = dialog.fontMetrics()
    size = QSize(
        metrics.averageCharWidth() * FOLLOW_DIALOG_CHARACTERS[0],
        metrics.lineSpacing() * FOLLOW_DIALOG_CHARACTERS[1],
    )
    screen = dialog.screen()
    if screen is not None:
        size = size.boundedTo(screen.availableGeometry().size() * 0.9)
    return size


class SourceCommands:
    """Starts and stops ``sources`` at the user's request; ``show_live`` shows the Live
    session once a source started."""

    def __init__(
        self,
        window: QWidget,
        sources: LiveSources,
        recent: RecentFiles,
        show_live: Callable[[], None],
    ) -> None:
        self._window = window
        self._sources = sources
        self._recent = recent
        self._show_live = show_live
        self._closed = False

    def listen(self, address: str, protocol: str = "udp") -> Listener:
        """See ``MainWindow.listen``."""
        listener = self._sources.listen(address, protocol)
        self._show_live()
        return listener

    def follow(self, path: str | Path, from_start: bool = True) -> Follower:
        """See ``MainWindow.follow``."""
        follower = self._sources.follow(path, from_start)
        self._show_live()
        return follower

    def serve_metrics(
        self, address: str, quantile_window: int | None = DEFAULT_QUANTILE_WINDOW
    ) -> MetricsServer:
        """See ``MainWindow.serve_metrics``."""
        server = self._sources.serve_metrics(address, quantile_window)
        self._show_live()
        return server

    def choose_listen(self) -> ListenDialog:
        """Open the Listen dialog (window-modal); listens on what the user chooses."""
        dialog = ListenDialog(self._window, *self._sources.last_listen())
        dialog.chosen.connect(partial(self._on_listen_chosen, dialog))
        dialog.open()
        return dialog

    def choose_metrics(self) -> MetricsDialog:
        """Open the metrics dialog (window-modal); serves where the user chooses."""
        dialog = MetricsDialog(
            self._window, self._sources.last_metrics(), self._sources.last_metrics_window()
        )
        dialog.chosen.connect(partial(self._on_metrics_chosen, dialog))
        dialog.open()
        return dialog

    def choose_follow(self) -> None:
        """Ask for a file to follow, and follow it."""
        dialog = follow_file_dialog(self._window, self._recent.last_folder())
        if dialog.exec() and dialog.selectedFiles():
            path = dialog.selectedFiles()[0]
            self._start("Cannot follow the file", lambda: self.follow(path))

    def restart_remembered(self) -> None:
        """Start the sources the user asked to have started again, saying which could not
        (nothing once ``close`` was called: the window shut down before this ran)."""
        if self._closed:
            return
        problems = self._sources.restart_remembered()
        if problems:
            warn(
                self._window,
                "Live sources not restarted",
                "These sources could not start again:\n\n" + "\n".join(problems),
                "sourceError",
            )

    def close(self) -> None:
        """Stop every source as the window closes (see ``LiveSources.shutdown``)."""
        self._closed = True
        self._sources.shutdown()

    def _on_listen_chosen(self, dialog: ListenDialog, address: str, protocol: str) -> None:
        # Said in the dialog, which stays open with the address to correct: a message
        # box would close it, and the user would open it again to retype.
        try:
            self.listen(address, protocol)
        except (OSError, ValueError) as error:
            dialog.refuse(str(error))

    def _on_metrics_chosen(self, dialog: MetricsDialog, address: str) -> None:
        # Said in the dialog, as the Listen dialog does (see _on_listen_chosen).
        try:
            self.serve_metrics(address, dialog.quantile_window)
        except (OSError, ValueError) as error:
            dialog.refuse(str(error))

    def _start(self, title: str, start: Callable[[], object]) -> None:
        try:
            start()
        except (OSError, ValueError) as error:
            warn(self._window, title, str(error), "sourceError")
