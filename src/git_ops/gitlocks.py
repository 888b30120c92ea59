"""Git's own lock files that a move of the main line needs, checked before any work is done."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from self_improving_agent.base.gitcmd import recorded_gitdir
from self_improving_agent.git_ops.mainline import holder_of


def checkout_gitdir(common_dir: Path, checkout: Path) -> Path:
    """The gitdir of a checkout of the repository: its admin folder, or the common dir."""
    return recorded_gitdir(common_dir, checkout) or common_dir


def needed_locks(common_dir: Path, branch: str, holder_gitdir: Path | None) -> list[Path]:
    """The lock files git takes to move branch and, when it is checked out, its index and HEAD."""
    locks = [common_dir / "refs" / "heads" / f"{branch}.lock"]
    if holder_gitdir is not None:
        locks += [holder_gitdir / "index.lock", holder_gitdir / "HEAD.lock"]
    return locks


def held_locks(locks: list[Path]) -> list[Path]:
    """Those of the lock files that exist right now."""
    return [lock for lock in locks if os.path.lexists(lock)]


def lock_sentence(lock: Path) -> str:
    """One sentence on a lock file in the way: what, why, how to check, how to remove it."""
    quoted = shlex.quote(str(lock))
    return (
        f"git's lock file {lock} exists, so another git process may be working in this "
        "repository; check with `ps aux | grep git`, and if none is running remove the stale "
        f"lock with `rm {quoted}` and try again"
    )


def lock_problem(root: Path, common: Path, branch: str) -> str | None:
    """One sentence on a git lock file that would stop branch's move, or None."""
    holder = holder_of(root, branch)
    held = checkout_gitdir(common, holder) if holder is not None else None
    found = held_locks(needed_locks(common, branch, held))
    return lock_sentence(found[0]) if found else None
