"""The judge's pin: the commit of the agent's own code that judges its generations."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.base.errors import GitError
from self_improving_agent.git_ops.runner import out, run

PIN_REF = "refs/agent/judge"
# Everything that decides or measures: all of src/ but the mind, the config, the build.
JUDGE_PATHSPEC = ("src", ":(exclude)src/mind", "config", "pyproject.toml", "main.py")


def read_pin(repo: Path) -> str | None:
    """The pinned judge commit, or None when no judge was pinned yet."""
    found = run(repo, "rev-parse", "--verify", "--quiet", f"{PIN_REF}^{{commit}}", check=False)
    sha = found.stdout.strip()
    return sha if found.status == 0 and sha else None


def commit_of(repo: Path, rev: str) -> str:
    """The full commit id rev names; one sentence when it names no commit."""
    found = run(
        repo,
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        f"{rev}^{{commit}}",
        check=False,
    )
    sha = found.stdout.strip()
    if found.status != 0 or not sha:
        raise GitError(f"{rev!r} names no commit in {repo}; pass a branch, tag or commit id.")
    return sha


def ensure_pin(repo: Path) -> str:
    """The pinned judge, set on first use to the commit checked out (HEAD)."""
    pinned = read_pin(repo)
    if pinned is not None:
        return pinned
    head = commit_of(repo, "HEAD")
    # An empty old value makes git refuse when another process set the pin meanwhile.
    created = run(
        repo, "update-ref", "-m", "agent: judge pinned on first use", PIN_REF, head, "", check=False
    )
    return head if created.status == 0 else read_pin(repo) or head


def move_pin(repo: Path, new: str, old: str | None) -> None:
    """Point the pin at new, only when it still points at old (a person's promotion)."""
    run(repo, "update-ref", "-m", "agent judge promote", PIN_REF, new, old or "")


def judge_changes(repo: Path, pin: str, rev: str) -> list[str]:
    """The judge files that differ between the pin and rev, sorted."""
    listed = out(repo, "diff", "--name-only", "--no-renames", pin, rev, "--", *JUDGE_PATHSPEC)
    return sorted(line for line in listed.splitlines() if line)


def ahead_note(repo: Path, main: str) -> str | None:
    """One line when main has judge changes the pin lacks, else None (also with no pin)."""
    pin = read_pin(repo)
    if pin is None:
        return None
    try:
        changed = judge_changes(repo, pin, main)
    except GitError:
        return None
    if not changed:
        return None
    return (
        f"main is ahead of the pinned judge {pin[:10]}: {len(changed)} judge file(s) changed"
        " that judge nothing until a person runs `agent judge promote`"
    )
