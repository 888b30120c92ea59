"""A child's stdout and stderr read with a host-side cap: head and tail kept, the rest counted."""

from __future__ import annotations

import collections
import os
import selectors
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MIB = 1024 * 1024
# What a stream keeps: its first HEAD_BYTES (parsers read reports from the start) and last
# TAIL_BYTES (errors end up there); anything between is only counted.
HEAD_BYTES = 8 * MIB
TAIL_BYTES = 1 * MIB
# Past this much output on both streams together the tool is killed and the run is an error.
CEILING_BYTES = 256 * MIB
# What a report channel (the host's pytest plugin) may carry; past it the tool is killed.
CHANNEL_BYTES = 64 * MIB
_CHUNK = 64 * 1024
# How long the pipes may stay open once the tool ended or was killed: only a process outside
# its group (a setsid straggler with no sandbox around it) can hold them that long.
_GRACE_S = 2.0
_POLL_S = 0.25


@dataclass
class Capped:
    """One stream's bounded copy: at most HEAD_BYTES + TAIL_BYTES held, every byte counted."""

    head: bytearray = field(default_factory=bytearray)
    tail: collections.deque[bytes] = field(default_factory=collections.deque)
    tail_bytes: int = 0
    total: int = 0

    def add(self, data: bytes) -> None:
        """Keep data in the head while it has room, else in the tail, dropping its oldest."""
        self.total += len(data)
        room = HEAD_BYTES - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if not data:
            return
        self.tail.append(data)
        self.tail_bytes += len(data)
        while self.tail_bytes - len(self.tail[0]) >= TAIL_BYTES:
            self.tail_bytes -= len(self.tail.popleft())

    def omitted(self) -> int:
        """Bytes that were counted but are not shown."""
        return self.total - len(self.head) - min(self.tail_bytes, TAIL_BYTES)

    def text(self) -> str:
        """The kept output, a note saying how much was left out in the middle."""
        tail = b"".join(self.tail)
        dropped = self.omitted()
        if dropped <= 0:
            return (bytes(self.head) + tail).decode("utf-8", errors="replace")
        note = f"\n[... {dropped} bytes of output omitted ...]\n"
        kept = tail[-TAIL_BYTES:].decode("utf-8", errors="replace")
        return self.head.decode("utf-8", errors="replace") + note + kept


@dataclass(frozen=True)
class Drained:
    """What reading a tool's output found: both streams and why it was cut short, if it was."""

    stdout: str
    stderr: str
    timed_out: bool
    overflowed: bool
    # Everything read from the report channel, when there was one.
    reported: bytes | None = None
    # Why the watchdog stopped the tool, when it did.
    stopped: str | None = None


def drain(
    proc: subprocess.Popen[bytes],
    timeout_s: float,
    kill: Callable[[], None],
    ceiling: int = CEILING_BYTES,
    channel: int | None = None,
    watch: Callable[[], str | None] | None = None,
) -> Drained:
    """Read proc's stdout, stderr and channel (a pipe's read end) to their end, then reap it.

    kill ends the tool's process group: at timeout_s, past ceiling bytes in all (CHANNEL_BYTES
    on the channel), when watch names a reason to stop (checked at every wake-up), and when the
    pipes stay open _GRACE_S after the tool itself ended.
    """
    assert proc.stdout is not None and proc.stderr is not None
    streams = {proc.stdout.fileno(): Capped(), proc.stderr.fileno(): Capped()}
    reported = bytearray()
    deadline = time.monotonic() + timeout_s
    timed_out = overflowed = killed = False
    stopped: str | None = None
    settle: float | None = None
    with selectors.DefaultSelector() as selector:
        for fd in [*streams, *([] if channel is None else [channel])]:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            now = time.monotonic()
            if not killed and now >= deadline:
                timed_out = killed = True
                kill()
            if not killed and watch is not None:
                stopped = watch()
                if stopped:
                    killed = True
                    kill()
            if settle is None and (killed or proc.poll() is not None):
                settle = now + _GRACE_S
            if settle is not None and now >= settle:
                if killed:
                    break
                killed = True
                kill()
                settle = now + _GRACE_S
            for key, _ in selector.select(_POLL_S):
                data = _read(key.fd)
                if data is None:
                    continue
                if not data:
                    selector.unregister(key.fd)
                    continue
                if key.fd == channel:
                    reported += data
                else:
                    streams[key.fd].add(data)
                if not killed and len(reported) > CHANNEL_BYTES:
                    stopped = f"the report channel carried over {CHANNEL_BYTES // MIB} MiB"
                    killed = True
                    kill()
                if not killed and sum(s.total for s in streams.values()) > ceiling:
                    overflowed = killed = True
                    kill()
    try:
        proc.wait(timeout=max(deadline - time.monotonic(), 0.0))
    except subprocess.TimeoutExpired:
        timed_out = True
        kill()
        proc.wait()
    out, err = (streams[f.fileno()].text() for f in (proc.stdout, proc.stderr))
    proc.stdout.close()
    proc.stderr.close()
    reports = None if channel is None else bytes(reported)
    return Drained(out, err, timed_out, overflowed, reports, stopped)


def _read(fd: int) -> bytes | None:
    """One chunk from fd; b"" at its end, None when nothing is there yet."""
    try:
        return os.read(fd, _CHUNK)
    except BlockingIOError:
        return None
    except OSError:
        return b""
