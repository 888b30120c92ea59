"""Scratch folders removed without ever following a link planted inside them.

TemporaryDirectory's cleanup chmods a path it cannot remove, and chmod follows symlinks: code
that ran in a scratch folder could make the agent change the mode of any file it owns. Here
every entry is reached through its parent's file descriptor, opened with O_NOFOLLOW, and a
permission is only ever restored on a directory opened that way.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_PATH_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_dir(parent: int, name: str) -> int | None:
    """The directory name beneath parent, opened for listing and made ours; None if no dir."""
    try:
        handle = os.open(name, _PATH_FLAGS, dir_fd=parent)
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ELOOP, errno.ENOENT):
            return None
        raise
    try:
        # The magic link names exactly the directory opened without following: no link target.
        with contextlib.suppress(PermissionError):
            os.chmod(f"/proc/self/fd/{handle}", stat.S_IRWXU)
        return os.open(".", _DIR_FLAGS, dir_fd=handle)
    finally:
        os.close(handle)


def _unlink(parent: int, name: str) -> bool:
    """Remove a non-directory entry (a symlink itself, never its target); False for a dir."""
    try:
        os.unlink(name, dir_fd=parent)
    except IsADirectoryError:
        return False
    except FileNotFoundError:
        pass
    return True


def remove_tree(path: Path) -> None:
    """Delete path and all beneath it; links inside are removed, never followed or chmodded."""
    parent = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    # Open directories, each with the names left to remove and its own name in the one above;
    # a stack instead of recursion, as the depth is the planted code's choice.
    stack: list[tuple[int, list[str], str]] = []
    try:
        top = None if _unlink(parent, path.name) else _open_dir(parent, path.name)
        if top is not None:
            stack.append((top, os.listdir(top), path.name))
        while stack:
            fd, names, own = stack[-1]
            if names:
                name = names.pop()
                child = None if _unlink(fd, name) else _open_dir(fd, name)
                if child is not None:
                    stack.append((child, os.listdir(child), name))
                continue
            stack.pop()
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.rmdir(own, dir_fd=stack[-1][0] if stack else parent)
    finally:
        for fd, _, _ in stack:
            os.close(fd)
        os.close(parent)


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[str]:
    """A private temporary folder (like TemporaryDirectory), removed with remove_tree."""
    path = tempfile.mkdtemp(prefix=prefix)
    try:
        yield path
    finally:
        remove_tree(Path(path))
