"""The one pytest run that test_pass_rate and code_coverage share: junit XML and coverage JSON."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from self_improving_agent.benchmarks.context import BenchContext
from self_improving_agent.sandbox.proc import ToolRun

# pytest's exit codes that still leave a trustworthy junit report behind.
REPORTED_EXIT_CODES = (0, 1, 2, 5)
NO_TESTS_EXIT_CODE = 5


JUNIT_NAME, COVERAGE_NAME = "junit.xml", "coverage.json"


@dataclass(frozen=True)
class PytestRun:
    """The process and where it wrote its reports: names below scratch, read with safe_files."""

    run: ToolRun
    scratch: Path
    own: frozenset[str] = frozenset()
    junit: str = JUNIT_NAME
    coverage: str = COVERAGE_NAME


def _literal(value: object) -> str:
    """A config value coverage reads as written: it expands $NAME, and $$ is one dollar."""
    return str(value).replace("$", "$$")


def _omit_glob(rel: str) -> str:
    """A coverage glob for one repo-relative file; it cannot escape wildcards, so each is a `?`."""
    return "*/" + _literal(re.sub(r"[][*?]", "?", rel))


def coverage_rc(repo: Path, data_file: Path, omit: Sequence[str] = ()) -> str:
    """A coverage config: line coverage of everything under repo but omit, paths relative."""
    rc = (
        f"[run]\nsource = {_literal(repo)}\ndata_file = {_literal(data_file)}\n"
        "relative_files = True\nbranch = False\n"
    )
    # An unexecuted source file is parsed for the report: a huge one costs minutes and gigabytes.
    if not omit:
        return rc
    return rc + "omit =\n" + "".join(f"    {_omit_glob(rel)}\n" for rel in omit)


def write_coverage_rc(host_dir: Path, repo: Path, scratch: Path, omit: Sequence[str] = ()) -> Path:
    """The coverage config, written where sandboxed code cannot reach (host_dir), never over."""
    fd, name = tempfile.mkstemp(prefix="coveragerc-", dir=host_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(coverage_rc(repo, scratch / ".coverage", omit))
    return Path(name)


def pytest_args(repo: Path, scratch: Path, rc: Path, workers: int = 1) -> list[str]:
    """`python -m pytest` arguments writing every report under scratch and nothing into repo."""
    # pytest-xdist spreads the tests over processes; pytest-cov combines their coverage.
    parallel = ["-n", str(workers)] if workers > 1 else []
    return [
        "-m",
        "pytest",
        *parallel,
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
        f"--junitxml={scratch / JUNIT_NAME}",
        "-o",
        "junit_family=xunit1",
        f"--cov={repo}",
        f"--cov-config={rc}",
        f"--cov-report=json:{scratch / COVERAGE_NAME}",
    ]


def run_pytest(ctx: BenchContext, timeout_s: float) -> PytestRun:
    """Run the target's test suite once with junit and coverage reports."""
    workers = ctx.settings.benchmarks.pytest_workers
    rc = write_coverage_rc(ctx.host_dir, ctx.repo, ctx.scratch, ctx.tree.oversized)
    args = pytest_args(ctx.repo, ctx.scratch, rc, workers)
    env = {"COVERAGE_FILE": str(ctx.scratch / ".coverage")}
    run = ctx.run_python(args, timeout_s, env)
    return PytestRun(run, ctx.scratch, ctx.tree.own_names())
