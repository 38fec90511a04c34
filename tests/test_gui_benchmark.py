"""The benchmark panel: runs in a session of their own, progress, stopping quickly,
history, strategy comparison, the settings dialog and persisted settings."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
)
from pytestqt.qtbot import QtBot

import gui.benchmark_panel
from core.loadgen import DEFAULT_ACTIONS, ActionSpec, LoadSpec
from gui import MainWindow
from gui.benchmark_dialog import BenchmarkDialog
from gui.workers import running_threads
from widgets import child

SHORT_RUN = LoadSpec(duration=0.5)
LONG_RUN = LoadSpec(duration=30.0)
STOP_TIMEOUT_MS = 10_000
"""Only a bound for a stop that never comes; the time a stop takes is bench/gui_stopping.py's."""


pytestmark = pytest.mark.window('{"action": "typing", "time": 3}')
"""Each window's own session holds one action."""


def start_button(window: MainWindow) -> QPushButton:
    return child(window, QPushButton, "benchmarkButton")


def progress_bar(window: MainWindow) -> QProgressBar:
    return child(window, QProgressBar, "benchmarkProgress")


def history(window: MainWindow) -> QTableWidget:
    return child(window, QTableWidget, "benchmarkHistory")


def history_row(window: MainWindow, row: int) -> list[str]:
    table = history(window)
    return [table.item(row, column).text() for column in range(table.columnCount())]


def start_and_wait_for_progress(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.benchmark.started, timeout=1000):
        qtbot.mouseClick(start_button(window), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: progress_bar(window).value() > 0, timeout=3000)


def producer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("load-producer")]


def shown_names(window: MainWindow) -> set[str]:
    return {window.proxy.index(row, 0).data() for row in range(window.proxy.rowCount())}


