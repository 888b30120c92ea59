"""The one pytest run that test_pass_rate and code_coverage share: junit XML and coverage JSON."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from src.base.proc import ToolRun
from src.benchmarks.context import BenchContext

# pytest's exit codes that still leave a trustworthy junit report behind.
REPORTED_EXIT_CODES = (0, 1, 2, 5)
NO_TESTS_EXIT_CODE = 5


@dataclass(frozen=True)
class PytestRun:
    """The process and the report files it wrote."""

    run: ToolRun
    junit: Path
    coverage: Path
    own: frozenset[str] = frozenset()


def coverage_rc(repo: Path, data_file: Path) -> str:
    """A coverage config measuring line coverage of everything under repo, paths relative."""
    return (
        f"[run]\nsource = {repo}\ndata_file = {data_file}\nrelative_files = True\nbranch = False\n"
    )


def pytest_args(repo: Path, scratch: Path, workers: int = 1) -> list[str]:
    """`python -m pytest` arguments writing every report under scratch and nothing into repo."""
    rc = scratch / "coveragerc"
    rc.write_text(coverage_rc(repo, scratch / ".coverage"), encoding="utf-8")
    # pytest-xdist spreads the tests over processes; pytest-cov combines their coverage.
    parallel = ["-n", str(workers)] if workers > 1 else []
    return [
        "-m",
        "pytest",
        *parallel,
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
        f"--junitxml={scratch / 'junit.xml'}",
        "-o",
        "junit_family=xunit1",
        f"--cov={repo}",
        f"--cov-config={rc}",
        f"--cov-report=json:{scratch / 'coverage.json'}",
    ]


def run_pytest(ctx: BenchContext, timeout_s: float) -> PytestRun:
    """Run the target's test suite once with junit and coverage reports."""
    args = pytest_args(ctx.repo, ctx.scratch, ctx.settings.benchmarks.pytest_workers)
    env = {"COVERAGE_FILE": str(ctx.scratch / ".coverage")}
    run = ctx.run_python(args, timeout_s, env)
    return PytestRun(
        run, ctx.scratch / "junit.xml", ctx.scratch / "coverage.json", ctx.tree.own_names()
    )
