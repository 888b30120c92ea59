"""`agent config show|validate|init` and `agent models`: the configuration and the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from self_improving_agent.base.errors import AgentError
from self_improving_agent.cli.options import (
    ConfigOpt,
    JsonOpt,
    LogFormatOpt,
    LogLevelOpt,
    ModelOpt,
    ProviderOpt,
    RepoOpt,
    config_source,
    echo,
    reports_errors,
    settings_for,
)


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
    from self_improving_agent.cli.config_template import render_toml

    settings = settings_for(
        repo, config, provider=provider, model=model, log_format=log_format, log_level=log_level
    )
    echo(settings.model_dump_json(indent=2) if as_json else render_toml(settings), nl=False)
    if as_json:
        echo()


@reports_errors
def config_validate(repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """Check the configuration and the Cedar policies; exit 1 naming the file and the problem."""
    from self_improving_agent.benchmarks.config import config_path, load_bench_config
    from self_improving_agent.gates.policy import PolicyGate, default_policies_dir
    from self_improving_agent.sandbox.sandbox import record

    settings = settings_for(repo, config)
    PolicyGate.load(default_policies_dir(), settings.safety)
    bench_config = load_bench_config(repo, settings.benchmarks)
    sandbox = record(settings.sandbox.mode)
    echo(f"ok: {config_source(repo, config)} is valid")
    if config_path(repo, settings.benchmarks).is_file():
        custom = (
            f" with {len(bench_config.custom)} custom benchmark(s)" if bench_config.custom else ""
        )
        echo(f"ok: {config_path(repo, settings.benchmarks)} is valid{custom}")
    echo(f"sandbox: mode {sandbox.mode} runs {sandbox.mechanism} here")
    for line in sandbox.restricts:
        echo(f"  restricts: {line}")
    for line in sandbox.not_covered:
        echo(f"  not covered: {line}")


@reports_errors
def config_init(
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented default config file."""
    from self_improving_agent.base.config import Settings
    from self_improving_agent.base.config_load import default_config_path
    from self_improving_agent.cli.config_template import render_toml

    path = config or default_config_path(repo)
    if path.exists() and not force:
        raise AgentError(f"{path} already exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_toml(Settings()), encoding="utf-8")
    echo(f"wrote {path}")


@reports_errors
def models(repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """The model catalogue: provider, structured-output path, limits and prices per million."""
    from self_improving_agent.providers.catalogue import render_models

    settings = settings_for(repo, config)
    echo(render_models(settings.providers.models, settings.agent.model))
