"""Move the main branch forward without ever overwriting the user's uncommitted work."""

from __future__ import annotations

import shlex
from pathlib import Path

from pydantic import BaseModel

from self_improving_agent.base.errors import MergeRefused
from self_improving_agent.git_ops.runner import out, paths, run

# Reflog messages of the agent's own moves of main start with this, so recovery can tell them.
AGENT_REFLOG = "agent: "


class WorktreeEntry(BaseModel):
    """One line of `git worktree list`: where it is and what it has checked out."""

    path: Path
    head: str = ""
    branch: str | None = None


def list_worktrees(repo: Path) -> list[WorktreeEntry]:
    """Every worktree git knows for repo, the main one first."""
    entries: list[WorktreeEntry] = []
    # Plain porcelain rather than -z, which needs git 2.36; paths with newlines are not supported.
    for block in run(repo, "worktree", "list", "--porcelain").stdout.split("\n\n"):
        fields = dict([*line.split(" ", 1), ""][:2] for line in block.splitlines() if line)
        if "worktree" in fields:
            branch = fields.get("branch") or None
            entries.append(
                WorktreeEntry(
                    path=Path(fields["worktree"]), head=fields.get("HEAD", ""), branch=branch
                )
            )
    return entries


def holder_of(repo: Path, branch: str) -> Path | None:
    """The worktree that has branch checked out, or None when no worktree does."""
    ref = f"refs/heads/{branch}"
    return next((w.path for w in list_worktrees(repo) if w.branch == ref), None)


def changed_between(repo: Path, old: str, new: str) -> list[str]:
    """Paths whose content differs between two commits (both sides of a rename)."""
    return paths(repo, "diff", "--name-only", "-z", "--no-renames", old, new)


def dirty_among(tree: Path, candidates: list[str]) -> list[str]:
    """Which candidate paths have uncommitted, untracked or ignored content in tree."""
    if not candidates:
        return []
    specs = [f":(literal){p}" for p in candidates]
    records = paths(
        tree,
        "status",
        "--porcelain=v1",
        "-z",
        "--no-renames",
        "--untracked-files=all",
        "--ignored",
        "--",
        *specs,
    )
    found = {record[3:] for record in records}
    return sorted(found & set(candidates))


def advance_main(repo: Path, branch: str, old: str, new: str, action: str) -> str:
    """Move branch from old to new (a descendant) in one atomic ref update, then its checkout."""
    holder = holder_of(repo, branch)
    if holder is not None:
        current = out(holder, "rev-parse", "HEAD")
        if current != old:
            raise MergeRefused(
                f"{branch} moved to {current[:12]} during the {action}; run it again to include "
                "that."
            )
        overlap = dirty_among(holder, changed_between(repo, old, new))
        if overlap:
            raise MergeRefused(
                f"{action.capitalize()} refused: you have uncommitted changes in "
                f"{', '.join(overlap)} in {holder} that it would overwrite; commit or stash them "
                "and try again."
            )
    # The ref moves first and in one step (refused if someone moved it meanwhile): a stop at any
    # later point leaves main either old or new, never the index or files half-way.
    run(repo, "update-ref", "-m", f"{AGENT_REFLOG}{action}", f"refs/heads/{branch}", new, old)
    if holder is not None:
        bring_along(holder, old, new)
    return new


def bring_along(holder: Path, old: str, new: str) -> bool:
    """Carry a checkout's index and files from old's tree to new's, as a fast-forward does."""
    # A two-tree read-tree keeps every local change and refuses where one would be overwritten.
    return run(holder, "read-tree", "-m", "-u", old, new, check=False).status == 0


def checkout_lag(repo: Path, branch: str) -> str | None:
    """One line with the command to run when branch's checkout still shows main before the agent's
    last move of it; None when it does not lag."""
    holder = holder_of(repo, branch)
    if holder is None:
        return None
    last = run(repo, "reflog", "show", "-n1", "--format=%gs", f"refs/heads/{branch}", check=False)
    if last.status != 0 or not last.stdout.startswith(AGENT_REFLOG):
        return None
    index = run(holder, "write-tree", check=False)
    old = run(repo, "rev-parse", "--verify", "--quiet", f"{branch}@{{1}}^{{tree}}", check=False)
    new = out(repo, "rev-parse", f"refs/heads/{branch}^{{tree}}")
    if index.status != 0 or old.status != 0 or index.stdout.strip() in ("", new):
        return None
    if index.stdout.strip() != old.stdout.strip():
        return None
    before = out(repo, "rev-parse", f"{branch}@{{1}}")
    return (
        f"your checkout {holder} still shows {branch} before the agent moved it; bring it along "
        f"with `git -C {shlex.quote(str(holder))} read-tree -m -u {before[:12]} {branch}`"
    )
