"""The main line is found, not assumed; a missing one is refused before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.base.errors import GitError
from self_improving_agent.git_ops.main_branch import (
    detect_main_branch,
    measuring_ref,
    resolve_main_branch,
)
from tests.conftest import git, make_repo


def test_heads_branch_wins(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    git(repo, "branch", "-m", "main", "trunk")
    assert detect_main_branch(repo) == resolve_main_branch(repo, None) == "trunk"


def test_detached_head_uses_origin_head_else_main_else_master(tmp_path: Path) -> None:
    upstream = make_repo(tmp_path / "up")
    git(upstream, "branch", "-m", "main", "develop")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    git(clone, "checkout", "-q", "--detach")
    assert detect_main_branch(clone) == "develop"
    repo = make_repo(tmp_path / "r")
    git(repo, "branch", "-m", "main", "master")
    git(repo, "checkout", "-q", "--detach")
    assert detect_main_branch(repo) == "master"
    git(repo, "branch", "main")
    assert detect_main_branch(repo) == "main"


def test_nothing_to_go_by_is_a_setup_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    git(repo, "branch", "-m", "main", "feature")
    git(repo, "checkout", "-q", "--detach")
    with pytest.raises(GitError, match="pass --main-branch"):
        detect_main_branch(repo)
    assert measuring_ref(repo, None) == "HEAD"


def test_a_named_branch_must_exist(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    assert resolve_main_branch(repo, "main") == "main"
    with pytest.raises(GitError, match="Branch 'nope' does not exist"):
        resolve_main_branch(repo, "nope")
