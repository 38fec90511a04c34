"""The status bar while a file loads: the load's progress names the file and stands
apart from the session's totals before it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel

from core import LoadProgress
from gui import MainWindow
from widgets import child


def test_the_load_progress_names_the_file_apart_from_the_totals(window: MainWindow) -> None:
    window.loads.started.emit(Path("/data/big.ndjson"))
    window.load_feedback.show_progress(LoadProgress(10, 100, 673_611, 2))
    label = child(window, QLabel, "loadLabel")
    assert label.text() == "Loading big.ndjson: 673,611 loaded, 2 rejected"
    totals = window.totals
    assert label.isVisible()
    assert label.x() >= totals.x() + totals.width()  # after the totals ...
    gap = label.x() - (totals.x() + totals.width()) + label.contentsMargins().left()
    assert gap >= 12  # ... with room between: not read as one phrase
