"""``MetricsServer``: a tracker's figures served to Prometheus over HTTP, at ``/metrics``.

``TrackerCollector`` reads the tracker on each scrape (``snapshot_and_histograms``: the
figures and the bucket counts of one instant) and yields, per action, a histogram and a
summary in ``prometheus_client``'s own types, which format and escape them. ``MetricsServer`` runs
``prometheus_client``'s WSGI app under ``wsgiref``, in the listener's manner: ``start()``
binds and returns, ``stop()`` joins every thread within half a second.

Metric names (times in the tracker are milliseconds, as StatsD timers and
``tracker.timer`` give them, so the unit is in the names):

- ``action_tracker_duration_milliseconds`` (histogram: ``_bucket{le}``, ``_count``,
  ``_sum``), the one to aggregate over instances with ``histogram_quantile``;
- ``action_tracker_duration_summary_milliseconds`` (summary: ``{quantile}`` 0.5, 0.9,
  0.99, ``_count``, ``_sum``), the tracker's own percentiles of one instance.

Each has the label ``action``. A summary and a histogram may not share a name.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import itertools
import logging
import math
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, cast
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.metrics_core import HistogramMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from core.errors import reason
from core.exactsum import Number
from core.listener import PortInUseError
from core.tracker import ActionTracker

log = logging.getLogger(__name__)

DEFAULT_PORT = 9464
"""The port that Prometheus exporters of OpenTelemetry use; any free one will do."""
METRICS_PATH = "/metrics"
HISTOGRAM_NAME = "action_tracker_duration_milliseconds"
SUMMARY_NAME = "action_tracker_duration_summary_milliseconds"
UNIT = "milliseconds"
QUANTILES = (("0.5", "p50"), ("0.9", "p90"), ("0.99", "p99"))
"""The summary's quantiles, each with the ``ActionStats`` field that holds it."""
DEFAULT_BUCKETS_MS: tuple[float, ...] = (
    1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
)  # fmt: skip
"""Histogram bounds in milliseconds, 1 ms to 10 s in steps of about 2.5× (Prometheus'
own default series, in milliseconds); ``+Inf`` is always added."""
MAX_BUCKETS = 100
"""Bounds at most: every bound is a series per action on every scrape."""
MAX_CONNECTIONS = 16
"""Requests served at once; one more is closed at once (a scraper needs one)."""
REQUEST_TIMEOUT_SECONDS = 10.0
"""A client silent this long mid-request is dropped, so no thread waits on it forever."""
POLL_SECONDS = 0.05
"""How often the accepting thread looks for ``stop``: bounds how long ``stop`` waits."""
STOP_SECONDS = 0.5


def check_buckets(buckets: Iterable[float]) -> tuple[float, ...]:
    """``buckets`` as histogram bounds: finite numbers, ascending, none twice, at least one
    and at most MAX_BUCKETS; ``ValueError`` in the user's words otherwise."""
    bounds = tuple(buckets)
    if not bounds:
        raise ValueError("histogram buckets: give at least one bound in milliseconds")
    if len(bounds) > MAX_BUCKETS:
        raise ValueError(f"histogram buckets: at most {MAX_BUCKETS} bounds, got {len(bounds)}")
    for bound in bounds:
        if isinstance(bound, bool) or not isinstance(bound, (int, float)):
            raise ValueError(f"histogram buckets must be numbers, got {bound!r}")
        if not math.isfinite(bound):
            raise ValueError(f"histogram buckets must be finite (+Inf is added), got {bound!r}")
    for lower, upper in itertools.pairwise(bounds):
        if not lower < upper:
            raise ValueError(
                f"histogram buckets must rise, each above the one before: {upper:g} "
                f"follows {lower:g}"
            )
    return tuple(float(bound) for bound in bounds)


