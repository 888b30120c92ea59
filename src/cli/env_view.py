"""`agent env show|rebuild`: the environment a repository is measured in, as text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from self_improving_agent.base.config import Settings
from self_improving_agent.benchmarks.sources import repo_files
from self_improving_agent.envs.model import Env
from self_improving_agent.envs.resolve import cached_env, plan_env, resolve_env
from self_improving_agent.envs.workspace import measured_members_in
from self_improving_agent.git_ops.main_branch import resolve_main_branch


def env_text(env: Env) -> str:
    """Interpreter, origin, fingerprint, notable packages and build time, one per line."""
    notable = ", ".join(f"{name} {version}" for name, version in env.notable().items())
    built = f"built in {env.build_s:.1f}s" if env.origin == "built" else "used as is"
    return "\n".join(
        [
            f"interpreter:  {env.python} (Python {env.version})",
            f"from:         {env.origin}: {env.source}",
            f"fingerprint:  {env.fingerprint}",
            f"packages:     {len(env.packages)} ({notable or 'none of note'})",
            f"build:        {built}",
        ]
    )


def _members(repo: Path) -> list[str]:
    """A workspace's members measured one by one, or [""] for a single project."""
    return measured_members_in(repo, repo_files(repo)) or [""]


def _titled(member: str, text: str) -> str:
    """One member's text under its name; a single project's as is."""
    return f"workspace member {member}:\n{text}" if member else text


def show_env(repo: Path, settings: Settings) -> str:
    """The environment bench would use (one per workspace member); unbuilt ones are described."""
    if settings.benchmarks.python:
        return env_text(resolve_env(repo, "HEAD", settings.benchmarks.python))
    branch = resolve_main_branch(repo, settings.agent.main_branch)
    return "\n\n".join(_titled(m, _shown(repo, branch, m)) for m in _members(repo))


def _shown(repo: Path, branch: str, member: str) -> str:
    """The text of one environment of the main branch's declarations, built or not."""
    plan = plan_env(repo, f"refs/heads/{branch}", member)
    env = cached_env(plan)
    why = f"why:          {plan.declarations.reason}: the first place in the documented order"
    if env is not None:
        return f"{env_text(env)}\n{why}"
    return (
        f"not built yet: {plan.folder}\nfrom:         {plan.declarations.source} on {branch}\n"
        f"{why}\nfingerprint:  {plan.fingerprint}\n`agent env rebuild` or `agent bench` builds it"
    )


def rebuild_env(repo: Path, settings: Settings, note: Callable[[str], None]) -> str:
    """Build the environment(s) of the main branch's declarations again, from nothing."""
    if settings.benchmarks.python:
        return env_text(resolve_env(repo, "HEAD", settings.benchmarks.python)) + (
            "\n(nothing to rebuild: [benchmarks] python is used as is)"
        )
    branch = resolve_main_branch(repo, settings.agent.main_branch)
    mode = settings.sandbox.mode
    return "\n\n".join(
        _titled(m, env_text(resolve_env(repo, branch, None, note, True, mode, m)))
        for m in _members(repo)
    )
