"""``Follower``: a growing file's lines into a tracker, followed by name like ``tail -F``.

The file is polled every ``POLL_SECONDS`` (portable, and a log written a few times a
second needs nothing faster). At each poll:

- A file that shrank, or whose first KiB changed, was truncated in place (copytruncate,
  also to the same size): it is read again from its start.
- New bytes are read; a last line without its newline is held until the newline comes.
- When the name points to another file (rotation by rename, or delete and recreate),
  the old file, still open, is read to its end first, then the new one from its start.

Nothing is read twice and nothing written before a poll is missed. An unfinished line
left at a truncation or rotation can never be completed: it is rejected, with the reason.

A refused line's reason starts with its line number in the file (``line 12: ...``) when
the file was read from its start; in a file of JSON payloads (its first line is one), a
line that is neither a payload nor StatsD is refused in the words of the payload rules,
as loading the file would refuse it, not in StatsD's.
"""

from __future__ import annotations

import os
import threading
from typing import BinaryIO

from core.errors import InvalidActionError, reason
from core.linefeed import MAX_LINE_BYTES, TOO_LONG, LineSplitter, parse_line
from core.livecounts import LineError, SourceCounts, SourceTally
from core.statsd import Ignored, Timing
from core.tracker import ActionTracker
from core.validation import parse_payload

POLL_SECONDS = 0.1
"""How often the file is looked at (the contract allows 250 ms at most)."""
READ_BYTES = 256 * 1024
"""Read at a time; the stop flag is looked at between reads."""
HEAD_BYTES = 1024
"""Leading bytes remembered to recognize a file rewritten in place at the same size."""

TRUNCATED = "the file was truncated before the end of this line"
ROTATED = "the file was renamed or deleted before the end of this line"


