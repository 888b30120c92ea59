"""Scratch folders removed without ever following a link planted inside them.

TemporaryDirectory's cleanup chmods a path it cannot remove, and chmod follows symlinks: code
that ran in a scratch folder could make the agent change the mode of any file it owns. Here
every entry is reached through its parent's file descriptor, opened with O_NOFOLLOW, and a
permission is only ever restored on a directory opened that way.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_PATH_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_dir(parent: int, name: str) -> int | None:
    """The directory name beneath parent, opened for listing; None when it is no directory."""
    flags = _DIR_FLAGS
    while True:
        try:
            handle = os.open(name, flags, dir_fd=parent)
        except PermissionError:
            if flags == _PATH_FLAGS:
                raise
            # A folder the run locked: reopened without following, made ours, listed then.
            flags = _PATH_FLAGS
            continue
        except OSError as exc:
            if exc.errno in (errno.ENOTDIR, errno.ELOOP, errno.ENOENT):
                return None
            raise
        if flags == _DIR_FLAGS:
            return handle
        try:
            # The magic link names exactly the directory opened without following.
            os.chmod(f"/proc/self/fd/{handle}", stat.S_IRWXU)
            return os.open(".", _DIR_FLAGS, dir_fd=handle)
        finally:
            os.close(handle)


def _in(parent: int, remove: Callable[[], None], mend: bool = True) -> None:
    """remove() an entry of parent; a parent inside the tree made read-only is made ours first.

    mend is False for the folder holding the tree's top, which is never the run's to change.
    """
    try:
        remove()
    except PermissionError:
        if not mend:
            raise
        # parent is an fd of the folder itself, opened without following: no link's target.
        os.fchmod(parent, stat.S_IRWXU)
        remove()
    except FileNotFoundError:
        pass


def _unlink(parent: int, name: str, mend: bool = True) -> bool:
    """Remove a non-directory entry (a symlink itself, never its target); False for a dir."""
    try:
        _in(parent, functools.partial(os.unlink, name, dir_fd=parent), mend)
    except IsADirectoryError:
        return False
    return True


def remove_tree(path: Path) -> None:
    """Delete path and all beneath it; links inside are removed, never followed or chmodded."""
    parent = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    # Open directories, each with the names left to remove and its own name in the one above;
    # a stack instead of recursion, as the depth is the planted code's choice.
    stack: list[tuple[int, list[str], str]] = []
    try:
        top = None if _unlink(parent, path.name, mend=False) else _open_dir(parent, path.name)
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
            outer = stack[-1][0] if stack else parent
            _in(outer, functools.partial(os.rmdir, own, dir_fd=outer), mend=bool(stack))
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
