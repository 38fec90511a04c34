"""``action-stats --metrics``: the live figures served to Prometheus, in-process and as a
process scraped over HTTP on 127.0.0.1."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import core.cli
from core.metrics import HISTOGRAM_NAME, SUMMARY_NAME, MetricsServer
from livetools import action_stats, live_threads, reaped, wait_until


@pytest.fixture(autouse=True)
def _no_live_threads_left() -> Iterator[None]:
    yield
    assert live_threads() == []


def _counts(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode("utf-8")
    return {
        sample.labels["action"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == SUMMARY_NAME
        for sample in family.samples
        if sample.name == f"{SUMMARY_NAME}_count"
    }


def test_a_process_serves_its_figures_until_for_ends() -> None:
    arguments = [
        "--listen", "127.0.0.1:0",
        "--metrics", "127.0.0.1:0", "--metrics-buckets", "5,50", "--for", "4", "--every", "60",
    ]  # fmt: skip
    with reaped(action_stats(*arguments)) as process:
        assert process.stderr is not None
        listening = process.stderr.readline().strip()  # "action-stats: udp 127.0.0.1:PORT"
        serving = process.stderr.readline().strip()
        assert serving.startswith("action-stats: metrics http://127.0.0.1:")
        url = serving.split(" ")[-1]
        assert url.endswith("/metrics")
        port = int(listening.rsplit(":", 1)[1])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"remote:4|ms\nremote:40|ms\n", ("127.0.0.1", port))
        wait_until(lambda: _counts(url) == {"remote": 2}, timeout=3)
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode("utf-8")
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f'{HISTOGRAM_NAME}_bucket{{action="remote",le="5.0"}} 1.0' in text
    assert f'{HISTOGRAM_NAME}_bucket{{action="remote",le="50.0"}} 2.0' in text
    assert f"{url}: " in out  # its scrapes, in the final table
    assert "remote" in out.split("-- ")[-1]


def test_the_url_is_announced_and_the_scrapes_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "app.log"
    path.write_text("db:10|ms\n")
    assert core.cli.main(["--follow", str(path), "--metrics", "0", "--for", "0.3"]) == 0
    out, err = capsys.readouterr()
    assert "action-stats: metrics http://127.0.0.1:" in err
    assert "open to the network" not in err
    assert ": 0 scrapes" in out.split("-- ")[-1]


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--metrics", "9464"], "--metrics serves the figures of live sources"),
        (["--metrics", "9464", "file.json"], "FILE arguments are read once"),
        (["--listen", "0", "--metrics", "port"], "--metrics wants [HOST:]PORT"),
        (["--listen", "0", "--metrics", "70000"], "--metrics wants [HOST:]PORT"),
        (["--listen", "0", "--metrics-buckets", "1,2"], "--metrics-buckets needs --metrics"),
        (["--listen", "0", "--metrics", "0", "--metrics-buckets", "1,x"], "'x' is not a number"),
        (["--listen", "0", "--metrics", "0", "--metrics-buckets", "5,1"], "must rise"),
        (["--listen", "0", "--metrics", "0", "--metrics-buckets", "1,inf"], "finite"),
        (["--listen", "0", "--metrics-quantile-window", "60"], "needs --metrics"),
        *(
            (["--listen", "0", "--metrics", "0", "--metrics-quantile-window", bad], "1 to 300")
            for bad in ("0", "301", "2.5", "minute")
        ),
    ],
)
def test_bad_metrics_arguments_are_usage_errors(
    arguments: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        core.cli.main(arguments)
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err


@pytest.mark.parametrize(
    ("given", "window"), [([], 300), (["60"], 60), (["all"], None), (["ALL"], None)]
)
def test_the_quantile_window_reaches_the_server(
    given: list[str], window: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[MetricsServer] = []

    class Recorded(MetricsServer):
        def start(self) -> None:
            made.append(self)
            super().start()

    monkeypatch.setattr(core.cli, "MetricsServer", Recorded)
    path = tmp_path / "app.log"
    path.write_text("db:10|ms\n")
    option = ["--metrics-quantile-window", *given] if given else []
    assert core.cli.main(["--follow", str(path), "--metrics", "0", "--for", "0.1", *option]) == 0
    assert [server.quantile_window for server in made] == [window]


def test_a_metrics_port_in_use_exits_two_and_stops_the_sources(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert core.cli.main(["--listen", "0", "--metrics", str(port), "--for", "1"]) == 2
    assert f"TCP port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err