class TrackerCollector(Collector):
    """Yields a tracker's figures as Prometheus metric families, read on each scrape.

    ``buckets`` are the histogram's upper bounds in milliseconds (``check_buckets``).
    ``scrapes`` counts the times it was read.
    """

    def __init__(
        self, tracker: ActionTracker, buckets: Iterable[float] = DEFAULT_BUCKETS_MS
    ) -> None:
        self._tracker = tracker
        self._bounds = check_buckets(buckets)
        self._labels = [_go_float(bound) for bound in self._bounds]
        self._lock = threading.Lock()
        self._scrapes = 0

    @property
    def buckets(self) -> tuple[float, ...]:
        return self._bounds

    @property
    def scrapes(self) -> int:
        """How many times the figures were read (one per scrape of ``/metrics``)."""
        with self._lock:
            return self._scrapes

    def describe(self) -> Iterable[Metric]:
        """Nothing to describe ahead: the registry then never reads the tracker just to
        learn the names, and the names cannot clash with another collector's."""
        return ()

    def collect(self) -> Iterator[Metric]:
        # One cut of the tracker: each +Inf bucket then equals its _count, as Prometheus
        # requires, however fast times arrive.
        snapshot, buckets = self._tracker.snapshot_and_histograms(self._bounds)
        with self._lock:
            self._scrapes += 1
        bucket_sample = f"{HISTOGRAM_NAME}_bucket"
        summary = SummaryMetricFamily(
            SUMMARY_NAME,
            "Time of each action in milliseconds, with the tracker's own percentiles "
            "(not to be averaged over instances: use the histogram).",
            labels=["action"],
            unit=UNIT,
        )
        histogram = HistogramMetricFamily(
            HISTOGRAM_NAME,
            "Time of each action in milliseconds, in cumulative buckets (le).",
            labels=["action"],
            unit=UNIT,
        )
        # The samples are made here rather than by add_metric, which builds each one's
        # labels through lists and zips: with 10,000 actions that is 210,000 samples.
        bucket_names = [*self._labels, "+Inf"]
        summary_samples, histogram_samples = summary.samples, histogram.samples
        for stats in snapshot.actions:
            action, count, total = stats.action, stats.count, _as_float(stats.total)
            labels = {"action": action}
            summary_samples += [
                Sample(f"{SUMMARY_NAME}_count", labels, count),
                Sample(f"{SUMMARY_NAME}_sum", labels, total),
            ]
            summary_samples += [
                Sample(
                    SUMMARY_NAME,
                    {"action": action, "quantile": quantile},
                    _as_float(getattr(stats, field)),
                )
                for quantile, field in QUANTILES
            ]
            histogram_samples += [
                Sample(bucket_sample, {"action": action, "le": le}, cumulative)
                for le, cumulative in zip(bucket_names, (*buckets[action], count), strict=True)
            ]
            histogram_samples += [
                Sample(f"{HISTOGRAM_NAME}_count", labels, count),
                Sample(f"{HISTOGRAM_NAME}_sum", labels, total),
            ]
        yield histogram  # the one to aggregate, first
        yield summary


_go_float = cast(Callable[[float], str], floatToGoString)
"""A bound as ``le`` reads in every Prometheus client (``1.0``, ``2.5``, ``1e+06``)."""


