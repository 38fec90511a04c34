"""The dialog of *Sources → Serve Prometheus metrics…*: where to serve the Live session,
and how far back the summary's percentiles look."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from core.metrics import DEFAULT_QUANTILE_WINDOW
from gui.address_dialog import AddressDialog
from gui.window_choice import WINDOWS

QUANTILE_WINDOWS: tuple[tuple[str, int | None], ...] = (
    *((text, seconds) for text, seconds in WINDOWS if seconds is not None),
    *((text, seconds) for text, seconds in WINDOWS if seconds is None),
)
"""The percentile windows offered, shortest first, in the window selector's words."""


class MetricsDialog(AddressDialog):
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
        super().__init__(
            parent,
            name="metrics",
            title="Serve Prometheus metrics",
            width=460,
            address=address,
            placeholder="9464 or 127.0.0.1:9464",
            button="Serve",
            local_note="Only programs on this machine can read it.",
            network_note=(
                "⚠ The port will be open to the network: other machines will be able to "
                "read the Live session's figures (action names included)."
            ),
        )
        about = QLabel(
            "Serves the Live session's figures at http://ADDRESS/metrics in the "
            "Prometheus text format, until you stop it (Sources → Stop All Sources) or "
            "close the window."
        )
        about.setWordWrap(True)
        self.window_choice = QComboBox()
        self.window_choice.setObjectName("metricsQuantileWindow")
        self.window_choice.setToolTip(
            "Which times the percentiles (quantiles) of each action cover. Counts, sums "
            "and histogram buckets always cover all time, as Prometheus requires."
        )
        for text, seconds in QUANTILE_WINDOWS:
            self.window_choice.addItem(text, seconds)
        self.window_choice.setCurrentIndex(_window_index(quantile_window))
        self.form.addRow(about)
        self.address_row()
        self.form.addRow("Percentiles of:", self.window_choice)
        self.finish()

    @property
    def quantile_window(self) -> int | None:
        """The seconds the summary's percentiles cover, as chosen; None for all time."""
        return QUANTILE_WINDOWS[max(self.window_choice.currentIndex(), 0)][1]

    def emit_chosen(self) -> None:
        self.chosen.emit(self.address.text().strip())


def _window_index(window: int | None) -> int:
    """The combo's row for ``window``; the default's for a window it does not offer."""
    for index, (_text, seconds) in enumerate(QUANTILE_WINDOWS):
        if seconds == window:
            return index
    return _window_index(DEFAULT_QUANTILE_WINDOW)