def test_start_runs_in_the_benchmark_session_and_leaves_user_data_alone(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.benchmark.set_spec(SHORT_RUN)
    user_version = window.tracker.version
    shown_progress: list[int] = []
    progress_bar(window).valueChanged.connect(shown_progress.append)

    with qtbot.waitSignal(window.benchmark.started, timeout=1000) as started:
        qtbot.mouseClick(start_button(window), Qt.MouseButton.LeftButton)
    assert window.benchmark.busy
    assert start_button(window).text() == "Stop"
    assert window.sessions.currentIndex() == 1
    assert started.args[0] is window.benchmark.tracker
    assert window.shown_tracker is window.benchmark.tracker
    assert window.shown_tracker is not window.tracker

    qtbot.waitUntil(lambda: not window.benchmark.busy, timeout=5000)
    assert any(0 < value < 1000 for value in shown_progress), shown_progress
    assert shown_progress == sorted(shown_progress)
    assert progress_bar(window).value() == 1000
    assert start_button(window).text() == "Start benchmark"
    assert window.tracker.version == user_version
    assert window.tracker.snapshot().total_count == 1

    window.refresh()
    assert shown_names(window) == {action.name for action in DEFAULT_ACTIONS}
    assert history(window).rowCount() == 1
    run = history_row(window, 0)
    assert run[0] == "#1"
    assert run[1:3] == ["running-stats strategy", "4"]
    numbers = history(window).item(0, 3).textAlignment()
    assert numbers & Qt.AlignmentFlag.AlignRight
    assert int(run[3].replace(",", "")) == window.benchmark.tracker.snapshot().total_count > 0

    window.show_session(0)  # back to the user's figures, as the poller takes them
    qtbot.waitUntil(lambda: shown_names(window) == {"typing"}, timeout=2000)


def test_second_click_stops_the_run(qtbot: QtBot, window: MainWindow) -> None:
    """How quickly it stops is measured by bench/gui_stopping.py, not asserted here."""
    window.benchmark.set_spec(LONG_RUN)
    start_and_wait_for_progress(qtbot, window)
    assert producer_threads()

    with qtbot.waitSignal(window.benchmark.run_finished, timeout=STOP_TIMEOUT_MS) as finished:
        qtbot.mouseClick(start_button(window), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.benchmark.busy, timeout=STOP_TIMEOUT_MS)

    assert finished.args[0].stopped
    assert not producer_threads()
    assert history(window).rowCount() == 1
    assert history_row(window, 0)[0].endswith("stopped")
    assert window.findChild(QLabel, "benchmarkLive").text().startswith("Stopped")


def test_averages_converge_to_the_configured_means(qtbot: QtBot, window: MainWindow) -> None:
    window.benchmark.set_spec(SHORT_RUN)
    start_and_wait_for_progress(qtbot, window)
    qtbot.waitUntil(lambda: not window.benchmark.busy, timeout=5000)

    tracker = window.benchmark.tracker
    assert tracker is not None
    snapshot = tracker.snapshot()
    for action in DEFAULT_ACTIONS:
        stats = snapshot.get(action.name)
        assert stats is not None
        assert stats.count > 1000
        assert stats.mean == pytest.approx(action.mean, rel=0.05), action.name
        assert stats.stdev == pytest.approx(action.spread, rel=0.25), action.name
    window.refresh()
    rows = {window.proxy.index(r, 0).data(): r for r in range(window.proxy.rowCount())}
    shown_jump_average = float(window.proxy.index(rows["jump"], 2).data().replace(",", ""))
    assert shown_jump_average == pytest.approx(150.0, rel=0.05)


@pytest.mark.parametrize(
    "spec", [SHORT_RUN, LoadSpec(duration=None, count=4000)], ids=["duration", "count"]
)
def test_a_completed_run_is_not_reported_as_stopped(
    qtbot: QtBot, window: MainWindow, spec: LoadSpec
) -> None:
    window.benchmark.set_spec(spec)
    with qtbot.waitSignal(window.benchmark.run_finished, timeout=5000) as finished:
        qtbot.mouseClick(start_button(window), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.benchmark.busy, timeout=5000)
    live = window.findChild(QLabel, "benchmarkLive").text()
    assert (history_row(window, 0)[0], live.split(":")[0]) == ("#1", "Finished")
    # The strategy is named as one: never a bare "running" that reads as a state.
    assert history_row(window, 0)[1] == "running-stats strategy"
    settings = window.findChild(QLabel, "benchmarkSettings").text()
    assert "running-stats strategy" in settings
    assert "· running ·" not in settings
    assert not finished.args[0].stopped


def test_runs_accumulate_in_the_history(qtbot: QtBot, window: MainWindow) -> None:
    window.benchmark.set_spec(LoadSpec(duration=None, count=4000, producers=2))
    for runs in (1, 2):
        start_and_wait_for_progress(qtbot, window)
        qtbot.waitUntil(lambda: not window.benchmark.busy, timeout=5000)
        assert history(window).rowCount() == runs
    assert history_row(window, 0)[0] == "#2"  # newest first
    assert history_row(window, 0)[2:4] == ["2", "4,000"]
    assert window.benchmark.tracker.snapshot().total_count == 4000  # a fresh tracker per run


def test_closing_mid_run_stops_and_joins_everything(qtbot: QtBot, window: MainWindow) -> None:
    window.benchmark.set_spec(LONG_RUN)
    start_and_wait_for_progress(qtbot, window)
    assert running_threads()
    assert producer_threads()

    window.close()  # returns once every thread is joined

    assert not window.benchmark.busy
    assert running_threads() == []
    assert producer_threads() == []


def test_compare_strategies_adds_a_row_per_strategy(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gui.benchmark_panel, "COMPARE_COUNT_PER_PRODUCER", 2000)
    user_version = window.tracker.version
    compare = window.findChild(QPushButton, "compareButton")
    qtbot.mouseClick(compare, Qt.MouseButton.LeftButton)
    assert window.benchmark.busy
    assert not compare.isEnabled()
    assert progress_bar(window).maximum() == 0  # a busy indicator: no progress reported

    qtbot.waitUntil(lambda: not window.benchmark.busy, timeout=15_000)
    assert history(window).rowCount() == 2
    rows = [history_row(window, row) for row in range(2)]
    assert sorted(row[1] for row in rows) == ["all-samples strategy", "running-stats strategy"]
    for row in rows:
        assert row[0].endswith("compared")
        assert row[3] == f"{2000 * 4:,}"
    assert compare.isEnabled()
    assert window.tracker.version == user_version
    live = window.findChild(QLabel, "benchmarkLive").text()
    assert "running-stats strategy:" in live
    assert "all-samples strategy:" in live


def test_comparison_can_be_stopped(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.mouseClick(window.findChild(QPushButton, "compareButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(producer_threads()), timeout=3000)
    assert start_button(window).text() == "Stop comparison"

    qtbot.mouseClick(start_button(window), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.benchmark.busy, timeout=STOP_TIMEOUT_MS)
    assert not producer_threads()
    assert history(window).rowCount() <= 1
    assert window.findChild(QLabel, "benchmarkLive").text() == "Comparison stopped"


# --- the settings dialog ---------------------------------------------------------------


@pytest.fixture
def dialog(qtbot: QtBot) -> BenchmarkDialog:
    settings = BenchmarkDialog(LoadSpec())
    qtbot.addWidget(settings)
    settings.open()
    qtbot.waitExposed(settings)
    return settings


def ok_button(dialog: QDialog) -> QPushButton:
    buttons = dialog.findChild(QDialogButtonBox)
    assert buttons is not None
    return buttons.button(QDialogButtonBox.StandardButton.Ok)


def actions_table(dialog: QDialog) -> QTableWidget:
    found = dialog.findChild(QTableWidget, "actionsTable")
    assert found is not None
    return found


def error_text(dialog: QDialog) -> str:
    return dialog.findChild(QLabel, "benchmarkDialogError").text()


def test_dialog_shows_the_current_spec(qtbot: QtBot) -> None:
    spec = LoadSpec(
        actions=(ActionSpec("dig", 42.5, 4.0),), producers=3, duration=2.5, strategy="samples"
    )
    settings = BenchmarkDialog(spec)
    qtbot.addWidget(settings)
    assert settings.findChild(QSpinBox, "producersInput").value() == 3
    assert settings.findChild(QComboBox, "strategyInput").currentText() == "samples"
    assert settings.by_duration.isChecked()
    table = actions_table(settings)
    assert [table.item(0, column).text() for column in range(3)] == ["dig", "42.5", "4"]


def test_dialog_accepts_edited_values(qtbot: QtBot, dialog: BenchmarkDialog) -> None:
    qtbot.mouseClick(dialog.by_count, Qt.MouseButton.LeftButton)
    count = dialog.findChild(QSpinBox, "countInput")
    count.setValue(5000)
    dialog.findChild(QSpinBox, "producersInput").setValue(2)
    dialog.findChild(QComboBox, "strategyInput").setCurrentText("samples")
    table = actions_table(dialog)
    table.item(0, 1).setText("42")
    table.item(1, 0).setText(" sprint ")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not dialog.isVisible()
    assert dialog.spec() == LoadSpec(
        actions=(
            ActionSpec("jump", 42.0, 20.0),
            ActionSpec("sprint", 75.0, 10.0),
            *DEFAULT_ACTIONS[2:],
        ),
        producers=2,
        duration=None,
        count=5000,
        strategy="samples",
    )


def test_dialog_refuses_a_bad_row_and_stays_open(qtbot: QtBot, dialog: BenchmarkDialog) -> None:
    actions_table(dialog).item(0, 1).setText("abc")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert error_text(dialog) == "row 1: the mean must be a number, got 'abc'"
    assert dialog.spec() == LoadSpec()

    # Every refusal in one style: "row N: the <field> must be <rule>, got <what>".
    actions_table(dialog).item(0, 1).setText("-3")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert (
        error_text(dialog)
        == "row 1: the mean must be a number >= 0 (at most about 1.8e308), got '-3'"
    )

    actions_table(dialog).item(0, 1).setText("5")
    actions_table(dialog).item(0, 2).setText("1e999")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert error_text(dialog) == (
        "row 1: the spread must be a number >= 0 (at most about 1.8e308), got '1e999'"
    )
    actions_table(dialog).item(0, 2).setText("20")

    actions_table(dialog).item(0, 0).setText("  ")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert error_text(dialog) == "row 1: the name must be 1 to 256 characters, got nothing"
    actions_table(dialog).item(0, 0).setText("jump")

    actions_table(dialog).item(0, 1).setText("160")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.spec().actions[0] == ActionSpec("jump", 160.0, 20.0)


def test_dialog_rows_can_be_added_and_all_removed(qtbot: QtBot, dialog: BenchmarkDialog) -> None:
    buttons = {button.text(): button for button in dialog.findChildren(QPushButton)}
    table = actions_table(dialog)
    qtbot.mouseClick(buttons["Add action"], Qt.MouseButton.LeftButton)
    assert table.rowCount() == 5
    assert [table.item(4, column).text() for column in range(3)] == ["action5", "100", "10"]

    table.selectAll()
    qtbot.mouseClick(buttons["Remove selected"], Qt.MouseButton.LeftButton)
    assert table.rowCount() == 0
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "at least one action" in error_text(dialog)


@pytest.mark.parametrize("column", [1, 2], ids=["mean", "spread"])
def test_dialog_refuses_infinite_times(qtbot: QtBot, dialog: BenchmarkDialog, column: int) -> None:
    actions_table(dialog).item(0, column).setText("inf")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert error_text(dialog).startswith("row 1:")


def test_dialog_refuses_an_action_listed_twice(qtbot: QtBot, dialog: BenchmarkDialog) -> None:
    first = actions_table(dialog).item(0, 0).text()
    actions_table(dialog).item(1, 0).setText(f" {first} ")  # trimmed, as the engine does
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert error_text(dialog) == f"rows 1 and 2 both name {first!r}: list each action once"


def test_dialog_reads_digit_grouped_numbers(qtbot: QtBot, dialog: BenchmarkDialog) -> None:
    actions_table(dialog).item(0, 1).setText("1,500,000")
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.spec().actions[0].mean == 1_500_000.0
    assert (
        BenchmarkDialog(dialog.spec()).findChild(QTableWidget, "actionsTable").item(0, 1).text()
        == "1,500,000"
    )  # shown as typed, not as 1.5e+06


@pytest.mark.parametrize("text", ["1,5", "1,,5", "1_000", "\u0661\u0662", "0x10", "1.5.5"])
def test_dialog_refuses_numbers_the_form_would_refuse(
    qtbot: QtBot, dialog: BenchmarkDialog, text: str
) -> None:
    actions_table(dialog).item(0, 1).setText(text)
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert error_text(dialog) == f"row 1: the mean must be a number, got {text!r}"


def test_dialog_refuses_a_name_the_engine_would_refuse(
    qtbot: QtBot, dialog: BenchmarkDialog
) -> None:
    actions_table(dialog).item(0, 0).setText("x" * 300)
    qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert error_text(dialog) == "row 1: the name must be 1 to 256 characters, got 300 characters"


def test_settings_persist_across_windows(
    window: MainWindow, make_window: Callable[..., MainWindow]
) -> None:
    spec = LoadSpec(
        actions=(ActionSpec("dig", 42.5, 4.0), ActionSpec("climb", 7.0, 0.0)),
        producers=3,
        duration=None,
        count=12_345,
        strategy="samples",
    )
    window.benchmark.set_spec(spec)
    assert "3 producers" in window.findChild(QLabel, "benchmarkSettings").text()
    window.shutdown()

    later = make_window(shown=False)
    assert later.benchmark.spec == spec
    label = later.findChild(QLabel, "benchmarkSettings").text()
    assert "12,345 adds" in label
    assert "samples" in label


def test_accepted_settings_are_saved_at_once(
    qtbot: QtBot,
    window: MainWindow,
    make_window: Callable[..., MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def exec_and_accept(dialog: BenchmarkDialog) -> int:
        dialog.findChild(QSpinBox, "producersInput").setValue(7)
        ok_button(dialog).click()
        return dialog.result()

    monkeypatch.setattr(BenchmarkDialog, "exec", exec_and_accept)
    with qtbot.waitSignal(window.benchmark.spec_changed, timeout=1000):
        qtbot.mouseClick(
            window.findChild(QPushButton, "benchmarkSettingsButton"), Qt.MouseButton.LeftButton
        )
    assert window.benchmark.spec.producers == 7

    second = make_window(shown=False)  # opened while the first is still running
    assert second.benchmark.spec.producers == 7


def test_unreadable_saved_settings_fall_back_to_defaults(
    make_window: Callable[..., MainWindow],
) -> None:
    QSettings().setValue("benchmark/spec", "{not json")
    assert make_window(shown=False).benchmark.spec == LoadSpec()
