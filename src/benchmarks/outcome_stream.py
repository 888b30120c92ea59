"""Test outcomes from the host's own pytest plugin, read from a pipe, never from scratch.

The plugin (outcome_plugin.py) is written into the host-only folder before the run and loaded
first with `-p`. It reports each test as it finishes and closes the pipe when the session ends,
so a junit file or anything else rewritten after the session cannot change what is counted.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from self_improving_agent.base.safe_files import UnsafeResult
from self_improving_agent.base.text import printable
from self_improving_agent.benchmarks.findings import MAX_FAILURES, failure_excerpt
from self_improving_agent.benchmarks.outcome_plugin import FD_VARIABLE

Outcome = Literal["passed", "failed", "error", "skipped"]
_RANK: dict[Outcome, int] = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
_MISSING = re.compile(r"No module named '([^']+)'")
_PLUGIN_SOURCE = Path(__file__).with_name("outcome_plugin.py")
PIPE_VARIABLE = FD_VARIABLE


@dataclass(frozen=True)
class SessionFacts:
    """What one pytest session reported: outcomes, failure excerpts, modules tests could not
    import (foreign: outside the tree; unimportable: the tree's own top-level packages)."""

    outcomes: dict[str, Outcome]
    failures: dict[str, str]
    foreign: dict[str, str]
    unimportable: dict[str, str]
    exit_status: int


def plugin_args(host_dir: Path) -> tuple[list[str], dict[str, str]]:
    """pytest's `-p` arguments and the environment that load the plugin, written into host_dir.

    Its module name is new for every run, so no module of the tree can stand in for it by name.
    """
    name = f"_agent_outcomes_{secrets.token_hex(8)}"
    fd = os.open(host_dir / f"{name}.py", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW)
    with os.fdopen(fd, "wb") as handle:
        handle.write(_PLUGIN_SOURCE.read_bytes())
    return ["-p", name], {"PYTHONPATH": str(host_dir)}


def phase_outcome(when: str, outcome: str) -> Outcome:
    """One report's weight: a failure outside the call (setup, teardown, import) is an error."""
    if outcome == "failed":
        return "failed" if when == "call" else "error"
    return "skipped" if outcome == "skipped" else "passed"


def _records(data: bytes) -> tuple[list[dict[str, object]], int | None]:
    """The JSON records up to the end record, and the session's exit status (None: no end)."""
    records: list[dict[str, object]] = []
    lines = data.split(b"\n")
    for at, line in enumerate(lines):
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise UnsafeResult(
                f"the outcome channel carried a line that is not JSON: {exc}"
            ) from exc
        if not isinstance(record, dict):
            raise UnsafeResult("the outcome channel carried a record that is not an object")
        if "end" in record:
            if any(lines[at + 1 :]):
                raise UnsafeResult("the outcome channel received data after the session ended")
            return records, int(record["end"])
        records.append(record)
    return records, None


def read_stream(
    data: bytes, own: Collection[str] = (), present: Collection[str] = ()
) -> SessionFacts | None:
    """The facts of one session's stream; None when the session never finished.

    UnsafeResult when the stream is malformed or written to after the session ended. present:
    the dotted names the tree's files could be imported by; a missing module that is a file of
    the tree (tests.conftest, say) is the import setup's failure, never the code's.
    """
    records, status = _records(data)
    if status is None:
        return None
    outcomes: dict[str, Outcome] = {}
    failures: dict[str, str] = {}
    foreign: dict[str, str] = {}
    unimportable: dict[str, str] = {}
    for record in records:
        if "id" not in record:
            continue
        node = printable(str(record["id"]))
        when = str(record.get("when", ""))
        weight = phase_outcome(when, str(record.get("outcome", "")))
        if node not in outcomes or _RANK[weight] > _RANK[outcomes[node]]:
            outcomes[node] = weight
        message, text = str(record.get("message", "")), str(record.get("text", ""))
        failed = weight in ("failed", "error")
        if failed and node not in failures and len(failures) < MAX_FAILURES:
            failures[node] = printable(failure_excerpt(message, text))
        missing = _MISSING.search(f"{message}\n{text}") if when == "collect" else None
        name = printable(missing.group(1)) if missing else ""
        if name and name.split(".")[0] not in own:
            foreign[node] = name
        elif name and ("." not in name or name in present):
            # The package is in the tree but not importable: the tests never reached it.
            # A missing submodule is the code's own fault and stays a failure.
            unimportable[node] = name
    return SessionFacts(outcomes, failures, foreign, unimportable, status)
