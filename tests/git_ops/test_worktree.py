"""Tests for a generation's git life on real temporary repositories."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from self_improving_agent.base.errors import GitError, MergeRefused
from self_improving_agent.git_ops.worktree import GenerationGit, Workspace
from tests.conftest import git, make_repo

AGENT = "self-improving-agent <agent@localhost>"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small repository with two files on main."""
    return make_repo(tmp_path / "project", {"app.py": "x = 1\n", "notes.md": "notes\n"})


@pytest.fixture
def gg(project: Path) -> GenerationGit:
    """GenerationGit bound to the project."""
    return GenerationGit(project)


def _sha(repo: Path, ref: str = "main") -> str:
    return git(repo, "rev-parse", ref).strip()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _generation(gg: GenerationGit, n: int, files: dict[str, str]) -> Workspace:
    """Generation n with files written and committed in its worktree."""
    ws = gg.create(n)
    for rel, text in files.items():
        (ws.path / rel).write_text(text, encoding="utf-8")
    assert gg.commit(ws, f"generation {n}") is not None
    return ws


def _user_commit(repo: Path, rel: str, text: str) -> str:
    """The user commits to main in their own tree meanwhile."""
    (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"user edits {rel}")
    return _sha(repo)


def _nothing_left(repo: Path, n: int) -> None:
    assert not (repo / ".agent" / "worktrees" / f"gen-{n}").exists()
    assert git(repo, "branch", "--list", f"agent/gen-{n}") == ""
    assert len(git(repo, "worktree", "list").splitlines()) == 1


def test_create_makes_worktree_and_branch_from_main(gg: GenerationGit, project: Path) -> None:
    ws = gg.create(1)
    assert ws.path == gg.root / ".agent" / "worktrees" / "gen-1"
    assert ws.branch == "agent/gen-1"
    assert ws.base_sha == _sha(project)
    assert _read(ws.path / "app.py") == "x = 1\n"
    assert git(ws.path, "rev-parse", "--abbrev-ref", "HEAD").strip() == "agent/gen-1"
    assert git(project, "status", "--porcelain") == ""


def test_create_refuses_a_repository_without_main(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "trunk-only")
    git(repo, "branch", "-m", "main", "trunk")
    with pytest.raises(GitError, match=r"Branch 'main' does not exist.*main_branch"):
        GenerationGit(repo).create(1)
    assert GenerationGit(repo, main_branch="trunk").create(1).base_sha == _sha(repo, "trunk")


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
    assert sha == _sha(ws.path, "HEAD")
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


def test_merge_fast_forwards_when_main_has_not_moved(gg: GenerationGit, project: Path) -> None:
    ws = _generation(gg, 1, {"app.py": "x = 2\n"})
    gen_sha = _sha(ws.path, "HEAD")
    assert gg.merge(ws) == gen_sha
    assert _sha(project) == gen_sha
    assert _read(project / "app.py") == "x = 2\n"
    assert git(project, "status", "--porcelain") == ""
    _nothing_left(project, 1)


def test_merge_makes_a_merge_commit_when_main_moved(gg: GenerationGit, project: Path) -> None:
    ws = _generation(gg, 1, {"app.py": "x = 2\n"})
    gen_sha = _sha(ws.path, "HEAD")
    user_sha = _user_commit(project, "notes.md", "user notes\n")
    new = gg.merge(ws)
    parents = git(project, "rev-list", "--parents", "-n1", new).split()[1:]
    assert parents == [user_sha, gen_sha]
    assert _sha(project) == new
    assert _read(project / "app.py") == "x = 2\n"
    assert _read(project / "notes.md") == "user notes\n"
    assert git(project, "log", "-1", "--format=%an <%ae>").strip() == AGENT
    _nothing_left(project, 1)


