"""One writer per repository: a file lock in the common git dir, shared by linked worktrees."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from self_improving_agent.base.errors import GitError, LockHeld
from self_improving_agent.git_ops.runner import out, repo_root

LOCK_NAME = "agent.lock"


def common_dir(repo: Path) -> Path:
    """The git dir that every worktree of repo shares (`git rev-parse --git-common-dir`)."""
    path = Path(out(repo, "rev-parse", "--git-common-dir"))
    return path if path.is_absolute() else repo / path


def _holder(fd: int) -> str:
    """Who holds the lock, from what the holder wrote into the file."""
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return f"pid {int(data['pid'])}, started at {data['started_at']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "pid unknown, started at an unknown time"


@contextlib.contextmanager
def repo_lock(repo: Path) -> Iterator[Path]:
    """Hold the repository's lock for the block, or raise LockHeld at once when it is taken."""
    # Refuses a subfolder, a bare repository or a plain folder before anything is created there.
    repo_root(repo)
    path = common_dir(repo) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise GitError(f"cannot open the agent lock {path} ({exc.strerror}).") from None
    try:
        try:
            # flock dies with its process, so a lock left by a killed run is simply free again.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(
                f"another agent run ({_holder(fd)}) is working on this repository; wait for it "
                "to finish or stop it."
            ) from None
        record = {"pid": os.getpid(), "started_at": datetime.now(UTC).isoformat("T", "seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode("utf-8"), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
