"""Files under resources/: the icon, the style sheet and sample data."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from PySide6.QtGui import QIcon

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def resource(name: str) -> Path:
    return RESOURCES / name


def app_icon() -> QIcon:
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
