"""A host-side watchdog on the disk a run fills in the trees it may write.

A statvfs call per filesystem is the cheap trigger: only when free space fell by more than the
budget since the run began are the writable trees walked, adding up the blocks of the files
changed since then (links not followed, other filesystems not entered). It holds for root, which
quotas by uid do not. What a burst (fallocate of many files) allocates within one poll interval
can pass the budget before the run is killed: it bounds filling, it does not prevent a burst.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path

MIB = 1024 * 1024


class DiskWatch:
    """Compares the writable trees' new allocation with a budget; cheap until space runs low."""

    def __init__(self, trees: Iterable[Path], budget: int) -> None:
        self.trees = tuple(p for p in trees if p.is_dir())
        self.budget = budget
        # ctime has coarse granularity on some filesystems: count files from a second before.
        self.since = time.time() - 1.0
        self.devices = {os.stat(p).st_dev: p for p in self.trees}
        self.free = self._free()

    def _free(self) -> int:
        """Bytes free on every filesystem the trees lie on, added up."""
        total = 0
        for path in self.devices.values():
            found = os.statvfs(path)
            total += found.f_bavail * found.f_frsize
        return total

    def filled(self) -> int:
        """Bytes allocated to files in the trees that were created or changed during the run."""
        return sum(_allocated(tree, self.since) for tree in self.trees)

    def exceeded(self) -> str | None:
        """Why the run must stop for the disk it filled, or None."""
        now = self._free()
        if self.free - now <= self.budget:
            return None
        filled = self.filled()
        if filled <= self.budget:
            # Someone else used the space: wait for another budget's worth before walking again.
            self.free = now
            return None
        return (
            f"the run filled {filled // MIB} MiB of disk in the trees it may write, past its "
            f"budget of {self.budget // MIB} MiB; it was killed"
        )


def _allocated(root: Path, since: float) -> int:
    """Blocks of the files under root changed at or after since, in bytes; one filesystem."""
    device = os.lstat(root).st_dev
    total = 0
    stack = [str(root)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                found = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if found.st_dev != device:
                continue
            if stat.S_ISDIR(found.st_mode):
                stack.append(entry.path)
            elif found.st_ctime >= since:
                total += found.st_blocks * 512
    return total
