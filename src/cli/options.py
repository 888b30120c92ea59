"""The options the commands share, declared once, and the wrappers every command wears."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer

from self_improving_agent.base.errors import AgentError, Stopped
from self_improving_agent.base.secrets import redact_environment
from self_improving_agent.base.text import shown

if TYPE_CHECKING:
    from self_improving_agent.base.config import Settings


def echo(message: str = "", err: bool = False, nl: bool = True) -> None:
    """typer.echo of text that may hold what sandboxed runs printed: no terminal controls, and
    no secret value, even in records written before redaction by value."""
    typer.echo(shown(redact_environment(message)), err=err, nl=nl)


P = ParamSpec("P")
R = TypeVar("R")

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
NumberArg = Annotated[int, typer.Argument(min=1, max=2**63 - 1, help="The generation number.")]


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn an AgentError into its one-sentence message on stderr and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AgentError as exc:
            echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except Stopped as exc:
            echo(f"stopped by {exc.signal_name}; run it again to finish", err=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def records_interrupts(func: Callable[P, R]) -> Callable[P, R]:
    """Turn Ctrl-C or a stop during generations into a note that it was recorded, and its code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except KeyboardInterrupt as exc:
            echo("interrupted: the generation was cleaned up and recorded", err=True)
            raise typer.Exit(exc.exit_code if isinstance(exc, Stopped) else 130) from None

    return wrapper


def settings_for(
    repo: Path,
    config: Path | None,
    python: str | None = None,
    sandbox: str | None = None,
    committed: tuple[str, str | None] | None = None,
    **flags: Any,
) -> Settings:
    """Load settings with flag overrides and configure logging from them; committed: the config
    file as a commit holds it, read instead of the working tree's."""
    # Imported here: pydantic and structlog cost more than `agent --version` or `--help` take.
    from self_improving_agent.base.config_load import flag_overrides, load_settings
    from self_improving_agent.base.logging import configure_logging

    overrides = flag_overrides(**flags)
    if python is not None:
        overrides["benchmarks"] = {"python": python}
    if sandbox is not None:
        overrides["sandbox"] = {"mode": sandbox}
    settings = load_settings(repo, config, overrides=overrides, committed=committed)
    configure_logging(settings.agent.log_level, settings.agent.log_format)
    return settings


def config_source(repo: Path, config: Path | None) -> str:
    """Which file the settings came from, for messages."""
    from self_improving_agent.base.config_load import default_config_path

    path = config or default_config_path(repo)
    return str(path) if config is not None or path.is_file() else "built-in defaults"


def err(line: str) -> None:
    """Progress goes to stderr, results to stdout."""
    echo(line, err=True)