def test_merge_refuses_a_conflict_and_changes_nothing(gg: GenerationGit, project: Path) -> None:
    ws = _generation(gg, 1, {"app.py": "x = 2\n"})
    gen_sha = _sha(ws.path, "HEAD")
    user_sha = _user_commit(project, "app.py", "x = 3\n")
    with pytest.raises(
        MergeRefused, match=r"main moved and conflicts with generation 1 in app\.py"
    ):
        gg.merge(ws)
    assert _sha(project) == user_sha
    assert _read(project / "app.py") == "x = 3\n"
    assert git(project, "status", "--porcelain") == ""
    assert _sha(project, "agent/gen-1") == gen_sha
    assert git(ws.path, "rev-parse", "--abbrev-ref", "HEAD").strip() == "agent/gen-1"
    assert git(ws.path, "status", "--porcelain") == ""


def test_merge_refuses_uncommitted_user_work_it_would_touch(
    gg: GenerationGit, project: Path
) -> None:
    ws = _generation(gg, 1, {"app.py": "x = 2\n"})
    before = _sha(project)
    (project / "app.py").write_text("my work\n", encoding="utf-8")
    with pytest.raises(MergeRefused, match=r"uncommitted changes in app\.py"):
        gg.merge(ws)
    assert _read(project / "app.py") == "my work\n"
    assert _sha(project) == before
    assert ws.path.is_dir()


def test_merge_refuses_an_untracked_user_file_it_would_create(
    gg: GenerationGit, project: Path
) -> None:
    ws = _generation(gg, 1, {"extra.py": "z = 1\n"})
    (project / "extra.py").write_text("mine\n", encoding="utf-8")
    with pytest.raises(MergeRefused, match=r"extra\.py"):
        gg.merge(ws)
    assert _read(project / "extra.py") == "mine\n"


def test_merge_keeps_unrelated_uncommitted_work(gg: GenerationGit, project: Path) -> None:
    ws = _generation(gg, 1, {"app.py": "x = 2\n"})
    (project / "notes.md").write_text("my unsaved notes\n", encoding="utf-8")
    gg.merge(ws)
    assert _read(project / "app.py") == "x = 2\n"
    assert _read(project / "notes.md") == "my unsaved notes\n"
    assert git(project, "status", "--porcelain") == " M notes.md\n"


def test_merge_moves_the_ref_when_user_is_on_another_branch(
    gg: GenerationGit, project: Path
) -> None:
    git(project, "checkout", "-q", "-b", "feature")
    (project / "app.py").write_text("feature work\n", encoding="utf-8")
    ws = _generation(gg, 1, {"app.py": "x = 2\n"})
    new = gg.merge(ws)
    assert _sha(project) == new
    assert git(project, "rev-parse", "--abbrev-ref", "HEAD").strip() == "feature"
    assert _read(project / "app.py") == "feature work\n"
    assert git(project, "show", "main:app.py") == "x = 2\n"


def test_merge_refuses_an_empty_or_uncommitted_generation(gg: GenerationGit) -> None:
    ws = gg.create(1)
    with pytest.raises(GitError, match="no commit that main lacks"):
        gg.merge(ws)
    (ws.path / "app.py").write_text("x = 2\n", encoding="utf-8")
    with pytest.raises(GitError, match="uncommitted changes; commit them first"):
        gg.merge(ws)


def test_reject_keeps_the_commit_under_a_rejected_ref(gg: GenerationGit, project: Path) -> None:
    ws = _generation(gg, 1, {"app.py": "x = 2\n"})
    gen_sha = _sha(ws.path, "HEAD")
    main_before = _sha(project)
    gg.reject(ws)
    assert _sha(project, "refs/agent/rejected/gen-1") == gen_sha
    assert _sha(project) == main_before
    _nothing_left(project, 1)


def test_reject_without_commits_leaves_no_ref(gg: GenerationGit, project: Path) -> None:
    ws = gg.create(2)
    (ws.path / "app.py").write_text("half done\n", encoding="utf-8")
    gg.reject(ws)
    assert git(project, "for-each-ref", "refs/agent/rejected/") == ""
    _nothing_left(project, 2)
    gg.reject(ws)


