"""The one pytest run that test_pass_rate and code_coverage share: outcomes and coverage JSON."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from self_improving_agent.benchmarks import impact
from self_improving_agent.benchmarks.context import BenchContext
from self_improving_agent.benchmarks.coverage_config import (
    effective,
    read_coverage_config,
    write_rc,
)
from self_improving_agent.benchmarks.outcome_stream import PIPE_VARIABLE, plugin_args
from self_improving_agent.benchmarks.pytest_plugins import (
    COV_PLUGIN,
    XDIST_PLUGIN,
    usable_plugins,
)
from self_improving_agent.sandbox.proc import ToolRun

# pytest's exit codes after which the session's reported outcomes are complete.
REPORTED_EXIT_CODES = (0, 1, 2, 5)
NO_TESTS_EXIT_CODE = 5


COVERAGE_NAME = "coverage.json"


@dataclass(frozen=True)
class PytestRun:
    """The process (its outcomes in run.reported) and where coverage went, below scratch."""

    run: ToolRun
    scratch: Path
    own: frozenset[str] = frozenset()
    coverage: str = COVERAGE_NAME
    coverage_config: str = ""
    present: frozenset[str] = frozenset()


def reporting(ctx: BenchContext, first: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """pytest arguments and environment that report outcomes over the host's channel; first is
    another host folder of plugins, put ahead on the import path."""
    plugin, env = plugin_args(ctx.host_dir)
    setenv = dict(ctx.setenv).get("PYTHONPATH")
    if setenv:
        env["PYTHONPATH"] += os.pathsep + setenv
    if first is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(first), env.pop("PYTHONPATH")])
    return ["-p", "no:cacheprovider", "--continue-on-collection-errors", *plugin], env


def pytest_args(
    rc: Path,
    scratch: Path,
    workers: int = 1,
    reports: Sequence[str] = (),
    loaded: frozenset[str] = frozenset({COV_PLUGIN, XDIST_PLUGIN}),
) -> list[str]:
    """Arguments after `python -m`: pytest under coverage, with reports, coverage under scratch.

    Coverage starts before pytest loads any plugin, as with `coverage run -m pytest`; with
    several test processes pytest-cov starts it in each, as pytest-xdist needs. loaded names
    the plugins the project's own addopts leave loaded: options of a plugin it disables are
    never passed, since pytest would refuse them.
    """
    if workers > 1 and {COV_PLUGIN, XDIST_PLUGIN} <= loaded:
        cov = ["--cov", f"--cov-config={rc}", f"--cov-report=json:{scratch / COVERAGE_NAME}"]
        return ["pytest", "-n", str(workers), *reports, *cov]
    # --no-cov keeps a project's own `--cov` options in addopts from starting a second tracer.
    no_cov = ["--no-cov"] if COV_PLUGIN in loaded else []
    return ["coverage", "run", f"--rcfile={rc}", "-m", "pytest", *reports, *no_cov]


def run_pytest(ctx: BenchContext, timeout_s: float) -> PytestRun:
    """Run the target's test suite once with junit and coverage reports."""
    loaded = usable_plugins(ctx.repo, dict(ctx.setenv), ctx.packages)
    workers = ctx.sections.benchmarks.pytest_workers
    if not {COV_PLUGIN, XDIST_PLUGIN} <= loaded:
        workers = 1
    config = read_coverage_config(ctx.repo)
    data = ctx.scratch / ".coverage"
    # The rc lives in host_dir, where sandboxed code can read it but never replace it.
    rc = write_rc(effective(config, data, ctx.tree, ctx.tree.oversized), ctx.host_dir)
    contexts = ctx.test_contexts and impact.wanted(config)
    plugin, folder = impact.pytest_hook(ctx) if contexts else ([], None)
    reports, child = reporting(ctx, folder)
    child["COVERAGE_FILE"] = str(data)
    args = ["-m", *pytest_args(rc, ctx.scratch, workers, reports, loaded), *plugin]
    run = ctx.run_python(args, timeout_s, child, PIPE_VARIABLE)
    if workers == 1 and not run.timed_out:
        _coverage_json(ctx, rc, ctx.scratch / COVERAGE_NAME, timeout_s)
    if contexts and not run.timed_out:
        impact.extract(ctx, data, timeout_s)
    return PytestRun(
        run,
        ctx.scratch,
        ctx.tree.own_names(),
        coverage_config=config.described(),
        present=ctx.tree.dotted_names(),
    )


def _coverage_json(ctx: BenchContext, rc: Path, report: Path, timeout_s: float) -> None:
    """Combine the data files a `parallel = true` project leaves, then write the JSON report."""
    if any(ctx.scratch.glob(".coverage.*")):
        ctx.run_python(["-m", "coverage", "combine", f"--rcfile={rc}"], timeout_s)
    ctx.run_python(["-m", "coverage", "json", f"--rcfile={rc}", "-o", str(report)], timeout_s)
