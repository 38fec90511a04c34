"""GUI responsiveness under load, in one process; prints ratios against idle.

Run: ``uv run python -m bench.gui_responsiveness`` (``--seconds N`` per timer phase).
Headless: QT_QPA_PLATFORM=offscreen unless it is already set. Settings live in a
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
import ctypes
import gc
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from itertools import pairwise
from types import FrameType

import orjson
import PySide6
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QEventLoop,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSettings,
    Qt,
    QTimer,
    Signal,
    qVersion,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QHeaderView,
    QTableView,
)

from core import ActionTracker, Snapshot
from core.loadgen import LoadGenerator, LoadSpec
from gui import MainWindow
from gui.main_window import USER_SESSION
from gui.resources import style_sheet
from gui.stats_model import COUNT_COLUMN, FIELDS, HEADERS, format_count, format_time

ROWS = 50
"""Actions in the user's session, more rows than the table shows at once."""
PRODUCERS = LoadSpec().producers
"""The benchmark's default load (4 producers)."""
TIMER_MS = 10
REPAINT_TARGET = 2.0
LATENESS_TARGET_MS = 25.0
WARM_UP = 5
SETTLE = 0.5
"""Seconds a load runs before anything is measured."""
DISTRIBUTION_SETTLE = 2.5
"""With --distribution, seconds from the selection to the measurement: the view's first
histograms (taken at once) and first redraw (at most once a second) come meanwhile."""
LOAD_CAP = 600.0
"""Duration given to the load; it is stopped as soon as its timings are done."""
PAD_BASE, PAD_PER_SECOND = 600_000, 100_000
"""References given to a leaking singleton: far more than a run loses (a few thousand
a second while the benchmark runs, next to none otherwise)."""
LEAKABLE: dict[str, object] = {"True": True, "None": None}
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class NaiveStatsModel(QAbstractTableModel):
    """The baseline: a Python ``data()`` per cell and role, formatting on every call."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self._actions = snapshot.actions

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._actions)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(HEADERS)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if not index.isValid():
            return None
        stats = self._actions[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            value = getattr(stats, FIELDS[column])
            if column == 0:
                return value
            return format_count(value) if column == COUNT_COLUMN else format_time(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return _RIGHT
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None


class _Probe(QObject):
    signal = Signal()


def pad_leaked_singletons(seconds: float) -> dict[str, int]:
    """References to ``True`` and ``None`` lost per PySide6 call (``{}`` when none are).

    Some PySide6 builds return ``True`` from ``Signal.emit()``, and ``None`` from every
    call that returns nothing, without a new reference. From Python 3.12 on both are
    immortal; before, each call takes one reference away, and once a singleton runs out
    Python aborts: "Fatal Python error: none_dealloc" (or bool_dealloc). The window makes
    thousands of such calls a second while the benchmark runs (pyqtgraph's redraws most
    of all). So that this run can finish and print its figures, each leaking singleton
    gets references that are never released; the loss is reported at the end.
    """
    probe = _Probe()
    lost = {}
    emitters: tuple[tuple[str, object, Callable[[], object]], ...] = (
        ("True", True, probe.signal.emit),
        ("None", None, lambda: probe.setObjectName("probe")),
    )
    for name, value, call in emitters:
        before = sys.getrefcount(value)
        for _ in range(100):
            call()
        per_call = max(0, before - sys.getrefcount(value)) // 100
        if per_call:
            lost[name] = per_call
            if sys.version_info < (3, 12):
                incref, target = ctypes.pythonapi.Py_IncRef, ctypes.py_object(value)
                for _ in range(PAD_BASE + round(PAD_PER_SECOND * seconds)):
                    incref(target)
    return lost


# --- helpers -----------------------------------------------------------------------------


def run_loop(seconds: float) -> None:
    """Run the Qt event loop for ``seconds``: timers fire, signals arrive, widgets paint."""
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


def time_calls(calls: Sequence[Callable[[], object]], repeats: int) -> list[list[float]]:
    """Seconds of each call, ``repeats`` times, interleaved so that all see the same
    conditions; after a few untimed warm-up calls (layout, caches, override lookups)."""
    for call in calls:
        for _ in range(WARM_UP):
            call()
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(repeats):
        for call, series in zip(calls, times, strict=True):
            series.append(timed(call))
    return times


def _where(frame: FrameType) -> str:
    code = frame.f_code
    name = getattr(code, "co_qualname", code.co_name)
    return f"{name} ({os.path.basename(code.co_filename)})"


def python_calls(call: Callable[[], object]) -> Counter[str]:
    """Python functions entered on this thread during ``call``, by name."""
    entered: Counter[str] = Counter()

    def profile(frame: FrameType, event: str, _arg: object) -> None:
        if event == "call":
            entered[_where(frame)] += 1

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return entered


def slot_profile(seconds: float) -> tuple[dict[str, list[float]], float]:
    """Run the event loop for ``seconds`` and time every outermost Python call Qt makes
    on the GUI thread (slots, event handlers, overrides), nested Python included:
    ``{name: durations}`` and the wall time."""
    durations: dict[str, list[float]] = {}
    depth = 0
    started = 0.0

    def profile(frame: FrameType, event: str, _arg: object) -> None:
        nonlocal depth, started
        if event == "call":
            if depth == 0:
                started = time.perf_counter()
            depth += 1
        elif event == "return":
            depth -= 1
            if depth == 0:
                durations.setdefault(_where(frame), []).append(time.perf_counter() - started)

    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    start = time.perf_counter()
    sys.setprofile(profile)
    try:
        loop.exec()
    finally:
        sys.setprofile(None)
    return durations, time.perf_counter() - start


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


def bench_application(settings_folder: str) -> QApplication:
    """The QApplication a GUI benchmark runs in, styled as ``gui.app`` styles it, with its
    settings in ``settings_folder`` so the user's own are neither read nor changed."""
    QCoreApplication.setOrganizationName("ActionTrackerBench")
    QCoreApplication.setApplicationName("action-tracker-bench")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_folder)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    app.setStyleSheet(style_sheet())
    return app


