"""The dialog of *Sources → Serve Prometheus Metrics…*: where to serve the Live session,
and how far back the summary's percentiles look."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from core.metrics import DEFAULT_QUANTILE_WINDOW
from gui.label_state import set_label_state
from gui.sources_panel import is_loopback
from gui.window_choice import WINDOWS

QUANTILE_WINDOWS: tuple[tuple[str, int | None], ...] = (
    *((text, seconds) for text, seconds in WINDOWS if seconds is not None),
    *((text, seconds) for text, seconds in WINDOWS if seconds is None),
)
"""The percentile windows offered, shortest first, in the window selector's words."""


class MetricsDialog(QDialog):
    """Asks where to serve the Live session's figures to Prometheus (``[HOST:]PORT``),
    warning as the user types an address that opens the port to the network, and the
    window the summary's percentiles cover (``metricsQuantileWindow``).

    Signals
    -------
    chosen(str)
        The address when the user presses *Serve* (the window is ``quantile_window``).
        The dialog closes then, unless a receiver calls ``refuse``: it stays open,
        saying why, with the address as typed to correct.
    """

    chosen = Signal(str)

    def __init__(
        self,
        parent: QWidget,
        address: str,
        quantile_window: int | None = DEFAULT_QUANTILE_WINDOW,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("metricsDialog")
        self.setWindowTitle("Serve Prometheus metrics")
        self.setMinimumWidth(460)  # narrower, window managers cut the title short
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        about = QLabel(
            "Serves the Live session's figures at http://ADDRESS/metrics in the "
            "Prometheus text format, until you stop it (Sources → Stop All Sources) or "
            "close the window."
        )
        about.setWordWrap(True)
        self.address = QLineEdit(address)
        self.address.setObjectName("metricsAddress")
        self.address.setPlaceholderText("9464 or 127.0.0.1:9464")
        self.window_choice = QComboBox()
        self.window_choice.setObjectName("metricsQuantileWindow")
        self.window_choice.setToolTip(
            "Which times the percentiles (quantiles) of each action cover. Counts, sums "
            "and histogram buckets always cover all time, as Prometheus requires."
        )
        for text, seconds in QUANTILE_WINDOWS:
            self.window_choice.addItem(text, seconds)
        self.window_choice.setCurrentIndex(_window_index(quantile_window))
        self.note = QLabel()
        self.note.setObjectName("metricsNetworkNote")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self._refused = False
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Serve")
        form = QFormLayout(self)
        form.addRow(about)
        form.addRow("Address:", self.address)
        form.addRow("Percentiles of:", self.window_choice)
        form.addRow(self.note)
        form.addRow(buttons)
        # As tall as the wrapped text needs at this width: Qt's size hint wraps it for a
        # narrower dialog, which left blank space under the buttons.
        self.resize(self.minimumWidth(), form.totalHeightForWidth(self.minimumWidth()))
        self._show_note()

        self.address.textChanged.connect(self._show_note)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

    @property
    def quantile_window(self) -> int | None:
        """The seconds the summary's percentiles cover, as chosen; None for all time."""
        return QUANTILE_WINDOWS[max(self.window_choice.currentIndex(), 0)][1]

    def accept(self) -> None:
        self._refused = False
        self.chosen.emit(self.address.text().strip())
        if not self._refused:
            super().accept()

    def refuse(self, reason: str) -> None:
        """Keep the dialog open after *Serve*, saying ``reason`` (a port in use, an
        address that is not one) where the note was, the address selected to retype."""
        self._refused = True
        self._set_note(reason, "error")
        self.address.setFocus()
        self.address.selectAll()

    def _show_note(self) -> None:
        if is_loopback(self.address.text()):
            self._set_note("Only programs on this machine can read it.", "")
        else:
            self._set_note(
                "⚠ The port will be open to the network: other machines will be able to "
                "read the Live session's figures (action names included).",
                "",
            )

    def _set_note(self, text: str, state: str) -> None:
        """The note under the fields; ``state`` "error" is styled as the form's errors
        (resources/style.qss)."""
        set_label_state(self.note, text, state)
        self._fit_height()

    def _fit_height(self) -> None:
        """Grow to show all of the note (a reason may take two lines more): a top-level
        window is not made taller by its text's height for its width."""
        layout = self.layout()
        if layout is not None:
            needed = layout.totalHeightForWidth(self.width())
            if self.height() < needed:
                self.resize(self.width(), needed)


def _window_index(window: int | None) -> int:
    """The combo's row for ``window``; the default's for a window it does not offer."""
    for index, (_text, seconds) in enumerate(QUANTILE_WINDOWS):
        if seconds == window:
            return index
    return _window_index(DEFAULT_QUANTILE_WINDOW)
