"""The programs a project ships itself: its console scripts and top-level packages."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

SOURCE_FOLDERS = ("", "src/")


def tools_from(pyproject: str | None, folders: list[str]) -> frozenset[str]:
    """Console-script names of a pyproject text, and the package folders given."""
    names = set(folders)
    try:
        data = tomllib.loads(pyproject or "")
    except tomllib.TOMLDecodeError:
        data = {}
    project = data.get("project", {})
    for table in ("scripts", "gui-scripts"):
        scripts = project.get(table, {}) if isinstance(project, dict) else {}
        names.update(str(key) for key in scripts if isinstance(scripts, dict))
    poetry = data.get("tool", {}).get("poetry", {}).get("scripts", {})
    names.update(str(key) for key in poetry if isinstance(poetry, dict))
    return frozenset(names)


@lru_cache(maxsize=16)
def own_tools(root: Path) -> frozenset[str]:
    """The project's own programs under root (read once per root)."""
    try:
        pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pyproject = None
    folders = [
        child.name
        for prefix in SOURCE_FOLDERS
        if (root / prefix).is_dir()
        for child in (root / prefix).iterdir()
        if (child / "__init__.py").is_file() and child.name.isidentifier()
    ]
    return tools_from(pyproject, folders)
