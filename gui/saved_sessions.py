"""The sessions the application's window keeps on disk between runs: the user's and,
beside it, the Live session, each restored when the window opens and then autosaved."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from core import ActionTracker
from gui.autosave import Autosaver, restore
from gui.sources import LiveSources, live_session_path
from gui.user_session import UserSession


@dataclass(frozen=True)
class OpenedSessions:
    """The user's session and the Live session's sources, with their autosavers (None
    when nothing is kept on disk), and ``(title, text)`` for each saved copy that could
    not be restored."""

    user: UserSession
    autosaver: Autosaver | None
    sources: LiveSources
    live_autosaver: Autosaver | None
    problems: tuple[tuple[str, str], ...]


def open_sessions(
    tracker: ActionTracker | None, session_path: Path | None, settings: QSettings
) -> OpenedSessions:
    """The user's session around ``tracker``, or restored from ``session_path`` when no
    tracker is given (a new one when neither is); the Live session restored from beside
    ``session_path`` (a new one when None)."""
    problems = []
    if tracker is None and session_path is not None:
        tracker, message = restore(session_path)
        if message:
            problems.append(("Session not restored", message))
    user = UserSession(tracker if tracker is not None else ActionTracker())
    autosaver = Autosaver(user, session_path) if session_path is not None else None
    live_path = live_session_path(session_path) if session_path is not None else None
    live_tracker, live_message = (
        restore(live_path) if live_path is not None else (ActionTracker(), None)
    )
    if live_message:
        problems.append(("Live session not restored", live_message))
    sources = LiveSources(live_tracker, settings)
    live_autosaver = Autosaver(sources.session, live_path) if live_path is not None else None
    return OpenedSessions(user, autosaver, sources, live_autosaver, tuple(problems))
