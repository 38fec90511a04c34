"""The words of the messages that end a file load; plain Python, no Qt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core import LoadReport


@dataclass(frozen=True)
class Message:
    """A message for people: ``details`` go under *Show Details*; ``warning`` picks the
    icon (information when everything went as asked)."""

    title: str
    text: str
    details: str = ""
    warning: bool = False


def load_summary(name: str, report: LoadReport, kept: bool = True) -> Message:
    """How the load of file ``name`` went: counts, and each rejected record by where it
    sits (``LoadReport.where``) and why. ``kept`` says whether the records of a cancelled
    load were kept or discarded."""
    title = "File loaded" if report.accepted else "Nothing loaded"
    text = f"{name}: {report.summary}."
    if report.format == "empty":
        text = f"{name} is empty: it holds no records."
    elif not report.accepted and not report.rejected_count and not report.cancelled:
        text = f"{name} holds no records."  # an empty array
    elif report.cancelled:
        title = "Load cancelled"
        outcome = "kept" if kept else "discarded: nothing from this file was added"
        text = (
            f"{name}: cancelled before the end. The {report.accepted:,} records "
            f"read until then were {outcome}; {report.rejected_count:,} were rejected."
        )
    details = ""
    if report.rejected:
        lines = [f"{report.where(rejection)}: {rejection.reason}" for rejection in report.rejected]
        hidden = report.rejected_count - len(report.rejected)
        if hidden:
            lines.append(f"… and {hidden:,} more")
        details = "\n".join(lines)
        text += " Show Details lists the rejected records; select and copy them from there."
    quiet = report.rejected_count == 0 and report.accepted > 0
    return Message(title, text, details, warning=not quiet)


def abandoned(name: str, dropped: Sequence[Path]) -> Message:
    """A load whose session was replaced by Open Session while it ran, and the queued
    files dropped with it."""
    text = (
        f"{name}: loading stopped when another session was opened; nothing "
        "from this file is in the session now shown."
    )
    if dropped:
        text += f" Not loaded either, as they were queued behind it: {_names(dropped)}."
    return Message("Load abandoned", text)


def not_loaded(dropped: Sequence[Path]) -> Message:
    """Queued files that Open Session dropped after the running load had ended."""
    return Message(
        "Files not loaded",
        f"Another session was opened before these queued files were loaded: {_names(dropped)}.",
    )


def _names(paths: Sequence[Path]) -> str:
    return ", ".join(path.name for path in paths)
