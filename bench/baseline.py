"""Faithful copies of the original solution's two trackers, the baseline for ratios.

Both use the standard ``json`` module and one lock around a dict, exactly as first
written: one keeps every time in a list and sums on demand, one keeps [sum, count].
"""

from __future__ import annotations

import json
import threading


class OriginalSamplesTracker:
    """Keeps every time; ``get_stats`` sums each list on every call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[str, list[float]] = {}

    def add_action(self, payload: str) -> None:
        data = json.loads(payload)
        with self._lock:
            self._times.setdefault(data["action"], []).append(data["time"])

    def get_stats(self) -> str:
        with self._lock:
            return json.dumps(
                [{"action": a, "avg": sum(t) / len(t)} for a, t in self._times.items()]
            )


class OriginalRunningTracker:
    """Keeps a running [sum, count] per action."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals: dict[str, list[float]] = {}

    def add_action(self, payload: str) -> None:
        data = json.loads(payload)
        with self._lock:
            entry = self._totals.setdefault(data["action"], [0, 0])
            entry[0] += data["time"]
            entry[1] += 1

    def get_stats(self) -> str:
        with self._lock:
            return json.dumps([{"action": a, "avg": s / c} for a, (s, c) in self._totals.items()])
