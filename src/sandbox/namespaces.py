"""Namespaces for Landlock runs: private mounts, network, IPC and PIDs, set up by hand.

As root they are made directly; without root inside a new user namespace that maps only the
user's own uid and gid, where the kernel allows unprivileged user namespaces.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import os
import signal
import socket
import struct
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

_CLONE_NEWNS, _CLONE_NEWIPC, _CLONE_NEWNET, _CLONE_NEWPID = (
    0x20000,
    0x8000000,
    0x40000000,
    0x20000000,
)
_FLAGS = _CLONE_NEWNS | _CLONE_NEWIPC | _CLONE_NEWNET | _CLONE_NEWPID
_CLONE_NEWUSER = 0x10000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_BIND, _MS_REC, _MS_PRIVATE = 2, 4, 8, 4096, 16384, 1 << 18
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1
_PR_SET_PDEATHSIG = 1
# The private /tmp, /dev/shm and home tmpfs each hold this much at most.
TMPFS_SIZE = "size=512m"

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    """Fail closed in the child: a namespace step that did not happen ends it before exec."""
    if result != 0:
        os.write(2, f"sandbox: {what} failed (errno {ctypes.get_errno()})\n".encode())
        os._exit(126)


def _mount(
    source: bytes | None, target: bytes, fstype: bytes | None, flags: int, data: bytes | None
) -> None:
    """mount(2), failing closed."""
    _check(_libc.mount(source, target, fstype, flags, data), f"mount {target.decode()}")


def _flags() -> int:
    """The namespaces to unshare: a user namespace too when not root."""
    return _FLAGS if os.geteuid() == 0 else _FLAGS | _CLONE_NEWUSER


def _write(path: str, text: str) -> None:
    """Write a /proc/self control file, failing closed."""
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _map_ids(uid: int, gid: int) -> None:
    """In a new user namespace, map only uid and gid, each to itself."""
    if uid != 0:
        # The run keeps the user's identity: files it writes in the tree stay the user's.
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")


@functools.cache
def available() -> bool:
    """Whether this process may unshare the four namespaces (and a user namespace, not root)."""
    uid, gid = os.geteuid(), os.getegid()

    def attempt() -> None:
        """Runs in the probe child."""
        if _libc.unshare(_flags()) != 0:
            raise OSError(ctypes.get_errno(), "unshare")
        _map_ids(uid, gid)

    try:
        done = subprocess.run(["true"], preexec_fn=attempt, check=False, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _loopback_up() -> None:
    """Bring up lo in the fresh network namespace: local test servers work, nothing else does."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        name = b"lo".ljust(16, b"\0")
        flags = struct.unpack("16sH", fcntl.ioctl(sock, _SIOCGIFFLAGS, name + b"\0" * 24)[:18])[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, name + struct.pack("H", flags | _IFF_UP) + b"\0" * 22)


def _under(path: Path, root: Path) -> bool:
    """Whether path is root or lies beneath it."""
    return path == root or root in path.parents


def _hide(hidden: list[Path], keep: list[Path]) -> None:
    """A sized tmpfs over each hidden dir, with the kept paths beneath it bound back in place."""
    for top in hidden:
        if any(other != top and _under(top, other) for other in hidden):
            continue
        below = [p for p in keep if _under(p, top) and p != top]
        fds = []
        for path in below:
            with contextlib.suppress(OSError):
                fds.append((path, os.open(path, os.O_PATH | os.O_CLOEXEC)))
        _mount(b"tmpfs", bytes(top), b"tmpfs", _MS_NOSUID | _MS_NODEV, TMPFS_SIZE.encode())
        for path, fd in sorted(fds, key=lambda item: len(item[0].parts)):
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.makedirs(path, exist_ok=True)
            else:
                os.makedirs(path.parent, exist_ok=True)
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            _mount(f"/proc/self/fd/{fd}".encode(), bytes(path), None, _MS_BIND | _MS_REC, None)
            os.close(fd)


def _wait_as_parent(child: int) -> None:
    """The process left outside the PID namespace: mirror the child's end, never return."""
    # Popen waits for its exec-error pipe to close; only the child may hold it.
    os.closerange(3, 1 << 16)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def isolate_step(
    hidden: Iterable[Path],
    keep: Iterable[Path],
    private: Iterable[Path],
    mounted: Callable[[], None],
    masked: Iterable[Path] = (),
) -> Callable[[], None]:
    """Child setup: new namespaces; the tool runs as PID 1 over a private /proc, /dev/shm, /tmp.

    When it exits, the kernel kills everything else in its PID namespace, daemons included.
    private folders (HOME, TMPDIR) become sized tmpfs, a quota on scratch. masked host socket
    files are covered by /dev/null. mounted runs once the new mounts are in place (to grant them
    to Landlock).
    """
    hidden_dirs = sorted({p for p in hidden if p.is_dir()}, key=lambda p: len(p.parts))
    kept = sorted(set(keep), key=lambda p: len(p.parts))
    private_dirs = list(private)
    sockets = list(masked)
    uid, gid = os.geteuid(), os.getegid()

    def isolate() -> None:
        """Runs between fork and exec, before capabilities are dropped."""
        _check(_libc.unshare(_flags()), "unshare")
        try:
            _map_ids(uid, gid)
        except OSError as exc:
            os.write(2, f"sandbox: the user namespace could not be set up ({exc})\n".encode())
            os._exit(126)
        _mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None)
        child = os.fork()
        if child != 0:
            _wait_as_parent(child)
        # The parent outside cannot die first unnoticed: the agent kills both as one group.
        _check(_libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
        try:
            _populate(hidden_dirs, kept, private_dirs, sockets)
            mounted()
        except OSError as exc:
            # An exception would reach the agent as a preexec failure; this is the tool's end.
            os.write(2, f"sandbox: namespace setup failed ({exc})\n".encode())
            os._exit(126)

    return isolate


def _populate(
    hidden: list[Path], keep: list[Path], private: list[Path], sockets: list[Path]
) -> None:
    """Inside the new namespaces: loopback up, folders hidden, sockets masked, private /proc."""
    _loopback_up()
    _hide(hidden, keep)
    for path in sockets:
        # Gone since the agent looked is fine: there is nothing left to reach.
        if os.path.exists(path):
            _mount(b"/dev/null", bytes(path), None, _MS_BIND, None)
    _mount(b"proc", b"/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None)
    tmpfs = (b"tmpfs", b"tmpfs", _MS_NOSUID | _MS_NODEV, TMPFS_SIZE.encode())
    if Path("/dev/shm").is_dir():
        _mount(tmpfs[0], b"/dev/shm", *tmpfs[1:])
    for path in private:
        _mount(tmpfs[0], bytes(path), *tmpfs[1:])
