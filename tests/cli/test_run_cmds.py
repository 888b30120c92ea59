"""`agent run` and `agent loop` take the options they share from one declaration."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import typer.main

from self_improving_agent.cli.app import app
from self_improving_agent.cli.run_cmds import RunFlags


def _options(name: str) -> dict[str, Any]:
    """The parameters of one command as the command line parses them."""
    group: Any = typer.main.get_command(app)
    return {p.name: p for p in group.commands[name].params}


def test_run_and_loop_take_every_shared_option_with_one_declaration() -> None:
    shared = [f.name for f in fields(RunFlags)]
    run, loop = _options("run"), _options("loop")
    assert set(run) == set(shared)
    assert set(loop) == {*shared, "max_gen", "max_cost"}
    for name in shared:
        assert run[name].opts == loop[name].opts
        assert run[name].default == loop[name].default


def test_run_flags_name_where_accepted_generations_go() -> None:
    assert RunFlags().pr_mode() == "off"
    assert RunFlags(github=True).pr_mode() == "review"
    assert RunFlags(github=True, github_auto=True).pr_mode() == "auto"
