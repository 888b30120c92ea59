"""The judge's files in every measured copy: the evaluators as the judge's commit holds them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

# What the judge's commit holds at a path (None: the path is not there, so nothing is written).
Pinned = Sequence[tuple[str, bytes]]


def _clear(path: Path) -> None:
    """Remove whatever the measured tree has at path (a file, a link, a folder), never following."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def write_pinned(tree: Path, files: Pinned) -> None:
    """Write each file over the copy at tree, replacing what the candidate put on its path.

    A link or file where a folder of the path should be is removed first, so no write ever
    follows something the candidate planted out of the copy.
    """
    for rel, data in files:
        parts = PurePosixPath(rel).parts
        if not parts or any(part in ("", ".", "..", "/") for part in parts):
            continue
        folder = tree
        for part in parts[:-1]:
            folder = folder / part
            if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
                _clear(folder)
            folder.mkdir(exist_ok=True)
        target = folder / parts[-1]
        _clear(target)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
