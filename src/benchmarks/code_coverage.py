"""code_coverage: coverage as the project's own settings measure it, from the shared pytest run."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError

from self_improving_agent.base.safe_files import UnsafeResult, read_result
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import (
    containment_result,
    error_result,
    nothing_result,
    timeout_result,
)
from self_improving_agent.benchmarks.findings import coverage_findings
from self_improving_agent.benchmarks.pytest_run import REPORTED_EXIT_CODES, PytestRun
from self_improving_agent.benchmarks.sources import SKIP_DIRS, is_test_path

NAME = "code_coverage"


class _Totals(BaseModel):
    """The totals of coverage.py's JSON report; branches only where the project measures them."""

    covered_lines: int
    num_statements: int
    covered_branches: int = 0
    num_branches: int = 0


class _Report(BaseModel):
    """coverage.py's JSON report, as far as it is used."""

    totals: _Totals
    files: dict[str, Any]


def counted(path: str) -> bool:
    """Whether a measured file is the project's own non-test code (where findings are shown)."""
    return not is_test_path(path) and not SKIP_DIRS.intersection(path.split("/")[:-1])


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    """covered, statements, files and percent: the figures `coverage report` totals."""
    parsed = _Report.model_validate(report)
    totals = parsed.totals
    hits = totals.covered_lines + totals.covered_branches
    possible = totals.num_statements + totals.num_branches
    percent = 100.0 * hits / possible if possible else 0.0
    return {
        "percent": round(percent, 2),
        "covered": totals.covered_lines,
        "statements": totals.num_statements,
        "branches": totals.num_branches,
        "covered_branches": totals.covered_branches,
        "files": len(parsed.files),
        "evidence": coverage_findings(report["files"], counted),
    }


def covered_text(raw: dict[str, Any]) -> str:
    """`a of b lines` and, where branches are measured, `and c of d branches`: what percent is."""
    text = f"{raw['covered']} of {raw['statements']} lines"
    if raw.get("branches"):
        text += f" and {raw['covered_branches']} of {raw['branches']} branches"
    return text


def score_coverage(percent: float) -> float:
    """percent / 100, clamped to [0, 1]."""
    return min(max(percent / 100.0, 0.0), 1.0)


def measure(prun: PytestRun) -> BenchResult:
    """The line coverage of a finished pytest run."""
    run = prun.run
    if run.timed_out:
        return timeout_result(NAME, run)
    if run.exhausted:
        return error_result(NAME, run.exhausted, run.duration_s)
    if run.returncode not in REPORTED_EXIT_CODES:
        # pytest never ran the tests (a usage error, say): whatever coverage saw measures nothing.
        detail = f"pytest exited {run.returncode}, so no test ran: {run.tail()}"
        return error_result(NAME, detail, run.duration_s)
    try:
        data = read_result(prun.scratch, prun.coverage, "coverage")
        if data is None:
            detail = f"no coverage report; pytest said: {run.tail()}"
            return error_result(NAME, detail, run.duration_s)
        raw = summarize(json.loads(data))
    except UnsafeResult as exc:
        return containment_result(NAME, str(exc), run.duration_s)
    except (OSError, ValueError, ValidationError, KeyError, TypeError) as exc:
        return error_result(NAME, f"unreadable coverage report: {exc}", run.duration_s)
    if raw["statements"] == 0:
        return nothing_result(NAME, "no statements measured", run.duration_s)
    raw["config"] = prun.coverage_config
    detail = f"{covered_text(raw)} covered ({prun.coverage_config})"
    return BenchResult(
        name=NAME,
        score=score_coverage(raw["percent"]),
        raw=raw,
        duration_s=run.duration_s,
        detail=detail,
    )
