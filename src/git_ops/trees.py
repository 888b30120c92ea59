"""The agent's worktree folders: added with their gitdir pinned, removed without reading them."""

from __future__ import annotations

import os
from pathlib import Path

from self_improving_agent.base.cleanup import remove_tree
from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import pin, recorded_gitdir, unpin
from self_improving_agent.git_ops.mainline import list_worktrees
from self_improving_agent.git_ops.runner import out, run

SET_ASIDE = Path(".agent") / "set-aside"


def common_dir(root: Path) -> Path:
    """The git dir every worktree of root's repository shares, as an absolute path."""
    return Path(out(root, "rev-parse", "--path-format=absolute", "--git-common-dir"))


def _real(path: Path) -> Path:
    """Path with symlinks resolved, so /tmp and /private/tmp compare equal."""
    return Path(os.path.realpath(path))


def registered(root: Path, path: Path) -> bool:
    """Whether git lists path as one of the repository's worktrees."""
    return any(_real(w.path) == _real(path) for w in list_worktrees(root))


def pin_worktree(common: Path, path: Path) -> None:
    """Run git in path with the gitdir git recorded for it, never with what its `.git` says."""
    git_dir = recorded_gitdir(common, path)
    if git_dir is None:
        raise GitError(f"git has no record of the worktree {path}; remove it and try again.")
    pin(path, git_dir)


def add_worktree(root: Path, common: Path, path: Path, *args: str) -> None:
    """`git worktree add args` at path, pinned; on any failure nothing of it is left."""
    try:
        run(root, "worktree", "add", "--quiet", *args)
        pin_worktree(common, path)
    except BaseException:
        drop_worktree(root, path)
        raise


def drop_worktree(root: Path, path: Path) -> str:
    """Delete a worktree folder the agent made and git's record of it; a missing one is fine.

    Anything else at that place (a folder git has no record of, a file) was not made by the
    agent: it is moved aside, never deleted, and the sentence saying where is returned.
    """
    unpin(path)
    note = ""
    if (path.exists() or path.is_symlink()) and not _made_here(root, path):
        note = _set_aside(root, path)
    # The folder is deleted by hand, never by `git worktree remove`, which would read (and
    # trust) the `.git` file that code run in the worktree may have replaced.
    elif path.exists():
        remove_tree(path)
    run(root, "worktree", "prune")
    return note


def _made_here(root: Path, path: Path) -> bool:
    """Whether git recorded path as a worktree (read from the common dir), or it is empty."""
    if path.is_symlink() or not path.is_dir():
        return False
    return recorded_gitdir(common_dir(root), path) is not None or not any(path.iterdir())


def _set_aside(root: Path, path: Path) -> str:
    """Move what the agent did not make out of its way, under .agent/set-aside."""
    aside = root / SET_ASIDE
    aside.mkdir(parents=True, exist_ok=True)
    target, n = aside / path.name, 1
    while target.exists() or target.is_symlink():
        n += 1
        target = aside / f"{path.name}-{n}"
    path.rename(target)
    return f"{path} was not made by the agent, so it was moved aside to {target}, not deleted"


def namespace(root: Path) -> str:
    """'' for a repository's main work tree, 'wt-<name>/' for a linked one, so names never clash."""
    git_dir = Path(out(root, "rev-parse", "--absolute-git-dir"))
    common = Path(out(root, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    if _real(git_dir) == _real(common):
        return ""
    return f"wt-{git_dir.name}/"
