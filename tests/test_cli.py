"""The ``action-stats`` command: stdout, stderr and exit status, in-process and as a script."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path
from types import SimpleNamespace

import pytest

import core.cli
import core.report
from core import STRATEGIES
from livetools import reaped

GOOD = [
    {"action": "jump", "time": 100},
    {"action": "run", "time": 75},
    {"action": "jump", "time": 200},
]
GOOD_STATS = '[{"action":"jump","avg":150},{"action":"run","avg":75}]'


def _ndjson(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_good_file_prints_stats_and_exits_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "good.json"
    path.write_text(json.dumps(GOOD))
    assert core.cli.main([str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == GOOD_STATS + "\n"
    assert err == ""


def test_several_files_are_combined(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _ndjson(tmp_path, "a.ndjson", [json.dumps(GOOD[0]), json.dumps(GOOD[1])])
    second = tmp_path / "b.json"
    second.write_text(json.dumps(GOOD[2]))
    assert core.cli.main([str(first), str(second)]) == 0
    assert capsys.readouterr().out == GOOD_STATS + "\n"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_strategy_option_gives_the_same_averages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], strategy: str
) -> None:
    path = _ndjson(tmp_path, "a.ndjson", [json.dumps(record) for record in GOOD])
    assert core.cli.main(["--strategy", strategy, str(path)]) == 0
    assert capsys.readouterr().out == GOOD_STATS + "\n"


def test_rejected_records_go_to_stderr_with_file_and_line_and_exit_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _ndjson(
        tmp_path,
        "mixed.ndjson",
        [
            json.dumps(GOOD[0]),
            '{"action": "jump", "time": -5}',
            json.dumps(GOOD[1]),
            "oops",
            json.dumps(GOOD[2]),
        ],
    )
    assert core.cli.main([str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == GOOD_STATS + "\n"
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0] == f'{path}:2: "time" must be a number >= 0, got -5'
    assert lines[1].startswith(f"{path}:4: ")
    assert "JSON" in lines[1]


def test_rejected_array_elements_are_named_as_elements(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([GOOD[0], {"action": "jump", "time": -5}]), encoding="utf-8")
    assert core.cli.main([str(path)]) == 1
    assert capsys.readouterr().err == (f'{path}: element 2: "time" must be a number >= 0, got -5\n')


def test_a_rejected_single_object_is_named_by_its_file_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "one.json"
    path.write_text('{\n  "action": "jump",\n  "time": -5\n}\n', encoding="utf-8")
    assert core.cli.main([str(path)]) == 1
    assert capsys.readouterr().err == f'{path}: "time" must be a number >= 0, got -5\n'


def test_rejections_beyond_the_kept_ones_are_summarised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.report, "MAX_REJECTIONS_KEPT", 3)
    path = _ndjson(tmp_path, "bad.ndjson", [json.dumps(GOOD[0])] + ["bad"] * 10)
    assert core.cli.main([str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    for line, number in zip(err[:3], (2, 3, 4), strict=True):
        assert line.startswith(f"{path}:{number}: payload is not valid JSON")
    assert err[3] == f"{path}: 7 more rejected records not shown"
    assert len(err) == 4


def test_unreadable_file_exits_two_but_still_prints_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD))
    missing = tmp_path / "missing.json"
    assert core.cli.main([str(missing), str(good)]) == 2
    out, err = capsys.readouterr()
    assert out == GOOD_STATS + "\n"
    assert err == f"action-stats: {missing}: No such file or directory\n"  # not [Errno 2]


def test_file_that_is_not_json_exits_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "image.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert core.cli.main([str(png)]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no file was read: an empty [] would look like an answer
    assert f"action-stats: {png}: " in err
    assert "0x89" in err


def test_unreadable_file_outranks_rejections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mixed = _ndjson(tmp_path, "mixed.ndjson", [json.dumps(GOOD[0]), "bad"])
    assert core.cli.main([str(mixed), str(tmp_path)]) == 2
    assert core.cli.main([str(tmp_path), str(mixed)]) == 2
    capsys.readouterr()


def test_empty_file_exits_zero_with_empty_stats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    assert core.cli.main([str(empty)]) == 0
    assert capsys.readouterr() == ("[]\n", f"action-stats: {empty}: no records\n")


def test_dash_reads_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = "".join(json.dumps(record) + "\n" for record in GOOD).encode()
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(data)))
    assert core.cli.main(["-"]) == 0
    assert capsys.readouterr().out == GOOD_STATS + "\n"


def test_no_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        core.cli.main([])
    assert info.value.code == 2
    assert "usage: action-stats" in capsys.readouterr().err


def test_unknown_strategy_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        core.cli.main(["--strategy", "bogus", str(tmp_path / "x.json")])
    assert info.value.code == 2
    assert "bogus" in capsys.readouterr().err


def test_console_script_points_at_the_cli_main() -> None:
    (script,) = entry_points(group="console_scripts", name="action-stats")
    assert script.value == "core.cli:main"
    assert script.load() is core.cli.main


def _command(kind: str) -> list[str]:
    if kind == "module":
        return [sys.executable, "-m", "core.cli"]
    script = Path(sys.executable).with_name("action-stats")
    if not script.exists():
        pytest.skip("the action-stats script is not installed next to this interpreter")
    return [str(script)]


@pytest.mark.parametrize("kind", ["module", "script"])
def test_command_runs_as_a_separate_process(tmp_path: Path, kind: str) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD))
    mixed = _ndjson(tmp_path, "mixed.ndjson", [json.dumps(GOOD[0]), "{}"])
    result = subprocess.run(
        [*_command(kind), str(good), str(mixed)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(core.cli.__file__).resolve().parents[1],
    )
    assert result.returncode == 1
    expected = '[{"action":"jump","avg":133.33333333333334},{"action":"run","avg":75}]\n'
    assert result.stdout == expected
    assert result.stderr == f'{mixed}:2: "action" is missing\n'


@pytest.mark.skipif(os.name != "posix", reason="SIGINT is POSIX")
def test_ctrl_c_while_loading_says_so_without_a_traceback() -> None:
    # Standard input held open: the load waits for more, as a large file being read does.
    with reaped(
        subprocess.Popen(
            [*_command("module"), "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=Path(core.cli.__file__).resolve().parents[1],
        )
    ) as command:
        assert command.stdin is not None
        command.stdin.write(b'{"action": "jump", "time": 100}\n')
        command.stdin.flush()
        deadline = time.monotonic() + 30
        # The interrupt must come after the imports, once the load reads: poll for it.
        while time.monotonic() < deadline and not _reads_stdin(command.pid):
            time.sleep(0.02)
        command.send_signal(signal.SIGINT)
        output, errors = command.communicate(timeout=30)
    assert command.returncode == 130
    assert output == b""
    assert errors == b"action-stats: interrupted; nothing printed\n"


def _reads_stdin(pid: int) -> bool:
    """True once process ``pid`` sleeps reading a pipe (Linux's /proc says so; where the
    kernel hides the wait channel, sleeping at all)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        channel = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        pytest.skip("no /proc to tell when the command reads")
    return state == "S" and (channel in ("", "0") or "pipe" in channel)
