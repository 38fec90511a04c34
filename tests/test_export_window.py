"""Exports of every column carry what the table shows: the rate over the window chosen
above the table, and the window itself, in CSV and in JSON; ``action-stats`` keeps its
figures without them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from PySide6.QtWidgets import QComboBox

from core import ActionTracker
from core.export import COLUMNS, SHOWN_COLUMNS, WINDOW_COLUMN, snapshot_csv, snapshot_json
from gui import MainWindow
from gui.stats_model import RATE_COLUMN, SORT_ROLE
from widgets import child

START = 1_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clocked(make_window: Callable[..., MainWindow]) -> tuple[MainWindow, Clock]:
    """A window on a tracker that got "old" 100 at START and, two minutes later (now),
    "fast" ten times over 4 s and "slow" once."""
    clock = Clock()
    tracker = ActionTracker("samples", clock=clock)
    tracker.add("old", 100)
    clock.now += 116
    tracker.add("slow", 7)
    for number in range(10):
        tracker.add("fast", 10 + number)
    clock.now += 4
    return make_window(tracker), clock


def choose(window: MainWindow, text: str) -> None:
    selector = child(window, QComboBox, "windowSelector")
    selector.setCurrentIndex(selector.findText(text))
    window.refresh()


def table_rates(window: MainWindow) -> dict[str, float]:
    proxy = window.proxy
    return {
        proxy.index(row, 0).data(): proxy.index(row, RATE_COLUMN).data(SORT_ROLE)
        for row in range(proxy.rowCount())
    }


def exported_csv(window: MainWindow, path: Path) -> list[dict[str, str]]:
    assert window.export_csv(path) is True
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def exported_json(window: MainWindow, path: Path) -> list[dict[str, object]]:
    assert window.export_all_json(path) is True
    exported: list[dict[str, object]] = orjson.loads(path.read_bytes())
    return exported


def test_a_last_minute_export_is_what_the_table_shows(
    clocked: tuple[MainWindow, Clock], tmp_path: Path
) -> None:
    window, _ = clocked
    choose(window, "Last minute")
    shown = table_rates(window)
    assert list(shown) == ["slow", "fast"]  # "old" is outside the minute

    rows = exported_csv(window, tmp_path / "minute.csv")
    assert list(rows[0]) == list(SHOWN_COLUMNS)
    assert {row["action"]: float(row["rate"]) for row in rows} == shown
    assert {row[WINDOW_COLUMN] for row in rows} == {"60"}
    assert [int(row["count"]) for row in rows] == [1, 10]

    objects = exported_json(window, tmp_path / "minute.json")
    assert [list(entry) for entry in objects] == [list(SHOWN_COLUMNS)] * 2
    assert {entry["action"]: entry["rate"] for entry in objects} == shown
    assert {entry[WINDOW_COLUMN] for entry in objects} == {60}
    assert objects[1]["mean"] == 14.5


def test_an_all_time_export_has_the_rate_since_the_first_time_and_no_window(
    clocked: tuple[MainWindow, Clock], tmp_path: Path
) -> None:
    window, _ = clocked
    window.refresh()
    shown = table_rates(window)
    assert list(shown) == ["old", "slow", "fast"]
    rows = exported_csv(window, tmp_path / "all.csv")
    assert {row["action"]: float(row["rate"]) for row in rows} == shown
    assert {row[WINDOW_COLUMN] for row in rows} == {""}
    objects = exported_json(window, tmp_path / "all.json")
    assert {entry["action"]: entry["rate"] for entry in objects} == shown
    assert {entry[WINDOW_COLUMN] for entry in objects} == {None}


def test_a_window_export_is_taken_when_exported_not_when_last_shown(
    clocked: tuple[MainWindow, Clock], tmp_path: Path
) -> None:
    """Time passing moves a window's figures without any add: the export reads them at
    once, as the table would show them now."""
    window, clock = clocked
    choose(window, "Last 10 s")
    assert list(table_rates(window)) == ["slow", "fast"]
    clock.now += 30  # everything leaves the last 10 s
    assert exported_csv(window, tmp_path / "later.csv") == []


def test_the_program_keeps_its_columns_and_the_functions_take_any() -> None:
    clock = Clock()
    tracker = ActionTracker(clock=clock)
    tracker.add("a", 1)
    tracker.add("a", 3)
    clock.now += 2
    snapshot = tracker.snapshot(window=10)
    assert snapshot_csv(snapshot).splitlines()[0].split(",") == list(COLUMNS)
    assert list(orjson.loads(snapshot_json(snapshot))[0]) == list(COLUMNS)
    shown = orjson.loads(snapshot_json(snapshot, ("action", "rate", WINDOW_COLUMN)))
    assert shown == [{"action": "a", "rate": snapshot.actions[0].rate, WINDOW_COLUMN: 10}]
    assert snapshot_csv(snapshot, ("action", WINDOW_COLUMN)) == "action,window_seconds\na,10\n"
