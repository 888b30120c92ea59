"""Landlock by raw syscalls: a ruleset built in the parent, enforced in the child before exec."""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# The syscall numbers are the same on every architecture that has Landlock.
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_STAT = (
    "the existence, size and times of host files outside the view (Landlock does not govern "
    "stat; their contents cannot be read)"
)
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_TRUNCATE, _IOCTL_DEV = 1 << 14, 1 << 15
# Access rights each ABI version knows; a newer kernel understands all older bits.
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_FILE_ONLY = _EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE | _IOCTL_DEV
_READ = _EXECUTE | _READ_FILE | _READ_DIR
_NET_TCP = (1 << 0) | (1 << 1)  # bind and connect, ABI 4
_SCOPES = (1 << 0) | (1 << 1)  # abstract unix sockets and signals, ABI 6


class _RulesetAttr(ctypes.Structure):
    """struct landlock_ruleset_attr (ABI 6 size; older kernels get a shorter prefix)."""

    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    """struct landlock_path_beneath_attr, which the kernel declares packed."""

    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


@functools.cache
def abi_version() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is missing or disabled."""
    version = _libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return max(int(version), 0)


def _fs_rights(abi: int) -> int:
    """Every filesystem right the running ABI can restrict."""
    return max(bits for level, bits in _FS_BY_ABI.items() if level <= abi)


@dataclass(frozen=True)
class Covered:
    """What a Landlock ruleset of this ABI restricts, and what it leaves open."""

    abi: int
    restricts: tuple[str, ...]
    not_covered: tuple[str, ...]


def coverage(abi: int, isolated: bool = False) -> Covered:
    """Plain words for what ABI version abi enforces and what it cannot; isolated: namespaces."""
    restricts = ["filesystem writes outside the measured tree and scratch"]
    restricts.append(
        "reads of anything but what bwrap shows too: system folders, a few /etc files, the "
        "interpreter, the environment and the tree (no home, /tmp, /run, /var, other checkouts)"
    )
    missing = ["UDP and DNS to the host (Landlock has no UDP control)"]
    if isolated:
        restricts += [
            "own mount, network, IPC and PID namespaces: a private loopback, no route out, "
            "private SysV IPC, a private /proc (host command lines invisible)",
            "private tmpfs over /tmp, /run, home directories and /dev/shm: host unix sockets "
            "there are gone",
            "every process dies with the run, daemons and setsid stragglers too",
            "host unix sockets elsewhere (/var/lib, /var/tmp, /usr): every socket file the "
            "kernel lists is covered by /dev/null in the run's mount namespace",
        ]
        missing = [
            "host unix sockets bound by a relative path, renamed or hard-linked after bind, or "
            "bound after the run started: Landlock up to ABI 7 cannot refuse connect() by path",
            f"{_STAT}, /etc excepted (a private tmpfs holding only the files bwrap shows)",
        ]
    else:
        missing += [
            "connecting to any host unix socket by path the user may write to (in /tmp too): "
            "Landlock up to ABI 7 cannot refuse connect(), and masking needs a mount namespace",
            "no PID namespace: host processes and their command lines stay visible in /proc",
            "a daemonized process can outlive the run; after a SIGKILL of the agent only its "
            "direct child dies with it",
            "the host /dev/shm stays writable",
            "SysV shared memory and message queues are shared with the host",
            _STAT,
        ]
        if abi >= 4:
            restricts.append("TCP connect and bind to any address, the host's loopback included")
            missing.append("no private loopback: local test servers over TCP fail too")
        else:
            missing.append(f"TCP (needs Landlock ABI 4, this kernel has {abi})")
    if abi >= 6:
        restricts.append("signals and abstract unix sockets outside the sandbox")
    else:
        missing.append(f"signals and abstract unix sockets (need ABI 6, this kernel has {abi})")
    return Covered(abi, tuple(restricts), tuple(missing))


def _syscall(number: int, *args: object) -> int:
    """A raw syscall that raises OSError with errno on failure."""
    result = int(_libc.syscall(number, *args))
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return result


def _allow(ruleset: int, path: Path, rights: int) -> None:
    """Grant rights beneath path; a path that vanished is skipped, files get file rights only."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not path.is_dir():
            rights &= _FILE_ONLY
        attr = _PathBeneathAttr(rights, fd)
        _syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(attr), 0)
    finally:
        os.close(fd)


def grant(ruleset: int, path: Path, write: bool = False) -> None:
    """Grant reads (or everything) beneath path, in the child too: for mounts made after."""
    _allow(ruleset, path, _fs_rights(abi_version()) if write else _READ)


def build_ruleset(
    readable: Iterable[Path],
    writable: Iterable[Path],
    devices: Iterable[Path],
    tcp: bool = True,
) -> int:
    """A ruleset fd: reads of readable, all of writable, device files; the caller closes it.

    tcp: refuse TCP too; a run in its own network namespace keeps its private loopback instead.
    """
    abi = abi_version()
    fs = _fs_rights(abi)
    attr = _RulesetAttr(fs, _NET_TCP if abi >= 4 and tcp else 0, _SCOPES if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    try:
        for path in readable:
            _allow(ruleset, path, _READ)
        for path in devices:
            _allow(ruleset, path, _READ | _WRITE_FILE | (_IOCTL_DEV if abi >= 5 else 0))
        for path in writable:
            _allow(ruleset, path, fs)
    except OSError:
        os.close(ruleset)
        raise
    return ruleset


def enforce(ruleset: int) -> None:
    """In the child between fork and exec: no new privileges, then the ruleset for good."""
    # Fail closed: a child that could not be restricted must not run the target's code.
    if (
        _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
        or _libc.syscall(_RESTRICT_SELF, ruleset, 0) != 0
    ):
        os.write(2, b"sandbox: Landlock could not restrict this process\n")
        os._exit(126)
