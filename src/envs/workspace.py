"""Workspaces: a repository holding several projects, each with its own project file."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import Any

MEMBER_FILES = ("pyproject.toml", "setup.py")
# Folders whose project files are fixtures or examples, never members of the workspace.
NOT_MEMBERS = frozenset(
    {"tests", "test", "testing", "docs", "doc", "examples", "benchmarks", ".venv", "venv", ".tox"}
)
MAX_DEPTH = 3


def _declared_globs(pyproject: Mapping[str, Any]) -> list[str]:
    """Member globs of a uv workspace ([tool.uv.workspace] members)."""
    tool = pyproject.get("tool") or {}
    members = ((tool.get("uv") or {}).get("workspace") or {}).get("members")
    return [m for m in members if isinstance(m, str)] if isinstance(members, list) else []


def member_dirs(files: list[str], root_is_project: bool, pyproject: Mapping[str, Any]) -> list[str]:
    """The workspace's member folders: uv's members, or each top-most project below a bare root."""
    folders = sorted(
        {
            str(PurePosixPath(f).parent)
            for f in files
            if PurePosixPath(f).name in MEMBER_FILES and "/" in f
        }
    )
    globs = _declared_globs(pyproject)
    if globs:
        return [d for d in folders if any(fnmatch(d, g) for g in globs)]
    if root_is_project:
        return []
    found: list[str] = []
    for folder in folders:
        parts = PurePosixPath(folder).parts
        if len(parts) > MAX_DEPTH or NOT_MEMBERS.intersection(parts):
            continue
        if not any(folder.startswith(f"{outer}/") for outer in found):
            found.append(folder)
    return found


def members_of(tree: Path) -> list[str]:
    """The member folders of a checked-out tree (what the overlay installs)."""
    files = [
        rel.as_posix()
        for name in MEMBER_FILES
        for path in tree.rglob(name)
        if len((rel := path.relative_to(tree)).parts) <= MAX_DEPTH + 1
    ]
    root_is_project = any((tree / name).is_file() for name in (*MEMBER_FILES, "setup.cfg"))
    try:
        pyproject = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        pyproject = {}
    return member_dirs(files, root_is_project, pyproject)
