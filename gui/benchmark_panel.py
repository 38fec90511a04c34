"""The benchmark: start/stop, live progress, run history and strategy comparison.

Load goes into a tracker of the benchmark's own (a new one per run), never into the
user's: the window shows it as the "Benchmark" session.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Generator
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from core import ActionTracker
from core.errors import reason
from core.loadgen import LoadGenerator, LoadResult, LoadSpec, LoadStatus, compare_strategies
from gui.benchmark_dialog import BenchmarkDialog
from gui.messages import warn
from gui.stats_model import format_count, format_rate
from gui.strategy_names import strategy_label
from gui.workers import Worker

log = logging.getLogger(__name__)

HISTORY_HEADERS = (
    "Run",
    "Strategy",
    "Producers",
    "Adds",
    "Seconds",
    "Rate",  # adds a second, written as the statistics table's Rate column
    "get_stats\nms",  # two lines: on one, the history needed a scrollbar at 1440 px
    "Memory",
)
FIRST_NUMERIC_HISTORY_COLUMN = HISTORY_HEADERS.index("Producers")
NUMBER_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
MAX_HISTORY = 200
"""Rows the history keeps (and the window remembers); older ones drop off."""
COMPARE_COUNT_PER_PRODUCER = 250_000
"""Adds per producer in a strategy comparison: long enough for a stable rate."""
PROGRESS_INTERVAL = 0.1
"""Seconds between progress reports of a run: 10 Hz, never one per action."""


def run_benchmark(
    tracker: ActionTracker, spec: LoadSpec, stop: threading.Event
) -> Generator[LoadStatus, None, LoadResult]:
    """Feed ``tracker`` from ``spec.producers`` threads, yielding their status; a stop
    ends the run early, and its result says so."""
    generator = LoadGenerator(tracker, spec)
    generator.start()
    try:
        while generator.running:
            if stop.wait(PROGRESS_INTERVAL):
                generator.stop()
            yield generator.status()
    except BaseException:
        generator.stop()  # never leave producers running behind an error
        generator.join()
        raise
    # Stopped only if asked to: a run that reached its duration or count is complete.
    return generator.join()


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One row of the run history: the run's number, its kind ("stopped", "compared" or
    "" for a completed run) and its result."""

    number: int
    kind: str
    result: LoadResult


def describe(spec: LoadSpec) -> str:
    """One line for the settings, e.g. '4 producers · 10 s · running-stats strategy ·
    4 actions': the strategy is named as one, never a bare "running" beside "Not running"."""
    amount = f"{spec.duration:g} s" if spec.duration is not None else f"{spec.count:,} adds"
    return (
        f"{spec.producers} producers · {amount} · {strategy_label(spec.strategy)} · "
        f"{len(spec.actions)} actions"
    )


