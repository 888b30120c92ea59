"""Move the main branch forward without ever overwriting the user's uncommitted work."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from src.base.errors import MergeRefused
from src.git_ops.runner import out, paths, run


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
    """Move branch from old to new (a descendant), fast-forwarding the tree that has it out."""
    holder = holder_of(repo, branch)
    if holder is None:
        run(repo, "update-ref", "-m", f"agent: {action}", f"refs/heads/{branch}", new, old)
        return new
    current = out(holder, "rev-parse", "HEAD")
    if current != old:
        raise MergeRefused(
            f"{branch} moved to {current[:12]} during the {action}; run it again to include that."
        )
    overlap = dirty_among(holder, changed_between(repo, old, new))
    if overlap:
        raise MergeRefused(
            f"{action.capitalize()} refused: you have uncommitted changes in {', '.join(overlap)} "
            f"in {holder} that it would overwrite; commit or stash them and try again."
        )
    run(holder, "merge", "--ff-only", "--no-edit", new)
    return new
