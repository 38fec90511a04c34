"""``action-stats --format json|csv|table``: every column, from the same figures as the
engine's snapshot."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import core.cli
from core import ActionTracker
from core.export import COLUMNS

RECORDS = [
    {"action": "jump", "time": 80},
    {"action": "jump", "time": 99.5},
    {"action": "jump", "time": 100.5},
    {"action": "run", "time": 7},
]


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "actions.ndjson"
    path.write_text("\n".join(json.dumps(record) for record in RECORDS) + "\n")
    return path


def _expected(strategy: str = "running") -> list[dict[str, object]]:
    tracker = ActionTracker(strategy)  # type: ignore[arg-type]
    for record in RECORDS:
        tracker.add_action(json.dumps(record))
    return [
        {column: getattr(stats, column) for column in COLUMNS}
        for stats in tracker.snapshot().actions
    ]


@pytest.mark.parametrize("strategy", ["running", "samples"])
def test_json_format_has_every_column_in_full_precision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], strategy: str
) -> None:
    assert core.cli.main(["--format", "json", "--strategy", strategy, str(_file(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == _expected(strategy)
    assert list(json.loads(out)[0]) == list(COLUMNS)


def test_csv_format_has_a_header_and_every_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert core.cli.main(["--format", "csv", str(_file(tmp_path))]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == list(COLUMNS)
    assert [row[0] for row in rows[1:]] == ["jump", "run"]
    expected = _expected()
    assert [float(cell) for cell in rows[1][1:]] == [float(expected[0][c]) for c in COLUMNS[1:]]  # type: ignore[arg-type]


def test_table_format_aligns_every_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert core.cli.main(["--format", "table", str(_file(tmp_path))]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == list(COLUMNS)
    assert lines[2].split() == ["run", "1", *["7.000"] * 3, "0.000", *["7.000"] * 3]
    assert len({len(line) for line in lines}) == 1  # right-aligned under their headers


def test_without_format_the_output_stays_get_stats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert core.cli.main([str(_file(tmp_path))]) == 0
    assert (
        capsys.readouterr().out
        == '[{"action":"jump","avg":93.33333333333333},{"action":"run","avg":7}]\n'
    )


def test_format_keeps_the_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path)
    with path.open("a") as stream:
        stream.write("not json\n")
    assert core.cli.main(["--format", "csv", str(path)]) == 1
    assert core.cli.main(["--format", "csv", str(path), str(tmp_path / "missing")]) == 2
    with pytest.raises(SystemExit) as usage:
        core.cli.main(["--format", "xml", str(path)])
    assert usage.value.code == 2


def test_format_is_refused_with_live_sources(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as usage:
        core.cli.main(["--format", "json", "--listen", "0"])
    assert usage.value.code == 2
    assert "--format is for FILE arguments" in capsys.readouterr().err
