"""A low window gives its height to the statistics table: the form tightens and the live
sources panel folds to one line, and both open up again when the window grows."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings

from gui.entry_panel import EntryPanel
from gui.layout import AdaptiveCentral
from gui.sources_panel import SourcesPanel

FOLDED_KEY = "window/sourcesFolded"
"""Whether the sources panel was folded when the window closed (QSettings)."""


class LowWindowFit(QObject):
    """Follows ``central.low_changed``: the form is compact while the window is low; the
    sources panel folds when the window turns low and unfolds when it turns tall again,
    and in between keeps what the user chose with its title. At start the panel is as
    it was at the last close (folded when the window starts low on a first run)."""

    def __init__(
        self,
        central: AdaptiveCentral,
        entry: EntryPanel,
        panel: SourcesPanel,
        settings: QSettings,
    ) -> None:
        super().__init__(central)
        self._entry = entry
        self._panel = panel
        self._settings = settings
        saved = settings.value(FOLDED_KEY)
        self._saved_folded = None if saved is None else str(saved).lower() == "true"
        central.low_changed.connect(self._on_low_changed)
        panel.collapsed_changed.connect(self._remember)

    def _on_low_changed(self, low: bool, first: bool) -> None:
        self._entry.set_compact(low)
        if first and self._saved_folded is not None:
            self._panel.set_collapsed(self._saved_folded)
        else:
            self._panel.set_collapsed(low)

    def _remember(self, folded: bool) -> None:
        self._settings.setValue(FOLDED_KEY, folded)
