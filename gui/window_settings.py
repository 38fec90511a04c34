"""What the window remembers between runs, in QSettings: geometry, splitters and the
benchmark's settings."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import orjson
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from core.loadgen import LoadSpec, spec_from_dict, spec_to_dict

log = logging.getLogger(__name__)


def saved_spec(settings: QSettings) -> LoadSpec:
    """The benchmark settings saved last, or the defaults when there are none (or they
    no longer parse)."""
    saved = settings.value("benchmark/spec")
    if saved:
        try:
            return spec_from_dict(orjson.loads(str(saved)))
        except (ValueError, TypeError, KeyError) as error:
            log.warning("ignoring saved benchmark settings: %s", error)
    return LoadSpec()


def save_spec(settings: QSettings, spec: LoadSpec) -> None:
    settings.setValue("benchmark/spec", orjson.dumps(spec_to_dict(spec)).decode())


def restore_layout(
    settings: QSettings, window: QMainWindow, splitters: Sequence[QSplitter]
) -> None:
    """The window's size and splitters as they were; a first run gets a size that fits
    the table's nine columns of figures."""
    geometry = settings.value("window/geometry")
    if geometry is None or not window.restoreGeometry(geometry):
        window.resize(1280, 800)
        splitters[0].setSizes([800, 480])
    for splitter in splitters:
        state = settings.value(f"window/{splitter.objectName()}")
        if state is not None:
            splitter.restoreState(state)


def save_layout(settings: QSettings, window: QMainWindow, splitters: Sequence[QSplitter]) -> None:
    settings.setValue("window/geometry", window.saveGeometry())
    for splitter in splitters:
        settings.setValue(f"window/{splitter.objectName()}", splitter.saveState())
