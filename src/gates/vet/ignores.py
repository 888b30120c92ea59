"""Ignore files (.gitignore, .ignore) as ruff reads them: which code they hide from the checks."""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterable

# Files whose patterns make ruff (respect-gitignore, the `ignore` crate's rules) skip files.
IGNORE_FILES = frozenset({".gitignore", ".ignore"})
CODE_SUFFIXES = (".py", ".pyi", ".ipynb")


def _patterns(text: str | None) -> list[tuple[str, bool, bool]]:
    """(pattern, anchored, folder-only) for each hiding line (comments and negations left out)."""
    found = []
    for raw in (text or "").splitlines():
        line = raw.rstrip()
        if not line or line.startswith(("#", "!")):
            continue
        folder_only = line.endswith("/")
        line = line.strip("/") if folder_only else line
        anchored = "/" in line.lstrip("/") or line.startswith("/")
        found.append((line.lstrip("/"), anchored, folder_only))
    return found


def _hidden(path: str, patterns: list[tuple[str, bool, bool]]) -> bool:
    """Whether a path (relative to the ignore file's folder) or a folder above it matches."""
    parts = path.split("/")
    for pattern, anchored, folder_only in patterns:
        for end in range(1, len(parts) + 1):
            if folder_only and end == len(parts):
                continue
            prefix = "/".join(parts[:end])
            name = parts[end - 1]
            candidate = prefix if anchored else name
            if fnmatch.fnmatchcase(candidate, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatchcase(prefix, pattern[3:])
            ):
                return True
    return False


def newly_hidden(
    path: str, before: str | None, after: str | None, files: Iterable[str]
) -> list[str]:
    """Python files the new version of an ignore file hides from ruff that the old did not."""
    folder = posixpath.dirname(path)
    prefix = f"{folder}/" if folder else ""
    old, new = _patterns(before), _patterns(after)
    found = []
    for file in files:
        if not file.endswith(CODE_SUFFIXES) or not file.startswith(prefix):
            continue
        rel = file[len(prefix) :]
        if _hidden(rel, new) and not _hidden(rel, old):
            found.append(file)
    return sorted(found)
