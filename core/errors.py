"""Exceptions raised by the engine; each message names the field and the problem."""

from __future__ import annotations


class InvalidActionError(ValueError):
    """A payload or record was rejected; the tracker was left unchanged."""


class InvalidFileError(InvalidActionError):
    """A whole file cannot be loaded (not JSON, or too large); nothing was added."""


class SessionError(ValueError):
    """A saved session cannot be opened: damaged, truncated, foreign or too new."""


def reason(error: BaseException) -> str:
    """An error in words for people: for an OSError the system's reason alone ("No such
    file or directory"), since the caller names the file, not Python's "[Errno 2] ...:
    '/path'"; otherwise its message (or its type, when it has none)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
