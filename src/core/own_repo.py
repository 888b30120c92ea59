"""Whether a repository is the agent's own: its running package lives there, or the name says so."""

from __future__ import annotations

import tomllib
from pathlib import Path

import self_improving_agent

PROJECT_NAME = "self-improving-agent"


def project_name(repo: Path) -> str | None:
    """The `[project] name` of repo's pyproject.toml, or None when there is none."""
    try:
        data = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return name if isinstance(name, str) else None


def running_root() -> Path:
    """The checkout whose src/ this process runs as self_improving_agent."""
    return Path(self_improving_agent.__file__).resolve().parent.parent


def is_self_hosted(repo: Path, package_root: Path | None = None) -> bool:
    """Whether repo is the agent's own: its running package lives there, or the name matches."""
    root = (package_root or running_root()).resolve()
    target = repo.resolve()
    return root == target or target in root.parents or project_name(repo) == PROJECT_NAME
