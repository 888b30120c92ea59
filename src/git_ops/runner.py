"""Run git for the agent's own work and turn every failure into one sentence (GitError)."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import NamedTuple

from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git
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
# The agent's own commits skip signing: its gates judge the change, and a missing signing key
# must not turn into a stuck or failed generation (hooks are off for every command already).
COMMIT_CONFIG = ("-c", "commit.gpgSign=false", "-c", "tag.gpgSign=false")
# How git says a lock file was in its way (its own advice ends "remove the file manually").
_LOCK_FILE = re.compile(r"Unable to create '([^']+\.lock)'")


class Result(NamedTuple):
    """What a git command returned: exit status, stdout and stderr as text."""

    status: int
    stdout: str
    stderr: str


def repo_root(path: Path) -> Path:
    """The work tree of the git repository at path, or GitError when path is not its top."""
    not_top = f"{path} is not the top folder of a git repository; pass --repo pointing at one."
    if not path.is_dir():
        raise GitError(not_top)
    bare = git(path, "rev-parse", "--is-bare-repository")
    if bare.returncode != 0:
        raise GitError(not_top)
    if bare.stdout.strip() == b"true":
        raise GitError(f"{path} is a bare repository; point --repo at a checkout with files.")
    top = git(path, "rev-parse", "--show-toplevel").stdout.decode("utf-8", "replace").strip()
    if not top or os.path.realpath(top) != os.path.realpath(path):
        raise GitError(not_top)
    return path.absolute()


def lock_in(stderr: str) -> Path | None:
    """The lock file git could not take, when that is why it failed."""
    found = _LOCK_FILE.search(stderr)
    return Path(found[1]) if found else None


def lock_sentence(lock: Path) -> str:
    """One sentence on a lock file in the way: what, why, how to check, how to remove it."""
    quoted = shlex.quote(str(lock))
    return (
        f"git's lock file {lock} exists, so another git process may be working in this "
        "repository; check with `ps aux | grep git`, and if none is running remove the stale "
        f"lock with `rm {quoted}` and try again"
    )


def failure(args: tuple[str, ...], cwd: Path, stderr: str) -> str:
    """One sentence naming the git subcommand, the place and git's last word on it."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    detail = lines[-1].rstrip(".") if lines else "no message"
    lock = lock_in(stderr)
    if lock is not None:
        detail = lock_sentence(lock)
    sub = args[0] if args else "command"
    return redact(f"git {sub} failed in {cwd}: {detail}.", secret_values(os.environ))


def run(
    cwd: Path, *args: str, commits: bool = False, check: bool = True, stdin: bytes | None = None
) -> Result:
    """Run `git args` in cwd (as the agent when it commits); GitError on failure if check."""
    prefix = COMMIT_CONFIG if commits else ()
    done = git(cwd, *prefix, *args, env=IDENTITY_ENV if commits else None, stdin=stdin)
    if check and done.returncode != 0:
        raise GitError(failure(args, cwd, done.stderr))
    return Result(done.returncode, done.stdout.decode("utf-8", errors="replace"), done.stderr)


def out(cwd: Path, *args: str, commits: bool = False) -> str:
    """Stdout of a git command that must succeed, without the trailing newline."""
    return run(cwd, *args, commits=commits).stdout.rstrip("\n")


def paths(cwd: Path, *args: str) -> list[str]:
    """The NUL-separated paths a `-z` git command prints."""
    return [p for p in run(cwd, *args).stdout.split("\0") if p]
