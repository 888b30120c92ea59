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
    """Member globs of a uv workspace ([tool.uv.workspace] members) or of hatch's environments
    ([tool.hatch.envs.<name>.workspace] members, strings or {path = ...} tables)."""
    tool = pyproject.get("tool") or {}
    members = ((tool.get("uv") or {}).get("workspace") or {}).get("members")
    found = [m for m in members if isinstance(m, str)] if isinstance(members, list) else []
    envs = (tool.get("hatch") or {}).get("envs") or {}
    for spec in envs.values() if isinstance(envs, dict) else []:
        listed = ((spec.get("workspace") if isinstance(spec, dict) else None) or {}).get("members")
        for item in listed if isinstance(listed, list) else []:
            path = item.get("path") if isinstance(item, dict) else item
            if isinstance(path, str):
                found.append(path.strip("./") or ".")
    return found


def is_project(pyproject: Mapping[str, Any], files: list[str]) -> bool:
    """Whether a folder is itself a project: [project], Poetry, or a setup.py/setup.cfg.

    A uv workspace root with [project] but no [build-system] is virtual, as uv reads it: uv
    never builds or installs it (unless [tool.uv] package = true).
    """
    tool = pyproject.get("tool") or {}
    uv = tool.get("uv") or {}
    if "workspace" in uv and "build-system" not in pyproject and uv.get("package") is not True:
        return bool("poetry" in tool or any(n in files for n in ("setup.py", "setup.cfg")))
    return bool(
        "project" in pyproject
        or "poetry" in tool
        or any(name in files for name in ("setup.py", "setup.cfg"))
    )


def measured_members(files: list[str], pyproject: Mapping[str, Any]) -> list[str]:
    """The members measured one by one: a workspace whose root is not itself a project."""
    if is_project(pyproject, files):
        return []
    return member_dirs(files, False, pyproject)


def project_name(pyproject: Mapping[str, Any]) -> str | None:
    """A project's name from [project] or [tool.poetry], or None."""
    name = (pyproject.get("project") or {}).get("name")
    name = name or ((pyproject.get("tool") or {}).get("poetry") or {}).get("name")
    return name if isinstance(name, str) else None


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
    try:
        pyproject = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        pyproject = {}
    top = [name for name in ("setup.py", "setup.cfg") if (tree / name).is_file()]
    return member_dirs(files, is_project(pyproject, top), pyproject)


def measured_members_in(tree: Path, files: list[str]) -> list[str]:
    """The members measured one by one in a tree given its files (see measured_members)."""
    try:
        pyproject = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        pyproject = {}
    return measured_members(files, pyproject)
