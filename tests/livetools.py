"""Helpers for the live-source tests: waiting on a condition, and finding their threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

POLL_SECONDS = 0.005


def wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Return as soon as ``condition()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    waiter = threading.Event()  # never set: its wait is a bounded pause between looks
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {condition}")
        waiter.wait(POLL_SECONDS)


def live_threads() -> list[str]:
    """Names of the live sources' threads still running."""
    return [t.name for t in threading.enumerate() if t.name.startswith("live-") and t.is_alive()]
