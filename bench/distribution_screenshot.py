"""Takes the README's screenshot of the distribution view: a benchmark run with three of
its actions selected, their histograms overlaid beside their percentiles over time.

Run: ``uv run python -m bench.distribution_screenshot [resources/distribution.png]
[WIDTHxHEIGHT]`` (headless by default; set QT_QPA_PLATFORM and DISPLAY to use a display).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QItemSelection, QItemSelectionModel, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from core.loadgen import LoadSpec
from gui import MainWindow
from gui.menus import BENCHMARK_SESSION
from gui.resources import style_sheet

SELECTED = ("jump", "run", "walk")


def select_actions(window: MainWindow, names: tuple[str, ...]) -> None:
    proxy, selection = window.proxy, QItemSelection()
    for row in range(proxy.rowCount()):
        if proxy.index(row, 0).data() in names:
            selection.select(proxy.index(row, 0), proxy.index(row, proxy.columnCount() - 1))
    window.table.selectionModel().select(
        selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
    )


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "resources/distribution.png")
    width, height = map(int, (sys.argv[2] if len(sys.argv) > 2 else "1440x860").split("x"))
    settings_folder = tempfile.mkdtemp()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_folder)
    QCoreApplication.setOrganizationName("ActionTrackerScreenshot")
    app = QApplication(sys.argv)
    app.setStyleSheet(style_sheet())
    window = MainWindow()
    window.resize(width, height)
    window.show()

    def start() -> None:
        window.benchmark.set_spec(LoadSpec(duration=6.0, producers=2))
        window.benchmark.start()
        window.show_session(BENCHMARK_SESSION)
        QTimer.singleShot(1500, select)

    def select() -> None:
        select_actions(window, SELECTED)
        QTimer.singleShot(3500, take)

    def take() -> None:
        window.refresh()
        window.charts.redraw()
        window.grab().save(str(target))
        print(f"saved {target}: {window.totals.text()}")
        window.close()
        app.quit()

    QTimer.singleShot(600, start)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
