"""Tests for running git: one-sentence errors, redaction, repository discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.base.errors import AgentError, GitError, MergeRefused
from self_improving_agent.git_ops.runner import out, paths, repo_root, run
from tests.conftest import git, make_repo


def test_out_returns_stdout_without_trailing_newline(repo: Path) -> None:
    assert out(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"


def test_paths_splits_nul_separated_output(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a b.txt": "x\n", "c.txt": "y\n"})
    assert sorted(paths(repo, "ls-files", "-z")) == ["a b.txt", "c.txt"]


def test_failure_is_one_sentence_naming_the_subcommand(repo: Path) -> None:
    with pytest.raises(GitError) as caught:
        run(repo, "checkout", "no-such-branch")
    message = str(caught.value)
    assert message.startswith(f"git checkout failed in {repo}: ")
    assert "no-such-branch" in message
    assert "\n" not in message and message.endswith(".")


def test_unchecked_failure_returns_status_and_stderr(repo: Path) -> None:
    result = run(repo, "rev-parse", "--verify", "nothing-here", check=False)
    assert result.status != 0
    assert result.stderr


def test_secret_values_are_redacted_from_errors(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPLOY_TOKEN", "tok-0123456789abcdef")
    with pytest.raises(GitError) as caught:
        run(repo, "checkout", "tok-0123456789abcdef")
    assert "tok-0123456789abcdef" not in str(caught.value)
    assert "***" in str(caught.value)


def test_commits_use_the_agent_identity_and_skip_hooks(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    (repo / "README.md").write_text("changed\n", encoding="utf-8")
    run(repo, "commit", "-qam", "agent change", commits=True)
    who = git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>").strip()
    assert who == "self-improving-agent <agent@localhost>|self-improving-agent <agent@localhost>"


def test_repo_root_accepts_the_top_folder(repo: Path) -> None:
    assert repo_root(repo).resolve() == repo.resolve()


def test_repo_root_rejects_a_plain_folder(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not the top folder of a git repository"):
        repo_root(tmp_path)


def test_repo_root_rejects_a_bare_repository(tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    bare.mkdir()
    git(bare, "init", "-q", "--bare")
    with pytest.raises(GitError, match="bare repository"):
        repo_root(bare)


def test_error_types_form_one_family() -> None:
    assert issubclass(MergeRefused, GitError)
    assert issubclass(GitError, AgentError)
