"""The Qt binding must not leak references to None or True (PySide6 6.12.0 on Python
3.11 does, and the interpreter aborts once a count reaches zero)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    changed = Signal()


def test_calls_and_emits_keep_none_and_true_alive() -> None:
    emitter = _Emitter()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        emitter.setObjectName("probe")
        emitter.changed.emit()
    # Other threads may hold a few transient references; a leak loses thousands.
    assert sys.getrefcount(None) > none_before - 100
    assert sys.getrefcount(True) > true_before - 100
