"""type_check: mypy over the non-test files; score = 1 / (1 + errors_per_kloc / 10)."""

from __future__ import annotations

import re

from src.base.proc import ToolRun
from src.benchmarks.base import BenchResult
from src.benchmarks.context import (
    BenchContext,
    error_result,
    nothing_result,
    per_kloc_score,
    timeout_result,
)
from src.benchmarks.findings import mypy_findings

NAME = "type_check"
_ERROR_LINE = re.compile(r"^([^:\n]+):(?:\d+:){0,2} error:", re.MULTILINE)


def count_errors(stdout: str) -> tuple[int, int]:
    """(errors, files with errors) from mypy's plain output."""
    hits = _ERROR_LINE.findall(stdout)
    return len(hits), len(set(hits))


def mypy_args(files: list[str], cache_dir: str) -> list[str]:
    """`python -m mypy` arguments: the repo's own config, a cache outside the repo."""
    return [
        "-m",
        "mypy",
        "--cache-dir",
        cache_dir,
        "--no-color-output",
        "--no-error-summary",
        "--hide-error-context",
        "--no-pretty",
        *files,
    ]


def judge(run: ToolRun, files: int, lines: int) -> BenchResult:
    """mypy's verdict: exit 0 clean, 1 errors, anything else (2 = fatal) an error."""
    if run.timed_out:
        return timeout_result(NAME, run)
    if run.returncode not in (0, 1):
        return error_result(NAME, f"mypy exited {run.returncode}: {run.tail()}", run.duration_s)
    errors, error_files = count_errors(run.stdout)
    if run.returncode == 1 and errors == 0:
        return error_result(NAME, f"mypy failed without errors: {run.tail()}", run.duration_s)
    raw = {
        "errors": errors,
        "files": files,
        "files_with_errors": error_files,
        "lines": lines,
        "evidence": mypy_findings(run.stdout),
    }
    return BenchResult(
        name=NAME,
        score=per_kloc_score(errors, lines),
        raw=raw,
        duration_s=run.duration_s,
        detail=f"{errors} errors in {error_files} of {files} files",
    )


def run(ctx: BenchContext, timeout_s: float) -> BenchResult:
    """Type-check the repository's non-test Python files."""
    files = ctx.tree.source
    if not files:
        return nothing_result(NAME, "no non-test Python files to type-check")
    cache = ctx.cache_dir / "mypy"
    result = ctx.run_python(mypy_args(files, str(cache)), timeout_s)
    return judge(result, len(files), ctx.tree.lines(files))
