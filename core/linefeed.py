"""Lines from a live source into the tracker: cutting a stream into lines, then parsing
and adding each one, counting every outcome."""

from __future__ import annotations

from core.errors import InvalidActionError
from core.livecounts import SourceTally
from core.statsd import Ignored, Timing, parse_statsd_line, plain_timer
from core.tracker import ActionTracker
from core.validation import MAX_PAYLOAD_BYTES, parse_payload

MAX_LINE_BYTES = MAX_PAYLOAD_BYTES
"""Longest line taken, in bytes; a longer one is rejected, and never held whole."""
TOO_LONG = f"the line is longer than {MAX_LINE_BYTES:,} bytes"


def parse_line(line: str) -> Timing | Ignored:
    """One line of a live source: a payload (starting with '{') by exactly the engine's
    rules, otherwise a StatsD line. Raises ``InvalidActionError``."""
    if line.startswith("{"):
        name, time = parse_payload(line)
        return Timing(name, (time,))
    return parse_statsd_line(line)


def describe_peer(source: object) -> str:
    """A peer address as people write it: ``host:port`` (``[host]:port`` for IPv6)."""
    if isinstance(source, tuple) and len(source) >= 2:
        host, port = source[0], source[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(source)


class LineFeeder:
    """Parses whole lines and adds their timings to a tracker, counting each line in a
    ``SourceTally``. A bad line is counted and listed, never raised, and adds nothing."""

    def __init__(self, tracker: ActionTracker, tally: SourceTally) -> None:
        self._add = tracker.add
        self._tally = tally

    def feed(self, data: bytes, source: object) -> None:
        """Take ``data``: complete lines separated by newlines (a last one may lack its
        newline). ``source`` names the sender in errors; formatted only when needed."""
        rejections: list[tuple[str, str]] = []
        lines = text_lines(data, rejections)
        accepted = ignored = 0
        add = self._add
        plain = plain_timer
        for text in lines:
            line = text[:-1] if text.endswith("\r") else text  # CRLF senders
            if not line:
                continue
            try:
                if line[0] != "{" and (timing := plain(line)) is not None:
                    add(*timing)
                else:
                    parsed = parse_line(line)
                    if isinstance(parsed, Ignored):
                        ignored += 1
                        continue
                    name = parsed.name
                    # Values are checked already; only the name can fail, on the first add.
                    for value in parsed.values:
                        add(name, value)
            except InvalidActionError as error:
                rejections.append((line, str(error)))
            else:
                accepted += 1
        self._tally.add(accepted, ignored, rejections, describe_peer(source) if rejections else "")


def text_lines(data: bytes, rejections: list[tuple[str, str]]) -> list[str]:
    """``data``'s lines as text (split on newlines), appending to ``rejections`` those too
    long or not UTF-8, which are left out; the whole is decoded at once when it can be."""
    if len(data) <= MAX_LINE_BYTES and _is_utf8(data):
        return data.decode().split("\n")
    lines = []
    for raw in data.split(b"\n"):
        if len(raw) > MAX_LINE_BYTES:
            rejections.append((_shown(raw), TOO_LONG))
            continue
        try:
            lines.append(raw.decode())
        except UnicodeDecodeError as error:
            rejections.append((_shown(raw), f"the line is not UTF-8 text ({error.reason})"))
    return lines


def _is_utf8(data: bytes) -> bool:
    return data.isascii() or _decodes(data)


def _decodes(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


def _shown(raw: bytes) -> str:
    """The start of a raw line as text for an error list."""
    return raw[:800].decode("utf-8", "replace")


class LineSplitter:
    """Cuts a byte stream (a TCP connection, a growing file) into whole lines, holding
    an unfinished last line until its newline arrives.

    A line that grows past ``MAX_LINE_BYTES`` without a newline is reported once and
    its bytes are skipped up to the next newline, so memory stays bounded.
    """

    __slots__ = ("_held", "_skipping")

    def __init__(self) -> None:
        # A bytearray grows in place: a line arriving a byte at a time costs O(n), not O(n²).
        self._held = bytearray()
        self._skipping = False

    @property
    def holding(self) -> bool:
        """Whether part of an unfinished line is held (or being skipped)."""
        return bool(self._held) or self._skipping

    def feed(self, chunk: bytes) -> tuple[bytes, list[bytes]]:
        """The whole lines that ``chunk`` completes (newline-separated, possibly empty),
        and the starts of lines just found too long."""
        too_long: list[bytes] = []
        end = chunk.rfind(b"\n")
        if end < 0:
            self._hold(chunk, too_long)
            return b"", too_long
        block, rest = chunk[:end], chunk[end + 1 :]
        if self._skipping:
            first_end = block.find(b"\n")
            block = b"" if first_end < 0 else block[first_end + 1 :]
            self._skipping = False
        elif self._held:
            block = bytes(self._held) + block
        self._held = bytearray()
        self._hold(rest, too_long)
        return block, too_long

    def skip_line(self) -> None:
        """Skip the bytes up to the next newline: the rest of a line whose start was
        never seen (following a file from its end)."""
        self._held = bytearray()
        self._skipping = True

    def discard(self) -> bytes | None:
        """Forget the unfinished line (its source ended or restarted); return what was
        held of it, or None when nothing was."""
        held, skipping = bytes(self._held), self._skipping
        self._held, self._skipping = bytearray(), False
        return held if held or skipping else None

    def _hold(self, part: bytes, too_long: list[bytes]) -> None:
        if self._skipping or not part:
            return
        if len(self._held) + len(part) > MAX_LINE_BYTES:
            too_long.append((bytes(self._held[:800]) + part[:800])[:800])
            self._held = bytearray()
            self._skipping = True
        else:
            self._held += part
