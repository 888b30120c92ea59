"""Keeping .agent/ out of git status through .git/info/exclude."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.base.exclude import ensure_excluded, exclude_file
from tests.conftest import git


def test_patterns_are_appended_once(repo: Path) -> None:
    (repo / ".git/info/exclude").write_text("# existing\n*.tmp")
    assert ensure_excluded(repo, ["/.agent/", "/reports/"]) == ["/.agent/", "/reports/"]
    assert ensure_excluded(repo, ["/.agent/"]) == []
    assert (repo / ".git/info/exclude").read_text() == "# existing\n*.tmp\n/.agent/\n/reports/\n"
    (repo / ".agent").mkdir()
    (repo / ".agent/x").write_text("x")
    assert git(repo, "status", "--porcelain") == ""


def test_not_a_repository_is_left_alone(tmp_path: Path) -> None:
    assert exclude_file(tmp_path) is None
    assert ensure_excluded(tmp_path, ["/.agent/"]) == []
    assert list(tmp_path.iterdir()) == []


def test_a_latin1_exclude_file_keeps_its_bytes_and_gets_the_pattern(repo: Path) -> None:
    path = exclude_file(repo)
    assert path is not None
    mine = "# caf\xe9 notes\n/caf\xe9/".encode("latin-1")
    path.write_bytes(mine)
    assert ensure_excluded(repo, ["/.agent/"]) == ["/.agent/"]
    assert path.read_bytes() == mine + b"\n/.agent/\n"
    assert ensure_excluded(repo, ["/.agent/"]) == []
    assert git(repo, "check-ignore", ".agent/x").strip() == ".agent/x"
