"""Takes the README's screenshot: the real window mid-benchmark, with some entries.

Run: ``uv run python -m bench.screenshot [resources/screenshot.png]`` (headless by
default; set QT_QPA_PLATFORM to use a display).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from core.loadgen import LoadSpec
from gui import MainWindow
from gui.resources import resource, style_sheet


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "resources/screenshot.png")
    settings_folder = tempfile.mkdtemp()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_folder)
    QCoreApplication.setOrganizationName("ActionTrackerScreenshot")
    app = QApplication(sys.argv)
    app.setStyleSheet(style_sheet())
    window = MainWindow()
    window.resize(1440, 860)
    window.show()
    window.open_file(resource("sample-actions.ndjson"))

    def type_entries() -> None:
        window.entry.action_input.setEditText("jump")
        window.entry.time_input.setText("-5")
        window.entry.add_button.click()  # shows the engine's message under the field
        # A short first run, so the history table has a line to show.
        window.benchmark.set_spec(LoadSpec(duration=1.5))
        window.benchmark.start()
        QTimer.singleShot(200, start_second_run)

    def start_second_run() -> None:
        if window.benchmark.busy:
            QTimer.singleShot(100, start_second_run)
            return
        window.benchmark.set_spec(LoadSpec(duration=4.0))
        window.benchmark.start()
        QTimer.singleShot(2600, take)

    def take() -> None:
        summary = window.findChild(QMessageBox, "loadSummary")
        if summary is not None:
            summary.close()  # the load summary, shown over the window, hides the table
        window.grab().save(str(target))
        print(f"saved {target}: {window.benchmark.live.text()}")
        window.close()
        app.quit()

    QTimer.singleShot(600, type_entries)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
