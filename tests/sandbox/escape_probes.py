"""Probes that model-written code could run to reach past the sandbox, and host-side observers."""

from __future__ import annotations

import contextlib
import ctypes
import platform
import select
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Everything the probe tries, each recorded as ("ok", detail) or ("denied", error name).
PROBE = r"""
import ctypes, json, os, socket, subprocess, sys
args = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
seen = {}
def attempt(name, action):
    try:
        seen[name] = ("ok", action())
    except Exception as exc:
        seen[name] = ("denied", type(exc).__name__)
def unix(path):
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(3)
        sock.connect(path)
        sock.sendall(b"escaped")
    return path
attempt("unix_tmp", lambda: unix(args["unix_tmp"]))
attempt("unix_var", lambda: unix(args["unix_var"]))
attempt("unix_abstract", lambda: unix("\0" + args["abstract"]))
def udp():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        return sock.sendto(b"escaped", ("127.0.0.1", args["udp_port"]))
attempt("udp_host_loopback", udp)
attempt("cred_tmp", lambda: open(args["cred_tmp"]).read())
attempt("cred_var", lambda: open(args["cred_var"]).read())
attempt("etc_shadow_exists", lambda: os.path.exists("/etc/shadow") or 1 / 0)
attempt("run_exists", lambda: os.listdir("/run") or 1 / 0)
def shm():
    with open(args["shm"], "w") as out:
        out.write("escaped")
    return args["shm"]
attempt("dev_shm", shm)
attempt("host_cmdline", lambda: open(f"/proc/{args['host_pid']}/cmdline", "rb").read().hex())
attempt("signal_host", lambda: os.kill(args["host_pid"], 0))
def sysv():
    ident = libc.shmget(args["sysv_key"], 4096, 0o1000 | 0o600)
    if ident < 0:
        raise OSError(ctypes.get_errno(), "shmget")
    return ident
attempt("sysv_shm", sysv)
subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(120)", args["marker"]],
    start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
print(json.dumps(seen))
"""

# A fork bomb that stops by itself at `count` children, each waiting for the parent's exit.
FORK_BOMB = r"""
import os, sys
count = int(sys.argv[1])
read, write = os.pipe()
made = 0
for _ in range(count):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.close(write)
        os.read(read, 1)
        os._exit(0)
    made += 1
print(made)
"""

# Children that each touch `mb` MiB and hold it until the parent exits.
MEMORY_BOMB = r"""
import subprocess, sys
children, mb = int(sys.argv[1]), int(sys.argv[2])
hold = (
    "import sys; b = bytearray(%d * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); "
    "print('held', flush=True); sys.stdin.read()" % mb
)
procs = [
    subprocess.Popen([sys.executable, "-c", hold], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    for _ in range(children)
]
held = sum(proc.stdout.readline().strip() == b"held" for proc in procs)
print(held)
"""

# add_key, request_key, keyctl; the test only needs these two architectures' numbers.
_KEY_CALLS = {"x86_64": (248, 249, 250), "aarch64": (217, 218, 219)}
KEY_SPEC_SESSION, KEY_SPEC_USER = -3, -4
_KEYCTL_JOIN, _KEYCTL_SETPERM, _KEYCTL_LINK, _KEYCTL_UNLINK, _KEYCTL_SEARCH = 1, 5, 8, 9, 10
_USER_ALL = 0x3F3F0000

# Keys: read the planted one from @s and @u, leave a new one in each.
KEY_PROBE = r"""
import ctypes, json, sys
add_key, request_key, keyctl = json.loads(sys.argv[1])
planted, left = sys.argv[2], sys.argv[3]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
seen = {}
for name, ring in (("session", -3), ("user", -4)):
    serial = libc.syscall(keyctl, 10, ring, b"user", planted.encode(), 0)
    buf = ctypes.create_string_buffer(256)
    got = libc.syscall(keyctl, 11, serial, buf, 256) if serial > 0 else -1
    seen[f"read_{name}"] = buf.raw[:got].decode() if got > 0 else f"errno {ctypes.get_errno()}"
    made = libc.syscall(add_key, b"user", left.encode(), b"left behind", 11, ring)
    seen[f"leave_{name}"] = "ok" if made > 0 else f"errno {ctypes.get_errno()}"
print(json.dumps(seen))
"""


