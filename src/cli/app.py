"""The `agent` command line: parses options, builds Settings and calls the package. No logic."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

import typer

from self_improving_agent import __version__
from self_improving_agent.base.config import Settings
from self_improving_agent.base.config_load import default_config_path, flag_overrides, load_settings
from self_improving_agent.base.errors import AgentError, Stopped
from self_improving_agent.base.logging import configure_logging
from self_improving_agent.base.secrets import redact_environment
from self_improving_agent.base.store import Store, db_path
from self_improving_agent.base.text import shown
from self_improving_agent.cli.config_template import render_toml
from self_improving_agent.cli.vet import vet_command
from self_improving_agent.cli.views import history_rows, render_history, render_status
from self_improving_agent.memory.lessons import SqliteLessons
from self_improving_agent.memory.status import agentcore_status
from self_improving_agent.reports.dashboard import summarize
from self_improving_agent.reports.dashboard_html import write_html
from self_improving_agent.reports.dashboard_text import render_dashboard
from self_improving_agent.reports.report_files import (
    load_report,
    load_reports,
    parse_which,
    report_text,
)
from self_improving_agent.reports.report_view import render_report, use_color
from self_improving_agent.sandbox.sandbox import harden_agent, record

P = ParamSpec("P")
R = TypeVar("R")


def _echo(message: str = "", err: bool = False, nl: bool = True) -> None:
    """typer.echo of text that may hold what sandboxed runs printed: no terminal controls, and
    no secret value, even in records written before redaction by value."""
    typer.echo(shown(redact_environment(message)), err=err, nl=nl)


app = typer.Typer(
    name="agent",
    help="Evolve a Python git repository one measured, reviewed generation at a time.",
    no_args_is_help=True,
    add_completion=False,
    # Plain help: rich markup would swallow bracketed text such as "[default: ...]".
    rich_markup_mode=None,
    # Wide enough that each command's one-line help is listed whole.
    context_settings={"max_content_width": 120},
)
config_app = typer.Typer(
    help="Show, check and create the configuration.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(config_app, name="config")
env_app = typer.Typer(help="The environment a repository is measured in.", no_args_is_help=True)
app.add_typer(env_app, name="env")
app.command("vet")(vet_command)

RepoOpt = Annotated[
    Path,
    typer.Option(
        "--repo",
        help="The target repository.",
        exists=True,
        file_okay=False,
        resolve_path=True,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Config file.",
        show_default="<repo>/config/agent.toml, else built-in defaults",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ProviderOpt = Annotated[
    str | None,
    typer.Option(
        "--provider",
        help="anthropic, bedrock, openai, mock or offline.",
        show_default="the config's [agent] provider",
    ),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model", help="Model id for the provider.", show_default="the config's [agent] model"
    ),
]
LogFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--log-format", help="text or json.", show_default="the config's [agent] log_format"
    ),
]
PythonOpt = Annotated[
    str | None,
    typer.Option("--python", help="Measure with this interpreter or venv as is (needs pytest)."),
]
MainBranchOpt = Annotated[
    str | None,
    typer.Option("--main-branch", help="The main line.", show_default="HEAD's branch, detected"),
]
LogLevelOpt = Annotated[
    str | None,
    typer.Option(
        "--log-level",
        help="DEBUG, INFO, WARNING, ERROR.",
        show_default="the config's [agent] log_level",
    ),
]
SandboxOpt = Annotated[
    str | None,
    typer.Option("--sandbox", help="Contain the target's code: auto, bwrap, landlock or off."),
]


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn an AgentError into its one-sentence message on stderr and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AgentError as exc:
            _echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except Stopped as exc:
            _echo(f"stopped by {exc.signal_name}; run it again to finish", err=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def settings_for(
    repo: Path,
    config: Path | None,
    python: str | None = None,
    sandbox: str | None = None,
    **flags: Any,
) -> Settings:
    """Load settings with flag overrides and configure logging from them."""
    overrides = flag_overrides(**flags)
    if python is not None:
        overrides["benchmarks"] = {"python": python}
    if sandbox is not None:
        overrides["sandbox"] = {"mode": sandbox}
    settings = load_settings(repo, config, overrides=overrides)
    configure_logging(settings.agent.log_level, settings.agent.log_format)
    return settings


def config_source(repo: Path, config: Path | None) -> str:
    """Which file the settings came from, for messages."""
    path = config or default_config_path(repo)
    return str(path) if config is not None or path.is_file() else "built-in defaults"


def _version(value: bool) -> None:
    """Print the version and stop."""
    if value:
        _echo(f"agent {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Evolve a Python git repository one measured, reviewed generation at a time."""
    harden_agent()


