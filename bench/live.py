"""Live sources, engine only: UDP receive rates with nothing lost, packet-to-tracker
latency, and the cost of ``tracker.timer()`` against a bare ``add_action``.

Run: ``uv run python -m bench.live`` (short trials); ``--seconds 30`` for the issue's
30-second periods. The sender is a separate process, as the programs being watched are;
it paces its packets and reports how many it sent, and a trial loses nothing when the
listener received every line. Rates are tried in interleaved rounds (every rate of every
packet shape once per round), so a slow moment of the machine hits all of them alike.

Each trial runs with the listener receiving and parsing in this process (``in-process``)
and in its worker process (``worker``, the default for a plain "running" tracker), one
after the other; ``--modes`` chooses.
"""

from __future__ import annotations

import argparse
import functools
import gc
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from core import ActionTracker, Listener
from core.session import TrackerState
from core.sketch import LogSketch

SINGLE_RATES = (10_000, 20_000, 30_000, 40_000, 50_000, 60_000)
"""Packets per second tried with one timer per packet."""
BATCH_RATES = (5_000, 10_000, 15_000, 20_000, 25_000)
"""Packets per second tried with ``BATCH_LINES`` timers per packet."""
BATCH_LINES = 20
LATENCY_LOADS = (2_500, 10_000)
"""Packets per second of ``BATCH_LINES`` timers sent beside the latency probe."""
KEPT_UP_MS = 250
"""A listener this far behind when the sender stops is still keeping up."""
TICKS_PER_SECOND = 1000
"""The sender sends in bursts this often: smooth enough for a socket buffer."""
MODES = ("in-process", "worker")
START_RATE = 20_000
"""Single-timer packets per second sent from the moment ``start()`` returns."""
ROOT = Path(__file__).resolve().parents[1]


# --- the sending process --------------------------------------------------------------


