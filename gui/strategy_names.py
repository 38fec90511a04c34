"""Strategies as people read them.

The engine's names ("running", "samples") read as states beside "Not running" or in a
run history; the window shows these labels instead, which name what each one keeps.
"""

from __future__ import annotations

from core.strategy import Strategy

STRATEGY_LABELS: dict[Strategy, str] = {
    "running": "running-stats strategy",
    "samples": "all-samples strategy",
}


def strategy_label(strategy: Strategy) -> str:
    """E.g. 'running-stats strategy' for ``"running"``."""
    return STRATEGY_LABELS[strategy]
