"""The live sources (StatsD listeners, followed files) that feed the *Live* session, and
the Prometheus metrics server that serves it.

``LiveSources`` owns the Live session's tracker, the running sources, their status (read
on a timer, never per line) and what is remembered of them between runs. The window only
places its panel and connects its signals.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
from PySide6.QtCore import QObject, QSettings, QTimer, Signal

from core import ActionTracker, Follower, Listener
from core.cli import listen_address
from core.livecounts import SourceCounts
from core.metrics import DEFAULT_QUANTILE_WINDOW, MetricsServer, check_quantile_window
from gui.user_session import UserSession

log = logging.getLogger(__name__)

Source = Listener | Follower | MetricsServer
"""What the panel lists: the sources feeding the Live session, and its metrics server."""

STATUS_MS = 500
"""How often the sources' counts are read for the panel: a second's rate needs no more."""
LAST_KEY = "sources/last"
"""The sources running after the user last started or stopped one (JSON)."""
RESTART_KEY = "sources/restartAtStart"
"""Whether the user asked for the last sources to start again with the window."""
LISTEN_KEY = "sources/lastListen"
"""The address and protocol last listened on, offered again by the Listen dialog."""
DEFAULT_LISTEN = ("127.0.0.1:8125", "udp")
METRICS_KEY = "sources/lastMetrics"
"""The address the Live session's metrics were last served on, offered again."""
DEFAULT_METRICS = "127.0.0.1:9464"
METRICS_WINDOW_KEY = "sources/lastMetricsQuantileWindow"
"""The seconds the served summary's percentiles last covered ("all": all time)."""


def live_session_path(session_path: Path) -> Path:
    """Where the Live session is kept between runs: beside the user's session."""
    return session_path.with_name(f"{session_path.stem}-live{session_path.suffix}")


@dataclass(frozen=True)
class SourceStatus:
    """What one running source did, as the panel shows it."""

    source: Source
    description: str
    counts: SourceCounts
    lines_per_second: float
    open_to_network: bool
    scrapes: int | None = None
    """For the metrics server: the scrapes answered (its counts stay 0)."""


