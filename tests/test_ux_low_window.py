"""A low window with live sources running keeps rows of statistics: the form tightens,
the sources panel folds to one line (and unfolds by its title), and the splitter
between the table and the panel is the user's to drag and is remembered."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QSplitter, QTableWidget
from pytestqt.qtbot import QtBot

from gui import MainWindow
from gui.low_window import FEWEST_ROWS
from gui.menus import LIVE_SESSION
from gui.sources_panel import SourcesPanel
from livetools import live_threads
from widgets import child

LOW = (700, 380)
TALL = (1280, 800)


@pytest.fixture(autouse=True)
def _no_live_threads_left() -> Iterator[None]:
    yield
    assert live_threads() == []


def settle(window: MainWindow, width: int, height: int) -> None:
    # Twice: the first resize may stop at the minimum the unfolded panel asked for, and
    # folding it (on that resize) lowers the minimum.
    for _ in range(2):
        window.resize(width, height)
        for _ in range(3):
            QApplication.processEvents()
    window.refresh()
    QApplication.processEvents()


def rows_shown(window: MainWindow) -> int:
    """Whole rows of the statistics table that fit in its viewport."""
    table = window.table
    return table.viewport().height() // table.verticalHeader().defaultSectionSize()


def sources_splitter(window: MainWindow) -> QSplitter:
    return child(window, QSplitter, "sourcesSplitter")


def drag_handle(splitter: QSplitter, pixels: int) -> None:
    """Drag the handle between the splitter's two sides down by ``pixels`` (up when
    negative), as a mouse does."""
    handle = splitter.handle(1)
    start = handle.rect().center()
    end = start + QPoint(0, pixels)
    for kind, point, button, buttons in (
        (QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton),
        (QEvent.Type.MouseMove, end, Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton),
        (QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton),
    ):
        event = QMouseEvent(
            kind,
            QPointF(point),
            QPointF(handle.mapToGlobal(point)),
            button,
            buttons,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(handle, event)
    QApplication.processEvents()


def live_window_with_sources(make_window: Callable[..., MainWindow], sources: int) -> MainWindow:
    window = make_window()
    for number in range(40):
        window.sources.tracker.add_action(f'{{"action": "live-{number}", "time": {number}}}')
    for number in range(sources):
        window.listen("0", "udp" if number % 2 == 0 else "tcp")
    window.show_session(LIVE_SESSION)
    return window


def test_a_low_window_keeps_rows_of_statistics_with_sources_running(
    make_window: Callable[..., MainWindow],
) -> None:
    window = live_window_with_sources(make_window, 2)
    settle(window, *LOW)
    assert window.height() <= LOW[1]
    # The panel folded to its title line, which still says what runs.
    panel = window.sources_panel
    assert panel.isVisible()
    assert panel.collapsed
    assert not child(panel, QTableWidget, "sourcesTable").isVisible()
    assert panel.summary.isVisible()
    assert panel.summary.text().startswith("2 sources · ")
    assert panel.height() <= 2 * panel.toggle.sizeHint().height()
    # The form keeps no empty line for messages.
    assert not window.entry.entry_message.isVisible()
    assert not window.entry.json_message.isVisible()
    assert rows_shown(window) >= 4
    window.stop_sources()


def test_unfolded_in_a_low_window_both_tables_show_rows(
    make_window: Callable[..., MainWindow],
) -> None:
    window = live_window_with_sources(make_window, 2)
    settle(window, *LOW)
    window.sources_panel.toggle.click()
    QApplication.processEvents()
    assert not window.sources_panel.collapsed
    sources_table = child(window, QTableWidget, "sourcesTable")
    assert sources_table.isVisible()
    rows_room = sources_table.viewport().height() // sources_table.rowHeight(0)
    assert rows_room >= 1
    assert rows_shown(window) >= 2
    window.stop_sources()


def test_the_panel_folds_when_the_window_turns_low_and_unfolds_when_tall(
    make_window: Callable[..., MainWindow],
) -> None:
    window = live_window_with_sources(make_window, 3)
    settle(window, *TALL)
    panel = window.sources_panel
    assert not panel.collapsed
    sources_table = child(panel, QTableWidget, "sourcesTable")
    assert sources_table.viewport().height() >= 3 * sources_table.rowHeight(0)  # every source
    settle(window, *LOW)
    assert panel.collapsed
    settle(window, *TALL)
    assert not panel.collapsed
    assert window.entry.entry_message.isVisible()  # its line kept free again
    window.stop_sources()


def test_a_message_in_a_low_window_still_shows(make_window: Callable[..., MainWindow]) -> None:
    window = make_window()
    settle(window, *LOW)
    entry = window.entry
    entry.action_input.setEditText("jump")
    entry.time_input.setText("-5")
    entry.add_button.click()
    QApplication.processEvents()
    assert entry.entry_message.isVisible()
    assert entry.entry_message.height() >= entry.entry_message.fontMetrics().lineSpacing()
    assert "-5" in entry.entry_message.text()


def test_the_panel_keeps_the_height_the_user_dragged_it_to(
    make_window: Callable[..., MainWindow],
) -> None:
    window = live_window_with_sources(make_window, 3)
    settle(window, *TALL)
    splitter = sources_splitter(window)
    panel = window.sources_panel
    full = panel.height()
    total = sum(splitter.sizes())
    splitter.setSizes([total - panel.minimumSizeHint().height(), panel.minimumSizeHint().height()])
    QApplication.processEvents()
    dragged = panel.height()
    assert dragged < full
    window.listen("0")  # a fourth source: the dragged height stays
    QApplication.processEvents()
    assert panel.height() == dragged
    # Dragged up past the rows there are, it opens no empty room under them.
    drag_handle(splitter, -total)
    assert panel.height() == splitter.sizes()[1] == panel.maximumHeight()
    window.stop_sources()


def test_the_fold_and_the_splitter_are_remembered(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    window = live_window_with_sources(make_window, 1)
    settle(window, *TALL)
    window.sources_panel.set_collapsed(True)
    window.stop_sources()
    window.shutdown()
    assert QSettings().value("window/sourcesSplitter") is not None

    later = make_window()
    later.listen("0")
    later.show_session(LIVE_SESSION)
    qtbot.waitUntil(later.sources_panel.isVisible, timeout=2000)
    panel = child(later, SourcesPanel, "sourcesPanel")
    assert panel.collapsed  # as the user left it, though the window is tall
    panel.set_collapsed(False)
    assert child(panel, QTableWidget, "sourcesTable").isVisible()
    later.stop_sources()


def test_a_low_window_opens_again_at_its_size(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    settle(window, *LOW)
    assert window.height() == LOW[1]
    window.shutdown()

    # Once grown to the minimum of splitters not yet arranged for it: 500 high.
    later = make_window(shown=False)
    later.show()
    qtbot.waitExposed(later)
    QApplication.processEvents()
    assert (later.width(), later.height()) == LOW


def test_the_panel_makes_way_when_it_would_leave_the_table_one_row(
    make_window: Callable[..., MainWindow],
) -> None:
    # Seen at 1000 x 700 (not low): the form, the tabs and the unfolded panel left the
    # Live table a single row beside an empty benchmark pane.
    window = live_window_with_sources(make_window, 3)
    settle(window, *TALL)
    splitter = window.splitter  # the form and table above, benchmark and charts below
    total = sum(splitter.sizes())
    top = splitter.sizes()[0]
    for _ in range(40):  # dragged up step by step until the panel makes way
        top -= 10
        splitter.setSizes([top, total - top])
        QApplication.processEvents()
        if window.sources_panel.collapsed:
            break
    panel = window.sources_panel
    assert panel.collapsed
    assert window.table.rows_room() >= FEWEST_ROWS
    # Unfolded by hand, it stays so however little room the table has.
    panel.toggle.click()
    QApplication.processEvents()
    splitter.setSizes([top - 20, total - top + 20])
    QApplication.processEvents()
    assert window.table.rows_room() < FEWEST_ROWS
    assert not panel.collapsed
    window.stop_sources()
