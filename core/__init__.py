"""Action Tracker's engine: thread-safe per-action time statistics, with no Qt."""

from __future__ import annotations

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
