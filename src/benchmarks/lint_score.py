"""lint_score: `ruff check` JSON violations; score = 1 / (1 + violations_per_kloc / 10)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, TypeAdapter, ValidationError

from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import (
    BenchContext,
    error_result,
    nothing_result,
    per_kloc_score,
    timeout_result,
)
from self_improving_agent.benchmarks.findings import lint_findings
from self_improving_agent.benchmarks.python_versions import ruff_version_args
from self_improving_agent.sandbox.proc import ToolRun

NAME = "lint_score"
SYNTAX_ERROR = "syntax-error"


class _Location(BaseModel):
    """Where ruff found a violation."""

    row: int
    column: int


class Violation(BaseModel):
    """One entry of `ruff check --output-format json`; code is null for syntax errors."""

    code: str | None
    filename: str
    message: str
    location: _Location


_VIOLATIONS = TypeAdapter(list[Violation])


def parse_violations(stdout: str) -> list[Violation]:
    """Ruff's JSON checked against the expected shape; ValueError when it is not that."""
    try:
        return _VIOLATIONS.validate_python(json.loads(stdout))
    except ValidationError as exc:
        raise ValueError(f"unexpected ruff JSON shape: {exc.errors()[0]['msg']}") from None


def by_rule(violations: list[Violation]) -> dict[str, int]:
    """Violation count per rule code, most frequent first."""
    return dict(Counter(v.code or SYNTAX_ERROR for v in violations).most_common())


def ruff_exclude(rel: str) -> str:
    """A ruff glob for one repo-relative file; wildcards, braces and commas each become a `?`."""
    return re.sub(r"[][*?{},]", "?", rel)


def ruff_args(cache_dir: str, skip: Sequence[str] = (), version: Sequence[str] = ()) -> list[str]:
    """`python -m ruff` arguments: the repo's own config, never fixing, cache outside the repo."""
    # Linting a 45 MB module takes ruff most of a minute and a gigabyte for nothing.
    excluded = [arg for rel in skip for arg in ("--extend-exclude", ruff_exclude(rel))]
    return [
        "-m",
        "ruff",
        "check",
        "--no-fix",
        "--output-format",
        "json",
        "--cache-dir",
        cache_dir,
        *excluded,
        *version,
        ".",
    ]


def judge(run: ToolRun, lines: int, root: Path | None = None) -> BenchResult:
    """Ruff's verdict: exit 0 clean, 1 violations, anything else an error."""
    if run.timed_out:
        return timeout_result(NAME, run)
    if run.exhausted:
        return error_result(NAME, run.exhausted, run.duration_s)
    if run.returncode not in (0, 1):
        return error_result(NAME, f"ruff exited {run.returncode}: {run.tail()}", run.duration_s)
    try:
        violations = parse_violations(run.stdout)
    except ValueError as exc:
        return error_result(NAME, str(exc), run.duration_s)
    count = len(violations)
    raw = {"violations": count, "by_rule": by_rule(violations), "lines": lines}
    raw["evidence"] = lint_findings(violations, root or Path.cwd())
    return BenchResult(
        name=NAME,
        score=per_kloc_score(count, lines),
        raw=raw,
        duration_s=run.duration_s,
        detail=f"{count} violations",
    )


def run(ctx: BenchContext, timeout_s: float) -> BenchResult:
    """Lint the repository with its own ruff configuration."""
    if not ctx.tree.python:
        return nothing_result(NAME, "no Python files to lint")
    version = ruff_version_args(ctx.repo)
    args = ruff_args(str(ctx.cache_dir / "ruff"), ctx.tree.oversized, version)
    result = ctx.run_agent_tool(args, timeout_s)
    return judge(result, ctx.tree.lines(ctx.tree.python), ctx.repo)
