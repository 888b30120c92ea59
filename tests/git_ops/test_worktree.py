"""Tests for a generation's git life on real temporary repositories."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from self_improving_agent.base.errors import GitError
from self_improving_agent.git_ops.worktree import GenerationGit
from tests.conftest import git, make_repo
from tests.git_ops.worktree_kit import (
    AGENT,
    generation,
    nothing_left,
    read_text,
    sha_of,
)


def test_create_makes_worktree_and_branch_from_main(gg: GenerationGit, project: Path) -> None:
    ws = gg.create(1)
    assert ws.path == gg.root / ".agent" / "worktrees" / "gen-1"
    assert ws.branch == "agent/gen-1"
    assert ws.base_sha == sha_of(project)
    assert read_text(ws.path / "app.py") == "x = 1\n"
    assert git(ws.path, "rev-parse", "--abbrev-ref", "HEAD").strip() == "agent/gen-1"
    assert git(project, "status", "--porcelain") == ""


def test_create_refuses_a_repository_without_main(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "trunk-only")
    git(repo, "branch", "-m", "main", "trunk")
    with pytest.raises(GitError, match=r"Branch 'main' does not exist.*main_branch"):
        GenerationGit(repo).create(1)
    assert GenerationGit(repo, main_branch="trunk").create(1).base_sha == sha_of(repo, "trunk")


def test_create_refuses_a_number_in_use(gg: GenerationGit) -> None:
    gg.create(1)
    with pytest.raises(GitError, match="Generation 1 already has a worktree or branch"):
        gg.create(1)
    with pytest.raises(GitError, match="start at 1"):
        gg.create(0)


def test_commit_uses_agent_identity_and_reports_no_change(gg: GenerationGit) -> None:
    ws = gg.create(1)
    assert gg.commit(ws, "nothing") is None
    (ws.path / "app.py").write_text("x = 2\n", encoding="utf-8")
    (ws.path / "new.py").write_text("y = 1\n", encoding="utf-8")
    sha = gg.commit(ws, "improve app")
    assert sha == sha_of(ws.path, "HEAD")
    assert git(ws.path, "log", "-1", "--format=%an <%ae>").strip() == AGENT
    assert git(ws.path, "log", "-1", "--format=%cn <%ce>").strip() == AGENT
    assert git(ws.path, "log", "-1", "--format=%s").strip() == "improve app"
    assert gg.commit(ws, "again") is None


def test_diff_and_changed_files_cover_new_and_committed_changes(gg: GenerationGit) -> None:
    ws = gg.create(1)
    (ws.path / "app.py").write_text("x = 2\n", encoding="utf-8")
    gg.commit(ws, "first")
    (ws.path / "pkg").mkdir()
    (ws.path / "pkg" / "new.py").write_text("y = 1\n", encoding="utf-8")
    (ws.path / "notes.md").unlink()
    diff = gg.diff(ws)
    assert "--- a/app.py\n+++ b/app.py" in diff
    assert "-x = 1\n+x = 2\n" in diff
    assert "+++ b/pkg/new.py" in diff and "+y = 1" in diff
    assert "--- a/notes.md\n+++ /dev/null" in diff
    assert gg.changed_files(ws) == ["app.py", "notes.md", "pkg/new.py"]


def test_reject_keeps_the_commit_under_a_rejected_ref(gg: GenerationGit, project: Path) -> None:
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    gen_sha = sha_of(ws.path, "HEAD")
    main_before = sha_of(project)
    gg.reject(ws)
    assert sha_of(project, "refs/agent/rejected/gen-1") == gen_sha
    assert sha_of(project) == main_before
    nothing_left(project, 1)


def test_reject_without_commits_leaves_no_ref(gg: GenerationGit, project: Path) -> None:
    ws = gg.create(2)
    (ws.path / "app.py").write_text("half done\n", encoding="utf-8")
    gg.reject(ws)
    assert git(project, "for-each-ref", "refs/agent/rejected/") == ""
    nothing_left(project, 2)
    gg.reject(ws)


def test_cleanup_after_a_crash_removes_all_but_the_kept(gg: GenerationGit, project: Path) -> None:
    crashed_sha = sha_of(generation(gg, 1, {"app.py": "x = 2\n"}).path, "HEAD")
    gg.create(2)
    gone = gg.create(3)
    gg.create_detached("bench-main", "main")
    shutil.rmtree(gone.path)
    stale = gg.worktrees / "gen-4"
    stale.mkdir()
    (stale / "junk.txt").write_text("git has no record of this folder\n", encoding="utf-8")
    removed = gg.cleanup(keep=[2])
    aside = project / ".agent" / "set-aside" / "gen-4"
    assert sorted(removed) == [
        f"{stale} was not made by the agent, so it was moved aside to {aside}, not deleted",
        "branch agent/gen-1",
        "branch agent/gen-3",
        "worktree .agent/worktrees/bench-main",
        "worktree .agent/worktrees/gen-1",
        "worktree .agent/worktrees/gen-3",
    ]
    assert (aside / "junk.txt").exists()
    assert len(git(project, "worktree", "list").splitlines()) == 2
    assert sorted(p.name for p in gg.worktrees.iterdir()) == ["gen-2"]
    branches = git(project, "for-each-ref", "--format=%(refname:short)", "refs/heads/agent/")
    assert branches.split() == ["agent/gen-2"]
    assert sha_of(project, "refs/agent/rejected/gen-1") == crashed_sha
    assert git(project, "for-each-ref", "--format=%(refname)", "refs/agent/rejected/").split() == [
        "refs/agent/rejected/gen-1"
    ]
    assert gg.cleanup(keep=[2]) == []


def test_a_users_own_agent_branch_is_left_alone_and_its_number_skipped(
    gg: GenerationGit, project: Path
) -> None:
    git(project, "branch", "agent/gen-1")
    git(project, "branch", "agent/gen-7")
    assert gg.cleanup(keep=[]) == []
    assert gg.next_free_number([2]) == 8
    assert not gg.owns(1)
    ws = gg.create(8)
    gg.remove(ws)
    branches = git(project, "for-each-ref", "--format=%(refname:short)", "refs/heads/agent/")
    assert branches.split() == ["agent/gen-1", "agent/gen-7"]
    assert gg.next_free_number() == 9


def test_a_linked_worktree_gets_its_own_branch_names(project: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git(project, "worktree", "add", "-q", "-b", "side", str(linked))
    mine = GenerationGit(project).create(1)
    theirs = GenerationGit(linked, "side").create(1)
    assert (mine.branch, theirs.branch) == ("agent/gen-1", "agent/wt-linked/gen-1")
    assert GenerationGit(linked, "side").merged_commit(1) is None


def test_cleanup_spares_a_generation_branch_the_user_checked_out(
    gg: GenerationGit, project: Path, tmp_path: Path
) -> None:
    gg.create(1)
    gg.remove_worktree(gg.worktrees / "gen-1")
    git(project, "worktree", "add", "-q", str(tmp_path / "inspect"), "agent/gen-1")
    assert gg.cleanup(keep=[]) == []
    assert (tmp_path / "inspect").is_dir()


def test_workspace_reopens_a_pending_generation(gg: GenerationGit, project: Path) -> None:
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    assert gg.workspace(1) == ws
    gg.remove_worktree(ws.path)
    again = gg.workspace(1)
    assert again == ws
    assert read_text(again.path / "app.py") == "x = 2\n"
    gg.reject(again)
    with pytest.raises(GitError, match="has no branch agent/gen-1"):
        gg.workspace(1)


def test_detached_worktree_measures_a_ref_without_a_branch(
    gg: GenerationGit, project: Path
) -> None:
    path = gg.create_detached("measure", "main")
    assert path == gg.worktrees / "measure"
    assert git(path, "rev-parse", "--abbrev-ref", "HEAD").strip() == "HEAD"
    assert sha_of(path, "HEAD") == sha_of(project)
    again = gg.create_detached("measure", "main")
    assert again == path
    gg.remove_worktree(path)
    assert not path.exists()
    assert len(git(project, "worktree", "list").splitlines()) == 1


def test_detached_worktree_rejects_bad_names_and_refs(gg: GenerationGit) -> None:
    for name in ("../escape", "gen-7", ".hidden", ""):
        with pytest.raises(GitError, match="cannot name a throwaway worktree"):
            gg.create_detached(name, "main")
    with pytest.raises(GitError, match="'nope' is not a commit"):
        gg.create_detached("measure", "nope")


def test_remove_worktree_refuses_paths_outside_the_agent_folder(
    gg: GenerationGit, project: Path
) -> None:
    with pytest.raises(GitError, match="not an agent worktree"):
        gg.remove_worktree(project)
    assert (project / "app.py").exists()


def test_scratch_workspace_for_a_dry_run_leaves_no_trace(gg: GenerationGit, project: Path) -> None:
    ws = gg.create_scratch(5)
    assert ws.branch == ""
    assert ws.base_sha == sha_of(project)
    (ws.path / "app.py").write_text("x = 5\n", encoding="utf-8")
    assert gg.changed_files(ws) == ["app.py"]
    assert "+x = 5" in gg.diff(ws)
    gg.remove_scratch(ws)
    assert not ws.path.exists()
    assert git(project, "for-each-ref", "refs/heads/agent/", "refs/agent/") == ""
    assert sha_of(project) == ws.base_sha
