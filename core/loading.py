"""Reading action files: a JSON array, newline-delimited JSON, or a single object.

Loading is a generator (``FileLoad``) that yields progress between chunks, so a caller can
show it and cancel between any two. Newline-delimited files are streamed in chunks of
CHUNK_BYTES, so memory stays flat however large the file is.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import ExitStack
from itertools import compress
from typing import IO, Protocol, Union

import orjson

from core.errors import InvalidActionError, InvalidFileError
from core.exactsum import Number
from core.report import LoadProgress, LoadReport
from core.validation import (
    MAX_PAYLOAD_BYTES,
    CheckedRecords,
    check_batch,
    check_lines,
    check_lines_each,
    check_plain,
    check_record,
    decode_plain_array,
    json_reason,
    parse_payload,
)

JSON_WHITESPACE = b" \t\r\n"
"""RFC 8259's whitespace; bytes.strip() would also take \\x0b and \\x0c, which
add_action refuses, so a line would load from a file but not on its own."""

Source = Union[str, "os.PathLike[str]", IO[bytes]]

CHUNK_BYTES = 1 << 20
"""Bytes read per step of a newline-delimited file; one progress report each."""
ARRAY_CHUNK = 20_000
"""Array elements added per step."""
MAX_ARRAY_BYTES = 64 << 20
"""JSON arrays are parsed whole, so they are limited; larger data belongs in
newline-delimited JSON, which is streamed and has no limit."""
_BOM = b"\xef\xbb\xbf"
_BINARY_SAMPLE = 4096  # bytes looked at to tell a binary file from a text one
_CONTROL_BYTE = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")  # not tab, newline, escape…


class CheckedSink(Protocol):
    """Where a load hands what it has checked: adds ``records``, counting them in
    ``report`` (and rejecting there the ones only the receiver can refuse)."""

    def __call__(self, records: CheckedRecords, report: LoadReport) -> None: ...


class FileLoad:
    """One load of one file. Iterate it for ``LoadProgress``; ``report`` holds what has
    been done so far, and ``cancel()`` stops it between chunks.

    Made by ``ActionTracker.start_load``; the loader knows nothing of the tracker but the
    ``CheckedSink`` it was given, through which only checked records pass."""

    def __init__(self, source: Source, sink: CheckedSink) -> None:
        self.report = LoadReport(format="empty")
        self._sink = sink
        self._source = source
        self._cancel = threading.Event()
        self._caller_cancel: threading.Event | None = None  # run()'s, checked as well
        self._steps = self._run()

    def __iter__(self) -> Iterator[LoadProgress]:
        return self._steps

    def cancel(self) -> None:
        """Stop before the next chunk; safe from any thread. Records already added stay,
        and the report says ``cancelled`` when some were left unread."""
        self._cancel.set()

    def run(
        self,
        progress: Callable[[LoadProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> LoadReport:
        """Run to the end (or until ``cancel`` is set) and return the report."""
        self._caller_cancel = cancel
        for step in self._steps:
            if progress is not None:
                progress(step)
        return self.report

    def _stopping(self) -> bool:
        """Checked before each chunk: True, and the report says so, once cancelled."""
        caller = self._caller_cancel
        if self._cancel.is_set() or (caller is not None and caller.is_set()):
            self.report.cancelled = True
            return True
        return False

    def _run(self) -> Generator[LoadProgress, None, None]:
        try:
            with ExitStack() as stack:
                stream, total = _open(self._source, stack)
                # A full first chunk (short reads are retried) decides the format; a
                # file that ends within it, small enough to be one payload, may be a
                # single object spread over several lines.
                head, ended = _fill(stream, max(CHUNK_BYTES, MAX_PAYLOAD_BYTES + 1))
                bom = len(_BOM) if head.startswith(_BOM) else 0
                head = head[bom:]
                first = head.lstrip(JSON_WHITESPACE)[:1]
                if not first or self._stopping():
                    return
                if first == b"[":
                    yield from self._array(stream, head, total)
                elif first != b"{":
                    raise _not_actions_file(head, first, bom)
                elif ended and len(head) <= MAX_PAYLOAD_BYTES and self._single_object(head):
                    yield self._progress(len(head), len(head))
                else:
                    yield from self._lines(stream, head, total, bom)
        finally:
            # Chunks reject over-long lines as they meet them; people read in line order.
            self.report.rejected.sort(key=lambda rejection: rejection.record)

    def _single_object(self, data: bytes) -> bool:
        """Load a file holding one (possibly pretty-printed) object; False if it is not."""
        try:
            record = orjson.loads(data)
        except orjson.JSONDecodeError:
            return False
        self.report.format = "object"
        self._add_unchecked([(1, record)])
        return True

    def _array(self, stream: IO[bytes], head: bytes, total: int | None) -> Iterator[LoadProgress]:
        if total is not None and total > MAX_ARRAY_BYTES:
            raise _array_too_large(total)
        data = head + _fill(stream, max(0, MAX_ARRAY_BYTES + 1 - len(head)))[0]
        if len(data) > MAX_ARRAY_BYTES:
            raise _array_too_large(None)
        # Records of exactly the two fields decode in one msgspec call; any other array
        # (or a chunk that needs care) takes orjson's records and the column checks.
        plain = decode_plain_array(data)
        elements = _parse_array(data) if plain is None else None
        self.report.format = "array"
        count = len(plain) if plain is not None else len(elements or ())
        for start in range(0, count, ARRAY_CHUNK):
            if self._stopping():
                return
            end = min(start + ARRAY_CHUNK, count)
            checked = check_plain(plain[start:end], start + 1) if plain is not None else None
            if checked is not None:
                self._sink(checked, self.report)
            else:
                if elements is None:  # from here on, orjson's records
                    elements, plain = _parse_array(data), None
                self._add_parsed(elements[start:end], start + 1)
            yield self._progress(end, count)

    def _lines(
        self, stream: IO[bytes], head: bytes, total: int | None, skipped: int
    ) -> Iterator[LoadProgress]:
        self.report.format = "lines"
        number = 0  # lines consumed so far
        done = skipped  # bytes consumed so far, a byte-order mark included
        carry = b""  # the unfinished last line of the previous chunk
        skipping = False  # inside an over-long line, dropping bytes until its newline
        data = head
        while data:
            if self._stopping():
                return
            done += len(data)
            if skipping:
                newline = data.find(b"\n")
                if newline < 0:
                    data = _read(stream, CHUNK_BYTES)
                    continue
                data, number, skipping = data[newline + 1 :], number + 1, False
            # The carry holds no newline, so the chunk's last one ends the whole lines;
            # they are joined to the carry in one copy.
            cut = data.rfind(b"\n") + 1
            if cut:
                body = b"".join((carry, memoryview(data)[:cut])) if carry else data[:cut]
                carry = data[cut:]
                self._add_lines(body, number + 1)
                number += body.count(b"\n")
            else:
                carry += data
            if len(carry) > MAX_PAYLOAD_BYTES:
                self.report.reject(number + 1, _too_large(None))
                carry, skipping = b"", True
            yield self._progress(done, total)
            data = _read(stream, CHUNK_BYTES)
        if carry and not self._stopping():
            self._add_lines(carry + b"\n", number + 1)
            yield self._progress(done, total)

    def _add_lines(self, body: bytes, first_number: int) -> None:
        """Check and add a chunk of whole lines (each ending in a newline): in one decode
        when every line is plainly valid, else parsed line by line, where only the lines
        that fail a rule are checked (and worded) one at a time."""
        checked = check_lines(body, first_number)
        if checked is not None:
            self._sink(checked, self.report)
            return
        lines = body.split(b"\n")
        del lines[-1]  # what follows the last newline: nothing
        names, times, flagged = check_lines_each(lines)
        self._add_flagged(names, times, flagged, first_number, lambda at: _check_line(lines[at]))

    def _add_parsed(self, parsed: list[object], first_number: int) -> None:
        """Add parsed records numbered from ``first_number``, checked in column passes
        except the few these flag, which are checked one by one with their messages."""
        names, times, flagged = check_batch(parsed)
        self._add_flagged(names, times, flagged, first_number, lambda at: check_record(parsed[at]))

    def _add_flagged(
        self,
        names: list[str],
        times: list[Number],
        flagged: list[int],
        first_number: int,
        check_one: Callable[[int], tuple[str, Number] | None],
    ) -> None:
        """Add records whose column checks flagged the positions ``flagged``: each of those
        is decided by ``check_one`` (its name and time, None for no record, or
        ``InvalidActionError`` with the reason), the rest stand as checked."""
        numbers: Sequence[int] = range(first_number, first_number + len(names))
        if flagged:
            keep = bytearray(b"\x01") * len(names)
            for at in flagged:
                try:
                    checked = check_one(at)
                except InvalidActionError as error:
                    self.report.reject(first_number + at, str(error))
                    checked = None
                if checked is None:
                    keep[at] = 0
                else:
                    names[at], times[at] = checked
            if not all(keep):
                names = list(compress(names, keep))
                times = list(compress(times, keep))
                numbers = list(compress(numbers, keep))
        self._sink(CheckedRecords(names, times, numbers), self.report)

    def _add_unchecked(self, unchecked: list[tuple[int, object]]) -> None:
        """Check parsed ``(record number, record)`` pairs one by one, then add the good ones."""
        checked = _Checked()
        for number, record in unchecked:
            try:
                name, time = check_record(record)
            except InvalidActionError as error:
                self.report.reject(number, str(error))
            else:
                checked.append(number, name, time)
        self._sink(checked.records(), self.report)

    def _progress(self, done: int, total: int | None) -> LoadProgress:
        return LoadProgress(done, total, self.report.accepted, self.report.rejected_count)


class _Checked:
    """Checked records gathered one at a time, in columns."""

    __slots__ = ("names", "numbers", "times")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.times: list[Number] = []
        self.numbers: list[int] = []

    def append(self, number: int, name: str, time: Number) -> None:
        self.names.append(name)
        self.times.append(time)
        self.numbers.append(number)

    def records(self) -> CheckedRecords:
        return CheckedRecords(self.names, self.times, self.numbers)


def _open(source: Source, stack: ExitStack) -> tuple[IO[bytes], int | None]:
    """A binary stream for ``source`` and its size when known; paths are closed by
    ``stack``, caller-supplied streams are left open."""
    if isinstance(source, (str, os.PathLike)):
        stream: IO[bytes] = stack.enter_context(open(source, "rb"))  # noqa: SIM115
        return stream, os.fstat(stream.fileno()).st_size
    if not hasattr(source, "read"):
        raise TypeError(
            f"source must be a path or a binary file object, got {type(source).__name__}"
        )
    try:
        position = source.tell()
        size = source.seek(0, os.SEEK_END) - position
        source.seek(position)
    except (OSError, AttributeError, ValueError):
        return source, None
    return source, size


def _fill(stream: IO[bytes], size: int) -> tuple[bytes, bool]:
    """Read ``size`` bytes, retrying short reads; also says whether the stream ended."""
    parts: list[bytes] = []
    wanted = size
    while wanted > 0:
        part = _read(stream, wanted)
        if not part:
            return b"".join(parts), True
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts), False


def _read(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if isinstance(data, str):
        raise TypeError("the file object is in text mode; open it in binary mode ('rb')")
    return data


def _check_line(line: bytes) -> tuple[str, Number] | None:
    """One line by the per-line rules: None for a blank line, which is no record."""
    line = line.strip(JSON_WHITESPACE)
    if not line:
        return None
    if len(line) > MAX_PAYLOAD_BYTES:
        raise InvalidActionError(_too_large(len(line)))
    return parse_payload(line)


def _parse_array(data: bytes) -> list[object]:
    try:
        elements = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        reason = json_reason(data, error)
        raise InvalidFileError(f"the file is not a valid JSON array: {reason}") from None
    return elements  # type: ignore[no-any-return]


def _too_large(size: int | None) -> str:
    shown = f"{size:,} bytes" if size is not None else "longer than the limit"
    return f"line is too large: {shown}; the limit is {MAX_PAYLOAD_BYTES:,} bytes"


def _array_too_large(size: int | None) -> InvalidFileError:
    shown = f"{size / (1 << 20):,.0f} MiB" if size else "larger than the limit"
    return InvalidFileError(
        f"the JSON array is {shown}; arrays are read whole and limited to "
        f"{MAX_ARRAY_BYTES >> 20} MiB. Save large data as newline-delimited JSON "
        "(one object per line), which has no size limit"
    )


def _not_actions_file(head: bytes, first: bytes, skipped: int) -> InvalidFileError:
    """Why a file that starts with neither '[' nor '{' is refused: a binary file (a control
    byte that text does not use, or bytes that are not UTF-8, near its start) is called
    one, with where (counted from the file's start, ``skipped`` bytes of byte-order mark
    before ``head``)."""
    sample = head[:_BINARY_SAMPLE]
    control = _CONTROL_BYTE.search(sample)
    zero = control.start() if control else -1
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as bad:
        # A character cut by the end of the sample is not a sign of binary data.
        cut = bad.reason == "unexpected end of data"
        not_text = -1 if cut else bad.start
    else:
        not_text = -1
    found = [at for at in (zero, not_text) if at >= 0]
    if found:
        at = min(found)
        return InvalidFileError(
            "this looks like a binary file, not a JSON actions file: "
            f"byte {at + skipped + 1} is 0x{sample[at]:02x}, which is not text"
        )
    return InvalidFileError(
        "this is not a JSON actions file: it should start with '[' (an array) or '{' (one "
        f"object per line), but starts with {_show_byte(first)}"
    )


def _show_byte(first: bytes) -> str:
    char = first.decode("latin-1")
    return repr(char) if char.isprintable() else f"byte 0x{first[0]:02x}"