def timer_lateness_while(busy: Callable[[], bool], cap: float) -> list[float]:
    """``timer_lateness`` for as long as ``busy()`` holds (checked every 50 ms), at most
    ``cap`` seconds."""
    stamps: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TIMER_MS)
    timer.timeout.connect(lambda: stamps.append(time.perf_counter()))
    timer.start()
    end = time.perf_counter() + cap
    while busy() and time.perf_counter() < end:
        run_loop(0.05)
    timer.stop()
    return [(later - earlier) * 1e3 - TIMER_MS for earlier, later in pairwise(stamps)]


def write_load_file(path: str, records: int) -> None:
    """``records`` newline-delimited records of 20 actions, half integer, half float times."""
    rng = random.Random(5)
    with open(path, "wb") as file:
        for start in range(0, records, 10_000):
            block = [
                orjson.dumps(
                    {
                        "action": f"loaded {rng.randrange(20)}",
                        "time": rng.randrange(1, 1000)
                        if rng.random() < 0.5
                        else round(rng.lognormvariate(4, 1), 3),
                    }
                )
                for _ in range(min(10_000, records - start))
            ]
            file.write(b"\n".join(block) + b"\n")


def fill(tracker: ActionTracker, rows: int) -> None:
    rng = random.Random(4)
    for row in range(rows):
        mean = rng.uniform(20, 900)
        for _ in range(40):
            value = round(max(0.0, rng.gauss(mean, mean / 5)), 3)
            tracker.add_action(orjson.dumps({"action": f"action-{row:02d}", "time": value}))


def naive_view_like(table: QTableView, snapshot: Snapshot) -> QTableView:
    """A second top-level view over ``snapshot``, set up and sized like ``table``."""
    view = QTableView()
    view.setObjectName(table.objectName())  # the same style-sheet rules
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


def median_ms(values: Sequence[float]) -> float:
    return statistics.median(values) * 1e3


def _size(view: QAbstractScrollArea) -> str:
    return f"{view.viewport().width()}x{view.viewport().height()}"


# --- the run -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per timer phase (3)")
    parser.add_argument("--repeats", type=int, default=30, help="repaints per view (30)")
    parser.add_argument(
        "--load-records", type=int, default=1_000_000, help="lines of the file the window loads"
    )
    parser.add_argument(
        "--distribution",
        action="store_true",
        help="while the window's benchmark runs, select its actions and show their distribution",
    )
    args = parser.parse_args(argv)
    seconds, repeats = max(0.5, args.seconds), max(3, args.repeats)

    with tempfile.TemporaryDirectory(prefix="gui-bench-") as home:
        _app = bench_application(home)  # held: the application lives while it is named
        leaks = pad_leaked_singletons(seconds)
        counts = {name: sys.getrefcount(LEAKABLE[name]) for name in leaks}
        window = MainWindow()
        gc.freeze()  # as gui.app.main does once the window exists
        extra: list[QTableView] = []
        try:
            run(
                window,
                seconds,
                repeats,
                extra,
                folder=home,
                load_records=args.load_records,
                distribution=args.distribution,
            )
        finally:
            if window.benchmark.busy:
                window.benchmark.stop()
                wait_until(lambda: not window.benchmark.busy, 10.0)
            window.shutdown()
            for view in extra:
                view.close()
            window.close()
            run_loop(0.05)
        if leaks:
            lost = ", ".join(
                f"{counts[name] - sys.getrefcount(LEAKABLE[name]):,} to {name}" for name in leaks
            )
            print(
                f"\nnote: PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} drops a"
                f" reference to None per call returning nothing and to True per Signal.emit();"
                f" this run lost {lost}. Python aborts when one runs out (none_dealloc,"
                " bool_dealloc); this run gave them spare references to finish."
            )
    return 0


