"""Action Tracker's desktop window (Qt). ``gui`` imports ``core``, never the reverse.

Importing the package loads no Qt: ``action-tracker`` (gui.launch) answers ``--version``
and checks the system libraries Qt needs before Qt is loaded. ``MainWindow`` is imported
on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gui.main_window import MainWindow

__all__ = ["MainWindow"]


def __getattr__(name: str) -> Any:
    if name == "MainWindow":
        from gui.main_window import MainWindow  # noqa: PLC0415

        return MainWindow
    raise AttributeError(f"module 'gui' has no attribute {name!r}")
