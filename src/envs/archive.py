"""Extracting a tar archive as plain data, on every Python 3.11 patch release."""

import copy
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

from self_improving_agent.envs.model import EnvError

# tarfile's extraction filters arrived in 3.11.4; 3.11.0-3.11.3 (Debian 12 ships 3.11.2) lack them.
HAS_DATA_FILTER = hasattr(tarfile, "data_filter")
REFUSED = "refused to extract the committed tree"
FIX = "remove that path from the commit or make the link relative and inside the tree"


def extract_data(tar: tarfile.TarFile, into: Path, *, use_filter: bool = HAS_DATA_FILTER) -> None:
    """Extract every member as plain data (the checks below, plus the "data" filter if present)."""
    members = checked_members(tar, into)
    if not use_filter:
        tar.extractall(into, members=members)
        return
    try:
        tar.extractall(into, members=members, filter="data")
    except tarfile.FilterError as err:
        raise EnvError(f"{REFUSED}: {err}; {FIX}") from err


def checked_members(tar: tarfile.TarFile, into: Path) -> Iterator[tarfile.TarInfo]:
    """Each member made safe like the "data" filter, checked just before it is written."""
    # Lazy on purpose: extractall writes each member before the next is checked, so a link
    # written earlier is resolved when a later path runs through it, as the filter does.
    root = os.path.realpath(into)
    for member in tar.getmembers():
        problem = unsafe(member, root)
        if problem:
            raise EnvError(f"{REFUSED}: {member.name!r} {problem}; {FIX}")
        yield _plain(member)


def unsafe(member: tarfile.TarInfo, root: str) -> str | None:
    """Why extracting member under root would be unsafe, or None when it is plain data."""
    name = member.name
    if name.startswith("/") or os.path.isabs(name):
        return "has an absolute path"
    if not _inside(root, os.path.join(root, name)):
        return "would be written outside the destination"
    if member.ischr() or member.isblk() or member.isfifo() or member.isdev():
        return "is a device or a FIFO"
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        return "is neither a file, a folder nor a link"
    if member.issym():
        if os.path.isabs(member.linkname):
            return "is a link to an absolute path"
        target = os.path.join(root, os.path.dirname(name), member.linkname)
        if not _inside(root, target):
            return "is a link that points outside the destination"
    if member.islnk():
        if os.path.isabs(member.linkname):
            return "is a hard link to an absolute path"
        if not _inside(root, os.path.join(root, member.linkname)):
            return "is a hard link that points outside the destination"
    return None


def _inside(root: str, path: str) -> bool:
    """Whether path, with links and `..` resolved, stays under root."""
    return os.path.commonpath([root, os.path.realpath(path)]) == root


def _plain(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """A copy owned by us, without set-id, sticky or group/other write bits, as "data" does."""
    # TarInfo.replace() arrived with the filters, so copy by hand.
    plain = copy.copy(member)
    plain.mode = member.mode & 0o755
    if member.isfile() and not plain.mode & 0o100:
        plain.mode &= ~0o111
    plain.uid, plain.gid, plain.uname, plain.gname = os.getuid(), os.getgid(), "", ""
    return plain
