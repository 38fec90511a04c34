"""The dialog of *Sources → Serve Prometheus Metrics…*: where to serve the Live session."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from gui.sources_panel import is_loopback


class MetricsDialog(QDialog):
    """Asks where to serve the Live session's figures to Prometheus (``[HOST:]PORT``),
    warning as the user types an address that opens the port to the network.

    Signals
    -------
    chosen(str)
        The address when the user presses *Serve*.
    """

    chosen = Signal(str)

    def __init__(self, parent: QWidget, address: str) -> None:
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
        self.note = QLabel()
        self.note.setObjectName("metricsNetworkNote")
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Serve")
        form = QFormLayout(self)
        form.addRow(about)
        form.addRow("Address:", self.address)
        form.addRow(self.note)
        form.addRow(buttons)
        self._show_note()

        self.address.textChanged.connect(self._show_note)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

    def accept(self) -> None:
        self.chosen.emit(self.address.text().strip())
        super().accept()

    def _show_note(self) -> None:
        if is_loopback(self.address.text()):
            self.note.setText("Only programs on this machine can read it.")
        else:
            self.note.setText(
                "⚠ The port will be open to the network: other machines will be able to "
                "read the Live session's figures (action names included)."
            )
