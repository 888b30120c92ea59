"""Tests for moving main: worktree listing, dirty-path detection, fast-forward and ref update."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from self_improving_agent.base.errors import GitError, MergeRefused
from self_improving_agent.git_ops.mainline import (
    AGENT_REFLOG,
    advance_main,
    checkout_lag,
    dirty_among,
    holder_of,
    list_worktrees,
)
from tests.conftest import git, make_repo


def _commit_on_side(repo: Path, rel: str, text: str) -> str:
    """A commit on top of main, made without moving main; returns its sha."""
    git(repo, "checkout", "-q", "-b", "side")
    (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"change {rel}")
    sha = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "main")
    return sha


def test_list_worktrees_shows_branches_and_detached_heads(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", "--detach", str(tmp_path / "wt"), "main")
    entries = list_worktrees(repo)
    assert [e.branch for e in entries] == ["refs/heads/main", None]
    assert entries[1].path.resolve() == (tmp_path / "wt").resolve()
    assert entries[1].head == git(repo, "rev-parse", "main").strip()
    assert holder_of(repo, "main") is not None
    assert holder_of(repo, "other") is None


def test_dirty_among_finds_modified_staged_untracked_and_ignored(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {"a.txt": "a\n", "b c.txt": "b\n", "clean.txt": "c\n", ".gitignore": "*.log\n"},
    )
    (repo / "a.txt").write_text("mine\n", encoding="utf-8")
    (repo / "b c.txt").write_text("staged\n", encoding="utf-8")
    git(repo, "add", "b c.txt")
    (repo / "new.txt").write_text("untracked\n", encoding="utf-8")
    (repo / "x.log").write_text("ignored\n", encoding="utf-8")
    candidates = ["a.txt", "b c.txt", "clean.txt", "new.txt", "x.log", "absent.txt"]
    assert dirty_among(repo, candidates) == ["a.txt", "b c.txt", "new.txt", "x.log"]
    assert dirty_among(repo, []) == []


def test_advance_main_fast_forwards_the_checked_out_tree(repo: Path) -> None:
    old = git(repo, "rev-parse", "main").strip()
    new = _commit_on_side(repo, "README.md", "updated\n")
    assert advance_main(repo, "main", old, new, "merge") == new
    assert git(repo, "rev-parse", "main").strip() == new
    assert (repo / "README.md").read_text(encoding="utf-8") == "updated\n"


def test_advance_main_updates_the_ref_when_main_is_not_checked_out(repo: Path) -> None:
    old = git(repo, "rev-parse", "main").strip()
    new = _commit_on_side(repo, "README.md", "updated\n")
    git(repo, "checkout", "-q", "-b", "elsewhere", old)
    advance_main(repo, "main", old, new, "merge")
    assert git(repo, "rev-parse", "main").strip() == new
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "elsewhere"
    assert (repo / "README.md").read_text(encoding="utf-8") == "# sample\n"


def test_advance_main_refuses_when_main_moved_meanwhile(repo: Path) -> None:
    old = git(repo, "rev-parse", "main").strip()
    new = _commit_on_side(repo, "README.md", "updated\n")
    (repo / "other.txt").write_text("user\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "user commit")
    moved = git(repo, "rev-parse", "main").strip()
    with pytest.raises(MergeRefused, match="main moved"):
        advance_main(repo, "main", old, new, "merge")
    assert git(repo, "rev-parse", "main").strip() == moved


def test_advance_main_refuses_dirty_overlap_and_keeps_the_work(repo: Path) -> None:
    old = git(repo, "rev-parse", "main").strip()
    new = _commit_on_side(repo, "README.md", "updated\n")
    (repo / "README.md").write_text("my unsaved work\n", encoding="utf-8")
    with pytest.raises(MergeRefused, match=r"uncommitted changes in README\.md"):
        advance_main(repo, "main", old, new, "merge")
    assert git(repo, "rev-parse", "main").strip() == old
    assert (repo / "README.md").read_text(encoding="utf-8") == "my unsaved work\n"


def test_advance_main_keeps_unrelated_user_work_staged_and_unstaged(repo: Path) -> None:
    old = git(repo, "rev-parse", "main").strip()
    new = _commit_on_side(repo, "new.txt", "agent\n")
    (repo / "README.md").write_text("mine\n", encoding="utf-8")
    (repo / "staged.txt").write_text("staged\n", encoding="utf-8")
    git(repo, "add", "staged.txt")
    advance_main(repo, "main", old, new, "merge")
    assert git(repo, "status", "--porcelain").splitlines() == [" M README.md", "A  staged.txt"]
    assert (repo / "new.txt").read_text(encoding="utf-8") == "agent\n"
    assert checkout_lag(repo, "main") is None


def test_a_checkout_left_behind_by_a_stop_gets_one_line_with_the_command(repo: Path) -> None:
    old = git(repo, "rev-parse", "main").strip()
    new = _commit_on_side(repo, "new.txt", "agent\n")
    # What a kill between the ref update and the checkout update leaves behind.
    git(repo, "update-ref", "-m", f"{AGENT_REFLOG}merge", "refs/heads/main", new, old)
    line = checkout_lag(repo, "main")
    assert line is not None and "read-tree -m -u" in line
    command = shlex.split(line.split("`")[1])
    subprocess.run(command, check=True)
    assert git(repo, "status", "--porcelain") == ""
    assert checkout_lag(repo, "main") is None


def test_no_lag_is_reported_for_a_move_the_user_made(repo: Path) -> None:
    old = git(repo, "rev-parse", "main").strip()
    new = _commit_on_side(repo, "new.txt", "agent\n")
    git(repo, "update-ref", "refs/heads/main", new, old)
    assert checkout_lag(repo, "main") is None


def _separate(tmp_path: Path) -> Path:
    """A checkout whose .git is a `gitdir:` file pointing at tmp_path/real.git."""
    repo = tmp_path / "R"
    git(tmp_path, "init", "-q", "-b", "main", f"--separate-git-dir={tmp_path / 'real.git'}", "R")
    (repo / "app.py").write_text("x = 1\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def test_the_main_checkout_of_a_separate_git_dir_is_its_work_tree(tmp_path: Path) -> None:
    repo = _separate(tmp_path)
    assert (repo / ".git").is_file()
    git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"))
    entries = list_worktrees(repo)
    assert entries[0].path.resolve() == repo.resolve()
    assert holder_of(repo, "main") == entries[0].path
    # From a linked worktree git cannot know it: one sentence, never the git dir as a checkout.
    with pytest.raises(GitError, match=r"main checkout .* cannot be found from .*run the agent"):
        list_worktrees(tmp_path / "wt")
