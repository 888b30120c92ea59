"""The `agent` command line: parses options, builds Settings and calls into src/. No logic."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer

from src import __version__
from src.core.config import Settings, default_config_path, flag_overrides, load_settings
from src.core.config_template import render_toml
from src.core.errors import AgentError
from src.core.logging import configure_logging
from src.core.store import Store, db_path
from src.core.views import history_rows, render_history, render_status

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="agent",
    help="Evolve a Python git repository one measured, reviewed generation at a time.",
    no_args_is_help=True,
    add_completion=False,
)
config_app = typer.Typer(help="Show, check and create the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")

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
        "--config", help="Config file [default: <repo>/config/agent.toml, else built-in defaults]."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ProviderOpt = Annotated[
    str | None, typer.Option("--provider", help="anthropic, bedrock, mock or offline.")
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model id for the provider.")]
LogFormatOpt = Annotated[str | None, typer.Option("--log-format", help="text or json.")]
LogLevelOpt = Annotated[
    str | None, typer.Option("--log-level", help="DEBUG, INFO, WARNING, ERROR.")
]


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn an AgentError into its one-sentence message on stderr and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AgentError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def settings_for(repo: Path, config: Path | None, **flags: Any) -> Settings:
    """Load settings with flag overrides and configure logging from them."""
    settings = load_settings(repo, config, overrides=flag_overrides(**flags))
    configure_logging(settings.agent.log_level, settings.agent.log_format)
    return settings


def config_source(repo: Path, config: Path | None) -> str:
    """Which file the settings came from, for messages."""
    path = config or default_config_path(repo)
    return str(path) if config is not None or path.is_file() else "built-in defaults"


def _version(value: bool) -> None:
    """Print the version and stop."""
    if value:
        typer.echo(f"agent {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Evolve a Python git repository one measured, reviewed generation at a time."""


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
    typer.echo(settings.model_dump_json(indent=2) if as_json else render_toml(settings), nl=False)
    if as_json:
        typer.echo()


@config_app.command("validate")
@reports_errors
def config_validate(repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """Check the configuration; exit 1 naming the file and the problem."""
    settings_for(repo, config)
    typer.echo(f"ok: {config_source(repo, config)} is valid")


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
    typer.echo(f"wrote {path}")


@app.command("status")
@reports_errors
def status(repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """Where the state is, how generations ended and which are still open."""
    settings_for(repo, config)
    store = Store.existing(repo)
    if store is None:
        typer.echo(render_status(str(repo), config_source(repo, config), None, {}, [], None))
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
    typer.echo(text)


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
        typer.echo(json.dumps(history_rows(entries), indent=2))
    else:
        typer.echo(render_history(entries))


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
        typer.echo("Nothing to reset: this repository has no agent state.")
        return
    with store:
        count = len(store.list_generations())
        if not yes:
            typer.confirm(
                f"Delete the record of {count} generation(s) in {store.path}?", abort=True
            )
        store.clear()
    typer.echo(f"Cleared {count} generation(s); git history and reports are untouched.")


if __name__ == "__main__":
    app()
