"""Ctrl-C, SIGTERM and SIGHUP all stop a run the same way: tools killed, then unwinding."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from self_improving_agent.base.errors import Stopped
from self_improving_agent.sandbox.proc import kill_live_tools

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Kill running tools at once (a worker thread may be waiting on one), then unwind."""
    kill_live_tools()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stopped(signum)


@contextlib.contextmanager
def stops_handled() -> Iterator[None]:
    """Within the block every stop signal unwinds like Ctrl-C; previous handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _on_signal) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
