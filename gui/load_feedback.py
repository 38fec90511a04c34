"""What people see of file loads: progress and *Cancel* in the status bar while one
runs, and a message when each ends."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QMainWindow, QProgressBar, QPushButton

from core import InvalidActionError, LoadProgress, LoadReport
from core.errors import reason
from gui.file_loads import FileLoaded, FileLoads
from gui.load_summary import abandoned, load_summary, not_loaded
from gui.messages import keep_cancelled_load, show_message, warn
from gui.recent_files import RecentFiles


class LoadFeedback(QObject):
    """Shows ``loads`` in ``window``'s status bar and messages. After *Cancel*,
    "Cancelling…" stays until the load ends."""

    def __init__(self, window: QMainWindow, loads: FileLoads, recent: RecentFiles) -> None:
        # A child of the window: deleted with it, so a load that ends after the window
        # (a worker left running past shutdown's bounded wait) reaches no deleted widget.
        super().__init__(window)
        self._window = window
        self._loads = loads
        self._recent = recent
        self.last_report: LoadReport | None = None
        self.label = QLabel()
        self.label.setObjectName("loadLabel")
        # A gap from the totals before it, which would read as one phrase with it
        # ("0/s 673,611 loaded").
        self.label.setContentsMargins(16, 0, 0, 0)
        self._name = ""
        self.progress = QProgressBar()
        self.progress.setObjectName("loadProgress")
        self.progress.setMaximumWidth(220)
        self.progress.setRange(0, 1000)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelLoadButton")
        self._cancelling = False
        for widget in self._widgets():
            window.statusBar().addPermanentWidget(widget)
        self._set_visible(False)

        self.cancel_button.clicked.connect(self.cancel)
        loads.started.connect(self._on_loads_started)
        loads.progressed.connect(self.show_progress)
        loads.loaded.connect(self._on_loads_loaded)
        loads.abandoned.connect(self._on_loads_abandoned)
        loads.dropped.connect(self._on_loads_dropped)
        loads.failed.connect(self._on_loads_failed)
        loads.ended.connect(self._on_loads_ended)

    def cancel(self) -> list[Path]:
        """Cancel the load in progress and the queued ones; returns the queued files."""
        if self._loads.loading:
            self._cancelling = True
            self.label.setText("Cancelling…")
        return self._loads.cancel()

    def show_progress(self, step: LoadProgress) -> None:
        if self._cancelling:
            return  # a chunk that was under way when Cancel was pressed
        if step.total:
            self.progress.setValue(round(1000 * step.done / step.total))
        self.label.setText(
            f"Loading {self._name}: {step.accepted:,} loaded, {step.rejected:,} rejected"
        )

    def _widgets(self) -> tuple[QLabel, QProgressBar, QPushButton]:
        return self.label, self.progress, self.cancel_button

    def _set_visible(self, visible: bool) -> None:
        for widget in self._widgets():
            widget.setVisible(visible)

    def _on_loads_started(self, path: Path) -> None:
        self._cancelling = False
        self._name = path.name
        self.label.setText(f"Loading {path.name}…")
        self.progress.setValue(0)
        self._set_visible(True)

    def _on_loads_loaded(self, loaded: FileLoaded) -> None:
        self.last_report = report = loaded.report
        if report.accepted == report.rejected_count == 0:
            self._recent.forget(loaded.path)  # empty: nothing to open again
        kept = True
        if report.cancelled and report.accepted:
            kept = keep_cancelled_load(self._window, loaded.path.name, report.accepted)
            if kept:
                try:
                    self._loads.keep(loaded)
                except InvalidActionError as error:
                    self._on_loads_failed(loaded.path, error)
                    return
        summary = load_summary(loaded.path.name, report, kept)
        show_message(self._window, summary, "loadSummary")

    def _on_loads_abandoned(self, loaded: FileLoaded, dropped: list[Path]) -> None:
        self.last_report = loaded.report
        show_message(self._window, abandoned(loaded.path.name, dropped), "loadSummary")

    def _on_loads_dropped(self, dropped: list[Path]) -> None:
        show_message(self._window, not_loaded(dropped), "loadSummary")

    def _on_loads_failed(self, path: Path, error: Exception) -> None:
        # Refused whole (binary, not JSON), gone or a folder: Open Recent should not
        # offer it again.
        self._recent.forget(path)
        warn(self._window, "Could not load file", f"{path}\n\n{reason(error)}", "loadError")

    def _on_loads_ended(self) -> None:
        self._cancelling = False
        self._set_visible(False)
