"""The garbage collector's pause after Open Session, with a session of 10,000 actions.

Run: ``uv run python -m bench.gc_pause`` (``--actions N``, ``--rounds N``). Each
scenario runs in a fresh process that starts the window as ``action-tracker`` does
(``gc.freeze()`` after start-up), opens the session through File → Open Session, waits
until the table shows it, and times full collections (``gc.collect()``, what an
automatic generation-2 collection costs the GUI thread). Scenarios alternate round by
round; medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from core import ActionTracker

SCENARIOS = {
    "opened, not frozen (before)": "no-freeze",
    "opened, frozen after open (now)": "window",
}

_CHILD = """
import gc, json, os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication
import gui.main_window
from gui import MainWindow
from core import ActionTracker

app = QApplication([])
window = MainWindow(ActionTracker())
gc.freeze()  # as gui/app.py does after start-up
if sys.argv[2] == "no-freeze":
    gui.main_window.freeze_long_lived = lambda: None
window.open_session(sys.argv[1], confirm=False)
deadline = time.monotonic() + 60
while window.proxy.rowCount() < int(sys.argv[3]) and time.monotonic() < deadline:
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)  # until the table shows it
pauses = []
for _ in range(int(sys.argv[4])):
    start = time.perf_counter()
    gc.collect()
    pauses.append((time.perf_counter() - start) * 1000)
tracked = len(gc.get_objects())
window.shutdown()
print(json.dumps({"pauses_ms": pauses, "tracked": tracked}))
"""


def write_session(path: Path, actions: int) -> None:
    tracker = ActionTracker()
    tracker.add_actions(
        json.dumps({"action": f"action {number}", "time": number % 97 + repeat})
        for number in range(actions)
        for repeat in range(3)
    )
    tracker.save(path)


def run_child(session: Path, mode: str, actions: int, collections: int) -> dict[str, object]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory() as home:
        env["XDG_CONFIG_HOME"] = home  # the user's settings stay untouched
        output = subprocess.run(
            [sys.executable, "-c", _CHILD, str(session), mode, str(actions), str(collections)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
    result: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--collections", type=int, default=7)
    args = parser.parse_args(argv)
    pauses: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    tracked: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        session = Path(folder) / "large.atsession"
        write_session(session, args.actions)
        for _ in range(args.rounds):
            for name, mode in SCENARIOS.items():
                result = run_child(session, mode, args.actions, args.collections)
                pauses[name] += result["pauses_ms"]  # type: ignore[arg-type]
                tracked[name] = result["tracked"]  # type: ignore[assignment]
    print(
        f"full collection after Open Session of {args.actions:,} actions "
        f"({args.rounds} rounds x {args.collections} collections, interleaved)"
    )
    print(f"{'scenario':34} {'median ms':>10} {'max ms':>8} {'objects scanned':>16}")
    for name, values in pauses.items():
        print(f"{name:34} {statistics.median(values):10.2f} {max(values):8.2f} {tracked[name]:16,}")
    before, now = (statistics.median(values) for values in pauses.values())
    if now >= 0.01:
        print(f"ratio before / now: {before / now:.1f}")
    else:
        print("now: the session and its rows are frozen; a full collection finds nothing to scan")


if __name__ == "__main__":
    main()
