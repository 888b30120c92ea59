"""`agent run`, `loop`, `demo`, `prs`, `merge` and `discard`: generations and what they leave."""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_type_hints

import typer

if TYPE_CHECKING:
    from self_improving_agent.base.config import Settings

from self_improving_agent.cli.options import (
    ConfigOpt,
    LogFormatOpt,
    LogLevelOpt,
    MainBranchOpt,
    ModelOpt,
    NumberArg,
    ProviderOpt,
    PythonOpt,
    RepoOpt,
    SandboxOpt,
    echo,
    err,
    records_interrupts,
    reports_errors,
    settings_for,
)

AutoMergeOpt = Annotated[
    bool | None,
    typer.Option(
        "--auto-merge/--no-auto-merge",
        help="Merge accepted generations at once.",
        show_default="the config's [agent] auto_merge",
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Run every phase but commit, merge and keep nothing.")
]
GoalOpt = Annotated[
    list[str] | None, typer.Option("--goal", help="A goal for the Architect (repeatable).")
]
NoSafetyOpt = Annotated[
    bool,
    typer.Option("--no-safety", help="Turn off the code rules only; paths and Cedar stay on."),
]
GithubOpt = Annotated[
    bool,
    typer.Option("--github", help="Open accepted generations as PRs that wait for a review."),
]
GithubAutoOpt = Annotated[
    bool,
    typer.Option("--github-auto", help="Open accepted generations as PRs and merge them at once."),
]


@dataclass(frozen=True)
class RunFlags:
    """The options `agent run` and `agent loop` share, declared once."""

    repo: RepoOpt = Path(".")
    config: ConfigOpt = None
    provider: ProviderOpt = None
    model: ModelOpt = None
    auto_merge: AutoMergeOpt = None
    dry_run: DryRunOpt = False
    goal: GoalOpt = None
    no_safety: NoSafetyOpt = False
    github: GithubOpt = False
    github_auto: GithubAutoOpt = False
    log_format: LogFormatOpt = None
    log_level: LogLevelOpt = None
    python: PythonOpt = None
    main_branch: MainBranchOpt = None
    sandbox: SandboxOpt = None

    def pr_mode(self) -> Literal["off", "review", "auto"]:
        """Where accepted generations go: merged here, or PRs that wait or merge at once."""
        return "auto" if self.github_auto else "review" if self.github else "off"


def takes_run_flags(func: Callable[..., None]) -> Callable[..., None]:
    """Give a command every RunFlags option after its own; it receives them as one RunFlags."""
    hints = get_type_hints(RunFlags, include_extras=True)
    shared = [
        inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name]
        )
        for f in fields(RunFlags)
    ]
    own = list(inspect.signature(func, eval_str=True).parameters.values())[1:]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> None:
        flags = RunFlags(**{f.name: kwargs.pop(f.name) for f in fields(RunFlags)})
        func(flags, **kwargs)

    # Typer reads a command's options from its signature: the shared ones join the command's own.
    wrapper.__signature__ = inspect.Signature([*own, *shared])  # type: ignore[attr-defined]
    return wrapper


def _start(flags: RunFlags, count: int | None, max_cost: float | None, wait: bool) -> None:
    """Build the settings and the request from the flags, run, and exit with the run's code."""
    from self_improving_agent.cli.run import RunRequest, start_run
    from self_improving_agent.core.judge_exec import judge_from_pin
    from self_improving_agent.core.judge_settings import (
        committed_config,
        settings_source,
        uncommitted_note,
    )

    # On the agent's own repository this process becomes the pinned judge's before any setting
    # is read: what main holds now judges nothing until a person promotes it.
    judge_from_pin(flags.repo, os.environ, sys.argv[1:])
    # The judge's settings come from the pin (the agent's own repository) or main's commit,
    # never from a tree a generation wrote; a --config file is a person's choice.
    config = flags.config
    source = settings_source(flags.repo, os.environ, flags.main_branch)
    settings = _settings(flags, None if config else committed_config(flags.repo, source))
    if settings.agent.main_branch and not flags.main_branch and not source.pinned:
        # The committed config names another main line: its commit is the judge's.
        source = settings_source(flags.repo, os.environ, settings.agent.main_branch)
        settings = _settings(flags, None if config else committed_config(flags.repo, source))
    if config is None and (note := uncommitted_note(flags.repo, source)):
        err(note)
    request = RunRequest(
        max_generations=count,
        max_cost=max_cost,
        dry_run=flags.dry_run,
        goals=tuple(flags.goal or ()),
        code_rules=not flags.no_safety,
        github=flags.pr_mode(),
        wait=wait,
        config=config,
        source=source,
    )
    raise typer.Exit(start_run(flags.repo, settings, request, typer.echo, err))


