"""Reading action files: a JSON array, newline-delimited JSON, or a single object.

Loading is a generator (``FileLoad``) that yields progress between chunks, so a caller can
show it and cancel between any two. Newline-delimited files are streamed in chunks of
CHUNK_BYTES, so memory stays flat however large the file is.

A large newline-delimited file named by its path is cut into pieces of whole lines that
worker processes read, check and fold (processes, not threads: parsing holds the GIL),
each sending back the aggregates of its piece and its rejected lines; this process
merges them in file order, so line numbers, rejections and figures are the ones a
reading in one process gives.
"""

from __future__ import annotations

import io
import os
import re
import stat
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO, Protocol, TypeVar, Union, overload

import numpy as np
import numpy.typing as npt
import orjson

from core.childproc import can_start_children
from core.errors import InvalidActionError, InvalidFileError
from core.exactsum import MAX_EXACT_INT, Number
from core.folded import FoldedRecords, Folder
from core.linechecks import (
    check_lines,
    check_lines_each,
    check_lines_loosely,
    check_plain,
    decode_plain_array,
    line_ends,
)
from core.linecolumns import LineColumns, read_columns
from core.report import LoadProgress, LoadReport, PieceReport
from core.strategy import Strategy
from core.validation import (
    MAX_PAYLOAD_BYTES,
    CheckedRecords,
    check_batch,
    check_record,
    json_reason,
    parse_payload,
    parse_payload_exactly,
)
from core.workerprocs import POOL, Worker, WorkerError, serve

JSON_WHITESPACE = b" \t\r\n"
"""RFC 8259's whitespace; bytes.strip() would also take \\x0b and \\x0c, which
add_action refuses, so a line would load from a file but not on its own."""

Source = Union[str, "os.PathLike[str]", IO[bytes]]

CHUNK_BYTES = 1 << 20
"""Bytes read per step of a newline-delimited file; one progress report each."""
BATCH_CHUNKS = 4
"""Chunks read as columns in this process that are folded together before the receiver
takes them: each action's aggregates then cost one fold per batch, not per chunk, and the
receiver's figures move on every few chunks (a cancel keeps what progress counted)."""
ARRAY_CHUNK = 20_000
"""Array elements added per step."""
MAX_ARRAY_BYTES = 64 << 20
"""JSON arrays are parsed whole, so they are limited; larger data belongs in
newline-delimited JSON, which is streamed and has no limit."""
PARALLEL_MIN_BYTES = 16 << 20
"""Newline-delimited files from this size up are read by worker processes; below it,
starting them would cost more than they save."""
COLD_PARALLEL_MIN_BYTES = 128 << 20
"""From this size up, worker processes are started for a file even when none is idle:
below it, starting them (an interpreter and numpy each, on the same cores) costs more
than they save, and the file is read here (bench/loading.py's "workers cold" row)."""
PIECE_BYTES = 4 << 20
"""The most bytes of a file a worker process reads per task (pieces are evened out so
that every worker reads as many): one progress step of such a load, and what a cancel
waits for (the pieces being read then)."""
PIECES_AHEAD = 2
"""Pieces handed to each worker ahead of the one being merged: enough to keep it busy,
few enough that the results waiting stay small."""
WORKER_NICENESS = 2
"""How much the worker processes yield the CPU to others (``os.nice``): a window's GUI
thread, waking for its timer while both cores read pieces, should get one at once. Kept
small: on a machine busy with other work, two workers at niceness 5 got less CPU than
one process at 0 (a 1 GB load took longer than reading it alone)."""
_CANCEL_POLL_SECONDS = 0.05  # how often a wait for a worker's piece looks at cancel
_BOM = b"\xef\xbb\xbf"
_BINARY_SAMPLE = 4096  # bytes looked at to tell a binary file from a text one
_CONTROL_BYTE = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")  # not tab, newline, escape…


class CheckedSink(Protocol):
    """Where a load hands what it has checked: adds ``records``, counting them in
    ``report`` (and rejecting there the ones only the receiver can refuse). Records
    already folded by a worker process are taken whole or not at all: False when
    refused (nothing added), and the loader then adds that piece's records itself."""

    def __call__(self, records: CheckedRecords | FoldedRecords, report: LoadReport) -> bool: ...