class BenchmarkPanel(QGroupBox):
    """Signals
    -------
    started(object)
        The new benchmark ``ActionTracker`` as a run begins.
    progressed(object)
        A ``LoadStatus``, about 10 times a second.
    run_finished(object)
        The ``LoadResult`` of a run, also of a stopped one.
    failed(object)
        The ``Exception`` that ended a run or comparison (also shown in a message).
    spec_changed(object)
        The new ``LoadSpec`` after the settings dialog was accepted.
    """

    started = Signal(object)
    progressed = Signal(object)
    run_finished = Signal(object)
    failed = Signal(object)
    spec_changed = Signal(object)

    def __init__(self, spec: LoadSpec) -> None:
        super().__init__("Benchmark")
        self.spec = spec
        # Empty until the first run, so that Reset and Export on the Benchmark tab act on
        # the benchmark's session, never on the user's.
        self.tracker = ActionTracker(spec.strategy)
        self._worker: Worker | None = None
        self._closed = False
        self._runs = 0
        self.entries: list[HistoryEntry] = []
        """The history's rows, oldest first, as the window saves and restores them."""

        self.start_button = QPushButton("Start benchmark")
        self.start_button.setObjectName("benchmarkButton")
        self.settings_button = QPushButton("Settings…")
        self.settings_button.setObjectName("benchmarkSettingsButton")
        self.compare_button = QPushButton("Compare strategies")
        self.compare_button.setObjectName("compareButton")
        self.compare_button.setToolTip(
            "Run the same load into each strategy and compare add throughput, "
            "get_stats() time and memory"
        )
        self.settings_label = QLabel(describe(spec))
        self.settings_label.setObjectName("benchmarkSettings")
        self.progress = QProgressBar()
        self.progress.setObjectName("benchmarkProgress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.live = QLabel("Not running")
        self.live.setObjectName("benchmarkLive")
        self.live.setWordWrap(True)  # the comparison's result is longer than the panel
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.live.setSizePolicy(policy)
        self.history = QTableWidget(0, len(HISTORY_HEADERS))
        self.history.setObjectName("benchmarkHistory")
        self.history.setHorizontalHeaderLabels(list(HISTORY_HEADERS))
        self.history.verticalHeader().hide()
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )

        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.settings_button)
        buttons.addWidget(self.compare_button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.settings_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.live)
        layout.addWidget(self.history, 1)

        self.start_button.clicked.connect(self.toggle)
        self.settings_button.clicked.connect(self.edit_settings)
        self.compare_button.clicked.connect(self.compare)

    @property
    def busy(self) -> bool:
        """Whether a run or comparison is under way (until its worker has finished)."""
        return self._worker is not None

    def toggle(self) -> None:
        """Start a run, or stop the one in progress."""
        if not self.busy:
            self.start()
        else:
            self.stop()

    def start(self) -> None:
        if self.busy:
            return
        self.tracker = ActionTracker(self.spec.strategy)
        worker = Worker(partial(run_benchmark, self.tracker, self.spec), "benchmark run")
        worker.yielded.connect(self._on_worker_yielded)
        worker.returned.connect(self._on_run_returned)
        self._begin(worker, "Stop")
        self.started.emit(self.tracker)

    def stop(self) -> None:
        """Ask the running job to stop; it finishes (and reports) within half a second."""
        if self._worker is not None:
            self._worker.quit()
            self.live.setText("Stopping…")

    def compare(self) -> None:
        if self.busy:
            return
        count = COMPARE_COUNT_PER_PRODUCER * self.spec.producers
        spec = LoadSpec(self.spec.actions, self.spec.producers, None, count, self.spec.strategy)
        worker = Worker(partial(compare_strategies, spec), "strategy comparison")
        worker.returned.connect(self._on_compare_returned)
        self._begin(worker, "Stop comparison")
        self.progress.setRange(0, 0)  # busy indicator: the runs report no progress
        self.live.setText(f"Comparing strategies: {format_count(count)} adds into each…")

    def edit_settings(self) -> None:
        dialog = BenchmarkDialog(self.spec, self)
        if dialog.exec():
            self.set_spec(dialog.spec())
            self.spec_changed.emit(self.spec)

    def set_spec(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.settings_label.setText(describe(spec))

    def shutdown(self) -> Worker | None:
        """Ask any job to stop; returns its worker, for the window to wait for. A failure
        after this is logged, not shown."""
        self._closed = True
        if self._worker is not None:
            self._worker.quit()
        return self._worker

    def _begin(self, worker: Worker, stop_text: str) -> None:
        worker.errored.connect(self._on_worker_errored)
        worker.finished.connect(self._on_worker_finished)
        self._worker = worker
        worker.start()
        self.start_button.setText(stop_text)
        self.settings_button.setEnabled(False)
        self.compare_button.setEnabled(False)
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)

    def _on_worker_yielded(self, status: LoadStatus) -> None:
        self.progress.setValue(round(status.fraction * 1000))
        self.live.setText(
            f"Adding at {format_rate(status.rate)} · {status.elapsed:.1f} s elapsed · "
            f"{format_count(status.added)} added"
        )
        self.progressed.emit(status)

    def _on_run_returned(self, result: LoadResult) -> None:
        self._record("stopped" if result.stopped else "", result)
        self.live.setText(
            f"{'Stopped' if result.stopped else 'Finished'}: {format_count(result.added)} "
            f"adds in {result.seconds:.1f} s, at {format_rate(result.rate)}, "
            f"get_stats() {result.get_stats_ms:.3f} ms"
        )
        self.run_finished.emit(result)

    def _on_compare_returned(self, results: list[LoadResult]) -> None:
        for result in results:
            self._record("compared", result)
        if len(results) == 2:
            running, samples = results
            self.live.setText(
                "\n".join(
                    f"{strategy_label(result.strategy)}: adds at {format_rate(result.rate)}, "
                    f"get_stats {result.get_stats_ms:.3f} ms, {_size(result.memory_bytes)}"
                    for result in (running, samples)
                )
            )
        else:
            self.live.setText("Comparison stopped")

    def _on_worker_errored(self, error: Exception) -> None:
        log.warning("benchmark failed: %s", error, exc_info=error)
        self.live.setText("Failed")
        if self._closed:
            return
        details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        warn(self.window(), "Benchmark failed", reason(error), "benchmarkError", details)
        self.failed.emit(error)

    def _on_worker_finished(self) -> None:
        if self.sender() is not self._worker:
            return  # a job that ended while the window closed
        self._worker = None
        self.start_button.setText("Start benchmark")
        self.settings_button.setEnabled(True)
        self.compare_button.setEnabled(True)
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000)

    def restore_history(self, entries: list[HistoryEntry]) -> None:
        """Show ``entries`` (saved by an earlier window, oldest first) under any rows
        already there; new runs are numbered after them."""
        for entry in entries[-MAX_HISTORY:]:
            self._add_row(entry)
        self.entries = entries[-MAX_HISTORY:] + self.entries
        self._runs = max((entry.number for entry in self.entries), default=0)

    def _record(self, kind: str, result: LoadResult) -> None:
        """Add a row for ``result``; ``kind`` ("stopped", "compared" or "") follows the
        run's number."""
        self._runs += 1
        entry = HistoryEntry(self._runs, kind, result)
        self.entries = [*self.entries, entry][-MAX_HISTORY:]
        self._add_row(entry)
        if self.history.rowCount() > MAX_HISTORY:
            self.history.removeRow(MAX_HISTORY)

    def _add_row(self, entry: HistoryEntry) -> None:
        """Show ``entry`` as the history's first row (newest first)."""
        result = entry.result
        cells = (
            f"#{entry.number} {entry.kind}".strip(),
            strategy_label(result.strategy),
            str(result.producers),
            format_count(result.added),
            f"{result.seconds:.2f}",
            format_rate(result.rate),
            f"{result.get_stats_ms:.3f}",
            _size(result.memory_bytes),
        )
        self.history.insertRow(0)
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column >= FIRST_NUMERIC_HISTORY_COLUMN:
                item.setTextAlignment(NUMBER_ALIGNMENT)
            self.history.setItem(0, column, item)


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return f"{count} B"
