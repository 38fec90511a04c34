"""Session files: a tracker's whole state, written atomically and checked on reading.

Layout: one header line of JSON (format name, format version, section sizes and a SHA-256
of everything after it), then a JSON section describing each action, then a binary
section holding sketch bins (int64) and samples (float64), little-endian. The header makes
a foreign or newer file recognizable; sizes and checksum catch truncation and bit flips.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from core.errors import SessionError
from core.exactsum import Number
from core.moments import Moments
from core.ring import SecondRing
from core.samples import SampleStore
from core.sketch import EXACT_LIMIT, GAMMA, MAX_BINS, LogSketch
from core.strategy import Distribution, Strategy, check_strategy

FORMAT = "action-tracker-session"
FORMAT_VERSION = 1
_MAX_HEADER_BYTES = 4096
_INT64 = np.dtype("<i8")
_FLOAT64 = np.dtype("<f8")


@dataclass(slots=True)
class ActionState:
    """One action's merged aggregates, with its sketch ("running") or its samples."""

    name: str
    moments: Moments
    distribution: Distribution
    first: float | None = None
    """The clock (seconds since the epoch) when the action's first time came; None when
    unknown (files written before it was kept)."""
    ring: SecondRing | None = None
    """Its recent times per second, for windows; None when unknown."""


@dataclass(slots=True)
class TrackerState:
    """Everything a session holds."""

    strategy: Strategy
    version: int
    actions: list[ActionState]


def write_session(path: str | os.PathLike[str], state: TrackerState) -> None:
    """Write ``state`` to ``path`` atomically: a temporary file in the same folder,
    flushed and fsynced, then renamed over the old one. A crash at any moment leaves
    either the old session or the new one, whole."""
    arrays: list[npt.NDArray[Any]] = []
    offset = 0
    described = []
    for action in state.actions:
        m = action.moments
        entry: dict[str, object] = {
            "name": action.name,
            "count": m.count,
            "total": format(m.total_scaled, "x"),
            "min": m.minimum,
            "max": m.maximum,
            "scale_exp": m.scale_exp,
            "mean": m.scaled_mean,
            "m2": m.scaled_m2,
        }
        # The file's layout differs by kind: the one place that asks which kind it holds.
        kept = action.distribution
        if isinstance(kept, LogSketch):
            bins = kept.bins.astype(_INT64, copy=False)
            sketch: dict[str, object] = {
                "zeros": kept.zeros,
                "offset": kept.offset,
                "bins": [offset, len(bins)],
                "folded": kept.folded,
            }
            arrays.append(bins)
            offset += bins.nbytes
            if kept.exact is not None:  # absent in files from before exact values were kept
                exact = kept.exact.astype(_FLOAT64, copy=False)
                sketch["exact"] = [offset, len(exact)]
                arrays.append(exact)
                offset += exact.nbytes
            entry["sketch"] = sketch
        elif isinstance(kept, SampleStore):
            samples = kept.view().astype(_FLOAT64, copy=False)
            entry["samples"] = [offset, len(samples)]
            arrays.append(samples)
            offset += samples.nbytes
        else:
            raise TypeError(f"no session layout for {type(kept).__name__}")
        described.append(entry)
    meta = orjson.dumps(
        {"strategy": state.strategy, "version": state.version, "actions": described}
    )
    digest = hashlib.sha256(meta)
    for array in arrays:
        digest.update(np.ascontiguousarray(array).data.cast("B"))
    header = (
        orjson.dumps(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "meta_bytes": len(meta),
                "data_bytes": offset,
                "sha256": digest.hexdigest(),
            }
        )
        + b"\n"
    )

    target = Path(path)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(header)
            stream.write(meta)
            for array in arrays:
                stream.write(np.ascontiguousarray(array).data.cast("B"))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def read_session(path: str | os.PathLike[str]) -> TrackerState:
    """Read and check a session; ``SessionError`` says what is wrong with a bad one.
    ``OSError`` when the file cannot be read at all."""
    with open(path, "rb") as stream:
        header = _read_header(stream.readline(_MAX_HEADER_BYTES))
        meta_bytes, data_bytes = header["meta_bytes"], header["data_bytes"]
        expected = meta_bytes + data_bytes
        # Checked before reading: a damaged size must not become a huge allocation.
        present = os.fstat(stream.fileno()).st_size - stream.tell()
        if expected > present:
            raise SessionError(
                f"the session is truncated: {max(present, 0):,} of {expected:,} bytes are there"
            )
        body = stream.read(expected + 1)
    if len(body) < expected:
        raise SessionError(
            f"the session is truncated: {len(body):,} of {expected:,} bytes are there"
        )
    if len(body) > expected:
        raise SessionError("the session is damaged: unexpected data after its end")
    if hashlib.sha256(body).hexdigest() != header["sha256"]:
        raise SessionError("the session is damaged: its checksum does not match its contents")
    try:
        return _parse_body(body[:meta_bytes], memoryview(body)[meta_bytes:])
    except SessionError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise SessionError(f"the session is damaged: {error}") from None