def key_calls() -> tuple[int, int, int] | None:
    """This machine's add_key, request_key, keyctl numbers, None where the test lacks them."""
    return _KEY_CALLS.get(platform.machine())


class Keys:
    """The test's own keyring work: a fresh session keyring, planted keys, lookups, clean-up."""

    def __init__(self) -> None:
        calls = key_calls()
        assert calls is not None
        self.add_key, _, self.keyctl = calls
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.syscall.restype = ctypes.c_long

    def join_fresh_session(self) -> None:
        """This process leaves the shared session keyring for a new, empty one."""
        assert self.libc.syscall(self.keyctl, _KEYCTL_JOIN, None) > 0

    def plant(self, description: str, payload: str, ring: int) -> int:
        """A user key its owner may read, in ring (made in the session first, which we possess)."""
        data = payload.encode()
        serial = self.libc.syscall(
            self.add_key, b"user", description.encode(), data, len(data), KEY_SPEC_SESSION
        )
        assert serial > 0, ctypes.get_errno()
        # Readable by the owner, not only its possessor: @u is not linked into a fresh session.
        assert self.libc.syscall(self.keyctl, _KEYCTL_SETPERM, serial, _USER_ALL) == 0
        if ring != KEY_SPEC_SESSION:
            assert self.libc.syscall(self.keyctl, _KEYCTL_LINK, serial, ring) == 0
            assert self.libc.syscall(self.keyctl, _KEYCTL_UNLINK, serial, KEY_SPEC_SESSION) == 0
        return int(serial)

    def find(self, description: str, ring: int) -> int | None:
        """The serial of a user key in ring, or None."""
        serial = self.libc.syscall(
            self.keyctl, _KEYCTL_SEARCH, ring, b"user", description.encode(), 0
        )
        return int(serial) if serial > 0 else None

    def remove(self, description: str, ring: int) -> None:
        """Unlink every key of that description from ring."""
        while (serial := self.find(description, ring)) is not None:
            self.libc.syscall(self.keyctl, _KEYCTL_UNLINK, serial, ring)


@dataclass
class Observers:
    """Host-side ends of the escapes: sockets that record what reached them, and the names used."""

    unix_tmp: str
    unix_var: str
    abstract: str
    udp: socket.socket
    received: list[str] = field(default_factory=list)
    sockets: list[socket.socket] = field(default_factory=list)

    def udp_arrived(self, wait_s: float) -> bool:
        """Whether a datagram reached the host's UDP port within wait_s (it is sent before)."""
        ready, _, _ = select.select([self.udp], [], [], wait_s)
        return bool(ready)


def _serve(sock: socket.socket, name: str, received: list[str], stop: threading.Event) -> None:
    """Accept on sock until stopped, noting name for every connection."""
    sock.settimeout(0.1)
    while not stop.is_set():
        try:
            conn, _ = sock.accept()
        except OSError:
            continue
        with conn:
            received.append(name)


@contextlib.contextmanager
def observers(tmp_dir: Path, var_dir: Path) -> Iterator[Observers]:
    """Unix sockets in a /tmp folder, under /var and in the abstract namespace; a UDP port."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    found = Observers(
        str(tmp_dir / "s.sock"), str(var_dir / "s.sock"), f"agent-escape-{uuid.uuid4().hex}", udp
    )
    stop = threading.Event()
    threads = []
    for name, address in (
        ("unix_tmp", found.unix_tmp),
        ("unix_var", found.unix_var),
        ("unix_abstract", "\0" + found.abstract),
    ):
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(address)
        sock.listen(4)
        found.sockets.append(sock)
        thread = threading.Thread(target=_serve, args=(sock, name, found.received, stop))
        thread.start()
        threads.append(thread)
    try:
        yield found
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        for sock in [*found.sockets, udp]:
            sock.close()


def sysv_ids(key: int) -> list[int]:
    """Ids of the host's SysV shared memory segments with key."""
    lines = Path("/proc/sysvipc/shm").read_text(encoding="ascii").splitlines()[1:]
    return [int(line.split()[1]) for line in lines if int(line.split()[0]) == key]


def remove_sysv(key: int) -> None:
    """Remove the segments an escaped probe made (IPC_RMID)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for ident in sysv_ids(key):
        libc.shmctl(ident, 0, None)
