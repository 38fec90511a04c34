"""GUI responsiveness under load, in one process; prints ratios against idle.

Run: ``uv run python -m bench.gui_responsiveness`` (``--seconds N`` per timer phase).
Headless: QT_QPA_PLATFORM=offscreen unless it is already set. Settings are kept in a
temporary folder, so the user's window geometry and benchmark settings are not touched.

Targets, with the benchmark at its defaults (4 producers): repainting the stats table
takes at most 2x its idle time, and a 10 ms timer on the GUI thread fires no more than
25 ms late at p99. Producers hold the GIL, so every Python call Qt makes while painting
waits for them; the naive ``QAbstractTableModel`` below is the baseline that shows why
the table's cells live in a ``QStandardItemModel``. Targets are reported, not asserted.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import pairwise
from types import FrameType

import orjson
import PySide6
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QEventLoop,
    QModelIndex,
    QSettings,
    Qt,
    QTimer,
    qVersion,
)
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QTableView

from core import ActionTracker, Snapshot
from core.loadgen import DEFAULT_ACTIONS, LoadGenerator, LoadSpec
from gui import MainWindow
from gui.resources import style_sheet
from gui.stats_model import FIELDS, HEADERS, format_number

ROWS = 50
"""Actions in the user's session, so the table has more rows than fit."""
TIMER_MS = 10
REPAINT_TARGET = 2.0
LATENESS_TARGET_MS = 25.0
SETTLE = 0.5
"""Seconds the load runs before anything is measured."""
LOAD_CAP = 600.0
"""Duration given to the load generator; it is stopped as soon as the timings are done."""
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class NaiveStatsModel(QAbstractTableModel):
    """The baseline: a Python ``data()`` per cell and role, formatting on every call."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self._actions = snapshot.actions

    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._actions)

    def columnCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(HEADERS)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        stats = self._actions[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            value = getattr(stats, FIELDS[column])
            return value if column == 0 else format_number(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return _RIGHT
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None


# --- helpers -----------------------------------------------------------------------------


def run_loop(seconds: float) -> None:
    """Run the Qt event loop for ``seconds``: timers fire, widgets repaint."""
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def wait_until(done: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        run_loop(0.02)
    return True


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, ``q`` in (0, 100]."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def time_repaints(views: Sequence[QTableView], repeats: int) -> list[list[float]]:
    """Seconds of ``viewport().repaint()`` for each view, interleaved so that both see
    the same conditions."""
    for view in views:  # warm-up: first paints lay out and fill caches
        for _ in range(2):
            view.viewport().repaint()
    times: list[list[float]] = [[] for _ in views]
    for _ in range(repeats):
        for view, series in zip(views, times, strict=True):
            series.append(timed(view.viewport().repaint))
    return times


def python_calls(call: Callable[[], object]) -> tuple[Counter[str], int]:
    """Python functions entered on this thread during ``call`` (by name), and the number
    of calls into C from Python code (each may release and retake the GIL)."""
    entered: Counter[str] = Counter()
    c_calls = 0

    def profile(frame: FrameType, event: str, _arg: object) -> None:
        nonlocal c_calls
        if event == "call":
            code = frame.f_code
            name = getattr(code, "co_qualname", code.co_name)
            entered[f"{name} ({os.path.basename(code.co_filename)})"] += 1
        elif event == "c_call":
            c_calls += 1

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return entered, max(0, c_calls - 1)  # minus the setprofile(None) call itself


def timer_lateness(seconds: float) -> list[float]:
    """Lateness in ms (interval - 10 ms) of a 10 ms precise timer on the GUI thread while
    the event loop runs for ``seconds``."""
    stamps: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TIMER_MS)
    timer.timeout.connect(lambda: stamps.append(time.perf_counter()))
    timer.start()
    run_loop(seconds)
    timer.stop()
    return [(later - earlier) * 1e3 - TIMER_MS for earlier, later in pairwise(stamps)]


def fill(tracker: ActionTracker, rows: int) -> None:
    rng = random.Random(4)
    for row in range(rows):
        mean = rng.uniform(20, 900)
        for _ in range(40):
            time_ = round(max(0.0, rng.gauss(mean, mean / 5)), 3)
            tracker.add_action(orjson.dumps({"action": f"action-{row:02d}", "time": time_}))


def naive_view_like(table: QTableView, snapshot: Snapshot) -> QTableView:
    """A second top-level view over ``snapshot``, set up and sized like ``table``."""
    view = QTableView()
    view.setObjectName("statsTable")  # same style-sheet rules
    view.setModel(NaiveStatsModel(snapshot))
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
    header.setMinimumSectionSize(64)
    view.setColumnWidth(0, table.columnWidth(0))
    view.resize(table.size())
    view.show()
    return view


def top(entered: Counter[str], count: int = 4) -> str:
    return ", ".join(f"{name} x{times}" for name, times in entered.most_common(count)) or "-"


# --- the phases --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per timer phase (3)")
    parser.add_argument("--repeats", type=int, default=30, help="repaints per view (30)")
    args = parser.parse_args(argv)
    seconds, repeats = max(0.5, args.seconds), max(3, args.repeats)

    with tempfile.TemporaryDirectory(prefix="gui-bench-") as home:
        QCoreApplication.setOrganizationName("ActionTrackerBench")
        QCoreApplication.setApplicationName("action-tracker-bench")
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, home)
        app = QApplication.instance() or QApplication([sys.argv[0]])
        app.setStyleSheet(style_sheet())  # as gui.app does
        window = MainWindow()
        naive: QTableView | None = None
        try:
            naive = measure(window, seconds, repeats)
        finally:
            if window.benchmark.busy:
                window.benchmark.stop()
                wait_until(lambda: not window.benchmark.busy, 10.0)
            window.shutdown()
            if naive is not None:
                naive.close()
            window.close()
            run_loop(0.05)
    return 0


def measure(window: MainWindow, seconds: float, repeats: int) -> QTableView:
    window.resize(1280, 800)
    window.show()
    fill(window.tracker, ROWS)
    window.refresh()
    run_loop(0.3)
    snapshot = window.tracker.snapshot()
    naive = naive_view_like(window.table, snapshot)
    run_loop(0.2)
    table = window.table
    views = (table, naive)
    visible_rows = table.rowAt(table.viewport().height() - 1) + 1 or table.model().rowCount()

    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, PySide6 {PySide6.__version__}"
        f", Qt {qVersion()}, platform {QApplication.platformName()}"
        f", GIL switch interval {sys.getswitchinterval() * 1e3:g} ms"
    )
    print(
        f"table: {table.model().rowCount()} rows x {len(HEADERS)} columns, {visible_rows} visible;"
        f" viewport {_size(table)} (stats) and {_size(naive)} (naive)"
    )

    # Repaint: idle, then under a separate tracker's load (the benchmark's default load).
    idle = time_repaints(views, repeats)
    profiles = [python_calls(view.viewport().repaint) for view in views]
    load_tracker = ActionTracker()
    generator = LoadGenerator(load_tracker, LoadSpec(duration=LOAD_CAP))
    generator.start()
    try:
        time.sleep(SETTLE)
        before = generator.status()
        load = time_repaints(views, repeats)
        after = generator.status()
    finally:
        generator.stop()
        generator.join()
    adds_rate = (after.added - before.added) / max(after.elapsed - before.elapsed, 1e-9)

    # Timer lateness: idle (user's session shown), then with the window's own benchmark
    # running at its defaults (benchmark session shown, refresh timer and charts live).
    run_loop(0.3)
    late_idle = timer_lateness(seconds)
    window.benchmark.set_spec(LoadSpec(duration=SETTLE + seconds + 30.0))
    window.benchmark.start()
    run_loop(SETTLE)
    late_load = timer_lateness(seconds)

    # Diagnostics while the benchmark still runs: the GUI thread's own work per refresh.
    refresh_load = [timed(window.refresh) for _ in range(10)]
    window_load = [timed(window.repaint) for _ in range(5)]
    bench_tracker = window.benchmark.tracker
    window.benchmark.stop()
    wait_until(lambda: not window.benchmark.busy, 10.0)
    run_loop(0.2)

    def bump_and_refresh() -> float:
        for action in DEFAULT_ACTIONS:  # every row changes, as under load
            assert bench_tracker is not None
            bench_tracker.add_action(orjson.dumps({"action": action.name, "time": action.mean}))
        return timed(window.refresh)

    refresh_idle = [bump_and_refresh() for _ in range(10)]
    window_idle = [timed(window.repaint) for _ in range(5)]
    for action in DEFAULT_ACTIONS:
        assert bench_tracker is not None
        bench_tracker.add_action(orjson.dumps({"action": action.name, "time": action.mean}))
    refresh_profile = python_calls(window.refresh)
    window_profile = python_calls(window.repaint)

    # --- report --------------------------------------------------------------------------
    ms = 1e3
    print(
        f"\ntable repaint: viewport().repaint(), {repeats} each, interleaved; idle, then "
        f"under {generator.spec.producers} producers into a separate tracker "
        f"({adds_rate:,.0f} adds/s while timing)"
    )
    print(
        f"{'subject':<34}{'idle ms':>9}{'load ms':>9}{'ratio':>8}{'idle p90':>10}{'load p90':>10}"
    )
    names = ("stats table (QStandardItemModel)", "naive QAbstractTableModel")
    ratios = []
    for name, quiet, busy in zip(names, idle, load, strict=True):
        ratio = statistics.median(busy) / statistics.median(quiet)
        ratios.append(ratio)
        print(
            f"{name:<34}{statistics.median(quiet) * ms:>9.2f}{statistics.median(busy) * ms:>9.2f}"
            f"{ratio:>8.2f}{percentile(quiet, 90) * ms:>10.2f}{percentile(busy, 90) * ms:>10.2f}"
        )
    print(
        f"{'naive / stats table':<34}"
        f"{statistics.median(idle[1]) / statistics.median(idle[0]):>9.2f}"
        f"{statistics.median(load[1]) / statistics.median(load[0]):>9.2f}"
    )

    print(
        f"\n{TIMER_MS} ms PreciseTimer on the GUI thread, lateness = interval - {TIMER_MS} ms,"
        f" {seconds:g} s each, window refresh timer running"
    )
    print(f"{'phase':<34}{'ticks':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    spec = window.benchmark.spec
    phases = (
        ("idle (user session shown)", late_idle),
        (f"benchmark running ({spec.producers} producers)", late_load),
    )
    for name, lateness in phases:
        print(
            f"{name:<34}{len(lateness) + 1:>7}{percentile(lateness, 50):>9.2f}"
            f"{percentile(lateness, 99):>9.2f}{max(lateness):>9.2f}"
        )

    print("\ndiagnostics: GUI-thread work (median ms) and Python calls it makes (idle count)")
    print(f"{'work':<34}{'idle ms':>9}{'load ms':>9}{'ratio':>8}{'py calls':>10}{'C calls':>9}")
    rows = (
        ("stats table repaint", idle[0], load[0], profiles[0]),
        ("naive table repaint", idle[1], load[1], profiles[1]),
        ("window.refresh(), benchmark data", refresh_idle, refresh_load, refresh_profile),
        ("whole window repaint()", window_idle, window_load, window_profile),
    )
    for name, quiet, busy, (entered, c_calls) in rows:
        print(
            f"{name:<34}{statistics.median(quiet) * ms:>9.2f}{statistics.median(busy) * ms:>9.2f}"
            f"{statistics.median(busy) / statistics.median(quiet):>8.2f}"
            f"{sum(entered.values()):>10,}{c_calls:>9,}"
        )
    for name, _, _, (entered, _) in rows:
        print(f"  {name}: {top(entered)}")

    print()
    repaint_ok = ratios[0] <= REPAINT_TARGET
    p99 = percentile(late_load, 99)
    print(
        f"{'PASS' if repaint_ok else 'FAIL'}  stats table repaint under load / idle = "
        f"{ratios[0]:.2f} (target <= {REPAINT_TARGET:g})"
    )
    print(
        f"{'PASS' if p99 <= LATENESS_TARGET_MS else 'FAIL'}  p99 timer lateness with the "
        f"benchmark running = {p99:.2f} ms (target <= {LATENESS_TARGET_MS:g} ms)"
    )
    return naive


def _size(view: QTableView) -> str:
    viewport = view.viewport()
    return f"{viewport.width()}x{viewport.height()}"


if __name__ == "__main__":
    sys.exit(main())
