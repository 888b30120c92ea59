"""The `agent` Typer app: every command registered under its name. No logic."""

from __future__ import annotations

from typing import Annotated

import typer

from self_improving_agent import __version__
from self_improving_agent.cli import (
    config_cmds,
    judge_cmds,
    measure_cmds,
    report_cmds,
    run_cmds,
    state_cmds,
)
from self_improving_agent.cli.options import echo
from self_improving_agent.cli.vet import vet_command

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
judge_app = typer.Typer(
    help="The pinned judge of the agent's own repository.", no_args_is_help=True
)
app.add_typer(judge_app, name="judge")


def _version(value: bool) -> None:
    """Print the version and stop."""
    if value:
        echo(f"agent {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Evolve a Python git repository one measured, reviewed generation at a time."""
    from self_improving_agent.sandbox.sandbox import harden_agent

    harden_agent()


config_app.command("show")(config_cmds.config_show)
config_app.command("validate")(config_cmds.config_validate)
config_app.command("init")(config_cmds.config_init)
app.command("models")(config_cmds.models)
app.command("status")(state_cmds.status)
app.command("history")(state_cmds.history)
app.command("lessons")(state_cmds.lessons)
app.command("agentcore-status")(state_cmds.agentcore_status_command)
app.command("reset")(state_cmds.reset)
app.command("report")(report_cmds.report)
app.command("dashboard")(report_cmds.dashboard)
app.command("bench")(measure_cmds.bench)
env_app.command("show")(measure_cmds.env_show)
env_app.command("rebuild")(measure_cmds.env_rebuild)
judge_app.command("show")(judge_cmds.judge_show)
judge_app.command("promote")(judge_cmds.judge_promote)
app.command("demo")(run_cmds.demo)
app.command("run")(run_cmds.run)
app.command("loop")(run_cmds.loop)
app.command("prs")(run_cmds.prs)
app.command("merge")(run_cmds.merge)
app.command("discard")(run_cmds.discard)
