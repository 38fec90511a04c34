"""The window of time the table and charts cover: the selector above the table, and the
words that say which one is shown."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox

WINDOWS: tuple[tuple[str, int | None], ...] = (
    ("All time", None),
    ("Last 10 s", 10),
    ("Last minute", 60),
    ("Last 5 minutes", 300),
)
"""The choices, as the selector lists them: text and window in seconds (None: all time)."""


def window_words(window: int | None) -> str:
    """How the totals and messages name ``window``: "all time", "last minute"..."""
    for text, seconds in WINDOWS:
        if seconds == window:
            return text.lower()
    return f"last {window} s"


class WindowSelector(QComboBox):
    """The ``windowSelector`` combo box: all time or the last 10 s, minute or 5 minutes.

    Signals
    -------
    window_chosen(object)
        The window now chosen, in seconds, or None for all time; emitted only when the
        choice changed, by the user or by ``set_window``.
    """

    window_chosen = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("windowSelector")
        self.setToolTip(
            "Which adds the table and charts cover: all of them, or only those of the last"
            " seconds or minutes (per action, with its rate per second)"
        )
        for text, seconds in WINDOWS:
            self.addItem(text, seconds)
        self.currentIndexChanged.connect(self._on_current_index_changed)

    @property
    def chosen(self) -> int | None:
        """The window chosen, in seconds; None for all time."""
        return WINDOWS[max(self.currentIndex(), 0)][1]

    def set_window(self, window: int | None) -> None:
        """Choose ``window`` (one of WINDOWS' seconds); ValueError for another."""
        for index, (_text, seconds) in enumerate(WINDOWS):
            if seconds == window:
                self.setCurrentIndex(index)
                return
        choices = ", ".join(str(seconds) for _text, seconds in WINDOWS)
        raise ValueError(f"the table covers one of these windows: {choices}; got {window!r}")

    def _on_current_index_changed(self, _index: int) -> None:
        self.window_chosen.emit(self.chosen)