class LiveSources(QObject):
    """Starts, stops and watches the sources feeding the Live session's tracker, and
    the metrics server that serves it to Prometheus (listed, stopped and remembered as
    a source is).

    The tracker is made once and never replaced, so a running source never writes into
    a session that is no longer shown; a reset empties it in place.

    Signals
    -------
    sources_changed()
        A source started or stopped (``sources`` changed).
    status_changed(object)
        A tuple of ``SourceStatus``, one per running source, when any figure moved;
        read every STATUS_MS while sources run.
    """

    sources_changed = Signal()
    status_changed = Signal(object)

    def __init__(self, tracker: ActionTracker, settings: QSettings) -> None:
        super().__init__()
        self.session = UserSession(tracker)
        self._settings = settings
        self._sources: list[Source] = []
        self._last_received: dict[int, tuple[float, int]] = {}
        self._status: tuple[SourceStatus, ...] = ()
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setInterval(STATUS_MS)

        self._timer.timeout.connect(self._on_timer)

    @property
    def tracker(self) -> ActionTracker:
        return self.session.tracker

    @property
    def sources(self) -> tuple[Source, ...]:
        """The running sources, oldest first."""
        return tuple(self._sources)

    @property
    def status(self) -> tuple[SourceStatus, ...]:
        """The status last read (see ``status_changed``)."""
        return self._status

    # --- starting and stopping ----------------------------------------------------

    def listen(self, address: str, protocol: str = "udp") -> Listener:
        """Listen for StatsD lines on ``address`` (``[HOST:]PORT``; 127.0.0.1 when no host
        is named). Raises ``ValueError`` for an address or protocol that cannot be,
        ``PortInUseError`` when the port is taken, ``OSError`` otherwise."""
        try:
            host, port = listen_address(address.strip())
        except ValueError:
            raise ValueError(
                f"“{address}” is not an address to listen on: type a port (8125) or "
                "HOST:PORT (127.0.0.1:8125), with a port from 0 to 65535"
            ) from None
        listener = Listener(self.tracker, host, port, protocol)
        listener.start()
        self._settings.setValue(LISTEN_KEY, orjson.dumps([address.strip(), protocol]).decode())
        self._add(listener)
        return listener

    def serve_metrics(
        self, address: str, quantile_window: int | None = DEFAULT_QUANTILE_WINDOW
    ) -> MetricsServer:
        """Serve the Live session's figures to Prometheus at ``http://address/metrics``
        (``[HOST:]PORT``; 127.0.0.1 when no host is named), the summary's percentiles
        covering the last ``quantile_window`` seconds (None: all time). Raises
        ``ValueError`` for an address or window that cannot be, ``PortInUseError`` when
        the port is taken, ``OSError`` otherwise."""
        try:
            host, port = listen_address(address.strip())
        except ValueError:
            raise ValueError(
                f"“{address}” is not an address to serve metrics on: type a port (9464) "
                "or HOST:PORT (127.0.0.1:9464), with a port from 0 to 65535"
            ) from None
        server = MetricsServer(self.tracker, host, port, quantile_window=quantile_window)
        server.start()
        self._settings.setValue(METRICS_KEY, address.strip())
        self._settings.setValue(METRICS_WINDOW_KEY, _window_text(quantile_window))
        self._add(server)
        return server

    def follow(self, path: str | os.PathLike[str], from_start: bool = True) -> Follower:
        """Follow the file at ``path`` by name (from its start, or its end); raises
        ``OSError`` when it exists but cannot be read."""
        follower = Follower(self.tracker, path, from_start=from_start)
        follower.start()
        self._add(follower)
        return follower

    def stop(self, source: Source) -> None:
        """Stop ``source`` (joined within half a second) and forget it."""
        if source in self._sources:
            self._sources.remove(source)
            source.stop()
            self._last_received.pop(id(source), None)
            self._remember()
            self._changed()

    def stop_all(self) -> None:
        """Stop every source, at the user's request: none is started at the next start."""
        for source in list(self._sources):
            self.stop(source)

    def shutdown(self) -> None:
        """Stop every source and the timer as the window closes, keeping what is
        remembered for the next start. Safe to call more than once."""
        self._closed = True
        self._timer.stop()
        sources, self._sources = self._sources, []
        for source in sources:
            source.stop()
        if sources:
            self._status = ()
            self.sources_changed.emit()

    # --- remembered between runs ---------------------------------------------------

    @property
    def restart_at_start(self) -> bool:
        """Whether the last sources start again when the window opens (an opt-in)."""
        return str(self._settings.value(RESTART_KEY, "false")).lower() == "true"

    def set_restart_at_start(self, restart: bool) -> None:
        self._settings.setValue(RESTART_KEY, "true" if restart else "false")

    def last_listen(self) -> tuple[str, str]:
        """The address and protocol listened on last, for the Listen dialog."""
        try:
            address, protocol = orjson.loads(str(self._settings.value(LISTEN_KEY, "")))
            return str(address), str(protocol)
        except (ValueError, TypeError):
            return DEFAULT_LISTEN

    def last_metrics(self) -> str:
        """The address the metrics were served on last, for the metrics dialog."""
        return str(self._settings.value(METRICS_KEY, DEFAULT_METRICS))

    def last_metrics_window(self) -> int | None:
        """The seconds the served percentiles last covered (None: all time), for the
        metrics dialog; the default when none was saved or it is not one."""
        saved = self._settings.value(METRICS_WINDOW_KEY, None)
        return _window_from(saved) if saved is not None else DEFAULT_QUANTILE_WINDOW

    def remembered(self) -> list[dict[str, str]]:
        """The sources running when the user last started or stopped one."""
        try:
            saved = orjson.loads(str(self._settings.value(LAST_KEY, "[]")))
        except orjson.JSONDecodeError:
            return []
        if not isinstance(saved, list):
            return []
        return [entry for entry in saved if isinstance(entry, dict)]

    def restart_remembered(self) -> list[str]:
        """Start the remembered sources again, if the user asked for that; returns what
        could not start, in the user's words. Followed files resume at their end: what
        they held was read into the Live session, which is restored with the window."""
        if not self.restart_at_start:
            return []
        problems = []
        for entry in self.remembered():
            try:
                if entry.get("kind") == "listen":
                    self.listen(entry["address"], entry.get("protocol", "udp"))
                elif entry.get("kind") == "follow":
                    self.follow(entry["path"], from_start=False)
                elif entry.get("kind") == "metrics":
                    self.serve_metrics(entry["address"], _window_from(entry.get("quantile_window")))
            except (OSError, ValueError, KeyError) as error:
                problems.append(f"{_entry_text(entry)}: {error}")
        return problems

    def _remember(self) -> None:
        entries = []
        for source in self._sources:
            if isinstance(source, Listener):
                entries.append(
                    {
                        "kind": "listen",
                        "address": _address_text(source.address),
                        "protocol": source.protocol,
                    }
                )
            elif isinstance(source, MetricsServer):
                entries.append(
                    {
                        "kind": "metrics",
                        "address": _address_text(source.address),
                        "quantile_window": _window_text(source.quantile_window),
                    }
                )
            else:
                entries.append({"kind": "follow", "path": source.path})
        self._settings.setValue(LAST_KEY, orjson.dumps(entries).decode())

    # --- status --------------------------------------------------------------------

    def read_status(self) -> tuple[SourceStatus, ...]:
        """Read every source's counts now (cheap: a copy under each one's lock), emit
        ``status_changed`` when any moved, and return them."""
        now = time.monotonic()
        statuses = []
        for source in self._sources:
            if isinstance(source, MetricsServer):
                statuses.append(
                    SourceStatus(
                        source,
                        source.description,
                        SourceCounts(),
                        0.0,
                        source.open_to_network,
                        source.scrapes,
                    )
                )
                continue
            counts = source.counts()
            then, before = self._last_received.get(id(source), (now, counts.received))
            rate = (counts.received - before) / (now - then) if now > then else 0.0
            self._last_received[id(source)] = (now, counts.received)
            statuses.append(
                SourceStatus(
                    source,
                    source.description,
                    counts,
                    rate,
                    isinstance(source, Listener) and source.open_to_network,
                )
            )
        status = tuple(statuses)
        if status != self._status:
            self._status = status
            self.status_changed.emit(status)
        return status

    def _add(self, source: Source) -> None:
        if self._closed:  # a source must never outlive the window
            source.stop()
            raise RuntimeError("the window is closed: its live sources have stopped")
        self._sources.append(source)
        self._last_received[id(source)] = (time.monotonic(), 0)
        log.info("started live source %s", source.description)
        self._remember()
        self._changed()

    def _changed(self) -> None:
        if self._sources:
            self._timer.start()
        else:
            self._timer.stop()
        self.sources_changed.emit()
        self.read_status()

    def _on_timer(self) -> None:
        self.read_status()


def _address_text(address: tuple[str, int]) -> str:
    host, port = address
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}"


def _entry_text(entry: dict[str, str]) -> str:
    if entry.get("kind") == "listen":
        return f"{entry.get('protocol', 'udp')} {entry.get('address', '?')}"
    if entry.get("kind") == "metrics":
        return f"metrics {entry.get('address', '?')}"
    return f"follow {entry.get('path', '?')}"


def _window_text(window: int | None) -> str:
    """A percentile window as remembered: its seconds, or "all"."""
    return "all" if window is None else str(window)


def _window_from(text: object) -> int | None:
    """A remembered percentile window (see ``_window_text``); the default for one that
    is missing (remembered before windows were) or not one."""
    if text == "all":
        return None
    try:
        return check_quantile_window(int(str(text)))
    except ValueError:
        return DEFAULT_QUANTILE_WINDOW
