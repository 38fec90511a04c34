"""A low window gives its height to the statistics table: the form tightens and the live
sources panel folds to one line, and both open up again when the window grows. The
panel also folds when, unfolded, it would leave the table a single row."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings

from gui.entry_panel import EntryPanel
from gui.layout import AdaptiveCentral
from gui.sources_panel import SourcesPanel
from gui.stats_view import StatsView

FOLDED_KEY = "window/sourcesFolded"
"""Whether the sources panel was folded when the window closed (QSettings)."""
FEWEST_ROWS = 2
"""Rows of statistics that the unfolded sources panel leaves at least, unless the user
unfolded it by hand."""


class LowWindowFit(QObject):
    """Follows ``central.low_changed``: the form is compact while the window is low; the
    sources panel folds when the window turns low and unfolds when it turns tall again,
    and in between keeps what the user chose with its title. At start the panel is as
    it was at the last close (folded when the window starts low on a first run).

    Whatever the height, the panel folds when unfolded it leaves ``table`` fewer than
    FEWEST_ROWS rows, unless the user unfolded it with its title since the window last
    turned low or tall."""

    def __init__(
        self,
        central: AdaptiveCentral,
        entry: EntryPanel,
        panel: SourcesPanel,
        table: StatsView,
        settings: QSettings,
    ) -> None:
        super().__init__(central)
        self._entry = entry
        self._panel = panel
        self._table = table
        self._settings = settings
        self._unfolded_by_hand = False
        saved = settings.value(FOLDED_KEY)
        self._saved_folded = None if saved is None else str(saved).lower() == "true"
        central.low_changed.connect(self._on_low_changed)
        panel.collapsed_changed.connect(self._remember)
        panel.toggle.clicked.connect(self._on_toggle_clicked)  # clicks only, not code
        table.resized.connect(self._fold_if_cramped)

    def _on_low_changed(self, low: bool, first: bool) -> None:
        self._entry.set_compact(low)
        self._unfolded_by_hand = False
        if first and self._saved_folded is not None:
            self._panel.set_collapsed(self._saved_folded)
        else:
            self._panel.set_collapsed(low)

    def _on_toggle_clicked(self, unfolded: bool) -> None:
        self._unfolded_by_hand = unfolded

    def _fold_if_cramped(self) -> None:
        panel = self._panel
        if (
            panel.isVisible()
            and not panel.collapsed
            and not self._unfolded_by_hand
            and self._table.rows_room() < FEWEST_ROWS
        ):
            panel.set_collapsed(True)

    def _remember(self, folded: bool) -> None:
        self._settings.setValue(FOLDED_KEY, folded)
