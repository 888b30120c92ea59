"""The measured copy is a shared clone: git works in it as in the checkout, the real .git stays."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from self_improving_agent.benchmarks.sources import repo_files
from self_improving_agent.envs.measured_tree import measured_copy
from self_improving_agent.sandbox.proc import run_tool
from self_improving_agent.sandbox.sandbox import sandbox_for
from tests.conftest import git, make_repo
from tests.sandbox.sandbox_kit import mechanism_params


def checkout(tmp_path: Path) -> Path:
    """A repository on main with a side branch, an edit, an untracked and an ignored file."""
    repo = make_repo(tmp_path / "repo", {"pkg/a.py": "A = 1\n", ".gitignore": "*.log\n"})
    git(repo, "branch", "side")
    (repo / "pkg" / "a.py").write_text("A = 2\n", encoding="utf-8")
    (repo / "new.py").write_text("B = 1\n", encoding="utf-8")
    (repo / "run.log").write_text("noise\n", encoding="utf-8")
    return repo


def test_git_sees_the_copy_as_it_sees_the_checkout(tmp_path: Path) -> None:
    repo = checkout(tmp_path)
    copy = measured_copy(repo, repo_files(repo), tmp_path / "scratch" / "tree")
    for args in (["status", "--porcelain"], ["rev-parse", "HEAD"], ["branch", "--list"]):
        assert git(copy.path, *args) == git(repo, *args)
    assert not (copy.path / "run.log").exists()
    assert copy.objects == ((repo / ".git" / "objects").resolve(),)


def test_a_repository_without_commits_is_copied_without_git(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "m.py").write_text("X = 1\n", encoding="utf-8")
    copy = measured_copy(repo, ["m.py"], tmp_path / "scratch" / "tree")
    assert (copy.path / "m.py").is_file() and copy.objects == ()
    assert not (copy.path / ".git").exists()


@pytest.mark.parametrize("mechanism", [*mechanism_params(), "off"])
def test_inside_the_sandbox_git_commits_in_the_copy_but_cannot_write_the_real_repo(
    mechanism: str, tmp_path: Path
) -> None:
    repo = checkout(tmp_path)
    refs = git(repo, "for-each-ref")
    scratch = tmp_path / "scratch"
    copy = measured_copy(repo, repo_files(repo), scratch / "tree")
    box = sandbox_for(mechanism, scratch, [copy.path], copy.objects)  # type: ignore[arg-type]

    def inside(*args: str) -> int:
        """git args run in the copy under the sandbox; its exit code."""
        return run_tool(["git", *args], copy.path, dict(os.environ), 60, sandbox=box).returncode

    assert inside("commit", "-qam", "measured") == 0
    assert inside("log", "--oneline", "side") == 0
    pushed = inside("push", "-q", "origin", "HEAD:refs/heads/measured") == 0
    # The control: without a sandbox the same push lands in the real repository.
    assert pushed == (mechanism == "off")
    assert (git(repo, "for-each-ref") == refs) == (mechanism != "off")
    assert git(repo, "status", "--porcelain").splitlines() == [" M pkg/a.py", "?? new.py"]
