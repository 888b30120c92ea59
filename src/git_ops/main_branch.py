"""Find the repository's main line: named by config or flag, else what HEAD and origin say."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git

FALLBACKS = ("main", "master")
HEADS = "refs/heads/"
ORIGIN = "refs/remotes/origin/"


def _git(repo: Path, *args: str) -> str | None:
    """git's trimmed stdout, or None when it fails."""
    try:
        done = git(repo, *args)
    except GitError:
        return None
    return done.stdout.decode("utf-8", errors="replace").strip() if done.returncode == 0 else None


def branch_exists(repo: Path, name: str) -> bool:
    """Whether refs/heads/name is a commit in repo."""
    return _git(repo, "rev-parse", "--verify", "-q", f"refs/heads/{name}^{{commit}}") is not None


def detect_main_branch(repo: Path) -> str:
    """HEAD's branch; on a detached HEAD origin/HEAD's; else main, else master; else GitError."""
    # Full names, cut by hand: --short would say 'heads/main' when a tag is also called main.
    head = _git(repo, "symbolic-ref", "-q", "HEAD") or ""
    if head.startswith(HEADS):
        return head.removeprefix(HEADS)
    origin = _git(repo, "symbolic-ref", "-q", "refs/remotes/origin/HEAD") or ""
    if origin.startswith(ORIGIN):
        return origin.removeprefix(ORIGIN)
    for name in FALLBACKS:
        if branch_exists(repo, name):
            return name
    raise GitError(
        f"Cannot tell the main branch of {repo} (detached HEAD, no origin/HEAD, no main or "
        "master); pass --main-branch or set [agent] main_branch."
    )


def resolve_main_branch(repo: Path, configured: str | None) -> str:
    """The configured branch, or the detected one; GitError unless it exists."""
    name = configured or detect_main_branch(repo)
    if not branch_exists(repo, name) and not _git(repo, "for-each-ref", "--count=1", HEADS):
        raise GitError(
            f"{repo} has no commits yet; commit the project "
            "(git add -A && git commit -m 'first commit') and run again."
        )
    if not branch_exists(repo, name):
        raise GitError(
            f"Branch '{name}' does not exist in {repo}; create it, or pass --main-branch / set "
            "[agent] main_branch to your main line."
        )
    return name


def measuring_ref(repo: Path, configured: str | None) -> str:
    """The ref whose declarations build the measuring environment: the main line, else HEAD."""
    try:
        return f"{HEADS}{resolve_main_branch(repo, configured)}"
    except GitError:
        return "HEAD"
