"""Sources → Follow File… takes a file that does not exist yet (a log a program will
write), as the follower itself does; the open dialog refused it as "File not found"."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from core import Follower
from gui import MainWindow
from gui.menus import LIVE_SESSION
from gui.source_commands import follow_file_dialog
from livetools import live_threads, wait_until


def test_the_follow_dialog_takes_a_file_not_there_yet(window: MainWindow, tmp_path: Path) -> None:
    later = tmp_path / "later.ndjson"
    dialog = follow_file_dialog(window, str(tmp_path))
    assert dialog.fileMode() == QFileDialog.FileMode.AnyFile
    dialog.selectFile(str(later))
    dialog.accept()
    assert dialog.result() == QFileDialog.DialogCode.Accepted
    assert dialog.selectedFiles() == [str(later)]
    dialog.deleteLater()


def test_follow_file_follows_the_name_chosen_though_not_there_yet(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = tmp_path / "later.ndjson"

    def choose_later(dialog: QFileDialog) -> int:  # as a user typing the name and Enter
        assert dialog.objectName() == "followFileDialog"
        dialog.selectFile(str(later))
        dialog.accept()
        return int(dialog.result())

    monkeypatch.setattr(QFileDialog, "exec", choose_later)
    window.choose_follow()
    (follower,) = window.sources.sources
    assert isinstance(follower, Follower)
    assert window.sessions.currentIndex() == LIVE_SESSION
    later.write_text('{"action": "late", "time": 7}\n', encoding="utf-8")
    wait_until(lambda: follower.counts().accepted == 1)
    window.stop_sources()
    assert live_threads() == []