@config_app.command("show")
@reports_errors
def config_show(
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    log_format: LogFormatOpt = None,
    log_level: LogLevelOpt = None,
) -> None:
    """Print the effective configuration (defaults < file < env < flags)."""
    settings = settings_for(
        repo, config, provider=provider, model=model, log_format=log_format, log_level=log_level
    )
    _echo(settings.model_dump_json(indent=2) if as_json else render_toml(settings), nl=False)
    if as_json:
        _echo()


@config_app.command("validate")
@reports_errors
def config_validate(repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """Check the configuration and the Cedar policies; exit 1 naming the file and the problem."""
    from self_improving_agent.benchmarks.config import config_path, load_bench_config
    from self_improving_agent.gates.policy import PolicyGate, default_policies_dir

    settings = settings_for(repo, config)
    PolicyGate.load(default_policies_dir(), settings.safety)
    bench_config = load_bench_config(repo, settings)
    sandbox = record(settings.sandbox.mode)
    _echo(f"ok: {config_source(repo, config)} is valid")
    if config_path(repo, settings).is_file():
        custom = (
            f" with {len(bench_config.custom)} custom benchmark(s)" if bench_config.custom else ""
        )
        _echo(f"ok: {config_path(repo, settings)} is valid{custom}")
    _echo(f"sandbox: mode {sandbox.mode} runs {sandbox.mechanism} here")
    for line in sandbox.restricts:
        _echo(f"  restricts: {line}")
    for line in sandbox.not_covered:
        _echo(f"  not covered: {line}")


@config_app.command("init")
@reports_errors
def config_init(
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented default config file."""
    path = config or default_config_path(repo)
    if path.exists() and not force:
        raise AgentError(f"{path} already exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_toml(Settings()), encoding="utf-8")
    _echo(f"wrote {path}")


@app.command("models")
@reports_errors
def models(repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """The model catalogue: provider, structured-output path, limits and prices per million."""
    from self_improving_agent.providers.catalogue import render_models

    _echo(render_models(settings_for(repo, config)))


@app.command("status")
@reports_errors
def status(repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """Where the state is, how generations ended and which are still open."""
    from self_improving_agent.cli.run import poll_for_status

    settings = settings_for(repo, config)
    for line in poll_for_status(repo, settings):
        _echo(line, err=True)
    store = Store.existing(repo)
    if store is None:
        _echo(render_status(str(repo), config_source(repo, config), None, {}, [], None))
        return
    with store:
        entries = store.list_generations()
        open_entries = [e for e in entries if e.status in ("running", "pending", "awaiting_review")]
        text = render_status(
            str(repo),
            config_source(repo, config),
            str(db_path(repo)),
            store.counts_by_status(),
            open_entries,
            entries[-1] if entries else None,
        )
    _echo(text)


@app.command("history")
@reports_errors
def history(repo: RepoOpt = Path("."), config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Every generation with its status, title, reason and score delta."""
    settings_for(repo, config)
    store = Store.existing(repo)
    entries = []
    if store is not None:
        with store:
            entries = store.list_generations()
    if as_json:
        _echo(json.dumps(history_rows(entries), indent=2))
    else:
        _echo(render_history(entries))


@app.command("lessons")
@reports_errors
def lessons(repo: RepoOpt = Path("."), config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """What earlier generations tried, how they ended and why, oldest first."""
    settings_for(repo, config)
    store = Store.existing(repo)
    found = []
    if store is not None:
        with store:
            found = SqliteLessons(store).all()
    if as_json:
        _echo(json.dumps([lesson.model_dump() for lesson in found], indent=2))
    else:
        _echo("\n".join(lesson.line() for lesson in found) or "No lessons yet.")


@app.command("agentcore-status")
@reports_errors
def agentcore_status_command(repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """The [agentcore] settings, where AWS credentials come from, and whether the memory answers."""
    status = agentcore_status(settings_for(repo, config), repo)
    _echo("\n".join(status.lines))
    for problem in status.problems:
        _echo(f"problem: {problem}", err=True)
    if status.problems:
        raise typer.Exit(1)


@app.command("reset")
@reports_errors
def reset(
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Clear the agent's state database; git history and reports are never touched."""
    settings_for(repo, config)
    store = Store.existing(repo)
    if store is None:
        _echo("Nothing to reset: this repository has no agent state.")
        return
    from self_improving_agent.git_ops.lock import repo_lock

    with repo_lock(repo), store:
        count = len(store.list_generations())
        if not yes:
            typer.confirm(
                f"Delete the record of {count} generation(s) in {store.path}?", abort=True
            )
        store.clear()
    _echo(f"Cleared {count} generation(s); git history and reports are untouched.")


@app.command("report")
@reports_errors
def report(
    which: Annotated[str, typer.Argument(help="A generation number, or latest.")] = "latest",
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report file as is.")] = False,
) -> None:
    """One generation: phases, LLM calls, benchmarks, review, decision, files and errors."""
    settings = settings_for(repo, config)
    reports_dir = repo / settings.agent.reports_dir
    if as_json:
        _echo(report_text(reports_dir, parse_which(which)), nl=False)
        return
    _echo(render_report(load_report(reports_dir, parse_which(which)), use_color(sys.stdout)))


@app.command("dashboard")
@reports_errors
def dashboard(
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write a self-contained HTML page to this path."),
    ] = None,
) -> None:
    """Across all generations: acceptance, improvement, benchmark trends, reasons, cost, time."""
    settings = settings_for(repo, config)
    data = summarize(load_reports(repo / settings.agent.reports_dir))
    _echo(render_dashboard(data, use_color(sys.stdout)))
    if html is not None:
        write_html(data, html)
        _echo(f"wrote {html}")


@app.command("bench")
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
    from self_improving_agent.benchmarks.report import (
        has_errors,
        progress_line,
        render_table,
        suite_json,
    )
    from self_improving_agent.benchmarks.runner import run_benchmarks
    from self_improving_agent.benchmarks.sources import check_repo
    from self_improving_agent.git_ops.main_branch import measuring_ref

    settings = settings_for(repo, config, python=python, main_branch=main_branch, sandbox=sandbox)
    from self_improving_agent.git_ops.lock import repo_lock

    check_repo(repo)
    with repo_lock(repo), Store.for_repo(repo) as store:
        suite = run_benchmarks(
            repo,
            settings,
            only=only,
            use_cache=settings.benchmarks.cache and not no_cache,
            store=store,
            progress=lambda name, result: _echo(progress_line(name, result), err=True),
            ref=measuring_ref(repo, settings.agent.main_branch),
            note=lambda line: _echo(line, err=True),
        )
    _echo(json.dumps(suite_json(suite)) if as_json else render_table(suite))
    if has_errors(suite):
        # A suite that could not measure is not a result: scripts and CI must see it fail.
        raise typer.Exit(code=1)


@env_app.command("show")
@reports_errors
def env_show(
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    python: PythonOpt = None,
    main_branch: MainBranchOpt = None,
) -> None:
    """Print the environment the repository is measured in (built or not)."""
    from self_improving_agent.cli.env_view import show_env

    _echo(show_env(repo, settings_for(repo, config, python=python, main_branch=main_branch)))


@env_app.command("rebuild")
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
        _echo(rebuild_env(repo, settings, lambda line: _echo(line, err=True)))


@app.command("demo")
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

    target = path if path is not None else Path(tempfile.mkdtemp(prefix="agent-demo-")) / "shop"
    result = run_demo(target, max_gen, typer.echo, lambda line: _echo(line, err=True))
    _echo(demo_text(result, use_color(sys.stdout)))
    raise typer.Exit(result.exit_code)


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


def records_interrupts(func: Callable[P, R]) -> Callable[P, R]:
    """Turn Ctrl-C or a stop during generations into a note that it was recorded, and its code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except KeyboardInterrupt as exc:
            _echo("interrupted: the generation was cleaned up and recorded", err=True)
            raise typer.Exit(exc.exit_code if isinstance(exc, Stopped) else 130) from None

    return wrapper


def _pr_mode(github: bool, github_auto: bool) -> Literal["off", "review", "auto"]:
    """Where accepted generations go: merged here, or PRs that wait for review or merge at once."""
    return "auto" if github_auto else "review" if github else "off"


def _err(line: str) -> None:
    """Progress goes to stderr, results to stdout."""
    _echo(line, err=True)


@app.command("run")
@reports_errors
@records_interrupts
def run(
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    auto_merge: AutoMergeOpt = None,
    dry_run: DryRunOpt = False,
    goal: GoalOpt = None,
    no_safety: NoSafetyOpt = False,
    github: GithubOpt = False,
    github_auto: GithubAutoOpt = False,
    log_format: LogFormatOpt = None,
    log_level: LogLevelOpt = None,
    python: PythonOpt = None,
    main_branch: MainBranchOpt = None,
    sandbox: SandboxOpt = None,
) -> None:
    """Run one generation: plan, implement, review, benchmark, then merge or reject."""
    from self_improving_agent.cli.run import RunRequest, run_generations

    flags: dict[str, Any] = dict(provider=provider, model=model, auto_merge=auto_merge)
    flags |= dict(log_format=log_format, log_level=log_level, main_branch=main_branch)
    settings = settings_for(repo, config, python=python, sandbox=sandbox, **flags)
    request = RunRequest(
        max_generations=1,
        dry_run=dry_run,
        goals=tuple(goal or ()),
        code_rules=not no_safety,
        github=_pr_mode(github, github_auto),
        config=config,
    )
    raise typer.Exit(run_generations(repo, settings, request, typer.echo, _err))


@app.command("loop")
@reports_errors
@records_interrupts
def loop(
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
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
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    auto_merge: AutoMergeOpt = None,
    dry_run: DryRunOpt = False,
    goal: GoalOpt = None,
    no_safety: NoSafetyOpt = False,
    github: GithubOpt = False,
    github_auto: GithubAutoOpt = False,
    log_format: LogFormatOpt = None,
    log_level: LogLevelOpt = None,
    python: PythonOpt = None,
    main_branch: MainBranchOpt = None,
    sandbox: SandboxOpt = None,
) -> None:
    """Run generations until --max-gen, the cost budget, or too many failures in a row."""
    from self_improving_agent.cli.run import RunRequest, run_generations

    flags: dict[str, Any] = dict(provider=provider, model=model, auto_merge=auto_merge)
    flags |= dict(log_format=log_format, log_level=log_level, main_branch=main_branch)
    settings = settings_for(repo, config, python=python, sandbox=sandbox, **flags)
    request = RunRequest(
        max_generations=max_gen,
        max_cost=max_cost,
        dry_run=dry_run,
        goals=tuple(goal or ()),
        code_rules=not no_safety,
        github=_pr_mode(github, github_auto),
        wait=True,
        config=config,
    )
    raise typer.Exit(run_generations(repo, settings, request, typer.echo, _err))


@app.command("prs")
@reports_errors
def prs(repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """The open agent pull requests on GitHub with their review, checks and stored status."""
    from self_improving_agent.cli.run import list_prs
    from self_improving_agent.cli.views import render_prs

    _echo(render_prs(list_prs(repo, settings_for(repo, config))))


NumberArg = Annotated[int, typer.Argument(min=1, max=2**63 - 1, help="The generation number.")]


@app.command("merge")
@reports_errors
def merge(number: NumberArg, repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """Merge a pending generation into the branch it was built from, re-checked against it."""
    from self_improving_agent.cli.run import merge_generation

    settings = settings_for(repo, config)
    merged = merge_generation(repo, settings, number)
    note = f" ({merged.note})" if merged.note else ""
    _echo(f"gen {number} merged into {merged.branch} as {merged.sha[:10]}{note}")


@app.command("discard")
@reports_errors
def discard(number: NumberArg, repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """Reject a pending generation; its commit stays under refs/agent/rejected/gen-N."""
    from self_improving_agent.cli.run import discard_generation

    settings = settings_for(repo, config)
    discard_generation(repo, settings, number)
    _echo(f"gen {number} discarded")


if __name__ == "__main__":
    app()
