"""The host's unix sockets a sandbox could see: each becomes /dev/null inside, so connect fails.

A read-only bind does not stop connect(2) on a socket file, and no Landlock ABI up to 7 refuses
it, so the sandbox hides the socket files themselves. The kernel lists every bound socket of a
network namespace in its net/unix table; the tables of all namespaces this process can read
are taken, and every listed path that is a socket inside a tree the sandbox shows is masked.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

# What the mask leaves open, for the report.
UNMASKED = (
    "host unix sockets bound by a relative path, renamed or hard-linked after bind, or bound "
    "after the run started, inside a tree the run sees (the kernel's table names none of them)"
)


def _tables(proc: Path) -> Iterator[tuple[Path, Path]]:
    """(net/unix table, that process's root) once per network namespace readable here."""
    yield proc / "net" / "unix", Path("/")
    seen = set()
    with contextlib.suppress(OSError):
        seen.add(os.stat(proc / "self" / "ns" / "net").st_ino)
    try:
        pids = [entry for entry in os.listdir(proc) if entry.isdigit()]
    except OSError:
        return
    for pid in pids:
        try:
            namespace = os.stat(proc / pid / "ns" / "net").st_ino
        except OSError:
            continue
        if namespace not in seen:
            seen.add(namespace)
            yield proc / pid / "net" / "unix", proc / pid / "root"


def listed(text: str) -> list[str]:
    """The absolute socket paths in a net/unix table (abstract and unbound ones are skipped)."""
    paths = []
    for line in text.splitlines()[1:]:
        fields = line.split(None, 7)
        if len(fields) == 8 and fields[7].startswith("/"):
            paths.append(fields[7])
    return paths


def bound_sockets(proc: Path = Path("/proc")) -> set[Path]:
    """Every socket file the kernel lists in a namespace readable here, as this process sees it."""
    found: set[Path] = set()
    for table, root in _tables(proc):
        try:
            text = table.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for name in listed(text):
            # Another mount namespace's path, seen through that process's root when we can.
            for candidate in {Path(name), Path(os.path.realpath(f"{root}{name}"))}:
                if _is_socket(candidate):
                    found.add(Path(os.path.realpath(candidate)))
    return found


def _is_socket(path: Path) -> bool:
    """Whether path names a socket file now (a symlink to one counts)."""
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _under(path: Path, roots: Iterable[Path]) -> bool:
    """Whether path is one of roots or lies beneath one."""
    return any(path == r or r in path.parents for r in roots)


def visible(sockets: Iterable[Path], shown: Iterable[Path], hidden: Iterable[Path]) -> list[Path]:
    """The sockets in a shown tree that no hidden folder covers (unless shown again below it)."""
    shown_list, hidden_list = list(shown), list(hidden)
    out = []
    for sock in sockets:
        kept = [r for r in shown_list if _under(sock, [r])]
        if not kept:
            continue
        covers = [h for h in hidden_list if _under(sock, [h])]
        # The deepest shown tree holding it wins over a hidden folder above that tree.
        deepest = max(len(r.parts) for r in kept)
        if all(len(h.parts) < deepest for h in covers) or not covers:
            out.append(sock)
    return sorted(out)
