"""The benchmark panel writes its rates as the statistics table's Rate column and the
totals line do (gui.stats_model.format_rate), and its counts digit-grouped alike."""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidget

from core.loadgen import LoadResult, LoadStatus
from gui import MainWindow
from gui.benchmark_panel import HISTORY_HEADERS
from gui.stats_model import format_rate
from widgets import child


def _result(added: int, seconds: float, stopped: bool = False) -> LoadResult:
    return LoadResult(
        strategy="running",
        producers=4,
        added=added,
        seconds=seconds,
        get_stats_ms=0.125,
        memory_bytes=2048,
        stopped=stopped,
    )


def test_the_history_writes_the_rate_as_the_table_does(window: MainWindow) -> None:
    result = _result(1_234_567, 2.0)
    window.benchmark._record("", result)
    history = window.benchmark.history
    rate_column = HISTORY_HEADERS.index("Rate")
    assert history.item(0, rate_column).text() == format_rate(result.rate) == "617,283.5/s"
    assert history.item(0, HISTORY_HEADERS.index("Adds")).text() == "1,234,567"


def test_a_slow_rate_reads_per_minute_as_in_the_table(window: MainWindow) -> None:
    window.benchmark._record("stopped", _result(3, 6.0))  # 0.5 a second
    history = child(window, QTableWidget, "benchmarkHistory")
    assert history.item(0, HISTORY_HEADERS.index("Rate")).text() == "30.0/min"


def test_the_live_line_writes_rates_as_the_table_does(window: MainWindow) -> None:
    panel = window.benchmark
    status = LoadStatus(added=1_000_000, elapsed=2.0, fraction=0.2)
    panel._on_worker_yielded(status)
    assert panel.live.text() == (
        f"Adding at {format_rate(status.rate)} · 2.0 s elapsed · 1,000,000 added"
    )
    assert "500,000.0/s" in panel.live.text()
    assert "adds/s" not in panel.live.text()

    panel._on_run_returned(_result(1_000_000, 2.0))
    assert panel.live.text() == (
        "Finished: 1,000,000 adds in 2.0 s, at 500,000.0/s, get_stats() 0.125 ms"
    )

    panel._on_compare_returned([_result(1_000_000, 2.0), _result(500_000, 2.0)])
    assert (
        panel.live.text()
        .splitlines()[1]
        .endswith("adds at 250,000.0/s, get_stats 0.125 ms, 2.0 KiB")
    )
