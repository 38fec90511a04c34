"""The app's files (icon, style sheet, sample data), found through ``importlib.resources``
wherever the app runs: a clone, an installed wheel or the standalone build."""

from __future__ import annotations

import importlib.metadata
import importlib.resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Qt is imported when the icon is asked for: see app_icon()
    from PySide6.QtGui import QIcon

PACKAGED = "_resources"
"""Where a wheel and the standalone build carry the top-level resources/ folder: inside
the ``gui`` package (pyproject.toml maps it there)."""


def resource(name: str) -> Path:
    """The file ``name`` from resources/, e.g. ``resource("style.qss")``.

    Raises FileNotFoundError naming the file when it is not there (a build that left it out).
    """
    package = importlib.resources.files("gui")
    installed = package / PACKAGED
    folder = installed if installed.is_dir() else package / ".." / "resources"  # a clone
    found = folder / name
    if not isinstance(found, Path) or not found.is_file():
        raise FileNotFoundError(f"Action Tracker's file {name} is missing from {folder}")
    return found.resolve()


def app_icon() -> QIcon:
    # Imported here so that `action-tracker --version` and the system library check,
    # which read this module, run before Qt is loaded.
    from PySide6.QtGui import QIcon  # noqa: PLC0415

    return QIcon(str(resource("icon.svg")))


def style_sheet() -> str:
    return resource("style.qss").read_text(encoding="utf-8")


def app_version() -> str:
    """The installed distribution's version, for the About box; "(version unknown)" in
    a tree that was never installed."""
    try:
        return importlib.metadata.version("action-tracker")
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown)"
