"""A paced UDP sender in a process of its own (no Qt loaded), for ``bench.live_window``.

Run: ``python -m bench.udp_sender PORT,RATE,SECONDS,LINES``; prints what it sent as JSON.
"""

from __future__ import annotations

import socket
import sys
import time

import orjson

PROBE_EVERY = 0.01
"""Seconds between probe packets."""
PROBE = "bench.probe"
TICKS_PER_SECOND = 1000
"""The sender sends in bursts this often: smooth enough for a socket buffer."""


def send(port: int, rate: float, seconds: float, lines: int) -> dict[str, object]:
    """Send ``rate`` packets/s of ``lines`` timers to 127.0.0.1:``port`` for ``seconds``,
    one of them every PROBE_EVERY a stamped probe; what was sent, with the probes'
    send times (ms)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))
    packet = b"\n".join(b"bench.udp.%d:%d|ms" % (n % 10, n % 97) for n in range(lines))
    burst = max(1, round(rate / TICKS_PER_SECOND))
    interval = burst / rate
    start = time.perf_counter()
    end, due, next_probe = start + seconds, start, start
    packets = sent_lines = 0
    probes: list[float] = []
    while True:
        now = time.perf_counter()
        if now >= end:
            break
        if now < due:
            time.sleep(due - now)
            continue
        for _ in range(burst):
            sock.send(packet)
        packets += burst
        sent_lines += burst * lines
        if now >= next_probe:
            stamp = time.perf_counter() * 1000.0
            sock.send(b"%s:%.4f|ms" % (PROBE.encode(), stamp))
            probes.append(stamp)
            packets += 1
            sent_lines += 1
            next_probe += PROBE_EVERY
        due += interval
    sock.close()
    return {"packets": packets, "lines": sent_lines, "probes": probes}


def main(argv: list[str]) -> int:
    port, rate, seconds, lines = argv[0].split(",")
    print(orjson.dumps(send(int(port), float(rate), float(seconds), int(lines))).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
