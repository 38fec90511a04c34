"""``Timer``: time a block or a function into a tracker, as ``tracker.timer(name)``."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from time import perf_counter
from types import TracebackType
from typing import ParamSpec, Protocol, TypeVar

from core.validation import check_record


class SupportsAdd(Protocol):
    """What a Timer adds its times to: an ``ActionTracker`` (typed by this protocol so the
    timer sits below the tracker in the engine's layers)."""

    def add(self, action: str, time: float) -> None: ...


P = ParamSpec("P")
R = TypeVar("R")


class Timer:
    """Adds the elapsed wall time in milliseconds (``time.perf_counter``) under ``name``.

    As a context manager (``with tracker.timer("save"):``) or a decorator
    (``@tracker.timer("save")``). The time is added even when the block raises, as
    the time was spent. Start times are kept per thread and stacked, so one Timer may
    be entered in many threads at once and nested in itself; ``.ms`` is the time of
    the latest exit (None before any). The name is checked when the Timer is made,
    by the engine's rules, so a bad one fails at once and not after the work.
    """

    __slots__ = ("_add", "_local", "ms", "name")

    def __init__(self, tracker: SupportsAdd, name: str) -> None:
        self.name, _ = check_record({"action": name, "time": 0})
        self._add = tracker.add
        self._local = threading.local()
        self.ms: float | None = None

    def __enter__(self) -> Timer:
        try:
            self._local.starts.append(perf_counter())
        except AttributeError:
            self._local.starts = [perf_counter()]
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        elapsed = (perf_counter() - self._local.starts.pop()) * 1000.0
        self.ms = elapsed
        self._add(self.name, elapsed)

    def __call__(self, function: Callable[P, R]) -> Callable[P, R]:
        """Wrap ``function`` so that every call is timed."""

        @functools.wraps(function)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            with self:
                return function(*args, **kwargs)

        return timed

    def __repr__(self) -> str:
        return f"<Timer {self.name!r} ms={self.ms}>"
