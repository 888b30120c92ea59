"""Run git through GitPython and turn every failure into one sentence (GitError)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import git

from self_improving_agent.base.errors import GitError
from self_improving_agent.base.secrets import redact, secret_values

AGENT_NAME = "self-improving-agent"
AGENT_EMAIL = "agent@localhost"
# Set explicitly so commits never depend on (or are blocked by) the user's git config or env.
IDENTITY_ENV = {
    "GIT_AUTHOR_NAME": AGENT_NAME,
    "GIT_AUTHOR_EMAIL": AGENT_EMAIL,
    "GIT_COMMITTER_NAME": AGENT_NAME,
    "GIT_COMMITTER_EMAIL": AGENT_EMAIL,
}
# A push or fetch must fail rather than wait for a password nobody will type.
BASE_ENV = {"GIT_TERMINAL_PROMPT": "0"}
# The agent's own commits skip the target's hooks and signing: its gates judge the change, and
# a missing signing key or an interactive hook must not turn into a stuck or failed generation.
COMMIT_CONFIG = ("-c", "core.hooksPath=/dev/null", "-c", "commit.gpgSign=false")


class Result(NamedTuple):
    """What a git command returned: exit status, stdout and stderr as text."""

    status: int
    stdout: str
    stderr: str


def repo_root(path: Path) -> Path:
    """The work tree of the git repository at path, or GitError when path is not its top."""
    try:
        repo = git.Repo(path, expand_vars=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError(
            f"{path} is not the top folder of a git repository; pass --repo pointing at one."
        ) from None
    with repo:
        if repo.working_tree_dir is None:
            raise GitError(f"{path} is a bare repository; point --repo at a checkout with files.")
        return Path(repo.working_tree_dir)


def failure(args: tuple[str, ...], cwd: Path, stderr: str) -> str:
    """One sentence naming the git subcommand, the place and git's last word on it."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    detail = lines[-1].rstrip(".") if lines else "no message"
    sub = args[0] if args else "command"
    return redact(f"git {sub} failed in {cwd}: {detail}.", secret_values(os.environ))


def run(cwd: Path, *args: str, commits: bool = False, check: bool = True) -> Result:
    """Run `git args` in cwd (as the agent when it commits); GitError on failure if check."""
    env = {**BASE_ENV, **(IDENTITY_ENV if commits else {})}
    prefix = COMMIT_CONFIG if commits else ()
    try:
        # A Path, not a str: GitPython expands $VARS and ~ in a str working dir, never in a Path.
        status, stdout, stderr = git.Git(Path(cwd)).execute(
            ["git", *prefix, *args],
            with_extended_output=True,
            with_exceptions=False,
            stdout_as_string=False,
            strip_newline_in_stdout=False,
            env=env,
        )
    except (git.GitCommandNotFound, OSError) as exc:
        raise GitError(
            f"git could not be started in {cwd} ({exc}); install git or fix PATH."
        ) from None
    if check and status != 0:
        raise GitError(failure(args, cwd, stderr))
    return Result(status, stdout.decode("utf-8", errors="replace"), stderr)


def out(cwd: Path, *args: str, commits: bool = False) -> str:
    """Stdout of a git command that must succeed, without the trailing newline."""
    return run(cwd, *args, commits=commits).stdout.rstrip("\n")


def paths(cwd: Path, *args: str) -> list[str]:
    """The NUL-separated paths a `-z` git command prints."""
    return [p for p in run(cwd, *args).stdout.split("\0") if p]
