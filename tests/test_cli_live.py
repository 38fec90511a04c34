"""``action-stats --listen/--follow``: headless live watching, in-process and as a process."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

import core.cli
from livetools import action_stats, live_threads, reaped, wait_until


@pytest.fixture(autouse=True)
def _no_live_threads_left() -> Iterator[None]:
    yield
    assert live_threads() == []


def test_follow_for_a_while_prints_the_table_and_exits_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "app.log"
    path.write_text('db:10|ms\ndb:30|ms\n{"action": "json", "time": 5}\nhits:1|c\nbad\n')
    assert core.cli.main(["--follow", str(path), "--for", "0.5", "--every", "0.2"]) == 0
    out, err = capsys.readouterr()
    final = out.split("-- ")[-1].splitlines()
    assert final[1] == f"follow {path}: 5 received, 3 accepted, 1 rejected, 1 ignored, 0 dropped"
    assert final[2].split() == ["action", "count", "mean", "ms", "min", "max", "p50", "p90", "p99"]
    assert final[3].split()[:5] == ["db", "2", "20.000", "10.000", "30.000"]
    assert final[4].split()[:3] == ["json", "1", "5.000"]
    assert f"follow {path}" in err
    assert err.count("bad") == 1  # each rejection printed once, not at every table


def test_tables_come_every_period_and_once_at_the_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.log"
    path.write_text("")
    assert core.cli.main(["--follow", str(path), "--for", "0.3", "--every", "10"]) == 0
    assert capsys.readouterr().out.count("(no timings yet)") == 1  # only the final one
    assert core.cli.main(["--follow", str(path), "--for", "0.35", "--every", "0.1"]) == 0
    assert capsys.readouterr().out.count("(no timings yet)") >= 3  # 0.1 s, 0.2 s, ..., end


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--listen", "abc"], "PORT from 0 to 65535"),
        (["--listen", "70000"], "PORT from 0 to 65535"),
        (["--tcp", "--follow", "x"], "--tcp needs --listen"),
        (["--listen", "0", "--every", "0"], "--every must be"),
        (["--listen", "0", "--for", "-1"], "--for must be"),
        (["--listen", "0", "file.json"], "cannot be mixed"),
        ([], "give FILE arguments"),
    ],
)
def test_bad_live_arguments_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        core.cli.main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("8125", ("127.0.0.1", 8125)),
        ("0.0.0.0:9000", ("0.0.0.0", 9000)),
        (":9000", ("127.0.0.1", 9000)),
        ("[::1]:8125", ("::1", 8125)),
        ("localhost:0", ("localhost", 0)),
    ],
)
def test_listen_address_forms(text: str, address: tuple[str, int]) -> None:
    assert core.cli.listen_address(text) == address


def test_a_port_in_use_exits_two_saying_so(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        assert core.cli.main(["--listen", str(port), "--for", "1"]) == 2
    assert f"UDP port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err


@pytest.mark.parametrize("protocol", ["udp", "tcp"])
def test_listening_process_prints_tables_and_exits_zero_on_sigterm(protocol: str) -> None:
    arguments = ["--listen", "127.0.0.1:0", "--every", "0.1"]
    if protocol == "tcp":
        arguments.append("--tcp")
    with reaped(action_stats(*arguments)) as process:
        assert process.stderr is not None
        assert process.stdout is not None
        announced = process.stderr.readline().strip()  # "action-stats: udp 127.0.0.1:PORT"
        assert announced.startswith(f"action-stats: {protocol} 127.0.0.1:")
        port = int(announced.rsplit(":", 1)[1])
        if protocol == "udp":
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.sendto(b"remote:42|ms\n", ("127.0.0.1", port))
        else:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sender:
                sender.sendall(b"remote:42|ms\n")
        seen: list[str] = []

        def row_seen() -> bool:
            seen.append(process.stdout.readline())  # type: ignore[union-attr]
            return seen[-1].startswith("remote ")

        wait_until(row_seen, timeout=20)
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    final = out.split("-- ")[-1]
    assert "1 received, 1 accepted" in final
    assert "remote" in final
