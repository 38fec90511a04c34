"""Action Tracker's desktop window (Qt). ``gui`` imports ``core``, never the reverse."""

from __future__ import annotations

from gui.main_window import MainWindow

__all__ = ["MainWindow"]
