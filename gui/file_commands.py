"""The window's ways to start loading files: *Open…*, *Open Recent* and files dropped on
the window. ``FileLoads`` loads them; ``LoadFeedback`` shows how each load went."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QWidget

from gui.file_loads import FileLoads
from gui.recent_files import RecentFiles

ACTIONS_FILTER = "JSON actions (*.json *.ndjson *.jsonl);;All files (*)"


def accept_local_files(event: QDropEvent) -> list[str]:
    """The local files a drag or drop carries; the event is accepted when there are any
    (a drag entering the window is a ``QDropEvent`` too)."""
    paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
    if paths:
        event.acceptProposedAction()
    return paths


class FileCommands:
    """Opens files into ``loads`` (queued behind any load in progress), remembering each
    in ``recent``; dialogs open over ``window``."""

    def __init__(self, window: QWidget, loads: FileLoads, recent: RecentFiles) -> None:
        self._window = window
        self._loads = loads
        self._recent = recent

    def open(self, path: str | Path) -> None:
        self._recent.remember(Path(path))
        self._loads.open(Path(path))

    def choose(self) -> None:
        """Ask for a file of actions, and open it."""
        path = self._recent.ask_to_open(self._window, "Open actions file", ACTIONS_FILTER)
        if path:
            self.open(path)
