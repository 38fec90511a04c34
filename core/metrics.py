"""``MetricsServer``: a tracker's figures served to Prometheus over HTTP, at ``/metrics``.

``TrackerCollector`` reads the tracker on each scrape (``snapshot_and_histograms``: the
figures and the bucket counts of one instant, and the summary window's snapshot) and
yields, per action, a histogram and a summary in ``prometheus_client``'s own types, which
format and escape them. ``MetricsServer`` serves them under ``wsgiref``, in the listener's
manner: ``start()`` binds and returns, ``stop()`` joins every thread within half a
second. A full scrape is answered by ``TrackerCollector.page``, the same bytes as
``prometheus_client``'s encoder makes of the families, kept between scrapes
(``core.exposition``); anything else by ``prometheus_client``'s WSGI app.

Metric names (times in the tracker are milliseconds, as StatsD timers and
``tracker.timer`` give them, so the unit is in the names):

- ``action_tracker_duration_milliseconds`` (histogram: ``_bucket{le}``, ``_count``,
  ``_sum``), the one to aggregate over instances with ``histogram_quantile``;
- ``action_tracker_duration_summary_milliseconds`` (summary: ``{quantile}`` 0.5, 0.9,
  0.99, ``_count``, ``_sum``), the tracker's own percentiles of one instance, over the
  last ``quantile_window`` seconds (DEFAULT_QUANTILE_WINDOW) as client libraries' are.

Each has the label ``action``. A summary and a histogram may not share a name.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import ipaddress
import itertools
import logging
import math
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any, cast
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import choose_encoder, gzip_accepted
from prometheus_client.metrics_core import HistogramMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from core.errors import reason
from core.exactsum import Number
from core.exposition import Encoder, ExpositionCache
from core.listener import PortInUseError
from core.stats import ActionStats
from core.tracker import ActionTracker, check_window

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
DEFAULT_QUANTILE_WINDOW: int | None = 300
"""Seconds the summary's quantiles cover: the last five minutes, the longest window the
tracker keeps (client_golang's summaries cover ten by default); None covers all time."""
MAX_BUCKETS = 100
"""Bounds at most: every bound is a series per action on every scrape."""
MAX_CONNECTIONS = 16
"""Requests served at once; one more is closed at once (a scraper needs one)."""
REQUEST_TIMEOUT_SECONDS = 10.0
"""A client silent this long mid-request is dropped, so no thread waits on it forever."""
POLL_SECONDS = 0.05
"""How often the accepting thread looks for ``stop``: bounds how long ``stop`` waits."""
STOP_SECONDS = 0.5
GZIP_LEVEL = 3
"""Compression of a page for a client that takes gzip (Prometheus does)."""


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


def check_quantile_window(window: int | None) -> int | None:
    """``window`` as the summary's seconds (1 to 300) or None for all time; ``ValueError``
    in the user's words otherwise."""
    if window is None:
        return None
    try:
        return check_window(window)
    except ValueError as error:
        raise ValueError(f"summary quantile window: {error}") from None


class TrackerCollector(Collector):
    """Yields a tracker's figures as Prometheus metric families, read on each scrape.

    ``buckets`` are the histogram's upper bounds in milliseconds (``check_buckets``).
    ``quantile_window`` is the seconds the summary's quantiles cover (1 to 300, as
    ``snapshot(window=...)``), or None for all the times since the start or the last
    reset; counts, sums and buckets always cover all of them, as Prometheus requires of
    them. ``scrapes`` counts the times it was read.
    """

    def __init__(
        self,
        tracker: ActionTracker,
        buckets: Iterable[float] = DEFAULT_BUCKETS_MS,
        quantile_window: int | None = DEFAULT_QUANTILE_WINDOW,
    ) -> None:
        self._tracker = tracker
        self._bounds = check_buckets(buckets)
        self._quantile_window = check_quantile_window(quantile_window)
        self._labels = [*(_go_float(bound) for bound in self._bounds), "+Inf"]
        self._lock = threading.Lock()
        self._scrapes = 0
        self._pages = ExpositionCache(
            [
                (self._empty_histogram, self._histogram_samples),
                (self._empty_summary, self._summary_samples),
            ]
        )

    @property
    def buckets(self) -> tuple[float, ...]:
        return self._bounds

    @property
    def quantile_window(self) -> int | None:
        return self._quantile_window

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
        histogram, summary = self._empty_histogram(), self._empty_summary()
        for action, (histogram_values, summary_values) in self._read():
            histogram.samples += self._histogram_samples(action, histogram_values)
            summary.samples += self._summary_samples(action, summary_values)
        yield histogram  # the one to aggregate, first
        yield summary

    def page(self, encoder: Encoder) -> bytes:
        """What ``encoder`` (one that ``prometheus_client.exposition.choose_encoder``
        gives) makes of ``collect()``'s families, byte for byte, made faster by keeping
        each action's text between scrapes (``core.exposition``)."""
        return self._pages.page(encoder, self._read())

    def _read(self) -> list[tuple[str, tuple[tuple[float, ...], tuple[float, ...]]]]:
        """Each action's histogram values (its cumulative buckets with +Inf, count and
        sum) and summary values (count, sum and the quantiles), in first-seen order."""
        # One cut of the tracker: each +Inf bucket then equals its _count, as Prometheus
        # requires, however fast times arrive.
        snapshot, buckets = self._tracker.snapshot_and_histograms(self._bounds)
        quantiles = None
        if self._quantile_window is not None:
            windowed = self._tracker.snapshot(window=self._quantile_window)
            quantiles = {stats.action: _quantiles(stats) for stats in windowed.actions}
        with self._lock:
            self._scrapes += 1
        rows = []
        for stats in snapshot.actions:
            action, count, total = stats.action, stats.count, _as_float(stats.total)
            shown = _quantiles(stats) if quantiles is None else quantiles.get(action, _NO_TIMES)
            rows.append((action, ((*buckets[action], count, count, total), (count, total, *shown))))
        return rows

    def _empty_histogram(self) -> Metric:
        return HistogramMetricFamily(
            HISTOGRAM_NAME,
            "Time of each action in milliseconds, in cumulative buckets (le).",
            labels=["action"],
            unit=UNIT,
        )

    def _empty_summary(self) -> Metric:
        window = self._quantile_window
        covered = "all its times" if window is None else f"its times of the last {window} s"
        return SummaryMetricFamily(
            SUMMARY_NAME,
            f"Time of each action in milliseconds, with the tracker's own percentiles of "
            f"{covered} (not to be averaged over instances: use the histogram).",
            labels=["action"],
            unit=UNIT,
        )

    # The samples are made here rather than by add_metric, which builds each one's labels
    # through lists and zips: with 10,000 actions that is 210,000 samples.
    def _histogram_samples(self, action: str, values: Sequence[float]) -> list[Sample]:
        *cumulative, count, total = values
        labels = {"action": action}
        return [
            *(
                Sample(_BUCKET_SAMPLE, {"action": action, "le": le}, number)
                for le, number in zip(self._labels, cumulative, strict=True)
            ),
            Sample(_HISTOGRAM_COUNT, labels, count),
            Sample(_HISTOGRAM_SUM, labels, total),
        ]

    @staticmethod
    def _summary_samples(action: str, values: Sequence[float]) -> list[Sample]:
        count, total, *quantiles = values
        labels = {"action": action}
        return [
            Sample(_SUMMARY_COUNT, labels, count),
            Sample(_SUMMARY_SUM, labels, total),
            *(
                Sample(SUMMARY_NAME, {"action": action, "quantile": quantile}, value)
                for (quantile, _), value in zip(QUANTILES, quantiles, strict=True)
            ),
        ]


_BUCKET_SAMPLE = f"{HISTOGRAM_NAME}_bucket"
_HISTOGRAM_COUNT = f"{HISTOGRAM_NAME}_count"
_HISTOGRAM_SUM = f"{HISTOGRAM_NAME}_sum"
_SUMMARY_COUNT = f"{SUMMARY_NAME}_count"
_SUMMARY_SUM = f"{SUMMARY_NAME}_sum"
_NO_TIMES = (math.nan,) * len(QUANTILES)
"""The quantiles of an action with no time in the window, as client_golang shows them."""


def _quantiles(stats: ActionStats) -> tuple[float, ...]:
    return tuple(_as_float(getattr(stats, field)) for _, field in QUANTILES)


_go_float = cast(Callable[[float], str], floatToGoString)
"""A bound as ``le`` reads in every Prometheus client (``1.0``, ``2.5``, ``1e+06``)."""


def _as_float(value: Number) -> float:
    """An exact sum as Prometheus' float; a sum past the double range is +Inf. A zero is
    always 0.0 (a time of -0.0 is a valid 0), so a kept text never needs its sign."""
    try:
        return float(value) + 0.0
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
        quantile_window: int | None = DEFAULT_QUANTILE_WINDOW,
    ) -> None:
        if type(port) is not int or not 0 <= port <= 65535:
            raise ValueError(f"port must be a whole number from 0 to 65535, got {port!r}")
        self._collector = TrackerCollector(tracker, buckets, quantile_window)
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
    def quantile_window(self) -> int | None:
        return self._collector.quantile_window

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
        """The WSGI app: ``prometheus_client``'s at ``/metrics`` (a GET of every series
        is answered by ``_page``, the same bytes made faster), a pointer to it at ``/``,
        and 404 elsewhere (its own app answers every path)."""
        path = environ.get("PATH_INFO", "")
        if path == METRICS_PATH:
            try:
                output: Iterable[bytes]
                if environ.get("REQUEST_METHOD") == "GET" and not environ.get("QUERY_STRING"):
                    output = self._page(environ, start_response)
                else:  # HEAD, OPTIONS, or only some names (name[]=...): its own way
                    output = self._app(environ, start_response)
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

    def _page(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Every series, as ``prometheus_client``'s app answers: the format the Accept
        header asks for (``choose_encoder``), gzipped when the client takes it."""
        encoder, content_type = choose_encoder(environ.get("HTTP_ACCEPT", ""))
        body = self._collector.page(encoder)
        headers = [("Content-Type", content_type)]
        if gzip_accepted(environ.get("HTTP_ACCEPT_ENCODING", "")):
            # prometheus_client compresses at level 9, which takes many times longer
            # for a page a few percent smaller.
            body = gzip.compress(body, compresslevel=GZIP_LEVEL)
            headers.append(("Content-Encoding", "gzip"))
        start_response("200 OK", headers)
        return [body]


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