def _settings(flags: RunFlags, committed: tuple[str, str | None] | None) -> Settings:
    """The run's settings: the committed config file (or --config), the environment, the flags."""
    return settings_for(
        flags.repo,
        flags.config,
        committed=committed,
        python=flags.python,
        sandbox=flags.sandbox,
        provider=flags.provider,
        model=flags.model,
        auto_merge=flags.auto_merge,
        log_format=flags.log_format,
        log_level=flags.log_level,
        main_branch=flags.main_branch,
    )


@reports_errors
@records_interrupts
@takes_run_flags
def run(flags: RunFlags) -> None:
    """Run one generation: plan, implement, review, benchmark, then merge or reject."""
    _start(flags, 1, None, wait=False)


@reports_errors
@records_interrupts
@takes_run_flags
def loop(
    flags: RunFlags,
    max_gen: Annotated[
        int | None,
        typer.Option(
            "--max-gen",
            min=1,
            help="Generations to run.",
            show_default="the config's [agent] max_generations",
        ),
    ] = None,
    max_cost: Annotated[
        float | None,
        typer.Option("--max-cost", min=0.0, help="Stop before a generation would pass this USD."),
    ] = None,
) -> None:
    """Run generations until --max-gen, the cost budget, or too many failures in a row."""
    _start(flags, max_gen, max_cost, wait=True)


@reports_errors
def demo(
    path: Annotated[
        Path | None,
        typer.Option(
            "--path", help="A new folder for the sample.", show_default="a fresh temp folder"
        ),
    ] = None,
    max_gen: Annotated[
        int, typer.Option("--max-gen", min=1, help="Generations to run on the sample.")
    ] = 3,
) -> None:
    """Create a sample repository with fixable problems and evolve it offline, no key needed."""
    import tempfile

    from self_improving_agent.cli.demo import demo_text, run_demo
    from self_improving_agent.reports.report_view import use_color

    target = path if path is not None else Path(tempfile.mkdtemp(prefix="agent-demo-")) / "shop"
    result = run_demo(target, max_gen, typer.echo, err)
    echo(demo_text(result, use_color(sys.stdout)))
    raise typer.Exit(result.exit_code)


@reports_errors
def prs(repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """The open agent pull requests on GitHub with their review, checks and stored status."""
    from self_improving_agent.cli.run import list_prs
    from self_improving_agent.cli.views import render_prs

    echo(render_prs(list_prs(repo, settings_for(repo, config))))


@reports_errors
def merge(number: NumberArg, repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """Merge a pending generation into the branch it was built from, re-checked against it."""
    from self_improving_agent.cli.run import merge_generation

    merged = merge_generation(repo, settings_for(repo, config), number)
    note = f" ({merged.note})" if merged.note else ""
    echo(f"gen {number} merged into {merged.branch} as {merged.sha[:10]}{note}")


@reports_errors
def discard(number: NumberArg, repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """Reject a pending generation; its commit stays under refs/agent/rejected/gen-N."""
    from self_improving_agent.cli.run import discard_generation

    settings = settings_for(repo, config)
    discard_generation(repo, settings, number)
    echo(f"gen {number} discarded")
