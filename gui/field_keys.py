"""Window shortcuts that work from text fields, over the fields' platform key bindings.

A focused ``QLineEdit`` claims the keys it binds before any shortcut sees them (it
accepts their ``ShortcutOverride``). On X11 it binds Ctrl+E to "end of line" (the
offscreen and Windows platforms do not), so *Export Stats as JSON* did nothing from a
field, which is where focus sits at start; and it claims Ctrl+Z even with nothing of its
own to undo, so the window's *Undo* never ran from a field. This filter lets a window
shortcut through unless the key is one of the field's text-editing keys; Ctrl+Z stays
the field's own while it has typed text to undo.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

EDITING_KEYS = (
    QKeySequence.StandardKey.Copy,
    QKeySequence.StandardKey.Cut,
    QKeySequence.StandardKey.Paste,
    QKeySequence.StandardKey.Redo,
    QKeySequence.StandardKey.SelectAll,
    QKeySequence.StandardKey.Delete,
    QKeySequence.StandardKey.Backspace,
)
"""Keys that always edit text in a field, even when a window command shares them."""


class WindowShortcutsFirst(QObject):
    """Installed on a window's text fields: lets the window's shortcuts through them."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(event, QKeyEvent):
            return False
        field = watched.lineEdit() if isinstance(watched, QComboBox) else watched
        if event.matches(QKeySequence.StandardKey.Undo):
            taken = not (isinstance(field, QLineEdit) and field.isUndoAvailable())
        else:
            taken = not any(event.matches(key) for key in EDITING_KEYS) and self._is_shortcut(
                QKeySequence(event.keyCombination())
            )
        if taken:  # ignored and not passed on: the shortcut map gets the key
            event.ignore()
        return taken

    def _is_shortcut(self, key: QKeySequence) -> bool:
        return any(
            action.isEnabled() and key in action.shortcuts()
            for action in self._window.findChildren(QAction)
        )


def let_window_shortcuts_through(window: QWidget) -> WindowShortcutsFirst:
    """Install the filter on every text field of ``window`` (built already). An
    editable combo box hands its line edit the key directly, so it gets one too."""
    keys = WindowShortcutsFirst(window)
    for field in window.findChildren(QLineEdit) + window.findChildren(QComboBox):
        field.installEventFilter(keys)
    return keys
