"""Helpers for the live-source tests: waiting on a condition, finding their threads, and
never leaving a child process behind."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import AnyStr

import core.cli

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


@contextmanager
def reaped(process: subprocess.Popen[AnyStr]) -> Iterator[subprocess.Popen[AnyStr]]:
    """``process``, killed and reaped on the way out if it still runs: a step that fails
    must not leave it behind."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def action_stats(*arguments: str) -> subprocess.Popen[str]:
    """``action-stats`` with ``arguments`` in a child process of this interpreter, its
    output and errors piped as text, run from the project's folder."""
    return subprocess.Popen(
        [sys.executable, "-m", "core.cli", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(core.cli.__file__).resolve().parents[1],
    )
