"""The "≈" before percentiles: never on an action whose times are all the same, since
its percentiles are that time exactly (seen live: a timer that always reads 1 ms showed
"≈1.00" past 1,000 times); and it comes as soon as the times differ."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.sketch import EXACT_LIMIT
from gui import MainWindow
from gui.stats_model import APPROXIMATE_SIGN, PERCENTILE_COLUMNS


def cells(window: MainWindow) -> list[tuple[str, str]]:
    window.refresh()
    proxy = window.proxy
    return [
        (
            proxy.index(0, column).data(),
            proxy.index(0, column).data(Qt.ItemDataRole.ToolTipRole),
        )
        for column in PERCENTILE_COLUMNS
    ]


def test_percentiles_of_one_repeated_time_are_not_marked_estimates(window: MainWindow) -> None:
    for _ in range(2 * EXACT_LIMIT):
        window.tracker.add("steady", 1.5)
    (stats,) = window.tracker.snapshot().actions
    assert not stats.percentiles_exact  # the engine keeps only its sketch by now ...
    assert stats.p50 == stats.p90 == stats.p99 == 1.5  # ... yet the figures are exact
    assert cells(window) == [("1.50", "")] * 3

    window.tracker.add("steady", 400)  # the times differ: estimates again, said so
    for text, tip in cells(window):
        assert text.startswith(APPROXIMATE_SIGN)
        assert tip