def test_cleanup_after_a_crash_removes_all_but_the_kept(gg: GenerationGit, project: Path) -> None:
    crashed_sha = _sha(_generation(gg, 1, {"app.py": "x = 2\n"}).path, "HEAD")
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
    assert _sha(project, "refs/agent/rejected/gen-1") == crashed_sha
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
    ws = _generation(gg, 1, {"app.py": "x = 2\n"})
    assert gg.workspace(1) == ws
    gg.remove_worktree(ws.path)
    again = gg.workspace(1)
    assert again == ws
    assert _read(again.path / "app.py") == "x = 2\n"
    gg.reject(again)
    with pytest.raises(GitError, match="has no branch agent/gen-1"):
        gg.workspace(1)


def test_detached_worktree_measures_a_ref_without_a_branch(
    gg: GenerationGit, project: Path
) -> None:
    path = gg.create_detached("measure", "main")
    assert path == gg.worktrees / "measure"
    assert git(path, "rev-parse", "--abbrev-ref", "HEAD").strip() == "HEAD"
    assert _sha(path, "HEAD") == _sha(project)
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


def test_revert_undoes_a_fast_forwarded_generation(gg: GenerationGit, project: Path) -> None:
    merged = gg.merge(_generation(gg, 1, {"app.py": "x = 2\n"}))
    new = gg.revert(merged)
    assert _sha(project) == new
    assert git(project, "rev-parse", f"{new}^").strip() == merged
    assert _read(project / "app.py") == "x = 1\n"
    assert git(project, "log", "-1", "--format=%an <%ae>").strip() == AGENT
    assert len(git(project, "worktree", "list").splitlines()) == 1


def test_revert_undoes_only_the_generation_side_of_a_merge(
    gg: GenerationGit, project: Path
) -> None:
    ws = _generation(gg, 1, {"app.py": "x = 2\n"})
    _user_commit(project, "notes.md", "user notes\n")
    gg.revert(gg.merge(ws))
    assert _read(project / "app.py") == "x = 1\n"
    assert _read(project / "notes.md") == "user notes\n"


def test_revert_refuses_uncommitted_user_work_it_would_touch(
    gg: GenerationGit, project: Path
) -> None:
    merged = gg.merge(_generation(gg, 1, {"app.py": "x = 2\n"}))
    (project / "app.py").write_text("my work\n", encoding="utf-8")
    with pytest.raises(MergeRefused, match=r"Revert of .* uncommitted changes in app\.py"):
        gg.revert(merged)
    assert _read(project / "app.py") == "my work\n"
    assert _sha(project) == merged


def test_revert_refuses_a_conflict_with_later_commits(gg: GenerationGit, project: Path) -> None:
    merged = gg.merge(_generation(gg, 1, {"app.py": "x = 2\n"}))
    later = _user_commit(project, "app.py", "x = 3\n")
    with pytest.raises(MergeRefused, match=r"conflicts with later commits on main in app\.py"):
        gg.revert(merged)
    assert _sha(project) == later
    assert len(git(project, "worktree", "list").splitlines()) == 1


def test_revert_refuses_a_commit_not_on_main(gg: GenerationGit) -> None:
    ws = _generation(gg, 1, {"app.py": "x = 2\n"})
    with pytest.raises(GitError, match="is not a commit on main"):
        gg.revert(_sha(ws.path, "HEAD"))
    with pytest.raises(GitError, match="is not a commit on main"):
        gg.revert("0" * 40)


def test_scratch_workspace_for_a_dry_run_leaves_no_trace(gg: GenerationGit, project: Path) -> None:
    ws = gg.create_scratch(5)
    assert ws.branch == ""
    assert ws.base_sha == _sha(project)
    (ws.path / "app.py").write_text("x = 5\n", encoding="utf-8")
    assert gg.changed_files(ws) == ["app.py"]
    assert "+x = 5" in gg.diff(ws)
    gg.remove_scratch(ws)
    assert not ws.path.exists()
    assert git(project, "for-each-ref", "refs/heads/agent/", "refs/agent/") == ""
    assert _sha(project) == ws.base_sha


def test_remove_after_merge_is_a_no_op(gg: GenerationGit, project: Path) -> None:
    ws = _generation(gg, 1, {"app.py": "x = 2\n"})
    merged = gg.merge(ws)
    gg.remove(ws)
    assert _sha(project) == merged
    _nothing_left(project, 1)
