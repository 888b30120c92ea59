"""bubblewrap: the command line that runs a tool in fresh namespaces over a read-only root."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

# Unshare everything but the user namespace (bwrap adds one itself when it is not root).
_NAMESPACES = ("--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts")
RESTRICTS = (
    "no network: a private loopback only, no route to the host or outside, no DNS",
    "filesystem read-only except the measured tree and a private scratch/tmp",
    "home directories, /tmp and /run hidden (empty tmpfs); only the interpreter, "
    "the environment and the repository are bound back read-only",
    "own PID namespace and /proc: the agent's processes and environment are invisible",
    "the whole process tree is killed when the run ends or the agent dies",
    "no capabilities and a new session (no terminal injection)",
)


def bwrap_path() -> str | None:
    """The bwrap binary on PATH, or None."""
    return shutil.which("bwrap")


@functools.cache
def probe() -> str | None:
    """None when bwrap can build its namespaces here, else why not (missing, nested, refused)."""
    binary = bwrap_path()
    if binary is None:
        return "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    argv = wrap(binary, ["true"], Path("/"), writable=(), readable=(), hidden=())
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap cannot run here ({exc})"
    if done.returncode != 0:
        return f"bwrap cannot create namespaces here ({done.stderr.strip()[:200]})"
    return None


def _binds(flag: str, paths: Iterable[Path]) -> list[str]:
    """flag src dest for every path, at the same place inside."""
    out: list[str] = []
    for path in paths:
        out += [flag, str(path), str(path)]
    return out


def _under(path: Path, roots: Iterable[Path]) -> bool:
    """Whether path is one of roots or lies beneath one."""
    return any(path == r or r in path.parents for r in roots)


def wrap(
    binary: str,
    cmd: Sequence[str],
    cwd: Path,
    *,
    writable: Sequence[Path],
    readable: Sequence[Path],
    hidden: Sequence[Path],
) -> list[str]:
    """bwrap argv running cmd in cwd: root read-only, hidden paths empty, binds in path order."""
    argv = [binary, *_NAMESPACES, "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    if os.geteuid() == 0:
        # Root keeps every capability in bwrap by default; CAP_SYS_ADMIN could remount / rw.
        argv += ["--cap-drop", "ALL"]
    argv += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for path in sorted(set(hidden), key=lambda p: len(p.parts)):
        argv += ["--tmpfs", str(path)]
    # Only what a tmpfs hid needs binding back; the rest is visible through the root bind.
    mounts = [(p, "--ro-bind-try") for p in readable if _under(p, hidden)]
    mounts += [(p, "--bind") for p in writable]
    for path, flag in sorted(set(mounts), key=lambda m: (len(m[0].parts), m[1] == "--bind")):
        argv += _binds(flag, [path])
    return [*argv, "--chdir", str(cwd), "--", *cmd]
