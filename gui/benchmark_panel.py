"""The benchmark: start/stop, live progress, run history and strategy comparison.

Load goes into a tracker of the benchmark's own (a new one per run), never into the
user's: the window shows it as the "Benchmark" session.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QThread, Signal
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
from core.loadgen import LoadResult, LoadSpec, LoadStatus
from gui.benchmark_dialog import BenchmarkDialog
from gui.workers import BenchmarkWorker, CompareWorker, Worker, start_worker, stop_and_wait

HISTORY_HEADERS = (
    "Run",
    "Strategy",
    "Producers",
    "Adds",
    "Seconds",
    "Adds/s",
    "get_stats\nms",  # two lines: on one, the history needed a scrollbar at 1440 px
    "Memory",
)
FIRST_NUMERIC_HISTORY_COLUMN = HISTORY_HEADERS.index("Producers")
NUMBER_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
COMPARE_COUNT_PER_PRODUCER = 250_000
"""Adds per producer in a strategy comparison: long enough to be stable, about 2 s each."""


def describe(spec: LoadSpec) -> str:
    """One line for the settings, e.g. '4 producers · 10 s · running · 4 actions'."""
    amount = f"{spec.duration:g} s" if spec.duration is not None else f"{spec.count:,} adds"
    return f"{spec.producers} producers · {amount} · {spec.strategy} · {len(spec.actions)} actions"


class BenchmarkPanel(QGroupBox):
    """Signals
    -------
    started(object)
        The new benchmark ``ActionTracker`` as a run begins.
    progressed(object)
        A ``LoadStatus``, about 10 times a second.
    run_finished(object)
        The ``LoadResult`` of a run, also of a stopped one.
    failed(str)
        A message when a run or comparison failed.
    spec_changed(object)
        The new ``LoadSpec`` after the settings dialog was accepted.
    """

    started = Signal(object)
    progressed = Signal(object)
    run_finished = Signal(object)
    failed = Signal(str)
    spec_changed = Signal(object)

    def __init__(self, spec: LoadSpec) -> None:
        super().__init__("Benchmark")
        self.spec = spec
        # Empty until the first run, so that Reset and Export on the Benchmark tab act on
        # the benchmark's session, never on the user's.
        self.tracker = ActionTracker(spec.strategy)
        self._job: tuple[Worker, QThread] | None = None
        self._runs = 0

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
        return self._job is not None

    def toggle(self) -> None:
        """Start a run, or stop the one in progress."""
        if self._job is None:
            self.start()
        else:
            self.stop()

    def start(self) -> None:
        if self._job is not None:
            return
        self.tracker = ActionTracker(self.spec.strategy)
        worker = BenchmarkWorker(self.tracker, self.spec)
        worker.progress.connect(self._on_worker_progress)
        worker.finished.connect(self._on_run_finished)
        self._begin(worker, "Stop")
        self.started.emit(self.tracker)

    def stop(self) -> None:
        """Ask the running job to stop; it finishes (and reports) within half a second."""
        if self._job is not None:
            self._job[0].cancel()
            self.live.setText("Stopping…")

    def compare(self) -> None:
        if self._job is not None:
            return
        count = COMPARE_COUNT_PER_PRODUCER * self.spec.producers
        spec = LoadSpec(self.spec.actions, self.spec.producers, None, count, self.spec.strategy)
        worker = CompareWorker(spec)
        worker.finished.connect(self._on_compare_finished)
        self._begin(worker, "Stop comparison")
        self.progress.setRange(0, 0)  # busy indicator: the runs report no progress
        self.live.setText(f"Comparing strategies: {count:,} adds into each…")

    def edit_settings(self) -> None:
        dialog = BenchmarkDialog(self.spec, self)
        if dialog.exec():
            self.set_spec(dialog.spec())
            self.spec_changed.emit(self.spec)

    def set_spec(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.settings_label.setText(describe(spec))

    def shutdown(self) -> None:
        """Stop any job and wait for its threads; called when the window closes."""
        if self._job is not None:
            worker, thread = self._job
            stop_and_wait(worker, thread)
            self._job = None

    def _begin(self, worker: Worker, stop_text: str) -> None:
        worker.failed.connect(self._on_worker_failed)
        thread = start_worker(worker)
        thread.finished.connect(self._on_thread_finished)
        self._job = (worker, thread)
        self.start_button.setText(stop_text)
        self.settings_button.setEnabled(False)
        self.compare_button.setEnabled(False)
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)

    def _on_worker_progress(self, status: LoadStatus) -> None:
        self.progress.setValue(round(status.fraction * 1000))
        rate = status.added / status.elapsed if status.elapsed > 0 else 0.0
        self.live.setText(
            f"{rate:,.0f} adds/s · {status.elapsed:.1f} s elapsed · {status.added:,} added"
        )
        self.progressed.emit(status)

    def _on_run_finished(self, result: LoadResult) -> None:
        self._record("stopped" if result.stopped else "run", result)
        self.live.setText(
            f"{'Stopped' if result.stopped else 'Finished'}: {result.added:,} adds in "
            f"{result.seconds:.1f} s, {result.rate:,.0f} adds/s, "
            f"get_stats() {result.get_stats_ms:.3f} ms"
        )
        self.run_finished.emit(result)

    def _on_compare_finished(self, results: list[LoadResult]) -> None:
        for result in results:
            self._record("compare", result)
        if len(results) == 2:
            running, samples = results
            self.live.setText(
                f"running: {running.rate:,.0f} adds/s, get_stats {running.get_stats_ms:.3f} ms, "
                f"{_size(running.memory_bytes)}\nsamples: {samples.rate:,.0f} adds/s, "
                f"get_stats {samples.get_stats_ms:.3f} ms, {_size(samples.memory_bytes)}"
            )
        else:
            self.live.setText("Comparison stopped")

    def _on_worker_failed(self, message: str) -> None:
        self.live.setText("Failed")
        self.failed.emit(message)

    def _on_thread_finished(self) -> None:
        self._job = None
        self.start_button.setText("Start benchmark")
        self.settings_button.setEnabled(True)
        self.compare_button.setEnabled(True)
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000)

    def _record(self, kind: str, result: LoadResult) -> None:
        self._runs += 1
        cells = (
            f"#{self._runs} {kind}",
            result.strategy,
            str(result.producers),
            f"{result.added:,}",
            f"{result.seconds:.2f}",
            f"{result.rate:,.0f}",
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
