"""The GitHubIntegration tests' fixtures, a plugin their modules list in pytest_plugins."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from self_improving_agent.git_ops.github import GitHubIntegration
from tests.conftest import git, make_repo
from tests.git_ops.github_kit import BRANCH, Clock, connect

if TYPE_CHECKING:
    from tests.git_ops.fake_github import FakeGitHub


@pytest.fixture
def clock() -> Clock:
    """A fresh fake clock."""
    return Clock()


@pytest.fixture
def work(tmp_path: Path, fake_github: FakeGitHub) -> Path:
    """A clone-like repository whose origin is the fake's bare repo, with main pushed."""
    repo = make_repo(tmp_path / "work", {"app.py": "x = 1\n"})
    git(repo, "remote", "add", "origin", str(fake_github.bare_repo))
    git(repo, "push", "-q", "origin", "main")
    git(repo, "checkout", "-q", "-b", BRANCH)
    (repo / "app.py").write_text("x = 2\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "raise x")
    return repo


@pytest.fixture
def gh(work: Path, fake_github: FakeGitHub, clock: Clock) -> GitHubIntegration:
    """An integration for the work repository."""
    return connect(work, fake_github, clock)


@pytest.fixture
def pr(gh: GitHubIntegration) -> int:
    """The number of a pull request opened from the pushed generation branch."""
    gh.push_branch(BRANCH)
    return gh.create_pr("Raise x", "packet", BRANCH, "main").number
