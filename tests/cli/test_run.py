"""`agent run` and `agent merge` on a repository whose files sit where the agent keeps its state."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.cli.app import app
from tests.conftest import git

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_agent_env(clean_env: None) -> None:
    """Each CLI test sees only the AGENT_* variables it sets."""


def _state(repo: Path) -> tuple[str, str, str, str, bool]:
    """HEAD, refs, status, the exclude file and whether the agent made anything in git's dir."""
    exclude = Path(git(repo, "rev-parse", "--git-path", "info/exclude"))
    exclude = exclude if exclude.is_absolute() else repo / exclude
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "for-each-ref"),
        git(repo, "status", "--porcelain", "--ignored"),
        exclude.read_text() if exclude.exists() else "",
        (repo / ".git" / "agent.lock").exists(),
    )


def _occupy(repo: Path, where: str) -> Path:
    """Put the user's file (or link) at where and commit it; returns the path that is taken."""
    target = repo / where
    target.parent.mkdir(parents=True, exist_ok=True)
    if where.endswith("link"):
        target = target.with_name(".agent")
        os.symlink(repo / "elsewhere", target)
        (repo / "elsewhere").mkdir()
        (repo / "elsewhere" / "keep").write_text("mine\n")
    else:
        target.write_text("the user's own file\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "the user's file")
    return target


@pytest.mark.parametrize("where", [".agent", ".agent/worktrees", "reports", "link"])
@pytest.mark.parametrize(
    "command", [["run", "--provider", "offline", "--auto-merge"], ["merge", "1"]]
)
def test_a_state_folder_taken_by_a_user_file_is_one_sentence_and_changes_nothing(
    repo: Path, where: str, command: list[str]
) -> None:
    taken = _occupy(repo, where)
    before = _state(repo)
    content = taken.read_bytes() if not taken.is_symlink() else os.readlink(taken)
    result = runner.invoke(app, [*command, "--repo", str(repo)], env={"COLUMNS": "300"})
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(taken) in lines[0] and "move or rename it" in lines[0], lines
    assert "Traceback" not in result.output
    after_content = taken.read_bytes() if not taken.is_symlink() else os.readlink(taken)
    assert after_content == content
    assert _state(repo) == before
