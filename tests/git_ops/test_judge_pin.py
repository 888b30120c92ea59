"""The judge's pin in git: set once on first use, compared with main, moved only on request."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.base.errors import GitError
from self_improving_agent.git_ops.judge_pin import (
    PIN_REF,
    ahead_note,
    commit_of,
    ensure_pin,
    judge_changes,
    move_pin,
    read_pin,
)
from tests.conftest import git, make_repo


def commit(repo: Path, files: dict[str, str]) -> str:
    """Write files, commit them on main, return the commit."""
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "change")
    return git(repo, "rev-parse", "HEAD").strip()


def test_the_pin_is_set_once_to_the_commit_checked_out(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"src/gates/a.py": "x = 1\n"})
    start = git(repo, "rev-parse", "HEAD").strip()
    assert read_pin(repo) is None
    assert ensure_pin(repo) == start
    commit(repo, {"src/gates/a.py": "x = 2\n"})
    assert ensure_pin(repo) == start
    assert git(repo, "rev-parse", PIN_REF).strip() == start


def test_judge_changes_name_judge_files_only(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"src/gates/a.py": "x = 1\n"})
    pin = ensure_pin(repo)
    files = {"src/gates/a.py": "x = 2\n", "src/mind/p.py": "", "tests/t.py": "", "config/c": ""}
    main = commit(repo, {**files, "docs/d.md": "", "pyproject.toml": ""})
    assert judge_changes(repo, pin, main) == ["config/c", "pyproject.toml", "src/gates/a.py"]
    assert "3 judge file(s) changed" in (ahead_note(repo, main) or "")
    assert ahead_note(repo, pin) is None


def test_move_pin_needs_the_pin_it_expects(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    pin = ensure_pin(repo)
    main = commit(repo, {"src/x.py": ""})
    with pytest.raises(GitError):
        move_pin(repo, main, main)
    move_pin(repo, main, pin)
    assert read_pin(repo) == main


def test_a_rev_that_names_no_commit_is_one_sentence(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    with pytest.raises(GitError, match=r"'nope' names no commit in .*; pass a branch"):
        commit_of(repo, "nope")