def send(port: int, rate: float, seconds: float, lines: int, stamped: bool) -> int:
    """Send ``rate`` packets per second of ``lines`` timers each to 127.0.0.1:``port``
    for ``seconds``; return how many packets were sent. ``stamped`` packets carry their
    send time (``perf_counter`` ms, one clock for all processes on Linux) as the value."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))
    packet = b"\n".join(b"bench.udp:%d|ms" % (number % 97) for number in range(lines))
    burst = max(1, round(rate / TICKS_PER_SECOND))
    interval = burst / rate
    start = time.perf_counter()
    end = start + seconds
    due = start
    sent = 0
    while True:
        now = time.perf_counter()
        if now >= end:
            break
        if now < due:
            time.sleep(due - now)
            continue
        for _ in range(burst):
            if stamped:
                packet = b"bench.latency:%.4f|ms" % (time.perf_counter() * 1000.0)
            sock.send(packet)
        sent += burst
        due += interval
    sock.close()
    return sent


def _sender(port: int, rate: float, seconds: float, lines: int, stamped: bool) -> int:
    """Run ``send`` in another process and return the packets it sent."""
    command = [
        sys.executable,
        "-m",
        "bench.live",
        "--send",
        f"{port},{rate},{seconds},{lines},{int(stamped)}",
    ]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    return int(result.stdout.strip())


def _send_into(results: list[int], port: int, rate: float, seconds: float, lines: int) -> None:
    """``_sender`` for a thread: appends the packets sent to ``results``."""
    results.append(_sender(port, rate, seconds, lines, False))


# --- the receiving side ---------------------------------------------------------------


def _settled(listener: Listener, expected: int, patience: float = 1.0) -> None:
    """Wait until ``expected`` lines arrived, or none arrived for ``patience`` seconds."""
    pause = threading.Event()
    last, quiet_since = -1, time.monotonic()
    while True:
        received = listener.counts().received + listener.counts().dropped
        if received >= expected:
            return
        now = time.monotonic()
        if received != last:
            last, quiet_since = received, now
        elif now - quiet_since > patience:
            return
        pause.wait(0.01)


def trial(rate: float, lines: int, seconds: float, mode: str) -> tuple[float, int, float]:
    """One sending period: (packets per second sent, lines lost, milliseconds the
    listener was still behind when the sender finished)."""
    tracker = ActionTracker()
    with Listener(tracker, port=0, in_process=mode == "in-process") as listener:
        sent = _sender(listener.address[1], rate, seconds, lines, stamped=False)
        finished = time.perf_counter()
        _settled(listener, sent * lines)
        behind = (time.perf_counter() - finished) * 1000.0
        counts = listener.counts()
    return sent / seconds, sent * lines - counts.received, behind


def rates_table(
    seconds: float,
    rounds: int,
    single_rates: tuple[int, ...] = SINGLE_RATES,
    batch_rates: tuple[int, ...] = BATCH_RATES,
    modes: tuple[str, ...] = MODES,
) -> None:
    """Every rate of both packet shapes in every mode once per round; a rate is kept up
    with when no line was lost and the listener was less than ``KEPT_UP_MS`` behind at
    the end (a larger backlog means its queue was absorbing a rate it cannot sustain)."""
    shapes = [
        ("1 timer/packet", 1, single_rates),
        (f"{BATCH_LINES} timers/packet", BATCH_LINES, batch_rates),
    ]
    results: dict[tuple[str, str, int], list[tuple[float, int, float]]] = {}
    for number in range(rounds):
        print(f"round {number + 1} of {rounds}...", file=sys.stderr, flush=True)
        for name, lines, rates in shapes:
            for rate in rates:
                for mode in modes:
                    run = trial(rate, lines, seconds, mode)
                    results.setdefault((name, mode, rate), []).append(run)
    print(f"\nUDP into a Listener, {seconds:g} s per trial, {rounds} interleaved rounds")
    print(
        f"{'packets':<18}{'mode':<12}{'target pkt/s':>13}{'sent pkt/s':>12}{'lines/s':>10}"
        f"{'lost lines':>18}{'behind ms':>16}"
    )
    for name, lines, rates in shapes:
        sustained = dict.fromkeys(modes, 0)
        failed = dict.fromkeys(modes, False)
        for rate in rates:
            for mode in modes:
                runs = results[(name, mode, rate)]
                sent = statistics.median(run[0] for run in runs)
                kept_up = all(
                    run[1] == 0 and run[2] < KEPT_UP_MS and run[0] >= 0.95 * rate for run in runs
                )
                failed[mode] = failed[mode] or not kept_up
                if not failed[mode]:
                    sustained[mode] = rate
                losses = ", ".join(f"{run[1]:,}" for run in runs)
                behind = ", ".join(f"{run[2]:,.0f}" for run in runs)
                print(
                    f"{name:<18}{mode:<12}{rate:>13,}{sent:>12,.0f}{sent * lines:>10,.0f}"
                    f"{losses:>18}{behind:>16}"
                )
        for mode in modes:
            print(
                f"{name:<18}{mode:<12}kept up with, 0 lost, in every round up to "
                f"{sustained[mode]:,} pkt/s = {sustained[mode] * lines:,} lines/s"
            )
        print()


class _LatencyTracker(ActionTracker):
    """Notes, for each stamped timing, how long after its send it reached the tracker:
    through ``add`` in-process, through ``merge`` from a worker's batch."""

    def __init__(self) -> None:
        super().__init__()
        self.latencies: list[float] = []

    def add(self, action: str, time_ms: float) -> None:
        if action == "bench.latency":
            self.latencies.append(time.perf_counter() * 1000.0 - float(time_ms))
        super().add(action, time_ms)

    def merge(self, state: TrackerState) -> None:
        super().merge(state)
        now = time.perf_counter() * 1000.0
        for action in state.actions:
            sketch = action.distribution
            # A batch holds a few dozen stamps: the sketch still keeps them exactly.
            if action.name == "bench.latency" and isinstance(sketch, LogSketch):
                stamps = sketch.exact if sketch.exact is not None else ()
                self.latencies.extend(now - float(stamp) for stamp in stamps)


def latency_table(
    seconds: float, rounds: int, loads: tuple[int, ...], modes: tuple[str, ...] = MODES
) -> None:
    """Latency of stamped packets at 1,000/s, alone and beside steady loads of
    ``loads`` packets/s of ``BATCH_LINES`` timers."""
    print(
        f"\npacket-to-tracker latency, 1,000 stamped packets/s for {seconds:g} s, "
        f"{rounds} interleaved rounds"
    )
    print(f"{'load beside it':<34}{'mode':<12}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'lost':>7}")
    for number in range(rounds):
        for load in (0, *loads):
            for mode in modes:
                _latency_row(number, load, mode, seconds)


def _latency_row(number: int, load: int, mode: str, seconds: float) -> None:
    tracker = _LatencyTracker()
    with Listener(tracker, port=0, in_process=mode == "in-process") as listener:
        port = listener.address[1]
        _wait_for_worker(listener)
        loaded: list[int] = []
        loader = threading.Thread(
            target=_send_into, args=(loaded, port, load, seconds, BATCH_LINES)
        )
        if load:
            loader.start()
        sent = _sender(port, 1000, seconds, 1, stamped=True)
        if load:
            loader.join()
        _settled(listener, sent + sum(loaded) * BATCH_LINES)
    values = sorted(tracker.latencies)
    label = "none" if not load else f"{load:,} pkt/s x {BATCH_LINES}"
    label += f" (round {number + 1})"
    if not values:
        print(f"{label:<34}{mode:<12}{'-':>9}{'-':>9}{'-':>9}{sent:>7,}")
        return
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    print(
        f"{label:<34}{mode:<12}{statistics.median(values):>9.2f}{p99:>9.2f}{values[-1]:>9.2f}"
        f"{sent - len(values):>7,}"
    )


