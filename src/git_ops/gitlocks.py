"""Git's own lock files that a move of the main line needs, checked before any work is done."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from self_improving_agent.base.gitcmd import recorded_gitdir
from self_improving_agent.git_ops.mainline import holder_of
from self_improving_agent.git_ops.runner import lock_in, lock_sentence, run

# A ref the probe deletes: deleting any ref needs packed-refs.lock, whether or not it exists.
PROBE_REF = "refs/agent/lock-probe"


def checkout_gitdir(common_dir: Path, checkout: Path) -> Path:
    """The gitdir of a checkout of the repository: its admin folder, or the common dir."""
    return recorded_gitdir(common_dir, checkout) or common_dir


def needed_locks(holder_gitdir: Path | None) -> list[Path]:
    """The lock files of the checkout that follows the move (its index and HEAD), if any."""
    if holder_gitdir is None:
        return []
    return [holder_gitdir / "index.lock", holder_gitdir / "HEAD.lock"]


def held_locks(locks: list[Path]) -> list[Path]:
    """Those of the lock files that exist right now."""
    return [lock for lock in locks if os.path.lexists(lock)]


def ref_problem(root: Path, commands: Sequence[str]) -> str | None:
    """Whether git can take every lock these ref updates need, asked of git itself: the
    transaction is prepared (every lock taken, HEAD's and packed-refs' included) and aborted."""
    script = "".join(f"{line}\n" for line in ("start", *commands, "prepare", "abort"))
    done = run(root, "update-ref", "--stdin", stdin=script.encode("utf-8"), check=False)
    if done.status == 0:
        return None
    lock = lock_in(done.stderr)
    if lock is not None:
        return lock_sentence(lock)
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    why = lines[0].removeprefix("fatal: ").rstrip(".") if lines else "no message from git"
    return f"git cannot update the refs the merge needs in {root} ({why}); fix that and try again"


def lock_problem(
    root: Path, common: Path, branch: str, sha: str, also: Sequence[str] = ()
) -> str | None:
    """One sentence on a lock that would stop branch's move from sha (and the ref updates in
    also, e.g. the generation branch's deletion), or None."""
    holder = holder_of(root, branch)
    held = checkout_gitdir(common, holder) if holder is not None else None
    found = held_locks(needed_locks(held))
    if found:
        return lock_sentence(found[0])
    moves = [f"update refs/heads/{branch} {sha} {sha}", f"delete {PROBE_REF}", *also]
    return ref_problem(root, moves)
