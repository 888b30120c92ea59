"""Reading what sandboxed code left behind without following, blocking on or trusting it."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal

from self_improving_agent.base.errors import AgentError

ResultKind = Literal["junit", "coverage", "imports", "metadata", "report"]
# Far above what a real run writes (this repository's suite: junit ~1 MiB, coverage ~3 MiB),
# far below what would take the agent's memory: a result past its cap is a finding.
SIZE_CAPS: dict[ResultKind, int] = {
    "junit": 256 * 1024 * 1024,
    "coverage": 64 * 1024 * 1024,
    "imports": 4 * 1024 * 1024,
    "metadata": 1024 * 1024,
    "report": 16 * 1024 * 1024,
}
READ_TIMEOUT_S = 60.0
_CHUNK = 1024 * 1024
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
CONTAINMENT_FLAG = "containment_finding"


class UnsafeResult(AgentError):
    """A result file the sandboxed run replaced with something odd: a containment finding."""


def _kind_of(mode: int) -> str:
    """Plain words for a file type that is not a regular file."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _open_beneath(root: Path, rel: str) -> int | None:
    """An fd of root/rel opened one component at a time, never through a link; None if absent."""
    parts = PurePosixPath(rel).parts
    if not parts or any(p in ("..", "/") for p in parts):
        raise UnsafeResult(f"{rel!r} is not a plain path below the scratch folder")
    # root itself is made by the host before the sandbox runs; only what is below it is suspect.
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            try:
                child = os.open(part, _FILE_FLAGS if last else _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                return None
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    where = "/".join(parts[: index + 1])
                    raise UnsafeResult(f"{where} is a symbolic link or not a folder") from None
                raise
            os.close(fd)
            fd = child
        opened, fd = fd, -1
        return opened
    finally:
        if fd >= 0:
            os.close(fd)


def _checked(fd: int, rel: str, kind: ResultKind) -> int:
    """fd's size after making sure it is one regular file, linked once, within the kind's cap."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeResult(f"{rel} is {_kind_of(info.st_mode)}, not a regular file")
    if info.st_nlink != 1:
        raise UnsafeResult(f"{rel} has {info.st_nlink} hard links; a result file has one")
    cap = SIZE_CAPS[kind]
    if info.st_size > cap:
        raise UnsafeResult(f"{rel} is {info.st_size} bytes, over the {cap}-byte cap for {kind}")
    return info.st_size


@contextlib.contextmanager
def open_result(root: Path, rel: str, kind: ResultKind) -> Iterator[BinaryIO | None]:
    """A checked binary stream of root/rel (None when absent); UnsafeResult when it is odd."""
    fd = _open_beneath(root, rel)
    if fd is None:
        yield None
        return
    try:
        _checked(fd, rel, kind)
        # The file is regular, so reads never block; blocking mode keeps read() simple.
        os.set_blocking(fd, True)
        raw = os.fdopen(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise
    with raw:
        yield io.BufferedReader(
            _Bounded(raw, rel, SIZE_CAPS[kind], time.monotonic() + READ_TIMEOUT_S)
        )


class _Bounded(io.RawIOBase):
    """A reader that stops at the cap (a file growing while read) and at the deadline."""

    def __init__(self, inner: BinaryIO, rel: str, cap: int, deadline: float) -> None:
        super().__init__()
        self._inner, self._rel, self._left, self._deadline = inner, rel, cap, deadline

    def readable(self) -> bool:
        """A stream to read from."""
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Fill buffer from the file, refusing past the cap or the deadline."""
        if time.monotonic() > self._deadline:
            raise UnsafeResult(f"reading {self._rel} took longer than {READ_TIMEOUT_S:.0f}s")
        data = self._inner.read(min(len(buffer), _CHUNK, self._left + 1))
        if len(data) > self._left:
            raise UnsafeResult(f"{self._rel} grew past its size cap while being read")
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def read_result(root: Path, rel: str, kind: ResultKind) -> bytes | None:
    """The bytes of root/rel, checked like open_result; None when the file is absent."""
    with open_result(root, rel, kind) as stream:
        return None if stream is None else stream.read()


def read_result_text(root: Path, rel: str, kind: ResultKind) -> str | None:
    """read_result decoded as UTF-8 (bad bytes replaced)."""
    data = read_result(root, rel, kind)
    return None if data is None else data.decode("utf-8", errors="replace")


def write_private(path: Path, text: str) -> None:
    """Create path with text; never through a link and never over an existing file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
