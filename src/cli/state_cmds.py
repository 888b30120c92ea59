"""`agent status`, `history`, `lessons`, `reset` and `agentcore-status`: the recorded state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from self_improving_agent.cli.options import (
    ConfigOpt,
    JsonOpt,
    RepoOpt,
    config_source,
    echo,
    err,
    reports_errors,
    settings_for,
)


@reports_errors
def status(repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """Where the state is, how generations ended and which are still open."""
    from self_improving_agent.cli.run import poll_for_status
    from self_improving_agent.cli.state import judge_note, status_text

    settings = settings_for(repo, config)
    for line in poll_for_status(repo, settings):
        err(line)
    echo(status_text(repo, config_source(repo, config)))
    note = judge_note(repo, settings.agent.main_branch)
    if note:
        echo(f"judge:      {note}")


@reports_errors
def history(repo: RepoOpt = Path("."), config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Every generation with its status, title, reason and score delta."""
    from self_improving_agent.cli.state import stored_generations
    from self_improving_agent.cli.views import history_rows, render_history

    settings_for(repo, config)
    entries = stored_generations(repo)
    if as_json:
        echo(json.dumps(history_rows(entries), indent=2))
    else:
        echo(render_history(entries))


@reports_errors
def lessons(repo: RepoOpt = Path("."), config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """What earlier generations tried, how they ended and why, oldest first."""
    from self_improving_agent.cli.state import stored_lessons

    settings_for(repo, config)
    found = stored_lessons(repo)
    if as_json:
        echo(json.dumps([lesson.model_dump() for lesson in found], indent=2))
    else:
        echo("\n".join(lesson.line() for lesson in found) or "No lessons yet.")


@reports_errors
def agentcore_status_command(repo: RepoOpt = Path("."), config: ConfigOpt = None) -> None:
    """The [agentcore] settings, where AWS credentials come from, and whether the memory answers."""
    from self_improving_agent.memory.status import agentcore_status

    status = agentcore_status(settings_for(repo, config).agentcore, repo)
    echo("\n".join(status.lines))
    for problem in status.problems:
        err(f"problem: {problem}")
    if status.problems:
        raise typer.Exit(1)


@reports_errors
def reset(
    repo: RepoOpt = Path("."),
    config: ConfigOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Clear the agent's state database; git history and reports are never touched."""
    from self_improving_agent.cli.state import reset_state

    settings_for(repo, config)

    def confirm(question: str) -> None:
        """Ask unless --yes was given; typer aborts on a no."""
        if not yes:
            typer.confirm(question, abort=True)

    echo(reset_state(repo, confirm))
