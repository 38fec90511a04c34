"""Action Tracker's engine: thread-safe per-action time statistics, with no Qt."""

from __future__ import annotations

from core.errors import InvalidActionError, InvalidFileError, SessionError
from core.loading import FileLoad
from core.report import LoadProgress, LoadReport, Rejection
from core.stats import ActionStats, Snapshot
from core.strategy import STRATEGIES, Strategy
from core.tracker import MAX_ACTIONS, ActionTracker
from core.validation import MAX_ACTION_LENGTH, MAX_PAYLOAD_BYTES

__all__ = [
    "MAX_ACTIONS",
    "MAX_ACTION_LENGTH",
    "MAX_PAYLOAD_BYTES",
    "STRATEGIES",
    "ActionStats",
    "ActionTracker",
    "FileLoad",
    "InvalidActionError",
    "InvalidFileError",
    "LoadProgress",
    "LoadReport",
    "Rejection",
    "SessionError",
    "Snapshot",
    "Strategy",
]
