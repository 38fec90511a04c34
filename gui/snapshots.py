"""Takes the shown tracker's snapshots on a thread of its own, so the GUI thread never
does the engine's folding and merging while producers keep the GIL busy.

Under four busy producers a snapshot costs about 7 ms of CPU but 100 ms or more of wall
time, waiting for the GIL; on the GUI thread that wait would stall every timer and paint.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot

from core import ActionTracker
from gui.workers import register_thread

POLL_MS = 66
"""About 15 Hz; a poll that finds the version unchanged costs next to nothing."""


class SnapshotPoller(QObject):
    """Polls one tracker (``set_tracker``, from any thread) and emits each new snapshot.

    Signals
    -------
    ready(object, object)
        ``(tracker, snapshot)`` when the tracker's version moved. The next one is emitted
        only after the receiver called ``consumed()``, so a busy GUI never piles them up.
    """

    ready = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        self._tracker: ActionTracker | None = None
        self._last: tuple[ActionTracker | None, int] = (None, -1)
        self._consumed = threading.Event()
        self._consumed.set()
        self._timer: QTimer | None = None

    def set_tracker(self, tracker: ActionTracker) -> None:
        self._tracker = tracker  # one reference assignment: safe from the GUI thread

    def consumed(self) -> None:
        self._consumed.set()

    @Slot()
    def start_polling(self) -> None:
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        self._timer.start()

    @Slot()
    def stop_polling(self) -> None:
        """Stop the timer in its own thread, then end the thread's event loop."""
        if self._timer is not None:
            self._timer.stop()
            self._timer.deleteLater()
            self._timer = None
        thread = QThread.currentThread()
        thread.quit()

    def poll(self) -> None:
        tracker = self._tracker
        if tracker is None or not self._consumed.is_set():
            return
        if self._last == (tracker, tracker.version):
            return
        snapshot = tracker.snapshot()
        self._last = (tracker, snapshot.version)
        self._consumed.clear()
        self.ready.emit(tracker, snapshot)


def start_poller(poller: SnapshotPoller) -> QThread:
    """Run ``poller`` on a new thread with an event loop; ``stop_poller`` ends it."""
    thread = QThread()
    thread.setObjectName("snapshot-poller")
    poller.moveToThread(thread)
    thread.started.connect(poller.start_polling)
    register_thread(thread)
    thread.start()
    return thread


def stop_poller(poller: SnapshotPoller, thread: QThread) -> None:
    """Stop polling from inside the poller's thread, and wait for the thread to end."""
    if thread.isRunning():
        QMetaObject.invokeMethod(poller, "stop_polling", Qt.ConnectionType.QueuedConnection)
        thread.wait()
