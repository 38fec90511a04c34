"""File → Open Recent: the last files opened, and the folder file dialogs start in."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

MAX_RECENT = 8


class RecentFiles(QObject):
    """Keeps the recent files in QSettings and fills ``menu`` with them (Ctrl+Alt+1…8,
    and *Clear Recent Files* on Ctrl+Alt+0).

    Signals
    -------
    chosen(str)
        The path of a recent file picked from the menu.
    """

    chosen = Signal(str)

    def __init__(self, settings: QSettings, menu: QMenu) -> None:
        super().__init__()
        self._settings = settings
        self.menu = menu
        self._rebuild()

    def paths(self) -> list[str]:
        value = self._settings.value("files/recent", [])
        return [str(item) for item in value] if isinstance(value, list) else [str(value)]

    def remember(self, path: Path) -> None:
        """Put ``path`` first, and start the next file dialog in its folder."""
        entry = str(path.resolve())
        recent = [entry] + [item for item in self.paths() if item != entry]
        self._settings.setValue("files/recent", recent[:MAX_RECENT])
        self._settings.setValue("files/folder", str(path.resolve().parent))
        self._rebuild()

    def forget(self, path: Path) -> None:
        entry = str(path.resolve())
        self._settings.setValue("files/recent", [i for i in self.paths() if i != entry])
        self._rebuild()

    def last_folder(self) -> str:
        return str(self._settings.value("files/folder", str(Path.home())))

    def ask_to_open(self, parent: QWidget, title: str, pattern: str) -> str:
        """A file the user picks, starting in the last folder ("" when cancelled)."""
        path, _ = QFileDialog.getOpenFileName(parent, title, self.last_folder(), pattern)
        return path

    def ask_to_save(self, parent: QWidget, title: str, name: str, pattern: str) -> str:
        """A file to write, ``name`` in the last folder at first ("" when cancelled)."""
        default = str(Path(self.last_folder()) / name)
        path, _ = QFileDialog.getSaveFileName(parent, title, default, pattern)
        return path

    def _rebuild(self) -> None:
        self.menu.clear()
        recent = self.paths()
        for number, entry in enumerate(recent, start=1):
            action = self.menu.addAction(f"&{number} {entry}")
            action.setShortcut(QKeySequence(f"Ctrl+Alt+{number}"))
            action.setData(entry)
            action.triggered.connect(self._on_recent_triggered)
        if recent:
            self.menu.addSeparator()
        clear = self.menu.addAction("&Clear Recent Files")
        clear.setShortcut(QKeySequence("Ctrl+Alt+0"))
        clear.setEnabled(bool(recent))
        clear.triggered.connect(self._on_clear_triggered)

    def _on_recent_triggered(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.chosen.emit(str(action.data()))

    def _on_clear_triggered(self) -> None:
        self._settings.setValue("files/recent", [])
        self._rebuild()
