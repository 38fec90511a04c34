"""Action Tracker's engine: thread-safe per-action time statistics, with no Qt.

Each name below is imported from its module on first use, not with the package: a
worker process (``core.workerprocs``, ``core.liveworker``) imports ``core.<module>``,
hence this package first, and should pay for the modules it runs, not for the
listener, follower and session code as well."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.errors import InvalidActionError, InvalidFileError, SessionError
    from core.follower import Follower
    from core.listener import Listener, PortInUseError
    from core.livecounts import LineError, SourceCounts
    from core.loading import FileLoad
    from core.report import LoadProgress, LoadReport, Rejection
    from core.sketch import Accuracy
    from core.stats import ActionStats, Snapshot
    from core.strategy import STRATEGIES, Strategy
    from core.timer import Timer
    from core.tracker import MAX_ACTIONS, ActionTracker
    from core.validation import MAX_ACTION_LENGTH, MAX_PAYLOAD_BYTES

_HOMES = {
    "InvalidActionError": "core.errors",
    "InvalidFileError": "core.errors",
    "SessionError": "core.errors",
    "Follower": "core.follower",
    "Listener": "core.listener",
    "PortInUseError": "core.listener",
    "LineError": "core.livecounts",
    "SourceCounts": "core.livecounts",
    "FileLoad": "core.loading",
    "LoadProgress": "core.report",
    "LoadReport": "core.report",
    "Rejection": "core.report",
    "Accuracy": "core.sketch",
    "ActionStats": "core.stats",
    "Snapshot": "core.stats",
    "STRATEGIES": "core.strategy",
    "Strategy": "core.strategy",
    "Timer": "core.timer",
    "MAX_ACTIONS": "core.tracker",
    "ActionTracker": "core.tracker",
    "MAX_ACTION_LENGTH": "core.validation",
    "MAX_PAYLOAD_BYTES": "core.validation",
}
"""Where each public name is defined."""

__all__ = [
    "MAX_ACTIONS",
    "MAX_ACTION_LENGTH",
    "MAX_PAYLOAD_BYTES",
    "STRATEGIES",
    "Accuracy",
    "ActionStats",
    "ActionTracker",
    "FileLoad",
    "Follower",
    "InvalidActionError",
    "InvalidFileError",
    "LineError",
    "Listener",
    "LoadProgress",
    "LoadReport",
    "PortInUseError",
    "Rejection",
    "SessionError",
    "Snapshot",
    "SourceCounts",
    "Strategy",
    "Timer",
]


if not TYPE_CHECKING:  # a type checker sees the imports above, and flags unknown names

    def __getattr__(name: str) -> object:
        """A public name, imported from its module the first time it is asked for (PEP
        562) and kept here, so later lookups cost nothing."""
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module 'core' has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
