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
    "a narrow view of the host: only system libraries, a few /etc files, the interpreter, "
    "the environment and the repository, all read-only; no credential files",
    "host unix sockets: every socket file the kernel lists inside those trees is /dev/null",
    "writes only to the measured tree and a private scratch; /tmp, /dev/shm, HOME and TMPDIR "
    "are private tmpfs of 512 MiB each, counted in the run's memory; any one file at most 1 GiB",
    "own PID namespace and /proc: the agent's processes and environment are invisible",
    "the whole process tree is killed when the run ends or the agent dies",
    "no capabilities but root's file-permission ones, and a new session (no terminal injection)",
)
# The host's system directories a run needs; a merged-/usr symlink is recreated as one.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# The /etc files that programs read to start, link, resolve users and verify TLS; nothing else.
ETC = (
    "alternatives",
    "ca-certificates",
    "ca-certificates.conf",
    "crypto-policies",
    "fonts",
    "gai.conf",
    "gitconfig",
    "group",
    "host.conf",
    "hosts",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "locale.alias",
    "localtime",
    "magic",
    "mime.types",
    "nsswitch.conf",
    "os-release",
    "passwd",
    "pki",
    "protocols",
    "python3",
    "services",
    "ssl",
    "terminfo",
    "timezone",
)
# What root keeps inside: its power over file permissions in what the run sees, nothing else.
ROOT_CAPS = ("--cap-add", "CAP_DAC_OVERRIDE", "--cap-add", "CAP_FOWNER", "--cap-add", "CAP_CHOWN")
# Each private tmpfs (/tmp, home directories) holds this much at most; it counts as memory.
TMPFS_BYTES = 512 * 1024 * 1024


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


def _system() -> list[str]:
    """Binds of the system directories and /etc files that exist here, read-only."""
    argv: list[str] = []
    for name in SYSTEM:
        path = Path(name)
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            argv += ["--ro-bind", name, name]
    for name in ETC:
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return argv


def shown(readable: Iterable[Path], writable: Iterable[Path]) -> list[Path]:
    """Every host tree a bwrap run shows: system folders, the /etc files, readable, writable."""
    system = [Path(n) for n in SYSTEM if Path(n).is_dir() and not Path(n).is_symlink()]
    return [*system, *(Path("/etc", n) for n in ETC), *readable, *writable]


def wrap(
    binary: str,
    cmd: Sequence[str],
    cwd: Path,
    *,
    writable: Sequence[Path],
    readable: Sequence[Path],
    hidden: Sequence[Path],
    private: Sequence[Path] = (),
    masked: Sequence[Path] = (),
    seccomp_fd: int | None = None,
) -> list[str]:
    """bwrap argv running cmd in cwd over only the system, readable and writable paths.

    private: folders (the run's HOME and TMPDIR) that become sized tmpfs, a quota on scratch.
    masked: host socket files in those trees, each covered by /dev/null (connect is refused).
    """
    argv = [binary, *_NAMESPACES, "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    if os.geteuid() == 0:
        # Root keeps every capability in bwrap by default; CAP_SYS_ADMIN could remount / rw.
        # Only file permissions stay root's (test suites run as root expect them), and only
        # over the trees bound here, read-only ones refusing writes whatever the mode bits.
        # Never CAP_DAC_READ_SEARCH: open_by_handle_at would reach files outside the binds.
        argv += ["--cap-drop", "ALL", *ROOT_CAPS]
    size = str(TMPFS_BYTES)
    # bwrap's /dev is a tmpfs of no size: /dev/shm gets one of its own, sized like the others.
    argv += [*_system(), "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm", "--proc", "/proc"]
    for path in sorted({Path("/tmp"), *hidden}, key=lambda p: len(p.parts)):
        argv += ["--size", size, "--tmpfs", str(path)]
    # Parents first, so a deeper bind lands on top of the one it lies in.
    mounts = {(p, "--ro-bind-try") for p in readable if p not in writable}
    mounts |= {(p, "--bind") for p in writable}
    for path, flag in sorted(mounts, key=lambda m: (len(m[0].parts), m[1] == "--bind")):
        argv += _binds(flag, [path])
    for path in private:
        argv += ["--size", size, "--tmpfs", str(path)]
    for path in masked:
        argv += ["--ro-bind", "/dev/null", str(path)]
    # bwrap's own root is a tmpfs that root inside could write to.
    argv += ["--remount-ro", "/"]
    if seccomp_fd is not None:
        argv += ["--seccomp", str(seccomp_fd)]
    return [*argv, "--chdir", str(cwd), "--", *cmd]
