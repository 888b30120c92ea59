"""A cgroup per sandboxed run: a process and memory limit that hold for root too (v1 or v2)."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PREFIX = "agent-run-"
_count = itertools.count()
# A SIGKILLed process leaves its cgroup within milliseconds; past this, something is stuck.
_EMPTY_WITHIN_S = 10.0


@dataclass(frozen=True)
class Budget:
    """What one run may use in all: processes (threads count) and memory in MiB."""

    processes: int
    memory_mb: int


def _own(controller: str, root: Path) -> Path | None:
    """This process's cgroup directory: a v1 controller's, or the v2 one for controller ""."""
    try:
        lines = Path("/proc/self/cgroup").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if (controller in names.split(",")) if controller else names == "":
            return root / controller / path.lstrip("/")
    return None


def _writable(path: Path | None) -> bool:
    """Whether child cgroups can be made under path."""
    return path is not None and path.is_dir() and os.access(path, os.W_OK)


@dataclass(frozen=True)
class Layout:
    """Where this machine lets the agent make child cgroups for pids and memory."""

    pids: Path
    memory: Path
    v2: bool


def layout(root: Path = ROOT) -> Layout | None:
    """The pids and memory parents (v1 controllers, else pure v2), or None when neither works."""
    pids, memory = _own("pids", root), _own("memory", root)
    if pids is not None and memory is not None and _writable(pids) and _writable(memory):
        return Layout(pids, memory, v2=False)
    unified = _own("", root)
    if unified is None or not (root / "cgroup.controllers").is_file() or not _writable(unified):
        return None
    try:
        enabled = set((unified / "cgroup.subtree_control").read_text(encoding="ascii").split())
    except OSError:
        return None
    return Layout(unified, unified, v2=True) if {"pids", "memory"} <= enabled else None


class RunCgroup:
    """The cgroups of one run: made with its budget, joined by the child, emptied and removed."""

    def __init__(self, where: Layout, budget: Budget) -> None:
        self.budget = budget
        name = f"{PREFIX}{os.getpid()}-{next(_count)}"
        self.dirs = sorted({where.pids / name, where.memory / name})
        self.v2 = where.v2
        for path in self.dirs:
            path.mkdir()
        memory = budget.memory_mb * 1024 * 1024
        if where.v2:
            self._set(self.dirs[0], {"pids.max": budget.processes, "memory.max": memory})
            self._set(self.dirs[0], {"memory.swap.max": 0}, optional=True)
        else:
            self._set(where.pids / name, {"pids.max": budget.processes})
            self._set(where.memory / name, {"memory.limit_in_bytes": memory})
            self._set(where.memory / name, {"memory.memsw.limit_in_bytes": memory}, optional=True)
        self.pids_dir, self.memory_dir = where.pids / name, where.memory / name

    @staticmethod
    def _set(path: Path, values: dict[str, int], optional: bool = False) -> None:
        """Write each value into its file; optional ones may be missing (no swap accounting)."""
        for key, value in values.items():
            try:
                (path / key).write_text(str(value), encoding="ascii")
            except OSError:
                if not optional:
                    raise

    def join_step(self) -> Callable[[], None]:
        """Child setup, first of all: move this process into every cgroup of the run."""
        targets = [str(path / "cgroup.procs").encode() for path in self.dirs]

        def join() -> None:
            """Runs between fork and exec: open, write, close only."""
            for target in targets:
                fd = os.open(target, os.O_WRONLY)
                try:
                    os.write(fd, b"0")
                finally:
                    os.close(fd)

        return join

    def members(self) -> list[int]:
        """Pids still in the run's cgroups."""
        found: set[int] = set()
        for path in self.dirs:
            with contextlib.suppress(OSError):
                text = (path / "cgroup.procs").read_text(encoding="ascii")
                found.update(int(p) for p in text.split())
        return sorted(found)

    def exhausted(self) -> str | None:
        """Which limit the run hit, in words, or None."""
        if self._counter(self.pids_dir / "pids.events", "max") > 0:
            return f"the run reached its process limit ({self.budget.processes})"
        events = "memory.events" if self.v2 else "memory.oom_control"
        if self._counter(self.memory_dir / events, "oom_kill") > 0:
            return (
                f"the run reached its memory limit ({self.budget.memory_mb} MiB) "
                "and the kernel killed a process"
            )
        return None

    @staticmethod
    def _counter(path: Path, key: str) -> int:
        """One counter of a flat-keyed cgroup file, 0 when absent."""
        with contextlib.suppress(OSError, ValueError):
            for line in path.read_text(encoding="ascii").splitlines():
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
        return 0

    def close(self) -> None:
        """Kill everything left in the run (daemons and setsid stragglers too), then remove it."""
        end = time.monotonic() + _EMPTY_WITHIN_S
        while (left := self.members()) and time.monotonic() < end:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            # The kernel offers no wait on a v1 cgroup emptying; a short poll it is.
            time.sleep(0.01)
        for path in self.dirs:
            with contextlib.suppress(OSError):
                path.rmdir()


def sweep(where: Layout | None) -> None:
    """Remove the empty cgroups a killed agent left behind."""
    if where is None:
        return
    for parent in {where.pids, where.memory}:
        for path in parent.glob(f"{PREFIX}*"):
            pid = path.name.removeprefix(PREFIX).split("-")[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                with contextlib.suppress(OSError):
                    path.rmdir()
