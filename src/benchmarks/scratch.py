"""Scratch and tool caches of measurements: the shared cache only for main's tree, sweeping."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from self_improving_agent.base.cleanup import remove_tree
from self_improving_agent.base.store import Store

SCRATCH_PREFIX = "agent-bench-"
# Tool cache folders kept, one per measured tree (main moves, so old ones go).
KEPT_TOOL_CACHES = 4


def _tag(tree: Path) -> str:
    """The name of a tree's tool cache folder."""
    return hashlib.sha256(str(tree).encode()).hexdigest()[:12]


def tool_cache_dir(repo: Path, store: Store | None, scratch: Path, shared: bool = True) -> Path:
    """Where the run's tool caches live: the store's shared folder only for main's committed tree.

    Any other tree (a candidate, uncommitted edits) gets a private copy in scratch, seeded from
    the main checkout's caches and discarded with the scratch, so what it wrote never comes back.
    """
    if store is None:
        return scratch / "cache"
    root = store.path.parent / "cache"
    if not shared:
        private = scratch / "cache"
        seed = root / _tag(store.path.parent.parent.resolve())
        # A cache folder being written by a concurrent run may copy partially: still a cache.
        with contextlib.suppress(OSError, shutil.Error):
            if seed.is_dir():
                shutil.copytree(seed, private, symlinks=True, dirs_exist_ok=True)
        return private
    current = root / _tag(repo)
    current.mkdir(parents=True, exist_ok=True)
    os.utime(current)
    prune_tool_caches(current.parent, KEPT_TOOL_CACHES)
    return current


def prune_tool_caches(root: Path, keep: int) -> None:
    """Delete all but the keep most recently used tool cache folders (one per measured tree)."""
    folders = sorted(
        (p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in folders[keep:]:
        with contextlib.suppress(OSError):
            remove_tree(old)


def sweep_scratch() -> list[Path]:
    """Remove scratch folders that measuring processes no longer alive left behind."""
    swept = []
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        owner = folder.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            with contextlib.suppress(OSError):
                remove_tree(folder)
            swept.append(folder)
    return swept
