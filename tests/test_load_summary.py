"""The wording of a load's end, without a window: counts, where each rejected record
sits (the engine's own ``LoadReport.where``), and the cases that read differently."""

from __future__ import annotations

from pathlib import Path

from core import ActionTracker, LoadReport
from gui.load_summary import abandoned, load_summary, not_loaded


def load(tmp_path: Path, name: str, text: str) -> LoadReport:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return ActionTracker().load(path)


def test_a_clean_load_is_information(tmp_path: Path) -> None:
    message = load_summary("a.ndjson", load(tmp_path, "a.ndjson", '{"action": "a", "time": 1}\n'))
    assert message.title == "File loaded"
    assert message.text == "a.ndjson: 1 accepted, 0 rejected."
    assert not message.warning
    assert message.details == ""


def test_rejections_are_listed_by_line_or_element(tmp_path: Path) -> None:
    lines = '{"action": "a", "time": 1}\n{"action": "a", "time": -1}\n'
    message = load_summary("a.ndjson", load(tmp_path, "a.ndjson", lines))
    assert message.warning
    assert message.details.startswith("line 2: ")
    assert "Show Details" in message.text
    array = '[{"action": "a", "time": "x"}, {"action": "a", "time": 1}]'
    message = load_summary("b.json", load(tmp_path, "b.json", array))
    assert message.details.startswith("element 1: ")


def test_empty_files_and_arrays_say_nothing_was_loaded(tmp_path: Path) -> None:
    empty = load_summary("e.json", load(tmp_path, "e.json", ""))
    assert (empty.title, empty.text) == ("Nothing loaded", "e.json is empty: it holds no records.")
    no_records = load_summary("n.json", load(tmp_path, "n.json", "[]"))
    assert no_records.text == "n.json holds no records."
    assert no_records.warning


def test_dropped_files_are_named() -> None:
    dropped = [Path("/x/q1.ndjson"), Path("/y/q2.ndjson")]
    assert abandoned("a.ndjson", dropped).text.endswith(
        "Not loaded either, as they were queued behind it: q1.ndjson, q2.ndjson."
    )
    assert "q1.ndjson, q2.ndjson" in not_loaded(dropped).text
    assert "Not loaded either" not in abandoned("a.ndjson", []).text
