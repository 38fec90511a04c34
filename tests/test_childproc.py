"""Child interpreters and the framed messages they exchange (core.childproc)."""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import threading
from pathlib import Path

import pytest

from core.childproc import Framing, can_start_children, start_child, wait_or_kill

FRAMING = Framing(struct.Struct("!I"))


def test_messages_cross_a_pipe_whole_and_in_order() -> None:
    read_end, write_end = os.pipe()
    large = bytes(range(256)) * 4096  # more than a pipe holds: written while read

    def write() -> None:
        FRAMING.send(write_end, b"")
        FRAMING.send_pickled(write_end, {"large": large})
        FRAMING.send(write_end, b"last")

    try:
        writer = threading.Thread(target=write)
        writer.start()
        assert FRAMING.receive(read_end) == b""
        assert FRAMING.receive_pickled(read_end) == {"large": large}
        assert FRAMING.receive(read_end) == b"last"
        writer.join(5)
    finally:
        os.close(read_end)
        os.close(write_end)


def test_an_input_that_ends_inside_a_frame_raises_eof_error() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(struct.pack("!I", 10) + b"cut")
        theirs.shutdown(socket.SHUT_WR)
        with pytest.raises(EOFError):
            FRAMING.receive(ours.fileno())
        with pytest.raises(EOFError):
            FRAMING.receive(ours.fileno())  # nothing at all


def test_a_child_gets_its_arguments_and_imports_this_package_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert can_start_children()
    monkeypatch.chdir(tmp_path)
    code = "import sys, core.childproc; print(sys.argv[1:], end='')"
    child = start_child(code, "one", "two", stdout=subprocess.PIPE)
    output, _ = child.communicate(timeout=60)
    assert output == b"['one', 'two']"


def test_a_child_that_does_not_end_in_time_is_killed() -> None:
    child = start_child("import time; time.sleep(60)")
    wait_or_kill(child, 0.05)
    assert child.returncode == -9  # SIGKILL: it had not ended


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a process group is POSIX")
def test_a_child_leaves_ctrl_c_to_its_owner() -> None:
    # Ctrl+C in a terminal reaches the whole process group; a child that stopped on it
    # would print a traceback while its owner decides what the interrupt ends.
    code = "import sys, time; print('ready', flush=True); time.sleep(60)"
    child = start_child(code, stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        child.send_signal(signal.SIGINT)
        with pytest.raises(subprocess.TimeoutExpired):
            child.wait(0.3)
    finally:
        wait_or_kill(child, 0)
        assert child.stdout is not None
        child.stdout.close()
