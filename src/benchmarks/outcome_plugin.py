"""Loaded first into the measured pytest by the host: each outcome, as it is reported, over a pipe.

This file runs inside the measured interpreter (any Python 3 with pytest), so it imports nothing
of the agent. The host takes test outcomes only from this pipe, never from a file in scratch. The
pipe is closed when the session finishes, so code running after that (an unconfigure hook, atexit,
a thread finishing late, os._exit after rewriting files) has nothing left to write to.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

FD_VARIABLE = "AGENT_OUTCOMES_FD"
# The end of a failure's text is kept: pytest puts the error line and `file:line: Error` last.
_TEXT_CHARS = 16_000
_open: list[int] = []


def _send(record: dict[str, Any]) -> None:
    """One JSON line to the host while the pipe is open."""
    if not _open:
        return
    data = (json.dumps(record) + "\n").encode("ascii")
    while data:
        data = data[os.write(_open[0], data) :]


def _record(report: Any, when: str) -> dict[str, Any]:
    """What the host needs of one report: id, phase, outcome, and why it failed."""
    record: dict[str, Any] = {"id": report.nodeid, "when": when, "outcome": report.outcome}
    if report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        record["message"] = str(getattr(crash, "message", ""))[:_TEXT_CHARS]
        record["text"] = report.longreprtext[-_TEXT_CHARS:]
    return record


def pytest_configure(config: Any) -> None:
    """Take the pipe from the environment, out of reach of test subprocesses and xdist workers."""
    raw = os.environ.pop(FD_VARIABLE, "")
    if not raw.isdigit() or hasattr(config, "workerinput"):
        return
    fd = int(raw)
    os.set_inheritable(fd, False)
    _open.append(fd)
    _send({"start": os.getpid()})


def pytest_runtest_logreport(report: Any) -> None:
    """Every phase of every test (xdist relays its workers' reports to the controller here)."""
    _send(_record(report, report.when))


def pytest_collectreport(report: Any) -> None:
    """A module that failed to import or skipped itself."""
    if not report.passed:
        _send(_record(report, "collect"))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """The session's exit status, then the pipe closes: nothing after this reaches the host."""
    _send({"end": int(exitstatus)})
    if _open:
        os.close(_open.pop())
