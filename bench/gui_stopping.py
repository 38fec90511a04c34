"""How quickly the window stops its background work, and how often the throughput chart
is redrawn while a benchmark feeds it; prints each figure against its target.

Run: ``uv run python -m bench.gui_stopping`` (``--rounds N``, ``--seconds S`` of chart
watching per round). Headless: QT_QPA_PLATFORM=offscreen unless it is already set.
Settings live in a temporary folder, so the user's own are not touched.

The tests check that each of these stops happens; how long it takes depends on the
machine, so the targets live here: the second click on the benchmark button ends the
run within 0.5 s, so does Stop comparison, closing the window mid-run returns within
1.5 s with every thread joined, and the chart is redrawn at most once per
``gui.charts.REDRAW_SECONDS`` (pyqtgraph paints in Python, against busy producers).
The scenarios run in interleaved rounds, so that all of them see the same machine load.
Targets are reported, not asserted.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QProgressBar, QPushButton

from bench.gui_responsiveness import bench_application, pad_leaked_singletons, run_loop
from core.loadgen import LoadSpec
from gui import MainWindow
from gui.charts import REDRAW_SECONDS
from gui.workers import running_threads

LONG_RUN = LoadSpec(duration=600.0)
"""The benchmark's default load, for longer than any round: every run here is stopped."""
POLL_SECONDS = 0.005
"""Resolution of the stop timings: the event loop runs in steps this long meanwhile."""
GIVE_UP_SECONDS = 30.0
"""A stop that takes longer is reported as such; the round goes on."""


@dataclass
class Scenario:
    """One measured figure over the rounds; the worst round is held to the target."""

    name: str
    unit: str
    target: float
    values: list[float] = field(default_factory=list)

    def report(self) -> str:
        worst = max(self.values)
        verdict = "PASS" if worst <= self.target else "FAIL"
        return (
            f"{verdict}  {self.name:<40}{statistics.median(self.values):>10.3f}{worst:>10.3f}"
            f"{self.target:>10.3f}  {self.unit:<10}{worst / self.target:>13.2f}"
        )


class PaintCounter(QObject):
    """Counts the paint events of the widget it filters."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def wait_until(done: Callable[[], bool], timeout: float = GIVE_UP_SECONDS) -> float:
    """Seconds until ``done()``, the event loop running meanwhile (``inf`` on timeout)."""
    start = time.perf_counter()
    while not done():
        if time.perf_counter() - start > timeout:
            return float("inf")
        run_loop(POLL_SECONDS)
    return time.perf_counter() - start


def producers_running() -> bool:
    return any(thread.name.startswith("load-producer") for thread in threading.enumerate())


def button(window: MainWindow, name: str) -> QPushButton:
    found = window.findChild(QPushButton, name)
    assert found is not None, name
    return found


def start_run(window: MainWindow) -> None:
    """Start a long run and wait until its producers are adding and progress shows."""
    window.benchmark.set_spec(LONG_RUN)
    button(window, "benchmarkButton").click()
    progress = window.findChild(QProgressBar, "benchmarkProgress")
    assert progress is not None
    wait_until(lambda: progress.value() > 0 and producers_running())


def time_stop_click(window: MainWindow) -> float:
    start_run(window)
    button(window, "benchmarkButton").click()
    return wait_until(lambda: not window.benchmark.busy)


def time_stop_comparison(window: MainWindow) -> float:
    button(window, "compareButton").click()
    wait_until(producers_running)
    button(window, "benchmarkButton").click()  # "Stop comparison"
    return wait_until(lambda: not window.benchmark.busy)


def time_close_mid_run() -> float:
    """Seconds ``close()`` takes on a second window mid-run (the first one stays idle)."""
    others = set(running_threads())
    window = open_window()
    start_run(window)
    start = time.perf_counter()
    window.close()
    closed = time.perf_counter() - start
    left = [thread for thread in running_threads() if thread not in others]
    if left or producers_running():
        print(f"note: still running after close: {left or 'producer threads'}")
    return closed


def chart_redraws_and_paints(window: MainWindow, seconds: float) -> tuple[float, float]:
    """Per second while a run feeds the throughput chart: how often new data was drawn
    into it (its curve's ``sigPlotChanged``, first to last) and how often its viewport
    painted."""
    plot = window.charts.throughput_plot
    chart = plot.viewport()
    start_run(window)
    redrawn: list[float] = []

    def count_redraw(*_args: object) -> None:
        redrawn.append(time.perf_counter())

    curves = plot.getPlotItem().listDataItems()
    paints = PaintCounter()
    chart.installEventFilter(paints)
    for curve in curves:
        curve.sigPlotChanged.connect(count_redraw)
    start = time.perf_counter()
    run_loop(seconds)
    elapsed = time.perf_counter() - start
    for curve in curves:
        curve.sigPlotChanged.disconnect(count_redraw)
    chart.removeEventFilter(paints)
    window.benchmark.stop()
    wait_until(lambda: not window.benchmark.busy)
    spanned = redrawn[-1] - redrawn[0] if len(redrawn) > 1 else 0.0
    rate = (len(redrawn) - 1) / spanned if spanned > 0 else 0.0
    return rate, paints.paints / elapsed


def open_window() -> MainWindow:
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    run_loop(0.2)
    return window


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--seconds", type=float, default=2.0, help="chart watch per round (2)")
    args = parser.parse_args(argv)
    rounds, seconds = max(1, args.rounds), max(0.5, args.seconds)

    with tempfile.TemporaryDirectory(prefix="gui-stopping-") as home:
        _app = bench_application(home)  # held: the application lives while it is named
        pad_leaked_singletons(rounds * (seconds + 4.0))  # see bench.gui_responsiveness
        stop = Scenario("benchmark: second click to idle", "s", 0.5)
        compare = Scenario("comparison: Stop comparison to idle", "s", 0.5)
        close = Scenario("close mid-run, threads joined", "s", 1.5)
        redraws = Scenario("chart redraws while a run feeds it", "per s", 1 / REDRAW_SECONDS)
        paints: list[float] = []
        window = open_window()
        try:
            for _ in range(rounds):
                stop.values.append(time_stop_click(window))
                compare.values.append(time_stop_comparison(window))
                close.values.append(time_close_mid_run())
                redrawn, painted = chart_redraws_and_paints(window, seconds)
                redraws.values.append(redrawn)
                paints.append(painted)
        finally:
            window.close()
            run_loop(0.05)

    print(f"{rounds} interleaved rounds, {os.cpu_count()} CPUs, producers {LONG_RUN.producers}")
    print(
        f"      {'scenario':<40}{'median':>10}{'worst':>10}{'target':>10}  {'unit':<10}"
        f"{'worst/target':>13}"
    )
    for scenario in (stop, compare, close, redraws):
        print(scenario.report())
    print(
        f"chart viewport paints meanwhile: median {statistics.median(paints):.2f} per s"
        " (a redraw that rescales an axis paints again)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