def _as_float(value: Number) -> float:
    """An exact sum as Prometheus' float; a sum past the double range is +Inf."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def is_open_to_network(host: str) -> bool:
    """Whether a server bound to ``host`` can be reached from other machines."""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host.split("%", maxsplit=1)[0]).is_loopback
    except ValueError:
        return True  # a host name other than localhost may resolve to anything


class MetricsServer:
    """Serves ``tracker``'s figures at ``http://HOST:PORT/metrics`` in the Prometheus
    text format (``TrackerCollector``'s metrics; ``buckets`` are its histogram bounds).

    Binds 127.0.0.1 unless told otherwise: any other address opens the port to the
    network. ``start()`` binds and returns at once (port 0 picks a free port;
    ``.address`` is then the bound one) and raises ``PortInUseError`` when the port is
    taken; ``stop()`` joins every thread within half a second; also a context manager.
    """

    def __init__(
        self,
        tracker: ActionTracker,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        buckets: Iterable[float] = DEFAULT_BUCKETS_MS,
    ) -> None:
        if type(port) is not int or not 0 <= port <= 65535:
            raise ValueError(f"port must be a whole number from 0 to 65535, got {port!r}")
        self._collector = TrackerCollector(tracker, buckets)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(self._collector)
        self._app = make_wsgi_app(registry)
        self._address: tuple[str, int] = (host, port)
        self._server: _ThreadingServer | None = None
        self._thread: threading.Thread | None = None
        self._state = "new"

    @property
    def address(self) -> tuple[str, int]:
        """The bound ``(host, port)`` once started; the requested one before."""
        return self._address

    @property
    def url(self) -> str:
        host, port = self._address
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{METRICS_PATH}"

    @property
    def description(self) -> str:
        """What this is, for people: ``metrics http://127.0.0.1:9464/metrics``."""
        return f"metrics {self.url}"

    @property
    def open_to_network(self) -> bool:
        """Whether other machines can reach it (judged by the bound address once started)."""
        return is_open_to_network(self._address[0])

    @property
    def buckets(self) -> tuple[float, ...]:
        return self._collector.buckets

    @property
    def scrapes(self) -> int:
        """Scrapes of ``/metrics`` answered so far."""
        return self._collector.scrapes

    def __repr__(self) -> str:
        return f"<MetricsServer {self.url} ({self._state})>"

    def start(self) -> None:
        """Bind and start serving; returns at once. Raises ``PortInUseError`` when the
        port is taken, ``OSError`` for any other reason it cannot serve."""
        if self._state != "new":
            raise RuntimeError("a MetricsServer starts once; make a new one to serve again")
        host, port = self._address
        server = _bind(host, port, self._serve)
        bound = server.socket.getsockname()
        self._address = (str(bound[0]), int(bound[1]))
        self._server = server
        self._state = "running"
        self._thread = threading.Thread(
            target=server.serve_forever,
            args=(POLL_SECONDS,),
            name=f"live-metrics-{self._address[1]}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, end the requests being served and join every thread, within
        STOP_SECONDS. Safe to call twice or before ``start``."""
        if self._state != "running":
            self._state = "stopped"
            return
        self._state = "stopped"
        server, thread = self._server, self._thread
        assert server is not None
        assert thread is not None
        deadline = time.monotonic() + STOP_SECONDS
        server.shutdown()  # returns once serve_forever has: within POLL_SECONDS
        thread.join(timeout=max(deadline - time.monotonic(), 0.0))
        server.end_requests(deadline)
        server.server_close()

    def __enter__(self) -> MetricsServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """The WSGI app: ``prometheus_client``'s at ``/metrics``, a pointer to it at
        ``/``, and 404 elsewhere (its own app answers every path)."""
        path = environ.get("PATH_INFO", "")
        if path == METRICS_PATH:
            try:
                output: Iterable[bytes] = self._app(environ, start_response)
            except Exception as error:  # logged where the program logs, not on stderr
                log.exception("reading the tracker for a scrape of %s failed", self.url)
                start_response(
                    "500 Internal Server Error",
                    [("Content-Type", "text/plain; charset=utf-8")],
                    sys.exc_info(),
                )
                return [f"reading the figures failed: {error}\n".encode()]
            return output
        if path == "/":
            body = f"Action Tracker: the metrics are at {METRICS_PATH}\n".encode()
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [f"Not found: the metrics are at {METRICS_PATH}\n".encode()]


class _QuietHandler(WSGIRequestHandler):
    """Logs through ``logging`` at debug level, not to stderr; drops silent clients."""

    timeout = REQUEST_TIMEOUT_SECONDS

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("metrics %s: " + format, self.address_string(), *args)


class _ThreadingServer(WSGIServer):
    """``wsgiref``'s server with a thread per request, at most MAX_CONNECTIONS at once,
    each known so that ``end_requests`` can close its connection and join it."""

    def __init__(self, family: int, address: tuple[Any, ...]) -> None:
        self.address_family = family
        self._lock = threading.Lock()
        self._requests: dict[threading.Thread, socket.socket] = {}
        super().__init__(address, _QuietHandler)

    def server_bind(self) -> None:
        # HTTPServer's own asks the resolver for the host's full name, which can take
        # seconds on a machine with slow DNS; the name is only used in CGI variables.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)
        self.setup_environ()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self._requests = {t: s for t, s in self._requests.items() if t.is_alive()}
            if len(self._requests) >= MAX_CONNECTIONS:
                self.shutdown_request(request)
                return
            thread = threading.Thread(
                target=self._handle,
                args=(request, client_address),
                name=f"live-metrics-request-{self.server_port}",
                daemon=True,
            )
            self._requests[thread] = request
        thread.start()

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # a client gone mid-answer; nothing to tell anyone
            log.debug("metrics request from %s failed", client_address, exc_info=True)
        finally:
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("metrics request from %s failed", client_address, exc_info=True)

    def end_requests(self, deadline: float) -> None:
        """Close the connections still being served (a silent client wakes with an end
        of file) and join their threads by ``deadline``."""
        with self._lock:
            requests = dict(self._requests)
        for request in requests.values():
            with contextlib.suppress(OSError):  # already closed by its thread
                request.shutdown(socket.SHUT_RDWR)
        for thread in requests:
            thread.join(timeout=max(deadline - time.monotonic(), 0.0))


def _bind(host: str, port: int, app: Callable[..., Iterable[bytes]]) -> _ThreadingServer:
    """A server bound to ``host:port`` serving ``app``; errors in people's words."""
    try:
        family, *_, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise OSError(
            f"cannot serve metrics on {host!r}: no such address ({error.strerror})"
        ) from None
    try:
        server = _ThreadingServer(family, address)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"TCP port {port} on {host} is already in use by another program; stop "
                "that program or choose another port for the metrics"
            ) from None
        raise OSError(f"cannot serve metrics on {host}:{port}: {reason(error)}") from None
    server.set_app(app)
    return server
