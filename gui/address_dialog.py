"""What the dialogs asking for a ``[HOST:]PORT`` share: the address field, a note under
it that warns as the user types an address opening the port to the network, and
``refuse``, which keeps the dialog open saying why the address cannot be used."""

from __future__ import annotations

import ipaddress

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from gui.label_state import set_label_state


def is_loopback(address: str) -> bool:
    """Whether the host in ``[HOST:]PORT`` keeps the port on this machine only."""
    host, colon, _port = address.strip().rpartition(":")
    host = host.strip("[]") if colon else ""
    if host in ("", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AddressDialog(QDialog):
    """A dialog asking for an address (``self.address``), with the note under the
    fields (``self.note``) and *OK* named ``button``. A subclass adds its rows to
    ``self.form`` between ``address_row`` and ``finish``, and emits its own signal
    from ``emit_chosen``; a receiver of that signal may call ``refuse``."""

    def __init__(
        self,
        parent: QWidget,
        *,
        name: str,
        title: str,
        width: int,
        address: str,
        placeholder: str,
        button: str,
        local_note: str,
        network_note: str,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}Dialog")
        self.setWindowTitle(title)
        self.setMinimumWidth(width)  # narrower, window managers cut the title short
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.address = QLineEdit(address)
        self.address.setObjectName(f"{name}Address")
        self.address.setPlaceholderText(placeholder)
        self.note = QLabel()
        self.note.setObjectName(f"{name}NetworkNote")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self._notes = (local_note, network_note)
        self._refused = False
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setText(button)
        self.form = QFormLayout(self)

    def address_row(self) -> None:
        self.form.addRow("Address:", self.address)

    def finish(self) -> None:
        """The note and the buttons under the subclass's rows; the dialog sized to them."""
        self.form.addRow(self.note)
        self.form.addRow(self._buttons)
        # As tall as the wrapped text needs at this width: Qt's size hint wraps it for a
        # narrower dialog, which left blank space under the buttons.
        width = self.minimumWidth()
        self.resize(width, self.form.totalHeightForWidth(width))
        self._show_note()
        self.address.textChanged.connect(self._show_note)
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)

    def emit_chosen(self) -> None:
        """Emit the subclass's signal with what was chosen."""
        raise NotImplementedError

    def accept(self) -> None:
        self._refused = False
        self.emit_chosen()
        if not self._refused:
            super().accept()

    def refuse(self, reason: str) -> None:
        """Keep the dialog open after *OK*, saying ``reason`` (a port in use, an address
        that is not one) where the note was, the address selected to retype."""
        self._refused = True
        self._set_note(reason, "error")
        self.address.setFocus()
        self.address.selectAll()

    def _show_note(self) -> None:
        local, network = self._notes
        self._set_note(local if is_loopback(self.address.text()) else network, "")

    def _set_note(self, text: str, state: str) -> None:
        """The note under the fields; ``state`` "error" is styled as the form's errors
        (resources/style.qss). The dialog grows to show all of it (a reason may take two
        lines more): a top-level window is not made taller by its text's height."""
        set_label_state(self.note, text, state)
        needed = self.form.totalHeightForWidth(self.width())
        if self.height() < needed:
            self.resize(self.width(), needed)
