"""Files under resources/: the icon, the style sheet and sample data."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def resource(name: str) -> Path:
    return RESOURCES / name


def app_icon() -> QIcon:
    return QIcon(str(resource("icon.svg")))


def style_sheet() -> str:
    return resource("style.qss").read_text(encoding="utf-8")