def _read_header(line: bytes) -> dict[str, Any]:
    foreign = SessionError("this is not an Action Tracker session file")
    if not line:
        raise SessionError("the session file is empty")
    if not line.endswith(b"\n") and line.startswith(b'{"format":"action-tracker'[: len(line)]):
        raise SessionError("the session is truncated: its header is cut short")
    try:
        header = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise foreign from None
    if type(header) is not dict or header.get("format") != FORMAT:
        raise foreign
    version = header.get("format_version")
    if type(version) is not int:
        raise SessionError("the session is damaged: its header has no format version")
    if version > FORMAT_VERSION:
        raise SessionError(
            f"the session was written by a newer Action Tracker (format {version}); this "
            f"version reads format {FORMAT_VERSION} and older. Update Action Tracker to open it"
        )
    if version < 1:
        raise SessionError(f"the session has an unknown format version {version}")
    for key in ("meta_bytes", "data_bytes"):
        if type(header.get(key)) is not int or header[key] < 0:
            raise SessionError(f"the session is damaged: bad {key} in its header")
    if type(header.get("sha256")) is not str:
        raise SessionError("the session is damaged: its header has no checksum")
    return header


def _parse_body(meta_bytes: bytes, data: memoryview) -> TrackerState:
    meta = orjson.loads(meta_bytes)
    try:
        strategy = check_strategy(meta["strategy"])
    except ValueError:
        raise SessionError(
            f"the session is damaged: unknown strategy {meta['strategy']!r}"
        ) from None
    version = _whole(meta["version"], "version")
    actions = [_parse_action(entry, strategy, data) for entry in meta["actions"]]
    if len({action.name for action in actions}) != len(actions):
        raise SessionError("the session is damaged: an action appears twice")
    return TrackerState(strategy, version, actions)


def _parse_action(entry: dict[str, Any], strategy: Strategy, data: memoryview) -> ActionState:
    name = entry["name"]
    if type(name) is not str or not name.strip():
        raise SessionError("the session is damaged: an action has no name")
    count = _whole(entry["count"], "count")
    minimum, maximum = _number(entry["min"]), _number(entry["max"])
    if count < 1 or not 0 <= minimum <= maximum:
        raise SessionError(f"the session is damaged: inconsistent figures for {name!r}")
    moments = Moments(
        count=count,
        total_scaled=int(entry["total"], 16),
        minimum=minimum,
        maximum=maximum,
        scale_exp=_whole(entry["scale_exp"], "scale_exp", signed=True),
        scaled_mean=float(entry["mean"]),
        scaled_m2=float(entry["m2"]),
    )
    if strategy == "running":
        sketch_entry = entry["sketch"]
        sketch = LogSketch()
        sketch.zeros = _whole(sketch_entry["zeros"], "zeros")
        sketch.offset = _whole(sketch_entry["offset"], "offset", signed=True)
        sketch.bins = _array(data, sketch_entry["bins"], _INT64).astype(np.int64)
        if len(sketch.bins) > MAX_BINS or (sketch.bins < 0).any():
            raise SessionError(f"the session is damaged: bad sketch for {name!r}")
        if sketch.zeros + int(sketch.bins.sum()) != count:
            raise SessionError(f"the session is damaged: sketch counts disagree for {name!r}")
        sketch.folded = _folded(sketch_entry, sketch, minimum, name)
        sketch.exact = None  # older files keep no exact values: their figures are estimates
        if "exact" in sketch_entry:
            sketch.exact = _array(data, sketch_entry["exact"], _FLOAT64).astype(np.float64)
            if len(sketch.exact) != count or count > EXACT_LIMIT:
                raise SessionError(f"the session is damaged: exact times disagree for {name!r}")
        return ActionState(name, moments, sketch)
    samples = _array(data, entry["samples"], _FLOAT64).astype(np.float64)
    if len(samples) != count:
        raise SessionError(f"the session is damaged: sample count disagrees for {name!r}")
    return ActionState(name, moments, SampleStore.of(samples))


def _folded(entry: dict[str, Any], sketch: LogSketch, minimum: Number, name: str) -> bool:
    """Whether the sketch's low buckets were folded; files from before this was written
    tell by the smallest time lying below the lowest bucket."""
    if "folded" in entry:
        if type(entry["folded"]) is not bool:
            raise SessionError(f"the session is damaged: bad sketch for {name!r}")
        return bool(entry["folded"])
    return minimum > 0 and math.ceil(math.log(minimum) / math.log(GAMMA)) < sketch.offset


def _array(data: memoryview, where: Sequence[int], dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    start, length = (_whole(value, "offset") for value in where)
    end = start + length * dtype.itemsize
    if end > len(data):
        raise SessionError("the session is damaged: data runs past the end of the file")
    array: npt.NDArray[Any] = np.frombuffer(data[start:end], dtype=dtype).copy()
    return array


def _whole(value: object, field: str, signed: bool = False) -> int:
    if type(value) is not int or (value < 0 and not signed):
        raise SessionError(f"the session is damaged: bad {field}")
    return value


def _number(value: object) -> Number:
    if type(value) not in (int, float):
        raise SessionError("the session is damaged: a figure is not a number")
    return value  # type: ignore[return-value]


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); not possible, nor needed, on Windows."""
    if os.name != "posix":  # Windows cannot open a folder as a file
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
