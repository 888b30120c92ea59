"""Shared kit of the sandbox tests: which mechanisms run here, a host listener, process lookups."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from self_improving_agent.sandbox.sandbox import unavailable

DEADLINE_S = 5.0


def mechanism_params() -> list[object]:
    """bwrap and landlock as parameters, each skipped with the reason it cannot run here."""
    params: list[object] = []
    for name in ("bwrap", "landlock"):
        reason = unavailable(name)
        marks = [pytest.mark.skip(reason=f"{name} unavailable: {reason}")] if reason else []
        params.append(pytest.param(name, marks=marks, id=name))
    return params


class Listener:
    """A TCP server on the host's 127.0.0.1 that records every connection it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.accepted: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        """Accept until stopped, keeping whatever each client sent."""
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    self.accepted.append(conn.recv(1024))

    def close(self) -> None:
        """Stop serving and release the port."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@contextlib.contextmanager
def listener() -> Iterator[Listener]:
    """A host listener for the duration of a block."""
    server = Listener()
    try:
        yield server
    finally:
        server.close()


def processes_with(marker: str) -> list[int]:
    """Pids of live (non-zombie) processes whose command line contains marker."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text(encoding="utf-8").rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def survivors(marker: str, deadline_s: float = DEADLINE_S) -> list[int]:
    """Processes carrying marker still alive once deadline_s has passed without them all dying."""
    end = time.monotonic() + deadline_s
    found = processes_with(marker)
    while found and time.monotonic() < end:
        time.sleep(0.05)
        found = processes_with(marker)
    return found


def wait_for(marker: str, deadline_s: float = 60.0) -> list[int]:
    """Processes carrying marker, polled until one shows up or the deadline passes."""
    end = time.monotonic() + deadline_s
    found = processes_with(marker)
    while not found and time.monotonic() < end:
        time.sleep(0.05)
        found = processes_with(marker)
    return found


def kill_all(pids: list[int]) -> None:
    """Clean up after a test whose processes escaped (only ever in a failing or control run)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def snapshot(root: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Every file under root (but the skipped top-level folders) with its content."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts and rel.parts[0] in skip:
            continue
        if path.is_file() and not path.is_symlink():
            files[str(rel)] = path.read_bytes()
    return files
