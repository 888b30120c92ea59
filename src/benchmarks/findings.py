"""The concrete findings a benchmark keeps under raw["evidence"]: file:line and one message each."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from self_improving_agent.base.text import printable

# Enough for the Architect's weakest benchmarks and the Builder's files, small in the cache.
MAX_FINDINGS = 30
_MYPY_LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?:\d+:)? error: (?P<message>.*)$")


def finding(path: str, line: int, message: str) -> dict[str, Any]:
    """One finding in the shape every benchmark uses."""
    return {"path": path, "line": line, "message": " ".join(message.split())[:200]}


def relative(path: str, root: Path) -> str:
    """A tool's path relative to the measured tree, with forward slashes."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return candidate.relative_to(root).as_posix()
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix()


def lint_findings(violations: Iterable[Any], root: Path) -> list[dict[str, Any]]:
    """Ruff violations as `rule message` findings, in ruff's order."""
    return [
        finding(relative(v.filename, root), v.location.row, f"{v.code or 'syntax'} {v.message}")
        for v in list(violations)[:MAX_FINDINGS]
    ]


def mypy_findings(stdout: str) -> list[dict[str, Any]]:
    """mypy's error lines as findings, in mypy's order."""
    found = [m for m in map(_MYPY_LINE.match, stdout.splitlines()) if m is not None]
    return [
        finding(m["path"].replace("\\", "/"), int(m["line"]), m["message"])
        for m in found[:MAX_FINDINGS]
    ]


def coverage_findings(
    files: Mapping[str, Any], counted: Callable[[str], bool]
) -> list[dict[str, Any]]:
    """Functions with the most uncovered lines (coverage.py's JSON `functions`), most first."""
    rows = []
    for path, entry in files.items():
        if not counted(path):
            continue
        for name, function in (entry.get("functions") or {}).items():
            summary = function.get("summary", {})
            missing = int(summary.get("missing_lines", 0))
            if name and missing:
                statements = int(summary.get("num_statements", 0))
                message = f"{name}: {missing} of {statements} lines not covered"
                rows.append((missing, path, int(function.get("start_line", 1)), message))
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    # Paths and names come from a report the sandboxed run wrote.
    top = rows[:MAX_FINDINGS]
    return [finding(printable(path), line, printable(message)) for _, path, line, message in top]


def complexity_findings(blocks: Iterable[tuple[str, int, str, int]]) -> list[dict[str, Any]]:
    """(path, line, name, complexity) blocks, the most complex first."""
    ranked = sorted(blocks, key=lambda b: (-b[3], b[0], b[1]))
    return [
        finding(path, line, f"{name}: cyclomatic complexity {cc}")
        for path, line, name, cc in ranked[:MAX_FINDINGS]
    ]


# A failing test's report: the failing source line (>), error lines (E) and file:line locations.
_TRACE_LINE = re.compile(r"^(?:>|E\s|\S[^\s:]*\.py:\d+:)")
MAX_FAILURES = 20
MAX_FAILURE_CHARS = 1200


def failure_excerpt(message: str, report: str) -> str:
    """The assertion message and the traceback lines that say where and why, within a budget."""
    lines = [line.rstrip() for line in report.splitlines() if _TRACE_LINE.match(line)]
    head = " ".join(message.split())[:300]
    text = "\n".join([head, *lines] if head else lines)
    return text if len(text) <= MAX_FAILURE_CHARS else text[: MAX_FAILURE_CHARS - 3] + "..."
