"""Every ref lock a merge needs is asked of git first, and refs are named in full everywhere."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from self_improving_agent.base.errors import MergeRefused
from self_improving_agent.git_ops.main_branch import (
    detect_main_branch,
    measuring_ref,
    resolve_main_branch,
)
from self_improving_agent.git_ops.worktree import GenerationGit
from tests.conftest import git
from tests.git_ops.test_merge_integrity import consistent_after, generation, state

# A git ahead of the real one on PATH: once main's ref has moved, another process "takes"
# packed-refs.lock, between the agent's own lock check and its clean-up.
LOCK_AFTER_MOVE = """#!/bin/sh
{git} "$@"
code=$?
case " $* " in *" update-ref -m "*" refs/heads/main "*) : > '{lock}' ;; esac
exit $code
"""


def refs(repo: Path) -> str:
    """Every ref with its commit."""
    return git(repo, "for-each-ref", "--format=%(refname) %(objectname)")


@pytest.mark.parametrize("packed", [True, False])
def test_a_packed_refs_lock_refuses_the_merge_whole_and_names_the_file(
    project: Path, packed: bool
) -> None:
    if packed:
        git(project, "pack-refs", "--all")
    gg = GenerationGit(project)
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    stale = project / ".git" / "packed-refs.lock"
    stale.touch()
    before, refs_before = state(project), refs(project)
    problem = gg.lock_problem()
    assert problem is not None and f"rm {stale}" in problem
    with pytest.raises(MergeRefused, match=f"git's lock file {stale} exists"):
        gg.merge(ws)
    assert (state(project), refs(project)) == (before, refs_before)
    stale.unlink()
    gg.merge(gg.workspace(1))
    consistent_after(project, "main")
    assert not gg.has_branch(1)


def test_a_config_lock_does_not_stop_a_merge_that_never_writes_config(project: Path) -> None:
    gg = GenerationGit(project)
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    (project / ".git" / "config.lock").touch()
    gg.merge(ws)
    consistent_after(project, "main")
    assert not gg.has_branch(1)
    assert (project / ".git" / "config.lock").exists()


def test_a_lock_taken_after_the_move_leaves_the_merge_landed_with_a_note(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gg = GenerationGit(project)
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    lock = project / ".git" / "packed-refs.lock"
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    wrapper.write_text(LOCK_AFTER_MOVE.format(git=shutil.which("git"), lock=lock))
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}:{os.environ['PATH']}")
    sha = gg.merge(ws)
    # Landed whole: ref, index and files at the generation's commit, whatever the clean-up did.
    assert git(project, "rev-parse", "main").strip() == sha
    consistent_after(project, "main")
    assert lock.exists() and gg.has_branch(1)
    note = gg.tidy(ws)
    assert note.startswith("agent/gen-1 stays until the next start removes it")
    assert f"git's lock file {lock} exists" in note
    assert gg.merged_commit(1) == sha
    lock.unlink()
    assert gg.cleanup([]) == ["branch agent/gen-1"]
    assert not gg.has_branch(1)


@pytest.mark.parametrize("name", ["main", "agent/gen-1"])
def test_a_tag_named_like_a_branch_changes_nothing(project: Path, name: str) -> None:
    old = git(project, "rev-parse", "HEAD").strip()
    git(project, "tag", name)
    assert detect_main_branch(project) == "main"
    assert resolve_main_branch(project, None) == "main"
    assert measuring_ref(project, None) == "refs/heads/main"
    gg = GenerationGit(project)
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    gg.merge(ws)
    consistent_after(project, "refs/heads/main")
    assert git(project, "rev-parse", f"refs/tags/{name}").strip() == old
    assert git(project, "show", "refs/heads/main:app.py") == "x = 2\n"
    assert not gg.has_branch(1)


def test_a_remote_branch_named_like_the_main_line_is_never_taken_for_it(project: Path) -> None:
    head = git(project, "rev-parse", "HEAD").strip()
    git(project, "update-ref", "refs/remotes/main/HEAD", head)
    git(project, "update-ref", "refs/main", head)
    gg = GenerationGit(project)
    gg.merge(generation(gg, 1, {"app.py": "x = 2\n"}))
    consistent_after(project, "refs/heads/main")
    assert git(project, "rev-parse", "refs/main").strip() == head


def test_a_repository_without_commits_says_so(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    with pytest.raises(Exception, match="has no commits yet; commit the project"):
        resolve_main_branch(repo, None)
