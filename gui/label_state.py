"""A label's ``state`` property, which resources/style.qss styles ("error", "ok")."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def set_label_state(label: QLabel, text: str, state: str) -> None:
    """Show ``text`` on ``label`` styled as ``state``: Qt applies a style sheet's
    property selectors only when a widget is polished, so it is polished again."""
    label.setText(text)
    label.setProperty("state", state)
    label.style().unpolish(label)
    label.style().polish(label)
