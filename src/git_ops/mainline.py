"""Move the main branch forward without ever overwriting the user's uncommitted work."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from pydantic import BaseModel

from self_improving_agent.base.errors import GitError, MergeConflict, MergeRefused
from self_improving_agent.git_ops.runner import failure, out, paths, run
from self_improving_agent.git_ops.workspace import Workspace

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
            path = Path(fields["worktree"])
            if not entries and "bare" not in fields:
                path = main_checkout(repo, path)
            branch = fields.get("branch") or None
            entries.append(WorktreeEntry(path=path, head=fields.get("HEAD", ""), branch=branch))
    return entries


def main_checkout(repo: Path, listed: Path) -> Path:
    """The main work tree, which git lists as its git dir when `.git` is a `gitdir:` file."""
    common = out(repo, "rev-parse", "--path-format=absolute", "--git-common-dir")
    if os.path.realpath(listed) != os.path.realpath(common):
        return listed
    # Only the main checkout itself knows where it is: its git dir is the common dir.
    if os.path.realpath(out(repo, "rev-parse", "--absolute-git-dir")) == os.path.realpath(common):
        return Path(out(repo, "rev-parse", "--show-toplevel"))
    configured = run(repo, "config", "core.worktree", check=False).stdout.strip()
    if configured:
        return Path(common, configured).resolve()
    raise GitError(
        f"the main checkout of the repository whose git dir is {common} cannot be found from "
        f"{repo}; run the agent in the main checkout (the folder whose .git file points there)."
    )


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
    """Move branch from old to new (a descendant) with its checkout, together or not at all."""
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
    # The ref moves in one step (refused if someone moved it meanwhile), then the checkout
    # follows; when it cannot, the ref goes back, so the ref, index and files move together.
    moved = run(
        repo,
        "update-ref",
        "-m",
        f"{AGENT_REFLOG}{action}",
        f"refs/heads/{branch}",
        new,
        old,
        check=False,
    )
    if moved.status != 0:
        raise MergeRefused(f"{action.capitalize()} refused: {_last_line(moved.stderr)}.")
    if holder is not None:
        followed = run(holder, "read-tree", "-m", "-u", old, new, check=False)
        if followed.status != 0:
            back = f"{AGENT_REFLOG}undo {action}: the checkout could not follow"
            run(repo, "update-ref", "-m", back, f"refs/heads/{branch}", old, new)
            put_back(holder, changed_between(repo, old, new))
            raise MergeRefused(
                f"{action.capitalize()} refused: the checkout of {branch} in {holder} could not "
                f"follow ({_last_line(followed.stderr)}), so {branch} stays at {old[:12]}."
            )
    return new


def merge_onto(ws: Workspace, main: str, head: str, target: str) -> str:
    """Merge the generation onto main's tip inside its worktree; main stays first parent."""
    message = f"Merge generation {ws.number} ({ws.branch}) into {target}"
    run(ws.path, "checkout", "--quiet", "--detach", main)
    args = ("merge", "--no-ff", "--no-edit", "-m", message, head)
    result = run(ws.path, *args, commits=True, check=False)
    if result.status != 0:
        conflicts = paths(ws.path, "diff", "--name-only", "-z", "--diff-filter=U")
        run(ws.path, "merge", "--abort", check=False)
        run(ws.path, "checkout", "--quiet", "--force", ws.branch)
        if conflicts:
            # No advice here: what to do depends on whether the loop or a person merges.
            raise MergeConflict(
                f"{target} moved and conflicts with generation {ws.number} in "
                f"{', '.join(conflicts)}"
            )
        raise GitError(failure(args, ws.path, result.stderr))
    run(ws.path, "checkout", "--quiet", "-B", ws.branch)
    return out(ws.path, "rev-parse", "HEAD")


def put_back(checkout: Path, changed: list[str]) -> None:
    """Undo a checkout's half-written files: the changed paths as its index has them again."""
    # They were clean before the move (dirty_among said so), so the index holds their content
    # and a path the index lacks did not exist.
    tracked = set(paths(checkout, "ls-files", "-z"))
    touched = set(paths(checkout, "diff", "--name-only", "-z", "--no-renames")) & set(changed)
    if touched:
        listed = "\0".join(sorted(touched)).encode("utf-8", "surrogateescape")
        run(checkout, "checkout-index", "-f", "-z", "--stdin", stdin=listed)
    for rel in set(changed) - tracked:
        target = checkout / rel
        if target.is_symlink() or target.is_file():
            target.unlink()


def _last_line(stderr: str) -> str:
    """git's first fatal or error line, else its last line, without the final full stop."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    ranked = [line for line in lines if line.startswith(("fatal:", "error:"))] + lines[-1:]
    return ranked[0].rstrip(".") if ranked else "no message from git"


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
    ref = f"refs/heads/{branch}"
    old = run(repo, "rev-parse", "--verify", "--quiet", f"{ref}@{{1}}^{{tree}}", check=False)
    new = out(repo, "rev-parse", f"{ref}^{{tree}}")
    if index.status != 0 or old.status != 0 or index.stdout.strip() in ("", new):
        return None
    if index.stdout.strip() != old.stdout.strip():
        return None
    before = out(repo, "rev-parse", f"{ref}@{{1}}")
    return (
        f"your checkout {holder} still shows {branch} before the agent moved it; bring it along "
        f"with `git -C {shlex.quote(str(holder))} read-tree -m -u {before[:12]} {ref}`"
    )


def checkout_note(root: Path, branch: str) -> str:
    """What moving branch did to checkouts, when that was not simply the user's own."""
    holder = holder_of(root, branch)
    if holder is None:
        return f"{branch} is not checked out, so only its ref moved and your checkout is as it was"
    if os.path.realpath(holder) != os.path.realpath(root):
        return f"the checkout of {branch} in {holder} was brought along"
    return ""