class FileLoad:
    """One load of one file. Iterate it for ``LoadProgress``; ``report`` holds what has
    been done so far, and ``cancel()`` stops it between chunks.

    Made by ``ActionTracker.start_load``; the loader knows nothing of the tracker but the
    ``CheckedSink`` it was given, through which only checked records pass. Given the
    receiver's ``strategy``, a large newline-delimited file is read by worker processes
    (see the module's docstring); without it, always in this process."""

    def __init__(self, source: Source, sink: CheckedSink, strategy: Strategy | None = None) -> None:
        self.report = LoadReport(format="empty")
        self._sink = sink
        self._source = source
        self._strategy = strategy
        # A sink that folds records it is given as columns, as a worker's does; else,
        # given the receiver's strategy, chunks read as columns are folded here and
        # merged whole, BATCH_CHUNKS at a time (``_ColumnsBatch``).
        self._folder = sink if isinstance(sink, Folder) else None
        self._batch: _ColumnsBatch | None = None
        self._lines_read = 0  # by _lines, for a piece read on its own
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
                    yield from self._array(stream, head, total, bom)
                elif first != b"{":
                    raise _not_actions_file(head, first, bom)
                elif ended and len(head) <= MAX_PAYLOAD_BYTES and self._single_object(head):
                    yield self._progress(len(head), len(head))
                elif total is not None and (workers := self._workers(stream, total, bom)) > 1:
                    yield from self._pieces(stream, total, bom, workers)
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

    def _array(
        self, stream: IO[bytes], head: bytes, total: int | None, skipped: int = 0
    ) -> Generator[LoadProgress, None, int]:
        """Load the array; returns how many elements it held."""
        if total is not None and total > MAX_ARRAY_BYTES:
            raise _array_too_large(total)
        data = head + _fill(stream, max(0, MAX_ARRAY_BYTES + 1 - len(head)))[0]
        if len(data) > MAX_ARRAY_BYTES:
            raise _array_too_large(None)
        first = 0  # elements added by worker processes
        if (
            total is not None
            and (workers := self._workers(stream, total, skipped)) > 1
            and (pieces := _array_pieces(data, skipped))
        ):
            merged = yield from self._array_by_workers(pieces, total, workers)
            if merged is None:
                return 0
            first = merged
        # Records of exactly the two fields decode in one msgspec call; any other array
        # (or a chunk that needs care) takes orjson's records and the column checks.
        plain = decode_plain_array(data)
        elements = _parse_array(data) if plain is None else None
        self.report.format = "array"
        count = len(plain) if plain is not None else len(elements or ())
        for start in range(first, count, ARRAY_CHUNK):
            if self._stopping():
                return start
            end = min(start + ARRAY_CHUNK, count)
            checked = check_plain(plain[start:end], start + 1) if plain is not None else None
            if checked is not None:
                self._sink(checked, self.report)
            else:
                if elements is None:  # from here on, orjson's records
                    elements, plain = _parse_array(data), None
                self._add_parsed(elements[start:end], start + 1)
            yield self._progress(end, count)
        return count

    def _array_by_workers(
        self, pieces: list[tuple[int, int]], total: int, workers: int
    ) -> Generator[LoadProgress, None, int | None]:
        """Have worker processes read the array's ``pieces`` (runs of whole elements),
        then merge their results in order. Nothing is merged before every piece was
        read, since an array that is not JSON is refused whole. Returns None when done
        (or cancelled), else how many elements were merged, the rest being left to
        this process: all of them when a piece was not JSON or a worker failed."""
        path = os.path.abspath(self._source)  # type: ignore[arg-type]
        team = _take_workers(workers)
        if not team or not all(worker.started() for worker in team):  # not worth a wait
            POOL.give_back(team, keep=_usable_cpus())
            return 0
        results: list[_PieceResult] = []
        try:
            for at, (begin, end) in enumerate(pieces):
                team[at % len(team)].send((_fold_array_piece, (path, begin, end, self._strategy)))
            for at, (_, end) in enumerate(pieces):
                worker = team[at % len(team)]
                if not self._wait(worker, team):
                    return None
                results.append(worker.receive())  # type: ignore[arg-type]
                yield LoadProgress(end, total, 0, 0)
        except (WorkerError, InvalidFileError):
            return 0
        finally:
            if len(results) < len(pieces):
                _dismiss(team)
            else:
                POOL.give_back(team, keep=_usable_cpus())
        if self._stopping():
            return None
        self.report.format = "array"
        merged = 0
        for result in results:
            if not self._merge(result, merged + 1):
                return merged
            merged += result.lines
        yield self._progress(merged, merged)
        return None

    def _lines(
        self, stream: IO[bytes], head: bytes, total: int | None, skipped: int, first_line: int = 1
    ) -> Iterator[LoadProgress]:
        self.report.format = "lines"
        number = first_line - 1  # lines consumed so far
        done = skipped  # bytes consumed so far, a byte-order mark included
        carry = b""  # the unfinished last line of the previous chunk
        skipping = False  # inside an over-long line, dropping bytes until its newline
        data = head
        while data:
            if self._stopping():
                self._merge_batch()  # what the last progress counted
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
                number += self._add_lines(body, number + 1)
            else:
                carry += data
            if len(carry) > MAX_PAYLOAD_BYTES:
                self._merge_batch()  # its rejections first: the report keeps the first ones
                self.report.reject(number + 1, _too_large(None))
                carry, skipping = b"", True
            data = _read(stream, CHUNK_BYTES)
            if not data and not carry:
                self._merge_batch()  # the last chunk's records counted in its progress
            yield self._progress(done, total)
        self._lines_read = number - first_line + 1
        if carry and not self._stopping():
            self._add_lines(carry + b"\n", number + 1)
            self._merge_batch()
            yield self._progress(done, total)
        self._merge_batch()  # cancelled before its unfinished last line

    def _workers(self, stream: IO[bytes], total: int, start: int) -> int:
        """How many worker processes should read this newline-delimited file: 0 unless
        it is a large regular file named by its path, the receiver's strategy is known
        and there is more than one CPU to run them on; workers are started afresh only
        for a very large file."""
        if (
            self._strategy is None
            or total < PARALLEL_MIN_BYTES
            or not isinstance(self._source, (str, os.PathLike))
            or CHUNK_BYTES <= MAX_PAYLOAD_BYTES  # a piece reads in CHUNK_BYTES steps
            or not can_start_children()
            or os.name != "posix"  # waits for replies with select(), on pipes
            or not stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
            or (total < COLD_PARALLEL_MIN_BYTES and not POOL.has_idle(_WORKER_CODE))
        ):
            return 0
        return min(_usable_cpus(), -(-(total - start) // PIECE_BYTES))

    def _pieces(
        self, stream: IO[bytes], total: int, start: int, workers: int
    ) -> Iterator[LoadProgress]:
        """Read the file from ``start`` in pieces by ``workers`` processes, merging each
        piece's result in file order. Until a worker has started (a new one imports for
        a while), and for a piece whose result the receiver refuses (the limit of
        distinct actions), or every piece once a worker failed, pieces are read here."""
        self.report.format = "lines"
        path = os.path.abspath(self._source)  # type: ignore[arg-type]
        bounds = _piece_bounds(stream, start, total, _even_piece_bytes(total - start, workers))
        waiting: deque[tuple[int, int | None, Worker | None]] = deque()
        team = _take_workers(workers)
        lines = 0  # lines of the pieces merged so far
        held: tuple[int, int | None] | None = None  # a piece no worker could take yet
        try:
            while True:
                while len(waiting) < max(1, len(team) * PIECES_AHEAD):
                    piece = held or next(bounds, None)
                    if piece is None:
                        break
                    held = None
                    worker = _free_worker(team, waiting)
                    if worker is None and (waiting or any(w.started() for w in team)):
                        # Every started worker has enough to do; or none has, and this
                        # process reads one piece at a time meanwhile, so that the pieces
                        # after it go to the workers as soon as they start.
                        held = piece
                        break
                    if worker is not None:  # else read here: no worker has started yet
                        try:
                            worker.send((_fold_piece, (path, *piece, self._strategy, CHUNK_BYTES)))
                        except WorkerError:
                            team = _dismiss(team)
                            waiting = deque((b, e, None) for b, e, _ in waiting)
                            worker = None
                    waiting.append((*piece, worker))
                if not waiting:
                    break
                begin, end, worker = waiting.popleft()
                result = None
                if worker is not None:
                    if not self._wait(worker, team):
                        return
                    try:
                        result = worker.receive()
                    except WorkerError:
                        team = _dismiss(team)
                        waiting = deque((b, e, None) for b, e, _ in waiting)
                if self._stopping():
                    return
                if isinstance(result, _PieceResult) and self._merge(result, lines + 1):
                    lines += result.lines
                else:
                    lines += _read_piece(
                        stream,
                        begin,
                        end,
                        self._sink,
                        self.report,
                        first_line=lines + 1,
                        strategy=self._strategy,
                    )
                yield self._progress(total if end is None else end, total)
        finally:
            if any(worker is not None for _, _, worker in waiting):
                _dismiss(team)  # replies still due: these workers cannot serve another load
            else:
                POOL.give_back(team, keep=_usable_cpus())

    def _wait(self, worker: Worker, team: list[Worker]) -> bool:
        """Wait for the worker's next reply, reading ahead the replies of the rest of the
        ``team`` (a worker writing a reply larger than a pipe holds cannot start its next
        piece until it is read); False when the load was cancelled meanwhile (the wait
        looks at cancel often, so a slow piece does not hold a cancel up)."""
        while not worker.ready(_CANCEL_POLL_SECONDS, team):
            if self._stopping():
                return False
        return True

    def _merge(self, result: _PieceResult, first_line: int) -> bool:
        """Hand a worker's folded piece, whose lines start at ``first_line``, to the
        receiver and report its rejected lines; False when it was not taken."""
        if result.folded is None or not self._sink(result.folded, self.report):
            return False
        reasons = result.rejected_reasons
        self.report.reject_all(map((first_line - 1).__add__, result.rejected_records), reasons)
        self.report.rejected_count += result.rejected_count - len(reasons)
        return True

    def _add_lines(self, body: bytes, first_number: int) -> int:
        """Check and add a chunk of whole lines (each ending in a newline): in one decode
        when every line is plainly valid; else in one decode (or a few) of the lines that
        may be records, where only the lines flagged are decided (and worded) one at a
        time; else, for records of other fields, parsed line by line. Returns how many
        lines the chunk held (the checks found every newline; no need to count them again).

        A chunk of lines written alike is first read as columns, without a Python object
        per record, and folded: by the sink when it folds (a worker's), else here in a
        batch, given the receiver's strategy."""
        if self._folder is not None:
            columns = read_columns(body)
            if columns is not None and self._add_columns(
                columns, self._folder, first_number, self.report
            ):
                return len(columns.ends)
        elif self._strategy is not None:
            count = self._batch_columns(body, first_number)
            if count is not None:
                return count
            self._merge_batch()  # before these lines: records come in file order
        return self._check_lines(body, first_number)

    def _batch_columns(self, body: bytes, first_number: int) -> int | None:
        """Fold a chunk read as columns into the batch (merged once it holds
        BATCH_CHUNKS); returns how many lines it held, None when it cannot be read so."""
        assert self._strategy is not None
        columns = read_columns(body)
        if columns is None:
            return None
        batch = self._batch or _ColumnsBatch(self._strategy)
        if not self._add_columns(columns, batch.folder, first_number, batch.report):
            return None
        self._batch = batch
        batch.chunks.append((body, first_number))
        if len(batch.chunks) >= BATCH_CHUNKS:
            self._merge_batch()
        return len(columns.ends)

    def _merge_batch(self) -> None:
        """Hand the batch's folded records to the receiver and report their rejected
        lines; when it refuses them (the limit of distinct actions), add its chunks
        again the usual way, where the receiver rejects line by line."""
        batch, self._batch = self._batch, None
        if batch is None:
            return
        folded = batch.folder.folded()
        if folded is not None and self._sink(folded, self.report):
            self.report.reject_all(batch.report.records, batch.report.reasons)
            self.report.rejected_count += batch.report.rejected_count - len(batch.report.reasons)
            return
        for body, first_number in batch.chunks:
            self._check_lines(body, first_number)

    def _check_lines(self, body: bytes, first_number: int) -> int:
        """``_add_lines`` without columns: the records' objects checked, as below."""
        checked = check_lines(body, first_number)
        if checked is not None:
            count = len(checked.names)  # one record a line, or check_lines refuses
            self._sink(checked, self.report)
            return count
        ends = line_ends(body)
        loose = check_lines_loosely(body, ends)
        if loose is not None:

            def check_one(at: int) -> tuple[str, Number] | str | None:
                line = loose.line(at)
                return loose.reason(at) or _check_line(line, may_be_plain=at not in loose.not_json)

            self._add_flagged(
                loose.names,
                loose.times,
                loose.flagged,
                first_number,
                check_one,
                array=loose.array,
                distinct=loose.distinct,
            )
            return len(ends)
        lines = body.split(b"\n")
        del lines[-1]  # what follows the last newline: nothing
        names, times, flagged, array = check_lines_each(lines)
        self._add_flagged(
            names, times, flagged, first_number, lambda at: _check_line(lines[at]), array=array
        )
        return len(lines)

    def _add_columns(
        self, columns: LineColumns, folder: Folder, first_number: int, report: LoadReport
    ) -> bool:
        """Fold a chunk read as columns, whose lines are numbered from ``first_number``,
        after deciding its flagged lines one by one (rejected in ``report``); False
        (nothing done) when one of those holds a time that the columns cannot (from 2**53
        up)."""
        decided = _decide_one_by_one(
            columns.flagged.tolist(), lambda at: _check_line(columns.line(at))
        )
        if not all(abs(time) < MAX_EXACT_INT for _, _, time in decided.records):
            return False
        names, codes = columns.names, columns.codes
        kept = decided.kept(len(codes))
        if decided.records:
            names, codes = _write_in(columns, decided.records, kept)
        times, whole = columns.times, columns.whole
        if kept is not None:
            codes, times, whole = codes[kept], times[kept], whole[kept]
        report.reject_all(map(first_number.__add__, decided.refused), decided.reasons)
        folder.take_columns(names, codes, times, whole)
        return True

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
        check_one: Callable[[int], tuple[str, Number] | str | None],
        *,
        array: npt.NDArray[np.float64] | None = None,
        distinct: list[str] | None = None,
    ) -> None:
        """Add records whose column checks flagged the positions ``flagged``: each of those
        is decided by ``check_one`` (its name and time, None for no record, or the reason
        it is refused, returned or raised as ``InvalidActionError``), the rest stand as
        checked. ``array``, the times as float64 when the checks made it, goes with them
        (corrected where a flagged record was decided), so that folding need not convert
        them again; so does ``distinct``, the names of the records not flagged once each
        in first-seen order, unless a flagged one is kept."""
        numbers: Sequence[int] = range(first_number, first_number + len(names))
        if flagged:
            decided = _decide_one_by_one(flagged, check_one)
            for at, name, time in decided.records:
                names[at], times[at] = name, time
                if array is not None:
                    array[at] = time
            if decided.records:
                distinct = None
            self.report.reject_all(map(first_number.__add__, decided.refused), decided.reasons)
            kept = decided.kept(len(names))
            if kept is not None:
                names, times = _without(names, decided.dropped), _without(times, decided.dropped)
                numbers = _KeptNumbers(kept, first_number)
                if array is not None:
                    array = array[kept]
        records = CheckedRecords(names, times, numbers, array=array, distinct=distinct)
        self._sink(records, self.report)

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
        accepted, rejected = self.report.accepted, self.report.rejected_count
        if self._batch is not None:  # counted as they will be once merged
            accepted += self._batch.folder.count
            rejected += self._batch.report.rejected_count
        return LoadProgress(done, total, accepted, rejected)


class _ColumnsBatch:
    """Chunks read as columns in this process, folded together before the receiver
    takes them whole (as it takes a worker's piece): the folder, the rejected lines (held
    back until then), and the chunks, to add again the usual way if the receiver refuses
    them."""

    def __init__(self, strategy: Strategy) -> None:
        self.folder = Folder(strategy)
        self.report = PieceReport(format="lines")
        self.chunks: list[tuple[bytes, int]] = []


@dataclass(frozen=True, slots=True)
class _PieceResult:
    """What a worker process sends back for a piece of a file: its records folded
    (None when they held too many actions to fold), its rejected lines numbered from
    the piece's first line (at most the report's cap; ``rejected_count`` counts all),
    and how many lines it held."""

    folded: FoldedRecords | None
    rejected_records: list[int]
    rejected_reasons: list[str]
    """The reasons of ``rejected_records``, each text once (a pickle sends it once)."""
    rejected_count: int
    lines: int


def _fold_piece(
    path: str, start: int, end: int | None, strategy: Strategy, chunk_bytes: int
) -> _PieceResult:
    """In a worker process: read, check and fold the lines of ``path`` from byte
    ``start`` to ``end`` (to its end when None)."""
    folder = Folder(strategy)
    report = PieceReport(format="lines")
    with open(path, "rb") as stream:
        lines = _read_piece(stream, start, end, folder, report, chunk_bytes=chunk_bytes)
    return _PieceResult(
        folder.folded(), report.records, report.reasons, report.rejected_count, lines
    )


def _fold_array_piece(path: str, start: int, end: int, strategy: Strategy) -> _PieceResult:
    """In a worker process: load the elements of the array in ``path`` between bytes
    ``start`` and ``end`` (whole ones, separated by commas) as an array of its own.
    Raises ``InvalidFileError`` when they are not JSON (the caller then reads the
    whole array itself, for the reason as the whole file gives it)."""
    with open(path, "rb") as stream:
        stream.seek(start)
        document = b"[" + stream.read(end - start) + b"]"
    folder = Folder(strategy)
    piece = FileLoad(io.BytesIO(), folder)
    piece.report = report = PieceReport()
    count = _yield_all(piece._array(io.BytesIO(), document, len(document)))
    return _PieceResult(
        folder.folded(), report.records, report.reasons, report.rejected_count, count
    )


def _yield_all(steps: Generator[LoadProgress, None, int]) -> int:
    """Run ``steps`` to the end; its return value."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


_ELEMENT_BREAK = re.compile(rb"\}[ \t\r\n]*,[ \t\r\n]*\{")
"""Where one object of an array ends and the next begins, or so it seems: inside a
string or a nested value, the text before it would not be JSON of its own, so a worker
refuses such a piece, and the array is read whole here."""


def _array_pieces(data: bytes, skipped: int) -> list[tuple[int, int]] | None:
    """The array ``data`` (read from byte ``skipped`` of its file) cut into runs of
    about PIECE_BYTES of whole elements, as (first byte, end) in the file, each end at
    a comma between two objects; None when it makes fewer than two."""
    opening = data.find(b"[") + 1
    closing = len(data.rstrip(JSON_WHITESPACE)) - 1
    if data[closing : closing + 1] != b"]":
        return None
    pieces = []
    start = opening
    while start + PIECE_BYTES < closing:
        found = _ELEMENT_BREAK.search(data, start + PIECE_BYTES, closing)
        if found is None:
            break
        comma = data.index(b",", found.start())
        pieces.append((start + skipped, comma + skipped))
        start = comma + 1
    pieces.append((start + skipped, closing + skipped))
    return pieces if len(pieces) > 1 else None


def _read_piece(
    stream: IO[bytes],
    start: int,
    end: int | None,
    sink: CheckedSink,
    report: LoadReport,
    *,
    first_line: int = 1,
    chunk_bytes: int | None = None,
    strategy: Strategy | None = None,
) -> int:
    """Load the whole lines between bytes ``start`` and ``end`` of ``stream`` into
    ``sink`` (whose ``strategy``, when given, lets chunks be folded here), numbered from
    ``first_line``, exactly as a reading of the whole file would: its reads stop where
    that reading's chunks end, so an over-long line is met, and reported, in the same
    way. Returns the number of lines read."""
    reader = _PieceReader(stream, start, end, chunk_bytes or CHUNK_BYTES)
    piece = FileLoad(reader, sink, strategy)  # type: ignore[arg-type]
    piece.report = report
    for _ in piece._lines(reader, reader.read(), None, 0, first_line):  # type: ignore[arg-type]
        pass
    return piece._lines_read


class _PieceReader:
    """Reads a stream from ``start`` up to ``end`` (to its end when None), each read
    ending at the next multiple of ``chunk_bytes`` from the stream's start."""

    def __init__(self, stream: IO[bytes], start: int, end: int | None, chunk_bytes: int) -> None:
        stream.seek(start)
        self._stream, self._position, self._end, self._chunk = stream, start, end, chunk_bytes

    def read(self, size: int = -1) -> bytes:
        """The next chunk (``size`` is ignored: chunks are the whole file's)."""
        limit = (self._position // self._chunk + 1) * self._chunk
        if self._end is not None:
            limit = min(limit, self._end)
        if limit <= self._position:
            return b""
        data = self._stream.read(limit - self._position)
        self._position += len(data)
        return data


def _even_piece_bytes(size: int, workers: int) -> int:
    """The size of pieces of at most PIECE_BYTES that cut ``size`` bytes into a multiple
    of ``workers`` pieces of (about) equal size, so that every worker gets as much to
    read: with a remainder piece, one worker reads a whole piece more than another while
    the other waits, at the end of the load."""
    pieces = -(-size // PIECE_BYTES)
    pieces = -(-pieces // workers) * workers
    return max(1, -(-size // pieces))


def _piece_bounds(
    stream: IO[bytes], start: int, total: int, piece_bytes: int
) -> Iterator[tuple[int, int | None]]:
    """Pieces of about ``piece_bytes`` from ``start``, as (first byte, end), each ending
    just after a newline; the last one has no end (it is read to the file's end)."""
    while True:
        middle = start + piece_bytes
        end = _line_start_after(stream, middle) if middle < total else None
        yield start, end
        if end is None or end >= total:
            return
        start = end


def _line_start_after(stream: IO[bytes], position: int) -> int | None:
    """The first position from ``position`` on that follows a newline; None when no
    newline comes before the end of the stream."""
    stream.seek(position - 1)
    while True:
        block = stream.read(1 << 16)
        if not block:
            return None
        newline = block.find(b"\n")
        if newline >= 0:
            return position + newline
        position += len(block)


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _take_workers(count: int) -> list[Worker]:
    """``count`` workers for a load; none when they cannot be started (the load then
    reads every piece in this process)."""
    try:
        return POOL.take(_WORKER_CODE, count)
    except OSError:
        return []


def _free_worker(
    team: list[Worker], waiting: deque[tuple[int, int | None, Worker | None]]
) -> Worker | None:
    """The started worker of ``team`` with the fewest pieces ``waiting``, if it has
    fewer than PIECES_AHEAD."""
    counts = {id(worker): 0 for worker in team}
    for _, _, worker in waiting:
        if worker is not None:
            counts[id(worker)] += 1
    free = [w for w in team if counts[id(w)] < PIECES_AHEAD and w.started()]
    return min(free, key=lambda worker: counts[id(worker)], default=None)


def _dismiss(team: list[Worker]) -> list[Worker]:
    """End every worker of ``team`` (their replies are no longer wanted); an empty team."""
    for worker in team:
        worker.kill()
    return []


def serve_pieces() -> None:
    """A worker process's main loop: run the tasks sent, ``(function, arguments)`` with a
    function of this module (``_fold_piece``, ``_fold_array_piece``)."""
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    serve(lambda request: request[0](*request[1]))  # type: ignore[index]


_WORKER_CODE = "from core.loading import serve_pieces; serve_pieces()"


_Item = TypeVar("_Item")


def _without(items: list[_Item], dropped: list[int]) -> list[_Item]:
    """``items`` but those at the positions ``dropped`` (ascending), copied a run of
    kept ones at a time (far quicker than an item at a time, when few are dropped)."""
    kept: list[_Item] = []
    start = 0
    for at in dropped:
        kept += items[start:at]
        start = at + 1
    kept += items[start:]
    return kept


class _KeptNumbers(Sequence[int]):
    """The numbers of the records kept (``kept[i]``) of a run numbered from ``first``,
    listed when first asked for: only a receiver that refuses some records asks."""

    __slots__ = ("_first", "_kept", "_numbers")

    def __init__(self, kept: npt.NDArray[np.bool_], first: int) -> None:
        self._kept, self._first = kept, first
        self._numbers: list[int] | None = None

    def _listed(self) -> list[int]:
        if self._numbers is None:
            self._numbers = (np.flatnonzero(self._kept) + self._first).tolist()
        return self._numbers

    def __len__(self) -> int:
        if self._numbers is None:
            return int(np.count_nonzero(self._kept))
        return len(self._numbers)

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> list[int]: ...
    def __getitem__(self, index: int | slice) -> int | list[int]:
        return self._listed()[index]

    def __iter__(self) -> Iterator[int]:
        return iter(self._listed())


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


@dataclass(frozen=True, slots=True)
class _Decisions:
    """Flagged records decided one by one: the positions ``dropped`` (ascending: no record,
    or refused), the ``refused`` ones with their ``reasons``, and the ``records`` kept as
    (position, name, time)."""

    dropped: list[int]
    refused: list[int]
    reasons: list[str]
    records: list[tuple[int, str, Number]]

    def kept(self, count: int) -> npt.NDArray[np.bool_] | None:
        """Which of ``count`` records stay, or None when all do."""
        if not self.dropped:
            return None
        kept = np.ones(count, dtype=np.bool_)
        kept[self.dropped] = False
        return kept


def _decide_one_by_one(
    flagged: Iterable[int], check_one: Callable[[int], tuple[str, Number] | str | None]
) -> _Decisions:
    """Each flagged position decided by ``check_one``: its name and time, None for no
    record, or the reason it is refused (returned, or raised as ``InvalidActionError``)."""
    decisions = _Decisions([], [], [], [])
    for at in flagged:
        try:
            checked = check_one(at)
        except InvalidActionError as error:
            checked = str(error)
        if checked is None:
            decisions.dropped.append(at)
        elif isinstance(checked, str):
            decisions.dropped.append(at)
            decisions.refused.append(at)
            decisions.reasons.append(checked)
        else:
            decisions.records.append((at, *checked))
    return decisions


def _write_in(
    columns: LineColumns,
    decided: list[tuple[int, str, Number]],
    kept: npt.NDArray[np.bool_] | None,
) -> tuple[list[str], npt.NDArray[np.uint16]]:
    """The names and codes of ``columns`` with the records ``decided`` one by one
    (position, name, time) written in (their times in place): renumbered in first-seen
    order over the records ``kept`` (all when None) if one of them is the first of its
    name, else as they were."""
    names, codes = columns.names, columns.codes
    code_of = {name: code for code, name in enumerate(names)}
    in_order = True
    for at, name, time in decided:
        code = code_of.setdefault(name, len(code_of))
        if code == len(names):
            names = [*names, name]
        in_order = in_order and code < len(columns.firsts) and columns.firsts[code] < at
        codes[at] = code
        columns.times[at] = time
        columns.whole[at] = isinstance(time, int)
    if in_order:
        return names, codes
    present, first_at = np.unique(codes if kept is None else codes[kept], return_index=True)
    ordered = present[np.argsort(first_at)]
    renumbered = np.zeros(len(names), dtype=np.uint16)
    renumbered[ordered] = np.arange(len(ordered), dtype=np.uint16)
    return [names[code] for code in ordered.tolist()], renumbered.take(codes)


def _check_line(line: bytes, *, may_be_plain: bool = True) -> tuple[str, Number] | None:
    """One line by the per-line rules: None for a blank line, which is no record.
    ``may_be_plain`` False: msgspec found the line is not JSON (the quick way is
    skipped, which would only fail)."""
    line = line.strip(JSON_WHITESPACE)
    if not line:
        return None
    if len(line) > MAX_PAYLOAD_BYTES:
        raise InvalidActionError(_too_large(len(line)))
    if not (may_be_plain and line.endswith(b"}")):  # the quick way would only fail
        return parse_payload_exactly(line)
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