def run(
    window: MainWindow,
    seconds: float,
    repeats: int,
    extra: list[QTableView],
    *,
    folder: str,
    load_records: int,
    distribution: bool = False,
) -> None:
    window.resize(1280, 800)
    window.show()
    fill(window.tracker, ROWS)
    window.refresh()
    run_loop(0.3)
    table = window.table
    naive = naive_view_like(table, window.tracker.snapshot())
    extra.append(naive)
    chart = window.charts.currentWidget()
    assert isinstance(chart, QAbstractScrollArea)  # a pyqtgraph PlotWidget (a QGraphicsView)
    run_loop(0.3)
    views: tuple[QAbstractScrollArea, ...] = (table, naive, chart)
    # The synchronous repaints: the stats table's paint runs no Python, but repaint()
    # lets the GIL go while Qt paints, and taking it back is part of every timing here.
    # time.sleep(0) measures that round trip alone.
    calls: list[Callable[[], object]] = [
        *(view.viewport().repaint for view in views),
        partial(time.sleep, 0),
    ]
    shown_rows = table.rowAt(table.viewport().height() - 1) + 1 or table.model().rowCount()

    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, PySide6 {PySide6.__version__}"
        f", Qt {qVersion()}, platform {QApplication.platformName()}"
        f", GIL switch interval {sys.getswitchinterval() * 1e3:g} ms"
    )
    print(
        f"table: {table.model().rowCount()} rows x {len(HEADERS)} columns, {shown_rows} shown,"
        f" viewport {_size(table)} (stats table) and {_size(naive)} (naive)"
    )

    # Repaint, idle and then under the benchmark's load into a separate tracker: the
    # views keep showing the same rows, so only the load differs.
    idle = time_calls(calls, repeats)
    entered = [python_calls(call) for call in calls]
    late_idle = timer_lateness(seconds)
    generator = LoadGenerator(ActionTracker(), LoadSpec(producers=PRODUCERS, duration=LOAD_CAP))
    generator.start()
    try:
        time.sleep(SETTLE)
        before = generator.status()
        load = time_calls(calls, repeats)
        after = generator.status()
        late_floor = timer_lateness(seconds)  # the window has nothing new to show
    finally:
        generator.stop()
        generator.join()
    rate = (after.added - before.added) / max(after.elapsed - before.elapsed, 1e-9)

    # Timer lateness with the window's own benchmark running at its defaults: the
    # benchmark session is shown, the poller, refresh timer and charts are live.
    run_loop(0.3)
    window.benchmark.set_spec(LoadSpec(producers=PRODUCERS, duration=LOAD_CAP))
    window.benchmark.start()
    if distribution:
        # The distribution view's histograms are taken and drawn meanwhile; selected as
        # the run starts, so its first show (pyqtgraph lays out and builds its curves
        # once) falls in the settling time, as the other charts' first show did.
        run_loop(0.2)
        window.table.selectAll()
        window.charts.setCurrentWidget(window.charts.distribution)
        run_loop(DISTRIBUTION_SETTLE)
    run_loop(SETTLE)
    bench_tracker = window.benchmark.tracker
    assert bench_tracker is not None
    shown = window.shown_tracker is bench_tracker
    adds, start = bench_tracker.version, time.perf_counter()
    late_load = timer_lateness(seconds)
    bench_rate = (bench_tracker.version - adds) / (time.perf_counter() - start)
    slots, wall = slot_profile(min(seconds, 2.0))
    window.benchmark.stop()
    wait_until(lambda: not window.benchmark.busy, 10.0)

    # Timer lateness while the window loads a file into the user's session: the loader
    # runs on a worker thread, and the GUI thread waits for the GIL between its chunks.
    run_loop(0.3)
    load_path = os.path.join(folder, "load.ndjson")
    write_load_file(load_path, load_records)
    window.show_session(USER_SESSION)  # the table shows the file's rows as they arrive
    load_start = time.perf_counter()
    window.open_file(load_path)
    late_file = timer_lateness_while(lambda: window.loading, LOAD_CAP)
    load_seconds = time.perf_counter() - load_start
    wait_until(lambda: not window.loading, LOAD_CAP)

    # --- report --------------------------------------------------------------------------
    print(
        f"\ntable repaint: viewport().repaint(), median of {repeats}, interleaved; idle, then"
        f" {PRODUCERS} producers into a separate tracker ({rate:,.0f} adds/s meanwhile)"
    )
    print(
        f"{'subject':<34}{'idle ms':>9}{'load ms':>9}{'ratio':>8}{'idle p90':>10}{'load p90':>10}"
        f"{'py calls':>10}"
    )
    names = (
        "stats table (QStandardItemModel)",
        "naive QAbstractTableModel",
        "chart, for reference (pyqtgraph)",
        "GIL round trip (time.sleep(0))",
    )
    ratios = []
    for name, quiet, busy, python in zip(names, idle, load, entered, strict=True):
        ratios.append(median_ms(busy) / median_ms(quiet))
        print(
            f"{name:<34}{median_ms(quiet):>9.2f}{median_ms(busy):>9.2f}{ratios[-1]:>8.2f}"
            f"{percentile(quiet, 90) * 1e3:>10.2f}{percentile(busy, 90) * 1e3:>10.2f}"
            f"{sum(python.values()):>10,}"
        )
    print(
        f"{'naive / stats table':<34}{median_ms(idle[1]) / median_ms(idle[0]):>9.2f}"
        f"{median_ms(load[1]) / median_ms(load[0]):>9.2f}"
    )
    print("py calls: Python functions Qt entered during one idle repaint (sys.setprofile)")
    for name, python in zip(names, entered, strict=True):
        if python:
            common = ", ".join(f"{where} x{count}" for where, count in python.most_common(3))
            print(f"  {name.split(' (')[0]}: {common}")

    print(
        f"\n{TIMER_MS} ms PreciseTimer on the GUI thread, lateness = interval - {TIMER_MS} ms,"
        f" {seconds:g} s each, the window's timers running; the benchmark session"
        f" {'shown' if shown else 'NOT shown'} while it ran ({bench_rate:,.0f} adds/s)"
        + (", its actions' distribution shown" if distribution else "")
    )
    print(f"{'phase':<44}{'ticks':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    phases = (
        ("idle", late_idle),
        (f"{PRODUCERS} producers, separate tracker (floor)", late_floor),
        (f"window benchmark running ({PRODUCERS} producers)", late_load),
        (f"window loading {load_records:,} lines ({load_seconds:.1f} s)", late_file),
    )
    for name, lateness in phases:
        print(
            f"{name:<44}{len(lateness) + 1:>7}{percentile(lateness, 50):>9.2f}"
            f"{percentile(lateness, 99):>9.2f}{max(lateness):>9.2f}"
        )

    print(
        f"\nGUI-thread Python while the benchmark runs ({wall:.1f} s, profiled separately):"
        " outermost calls from Qt, nested Python included"
    )
    print(f"{'call':<58}{'count':>7}{'total ms':>10}{'mean ms':>9}{'max ms':>9}")
    ranked = sorted(slots.items(), key=lambda item: -sum(item[1]))
    for where, spent in ranked[:6]:
        print(
            f"{where:<58}{len(spent):>7}{sum(spent) * 1e3:>10.1f}"
            f"{statistics.mean(spent) * 1e3:>9.2f}{max(spent) * 1e3:>9.1f}"
        )
    busy_share = sum(sum(spent) for spent in slots.values()) / wall
    print(f"{'all (share of wall time)':<58}{'':>7}{busy_share:>10.0%}")

    p99 = percentile(late_load, 99)
    print()
    print(
        f"{'PASS' if ratios[0] <= REPAINT_TARGET else 'FAIL'}  stats table repaint under load /"
        f" idle = {ratios[0]:.2f} (target <= {REPAINT_TARGET:g})"
    )
    print(
        f"{'PASS' if p99 <= LATENESS_TARGET_MS else 'FAIL'}  p99 timer lateness with the"
        f" benchmark running = {p99:.2f} ms (target <= {LATENESS_TARGET_MS:g} ms)"
    )
    p99_file = percentile(late_file, 99)
    print(
        f"{'PASS' if p99_file <= LATENESS_TARGET_MS else 'FAIL'}  p99 timer lateness while the"
        f" window loads {load_records:,} lines = {p99_file:.2f} ms"
        f" (target <= {LATENESS_TARGET_MS:g} ms)"
    )


if __name__ == "__main__":
    sys.exit(main())