def _wait_for_worker(listener: Listener, patience: float = 30.0) -> None:
    """Until a worker reads the socket itself (so that a latency is not the start's)."""
    worker = listener._worker
    deadline = time.monotonic() + patience
    while worker is not None and not worker._reading and time.monotonic() < deadline:
        time.sleep(0.01)


def start_table(rounds: int, modes: tuple[str, ...] = MODES) -> None:
    """Lines lost when packets arrive from the moment ``start()`` returns, while a worker
    process starts (this process reads meanwhile), and how long the first one took to
    be counted."""
    seconds = 2.0
    print(
        f"\nstart: {START_RATE:,} single-timer packets/s for {seconds:g} s from the moment "
        f"start() returns, {rounds} interleaved rounds"
    )
    print(f"{'mode':<12}{'first counted ms':>18}{'worker reading ms':>19}{'lost lines':>12}")
    for _ in range(rounds):
        for mode in modes:
            sender = subprocess.Popen(
                [sys.executable, "-m", "bench.live", "--send-on-stdin"],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert sender.stdin is not None
            assert sender.stdout is not None
            sender.stdout.readline()  # it has imported what it needs
            listener = Listener(ActionTracker(), port=0, in_process=mode == "in-process")
            started = time.perf_counter()
            listener.start()
            sender.stdin.write(f"{listener.address[1]},{START_RATE},{seconds},1,0\n")
            sender.stdin.flush()
            first = reading = float("nan")
            while sender.poll() is None:
                now = (time.perf_counter() - started) * 1000.0
                if math.isnan(first) and listener.counts().received:
                    first = now
                worker = listener._worker
                if math.isnan(reading) and worker is not None and worker._reading:
                    reading = now
                time.sleep(0.001)
            sent = int(sender.stdout.read().strip())
            _settled(listener, sent)
            listener.stop()
            lost = sent - listener.counts().received
            print(f"{mode:<12}{first:>18,.0f}{reading:>19,.0f}{lost:>12,}", flush=True)


def _per_call(function: Callable[[], None], calls: int) -> float:
    gc.collect()
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls * 1e6


def timer_table(calls: int, rounds: int) -> None:
    """Microseconds per call: a bare add_action, add, and timer() as block and decorator."""
    tracker = ActionTracker()
    payload = '{"action": "timed", "time": 0.0123}'
    timer = tracker.timer("timed")

    @tracker.timer("timed")
    def decorated() -> None:
        pass

    def with_block() -> None:
        with timer:
            pass

    subjects: list[tuple[str, Callable[[], None]]] = [
        ("add_action(payload)", lambda: tracker.add_action(payload)),
        ("add(name, time)", lambda: tracker.add("timed", 0.0123)),
        ("with tracker.timer(name)", with_block),
        ("@tracker.timer(name) call", decorated),
    ]
    results: dict[str, list[float]] = {name: [] for name, _ in subjects}
    for _ in range(rounds):
        for name, function in subjects:
            results[name].append(_per_call(function, calls))
    # The fastest round: other programs only ever add time to a round, never remove it.
    base = min(results["add_action(payload)"])
    print(f"\ntimer() overhead, {calls:,} calls x {rounds} interleaved rounds (fastest round)")
    print(f"{'subject':<28}{'µs/call':>9}{'vs add_action':>15}")
    for name, _ in subjects:
        value = min(results[name])
        print(f"{name:<28}{value:>9.3f}{value - base:>+15.3f}")


def feed_table(calls: int, rounds: int) -> None:
    """Microseconds per line to parse and add in-process (``LineFeeder``), and to parse
    and gather by action in a worker (``BatchFeeder``, a batch taken every 1,000 packets),
    without sockets or threads: the ceiling a parser thread with a whole core to itself
    could reach."""
    from core.linefeed import LineFeeder
    from core.livecounts import SourceTally

    peer = ("127.0.0.1", 5000)
    single = b"bench.udp:12|ms"
    batch = b"\n".join(b"bench.udp:%d.5|ms" % (number % 97) for number in range(BATCH_LINES))
    shapes = [("1 timer/packet", single, 1), (f"{BATCH_LINES} timers/packet", batch, BATCH_LINES)]
    feeders = ("add (in-process)", "gather (worker)")
    results: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for name, packet, lines in shapes:
            for kind in feeders:
                feed: Callable[[], None]
                if kind == feeders[0]:
                    adder = LineFeeder(ActionTracker(), SourceTally())
                    feed = functools.partial(adder.feed, packet, peer)
                else:
                    feed = _gathering(packet, peer)
                per_packet = _per_call(feed, calls // lines)
                results.setdefault((name, kind), []).append(per_packet / lines)
    print(f"\nparse, no sockets, {rounds} interleaved rounds (fastest round)")
    print(f"{'packets':<18}{'then':<18}{'µs/line':>9}{'lines/s on one core':>21}")
    for name, _, _ in shapes:
        for kind in feeders:
            value = min(results[(name, kind)])
            print(f"{name:<18}{kind:<18}{value:>9.3f}{1e6 / value:>21,.0f}")


def _gathering(packet: bytes, peer: object) -> Callable[[], None]:
    """A call that gathers ``packet`` as a worker does, taking a batch every 1,000."""
    from core.livebatch import BatchFeeder
    from core.livecounts import SourceTally

    gatherer = BatchFeeder("running", SourceTally())
    fed = 0

    def feed() -> None:
        nonlocal fed
        gatherer.feed(packet, peer)
        fed += 1
        if fed % 1000 == 0:
            gatherer.take()

    return feed


STOP_TARGET_SECONDS = 0.5
"""The contract: ``Listener.stop()`` ends it and joins its threads within this."""


def stop_table(rounds: int, modes: tuple[str, ...] = MODES) -> None:
    """How long ``Listener.stop()`` takes at once after ``start()`` and once running
    (a worker then hands on its last batch and exits)."""
    print(f"\nListener.stop(), {rounds} starts and stops per row (target {STOP_TARGET_SECONDS} s)")
    print(f"{'protocol':<10}{'mode':<12}{'when':<14}{'median ms':>12}{'max ms':>10}  verdict")
    for protocol in ("udp", "tcp"):
        for mode in modes:
            for when in ("at once", "once running"):
                spent: list[float] = []
                for _ in range(rounds):
                    listener = Listener(
                        ActionTracker(), port=0, protocol=protocol, in_process=mode == "in-process"
                    )
                    listener.start()
                    if when == "once running":
                        _wait_for_worker(listener)
                    started = time.perf_counter()
                    listener.stop()
                    spent.append(time.perf_counter() - started)
                verdict = "PASS" if max(spent) < STOP_TARGET_SECONDS else "FAIL"
                median, worst = statistics.median(spent) * 1000, max(spent) * 1000
                print(f"{protocol:<10}{mode:<12}{when:<14}{median:>12.1f}{worst:>10.1f}  {verdict}")


def _rates(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


def _modes(text: str) -> tuple[str, ...]:
    modes = tuple(part for part in text.split(",") if part)
    if not modes or not set(modes) <= set(MODES):
        raise argparse.ArgumentTypeError(f"choose from {', '.join(MODES)}")
    return modes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=2.0, help="sending period per trial")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--calls", type=int, default=100_000, help="calls per timer round")
    parser.add_argument("--only", choices=["rates", "latency", "timer", "stop", "start"])
    parser.add_argument(
        "--modes",
        type=_modes,
        default=MODES,
        help="in-process, worker or both (comma-separated), tried in turn",
    )
    parser.add_argument(
        "--single-rates", type=_rates, default=SINGLE_RATES, help="packets/s, comma-separated"
    )
    parser.add_argument(
        "--batch-rates", type=_rates, default=BATCH_RATES, help="packets/s, comma-separated"
    )
    parser.add_argument("--send", help=argparse.SUPPRESS)
    parser.add_argument("--send-on-stdin", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.send_on_stdin:  # ready now; sends the moment the port arrives
        print("ready", flush=True)
        args.send = sys.stdin.readline().strip()
    if args.send:
        port, rate, seconds, lines, stamped = args.send.split(",")
        print(send(int(port), float(rate), float(seconds), int(lines), stamped == "1"))
        return
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} at the start")
    if args.only in (None, "timer"):
        timer_table(args.calls, max(args.rounds, 7))
        feed_table(args.calls, max(args.rounds, 7))
    if args.only in (None, "stop"):
        stop_table(max(args.rounds, 10), args.modes)
    if args.only in (None, "start"):
        start_table(max(args.rounds, 3), args.modes)
    if args.only in (None, "latency"):
        latency_table(args.seconds, args.rounds, LATENCY_LOADS, args.modes)
    if args.only in (None, "rates"):
        rates_table(args.seconds, args.rounds, args.single_rates, args.batch_rates, args.modes)


if __name__ == "__main__":
    main()
