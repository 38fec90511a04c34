"""Exceptions raised by the engine; each message names the field and the problem."""

from __future__ import annotations


class InvalidActionError(ValueError):
    """A payload or record was rejected; the tracker was left unchanged."""


class InvalidFileError(InvalidActionError):
    """A whole file cannot be loaded (not JSON, or too large); nothing was added."""


class SessionError(ValueError):
    """A saved session cannot be opened: damaged, truncated, foreign or too new."""
