"""Tests for the one git runner: safe config, pinned gitdirs, and no git started anywhere else."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git, pin, pinned_for, recorded_gitdir, unpin
from tests.conftest import git as plain_git
from tests.conftest import make_repo

SRC = Path(__file__).resolve().parents[2] / "src"
RUNNER = SRC / "base" / "gitcmd.py"


def _starts_git(node: ast.AST) -> bool:
    """Whether node is an argv literal whose program is git, or an import of GitPython."""
    if isinstance(node, ast.List | ast.Tuple) and node.elts:
        first = node.elts[0]
        return isinstance(first, ast.Constant) and first.value == "git"
    if isinstance(node, ast.Call) and node.args:
        first = node.args[0]
        # A shell string or an exec-style call (os.execvp("git", ...), which("git")).
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value == "git" or first.value.startswith("git ")
    if isinstance(node, ast.Import):
        return any(alias.name == "git" or alias.name.startswith("git.") for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.module == "git" or (node.module or "").startswith("git.")
    return False


def git_starters(source: str, name: str) -> list[str]:
    """'file:line' of every place in source that starts git or imports GitPython."""
    tree = ast.parse(source, filename=name)
    return [f"{name}:{node.lineno}" for node in ast.walk(tree) if _starts_git(node)]


def test_the_scan_finds_each_way_of_starting_git() -> None:
    source = (
        "import subprocess, os, git\n"
        "from git import Repo\n"
        "subprocess.run(['git', 'status'])\n"
        "subprocess.Popen(('git', 'log'))\n"
        "os.system('git gc')\n"
        "os.execvp('git', ['x'])\n"
        "argv = ['git', *args]\n"
    )
    assert sorted(set(git_starters(source, "m.py"))) == [f"m.py:{n}" for n in range(1, 8)]


def test_no_module_but_the_runner_starts_git() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path != RUNNER:
            found += git_starters(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)))
    assert found == [], "git is started outside src/base/gitcmd.py; route it through gitcmd.git"


def _plant_hostile_gitdir(work_tree: Path, marker: Path) -> None:
    """What code run in the worktree can do: make `.git` a repository whose config runs code."""
    dot_git = work_tree / ".git"
    dot_git.unlink()
    plain_git(work_tree.parent, "init", "-q", "--bare", str(dot_git))
    hook = work_tree / "monitor.sh"
    hook.write_text(f"#!/bin/sh\necho ran >> {marker}\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    plain_git(dot_git, "config", "core.bare", "false")
    plain_git(dot_git, "config", "core.fsmonitor", str(hook))
    plain_git(dot_git, "config", "core.hooksPath", str(work_tree))


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """A linked worktree of a fresh repository, with its gitdir pinned as the agent pins it."""
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    tree = tmp_path / "tree"
    plain_git(repo, "worktree", "add", "-q", "--detach", str(tree))
    recorded = recorded_gitdir(repo / ".git", tree)
    assert recorded is not None and recorded.parent == (repo / ".git" / "worktrees").resolve()
    pin(tree, recorded)
    yield tree
    unpin(tree)


def test_a_planted_gitdir_runs_under_plain_git_but_never_through_the_runner(
    linked: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    _plant_hostile_gitdir(linked, marker)
    (linked / "a.txt").write_text("changed\n", encoding="utf-8")
    git(linked, "status", "--porcelain")
    git(linked, "add", "--all")
    assert not marker.exists()
    # The repository the agent recorded is the one that saw the change.
    staged = git(linked, "diff", "--cached", "--name-only").stdout.decode().split()
    assert staged == ["a.txt", "monitor.sh"]
    # The control: plain git follows the planted .git and runs its fsmonitor.
    subprocess.run(["git", "status"], cwd=linked, capture_output=True, check=False)
    assert "ran" in marker.read_text(encoding="utf-8").split()


def test_pinning_covers_subfolders_and_ends_with_unpin(linked: Path) -> None:
    (linked / "sub").mkdir()
    assert pinned_for(linked / "sub") is not None
    unpin(linked)
    assert pinned_for(linked / "sub") is None


def test_hooks_of_the_user_never_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    marker = tmp_path / "marker"
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\necho ran >> {marker}\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    done = git(repo, "worktree", "add", "-q", str(tmp_path / "wt"))
    assert done.returncode == 0, done.stderr
    assert not marker.exists()


def test_inherited_locating_variables_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    other = make_repo(tmp_path / "other", {"b.txt": "b\n"})
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    listed = git(repo, "ls-files").stdout.decode().split()
    assert listed == ["README.md"]


def test_a_missing_git_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GitError, match=r"git could not be started in .*; install git"):
        git(tmp_path, "status")
    assert shutil.which("git", path=os.environ["PATH"]) is None
