"""Fixtures the git tests share: a small repository on main and the agent's git bound to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.git_ops.worktree import GenerationGit
from tests.conftest import make_repo


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small repository with two files on main."""
    return make_repo(tmp_path / "project", {"app.py": "x = 1\n", "notes.md": "notes\n"})


@pytest.fixture
def gg(project: Path) -> GenerationGit:
    """GenerationGit bound to the project."""
    return GenerationGit(project)
