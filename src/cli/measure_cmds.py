"""`agent bench` and `agent env show|rebuild`: measuring a repository and where it is measured."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from self_improving_agent.cli.options import (
    ConfigOpt,
    MainBranchOpt,
    PythonOpt,
    RepoOpt,
    SandboxOpt,
    echo,
    err,
    reports_errors,
    settings_for,
)


@reports_errors
def bench(
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only the JSON result on stdout.")
    ] = False,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this benchmark (repeatable).")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Measure even when the tree is cached.")
    ] = False,
    python: PythonOpt = None,
    main_branch: MainBranchOpt = None,
    sandbox: SandboxOpt = None,
) -> None:
    """Measure the repository: each enabled benchmark's score and the weighted total."""
    from self_improving_agent.base.store import Store
    from self_improving_agent.benchmarks.context import MeasureSections
    from self_improving_agent.benchmarks.report import (
        has_errors,
        progress_line,
        render_table,
        suite_json,
    )
    from self_improving_agent.benchmarks.runner import run_benchmarks
    from self_improving_agent.benchmarks.sources import check_repo
    from self_improving_agent.git_ops.lock import repo_lock
    from self_improving_agent.git_ops.main_branch import measuring_ref

    settings = settings_for(repo, config, python=python, main_branch=main_branch, sandbox=sandbox)
    check_repo(repo)
    with repo_lock(repo), Store.for_repo(repo) as store:
        suite = run_benchmarks(
            repo,
            MeasureSections(benchmarks=settings.benchmarks, sandbox=settings.sandbox),
            only=only,
            use_cache=settings.benchmarks.cache and not no_cache,
            store=store,
            progress=lambda name, result: err(progress_line(name, result)),
            ref=measuring_ref(repo, settings.agent.main_branch),
            note=err,
        )
    echo(json.dumps(suite_json(suite)) if as_json else render_table(suite))
    if has_errors(suite):
        # A suite that could not measure is not a result: scripts and CI must see it fail.
        raise typer.Exit(code=1)


@reports_errors
def env_show(
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    python: PythonOpt = None,
    main_branch: MainBranchOpt = None,
) -> None:
    """Print the environment the repository is measured in (built or not)."""
    from self_improving_agent.cli.env_view import show_env

    echo(show_env(repo, settings_for(repo, config, python=python, main_branch=main_branch)))


@reports_errors
def env_rebuild(
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    python: PythonOpt = None,
    main_branch: MainBranchOpt = None,
) -> None:
    """Build the measuring environment again from the main branch's declarations."""
    from self_improving_agent.cli.env_view import rebuild_env
    from self_improving_agent.git_ops.lock import repo_lock

    settings = settings_for(repo, config, python=python, main_branch=main_branch)
    with repo_lock(repo):
        echo(rebuild_env(repo, settings, err))