class Follower:
    """Reads ``path`` (from its start, or from its end with ``from_start=False``), then
    whatever is appended, adding each line's timings to ``tracker``; the lines are
    StatsD metrics or JSON payloads, as for ``Listener``.

    Follows the name like ``tail -F``: truncation, rotation and a deleted then recreated
    file are handled; a missing file is waited for. ``start()``/``stop()``, a context
    manager, ``counts()`` and ``errors()`` as for ``Listener``.
    """

    def __init__(
        self, tracker: ActionTracker, path: str | os.PathLike[str], from_start: bool = True
    ) -> None:
        self._path = os.fspath(path)
        self._from_start = from_start
        self._tally = SourceTally()
        self._add = tracker.add
        self._splitter = LineSplitter()
        self._lines_read: int | None = 0
        """Newlines read from the current file; None when it was opened at its end."""
        self._payloads: bool | None = None
        """Whether the current file holds JSON payloads (its first line is one)."""
        self._file: BinaryIO | None = None
        self._identity: tuple[int, int] | None = None
        self._position = 0
        self._head = b""
        self._last_problem = ""
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = "new"

    @property
    def path(self) -> str:
        return self._path

    @property
    def description(self) -> str:
        """What this source is, for people: ``follow /var/log/app.ndjson``."""
        return f"follow {self._path}"

    def __repr__(self) -> str:
        return f"<Follower {self._path!r} ({self._state})>"

    def counts(self) -> SourceCounts:
        return self._tally.counts()

    def errors(self) -> list[LineError]:
        """The latest rejected lines (at most 100), oldest first."""
        return self._tally.errors()

    def start(self) -> None:
        """Open the file (or wait for it to appear) and follow it; returns at once.
        Raises ``OSError`` when the path exists but cannot be read (a folder, no
        permission)."""
        if self._state != "new":
            raise RuntimeError("a Follower starts once; make a new one to follow again")
        if os.path.exists(self._path):
            self._open(at_end=not self._from_start)
        self._state = "running"
        self._thread = threading.Thread(
            target=self._run, name=f"live-follow-{os.path.basename(self._path)}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop following and join the thread (within half a second); safe to repeat."""
        if self._state == "running" and self._thread is not None:
            self._stopping.set()
            self._thread.join(timeout=0.5)
        self._state = "stopped"
        if self._thread is None or not self._thread.is_alive():
            self._close()  # otherwise the thread closes the file as it ends

    def __enter__(self) -> Follower:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- the thread ----------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                try:
                    self._poll()
                except OSError as error:
                    self._problem(f"cannot read the file: {reason(error)}")
                if self._stopping.wait(POLL_SECONDS):
                    return
        finally:
            self._close()

    def _poll(self) -> None:
        if self._file is None:
            if not os.path.exists(self._path):
                return
            self._open(at_end=False)  # a file that appears later is read whole
        assert self._file is not None
        size = os.fstat(self._file.fileno()).st_size
        if size < self._position or self._head_changed():
            self._restart(TRUNCATED)
        self._read_to_end()
        try:
            named = os.stat(self._path)
        except FileNotFoundError:
            named = None
        if named is None or (named.st_dev, named.st_ino) != self._identity:
            self._read_to_end()  # what was written before the rename or delete
            self._close(ROTATED)
            if named is not None:
                self._open(at_end=False)
                self._read_to_end()
        self._last_problem = ""

    def _open(self, at_end: bool) -> None:
        handle = open(self._path, "rb", buffering=0)  # noqa: SIM115 (kept open across polls)
        try:
            status = os.fstat(handle.fileno())
            if at_end:
                handle.seek(status.st_size)
                # Starting mid-line would take the line's end for a whole line.
                if status.st_size and _last_byte(handle, status.st_size) != b"\n":
                    self._splitter.skip_line()
        except BaseException:
            handle.close()
            raise
        self._file = handle
        self._identity = (status.st_dev, status.st_ino)
        self._lines_read = None if at_end and status.st_size else 0
        self._payloads = None
        self._position = handle.tell()
        self._head = b""
        self._remember_head()

    def _close(self, why: str = "") -> None:
        held = self._splitter.discard()
        if held and why:
            self._tally.reject(held.decode("utf-8", "replace"), why, self._path)
        if self._file is not None:
            self._file.close()
            self._file = None

    def _restart(self, why: str) -> None:
        held = self._splitter.discard()
        if held:
            self._tally.reject(held.decode("utf-8", "replace"), why, self._path)
        assert self._file is not None
        self._file.seek(0)
        self._position = 0
        self._lines_read = 0
        self._payloads = None
        self._head = b""

    def _read_to_end(self) -> None:
        handle = self._file
        assert handle is not None
        while not self._stopping.is_set():
            chunk = handle.read(READ_BYTES)
            if not chunk:
                break
            self._position += len(chunk)
            block, too_long = self._splitter.feed(chunk)
            for start in too_long:
                self._tally.reject(start.decode("utf-8", "replace"), TOO_LONG, self._path)
            first_line = None
            if self._lines_read is not None:
                self._lines_read += chunk.count(b"\n")
                # The block's last line ends at the chunk's last newline.
                first_line = self._lines_read - block.count(b"\n")
            if block:
                self._feed(block, first_line)
        self._remember_head()

    def _feed(self, block: bytes, first_line: int | None) -> None:
        """Add the timings of ``block``'s lines (``first_line`` the number of its first
        line, when known); count each line, and list the refused ones with the reason."""
        rejections: list[tuple[str, str]] = []
        accepted = ignored = 0
        add = self._add
        for at, raw in enumerate(block.split(b"\n")):
            try:
                if len(raw) > MAX_LINE_BYTES:
                    raise InvalidActionError(TOO_LONG)
                try:
                    text = raw.decode()
                except UnicodeDecodeError as error:
                    raise InvalidActionError(
                        f"the line is not UTF-8 text ({error.reason})"
                    ) from None
                line = text[:-1] if text.endswith("\r") else text  # CRLF writers
                if not line:
                    continue
                if self._payloads is None:
                    self._payloads = line.startswith("{")
                parsed = self._parse(line)
                if isinstance(parsed, Ignored):
                    ignored += 1
                    continue
                for value in parsed.values:  # checked already: only the name can fail
                    add(parsed.name, value)
            except InvalidActionError as error:
                why = str(error) if first_line is None else f"line {first_line + at}: {error}"
                rejections.append((raw[:800].decode("utf-8", "replace"), why))
            else:
                accepted += 1
        self._tally.add(accepted, ignored, rejections, self._path)

    def _parse(self, line: str) -> Timing | Ignored:
        """``parse_line``, refusing in the payload rules' words in a file of payloads."""
        try:
            return parse_line(line)
        except InvalidActionError:
            if not self._payloads or line.startswith("{"):
                raise
            parse_payload(line)  # raises, in the engine's words: it is no payload
            raise

    def _remember_head(self) -> None:
        """Keep the file's first bytes (those read so far, up to ``HEAD_BYTES``)."""
        wanted = min(HEAD_BYTES, self._position)
        if len(self._head) < wanted:
            self._head = self._read_at(0, wanted)

    def _head_changed(self) -> bool:
        return bool(self._head) and self._read_at(0, len(self._head)) != self._head

    def _read_at(self, offset: int, count: int) -> bytes:
        handle = self._file
        assert handle is not None
        here = handle.tell()
        try:
            handle.seek(offset)
            return handle.read(count) or b""
        finally:
            handle.seek(here)

    def _problem(self, text: str) -> None:
        """List a reading problem once, not at every poll while it lasts."""
        if text != self._last_problem:
            self._last_problem = text
            self._tally.note("", text, self._path)


def _last_byte(handle: BinaryIO, size: int) -> bytes:
    here = handle.tell()
    handle.seek(size - 1)
    byte = handle.read(1)
    handle.seek(here)
    return byte
