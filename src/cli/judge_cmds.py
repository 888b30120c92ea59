"""`agent judge show` and `agent judge promote`: the pinned judge, moved only by a person."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from self_improving_agent.base.errors import AgentError
from self_improving_agent.cli.options import MainBranchOpt, RepoOpt, echo, reports_errors
from self_improving_agent.core.own_repo import is_self_hosted
from self_improving_agent.git_ops.judge_pin import commit_of, judge_changes, move_pin, read_pin
from self_improving_agent.git_ops.main_branch import resolve_main_branch
from self_improving_agent.git_ops.runner import out, repo_root

NOT_OWN = "is not the agent's own repository: the installed agent judges it, and has no pin"
RevArg = Annotated[
    str | None,
    typer.Argument(help="The commit to judge with from now on.", show_default="the main line"),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def _main_rev(repo: Path, branch: str | None) -> str:
    """The main line's name: the flag's, else the config's, else the detected one."""
    if branch is None:
        from self_improving_agent.base.config_load import load_settings

        branch = load_settings(repo).agent.main_branch
    return resolve_main_branch(repo, branch)


def summary(repo: Path, pin: str | None, rev: str, label: str) -> list[str]:
    """The pin and the judge files rev has changed since it, one line each."""
    if pin is None:
        return [
            "no judge pinned yet: the first `agent run` or `agent loop` pins the commit checked out"
        ]
    subject = out(repo, "log", "-1", "--format=%s", pin)
    lines = [f"judge pinned at {pin[:10]} ({subject})"]
    changed = judge_changes(repo, pin, rev)
    if not changed:
        return [*lines, f"{label} ({rev[:10]}) has changed no judge file since"]
    lines.append(f"{label} ({rev[:10]}) has changed {len(changed)} judge file(s) since:")
    return lines + [f"  {name}" for name in changed]


@reports_errors
def judge_show(repo: RepoOpt = Path("."), main_branch: MainBranchOpt = None) -> None:
    """The pinned judge commit, and which judge files main has changed since."""
    root = repo_root(repo)
    if not is_self_hosted(root):
        echo(f"{root} {NOT_OWN}")
        return
    main = commit_of(root, _main_rev(root, main_branch))
    echo("\n".join(summary(root, read_pin(root), main, "main")))


@reports_errors
def judge_promote(
    rev: RevArg = None,
    repo: RepoOpt = Path("."),
    yes: YesOpt = False,
    main_branch: MainBranchOpt = None,
) -> None:
    """Judge with REV from now on, after showing what changes; a person confirms."""
    root = repo_root(repo)
    if not is_self_hosted(root):
        raise AgentError(
            f"{root} is not the agent's own repository: the installed agent judges it, so there"
            " is no pinned judge to promote."
        )
    target = commit_of(root, rev if rev is not None else _main_rev(root, main_branch))
    pin = read_pin(root)
    if pin == target:
        echo(f"the judge is already pinned at {target[:10]}")
        return
    echo("\n".join(summary(root, pin, target, rev or "main")))
    # Exporting and reading requirements loads what the other commands never need.
    from self_improving_agent.core.judge_exec import dependency_problem, export_pin, judge_cache

    problem = dependency_problem(export_pin(root, target, judge_cache(os.environ)), target)
    if problem:
        raise AgentError(f"{problem}; install it before promoting that judge.")
    if not yes:
        if not sys.stdin.isatty():
            raise AgentError(
                "promoting the judge needs a person to confirm: run it in a terminal, or pass"
                " --yes when a script speaks for one."
            )
        typer.confirm(f"judge every later generation with {target[:10]}?", abort=True)
    move_pin(root, target, pin)
    before = pin[:10] if pin else "nothing"
    echo(f"judge promoted from {before} to {target[:10]}; the next run judges with it")
