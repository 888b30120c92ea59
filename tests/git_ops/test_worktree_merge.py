"""Merging a generation into main and reverting it, on real temporary repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.base.errors import GitError, MergeRefused
from self_improving_agent.git_ops.worktree import GenerationGit
from tests.conftest import git
from tests.git_ops.worktree_kit import (
    AGENT,
    generation,
    nothing_left,
    read_text,
    sha_of,
    user_commit,
)


def test_merge_fast_forwards_when_main_has_not_moved(gg: GenerationGit, project: Path) -> None:
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    gen_sha = sha_of(ws.path, "HEAD")
    assert gg.merge(ws) == gen_sha
    assert sha_of(project) == gen_sha
    assert read_text(project / "app.py") == "x = 2\n"
    assert git(project, "status", "--porcelain") == ""
    nothing_left(project, 1)


def test_merge_makes_a_merge_commit_when_main_moved(gg: GenerationGit, project: Path) -> None:
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    gen_sha = sha_of(ws.path, "HEAD")
    user_sha = user_commit(project, "notes.md", "user notes\n")
    new = gg.merge(ws)
    parents = git(project, "rev-list", "--parents", "-n1", new).split()[1:]
    assert parents == [user_sha, gen_sha]
    assert sha_of(project) == new
    assert read_text(project / "app.py") == "x = 2\n"
    assert read_text(project / "notes.md") == "user notes\n"
    assert git(project, "log", "-1", "--format=%an <%ae>").strip() == AGENT
    nothing_left(project, 1)


def test_merge_refuses_a_conflict_and_changes_nothing(gg: GenerationGit, project: Path) -> None:
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    gen_sha = sha_of(ws.path, "HEAD")
    user_sha = user_commit(project, "app.py", "x = 3\n")
    with pytest.raises(
        MergeRefused, match=r"main moved and conflicts with generation 1 in app\.py"
    ):
        gg.merge(ws)
    assert sha_of(project) == user_sha
    assert read_text(project / "app.py") == "x = 3\n"
    assert git(project, "status", "--porcelain") == ""
    assert sha_of(project, "agent/gen-1") == gen_sha
    assert git(ws.path, "rev-parse", "--abbrev-ref", "HEAD").strip() == "agent/gen-1"
    assert git(ws.path, "status", "--porcelain") == ""


def test_merge_refuses_uncommitted_user_work_it_would_touch(
    gg: GenerationGit, project: Path
) -> None:
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    before = sha_of(project)
    (project / "app.py").write_text("my work\n", encoding="utf-8")
    with pytest.raises(MergeRefused, match=r"uncommitted changes in app\.py"):
        gg.merge(ws)
    assert read_text(project / "app.py") == "my work\n"
    assert sha_of(project) == before
    assert ws.path.is_dir()


def test_merge_refuses_an_untracked_user_file_it_would_create(
    gg: GenerationGit, project: Path
) -> None:
    ws = generation(gg, 1, {"extra.py": "z = 1\n"})
    (project / "extra.py").write_text("mine\n", encoding="utf-8")
    with pytest.raises(MergeRefused, match=r"extra\.py"):
        gg.merge(ws)
    assert read_text(project / "extra.py") == "mine\n"


def test_merge_keeps_unrelated_uncommitted_work(gg: GenerationGit, project: Path) -> None:
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    (project / "notes.md").write_text("my unsaved notes\n", encoding="utf-8")
    gg.merge(ws)
    assert read_text(project / "app.py") == "x = 2\n"
    assert read_text(project / "notes.md") == "my unsaved notes\n"
    assert git(project, "status", "--porcelain") == " M notes.md\n"


def test_merge_moves_the_ref_when_user_is_on_another_branch(
    gg: GenerationGit, project: Path
) -> None:
    git(project, "checkout", "-q", "-b", "feature")
    (project / "app.py").write_text("feature work\n", encoding="utf-8")
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    new = gg.merge(ws)
    assert sha_of(project) == new
    assert git(project, "rev-parse", "--abbrev-ref", "HEAD").strip() == "feature"
    assert read_text(project / "app.py") == "feature work\n"
    assert git(project, "show", "main:app.py") == "x = 2\n"


def test_merge_refuses_an_empty_or_uncommitted_generation(gg: GenerationGit) -> None:
    ws = gg.create(1)
    with pytest.raises(GitError, match="no commit that main lacks"):
        gg.merge(ws)
    (ws.path / "app.py").write_text("x = 2\n", encoding="utf-8")
    with pytest.raises(GitError, match="uncommitted changes; commit them first"):
        gg.merge(ws)


def test_revert_undoes_a_fast_forwarded_generation(gg: GenerationGit, project: Path) -> None:
    merged = gg.merge(generation(gg, 1, {"app.py": "x = 2\n"}))
    new = gg.revert(merged)
    assert sha_of(project) == new
    assert git(project, "rev-parse", f"{new}^").strip() == merged
    assert read_text(project / "app.py") == "x = 1\n"
    assert git(project, "log", "-1", "--format=%an <%ae>").strip() == AGENT
    assert len(git(project, "worktree", "list").splitlines()) == 1


def test_revert_undoes_only_the_generation_side_of_a_merge(
    gg: GenerationGit, project: Path
) -> None:
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    user_commit(project, "notes.md", "user notes\n")
    gg.revert(gg.merge(ws))
    assert read_text(project / "app.py") == "x = 1\n"
    assert read_text(project / "notes.md") == "user notes\n"


def test_revert_refuses_uncommitted_user_work_it_would_touch(
    gg: GenerationGit, project: Path
) -> None:
    merged = gg.merge(generation(gg, 1, {"app.py": "x = 2\n"}))
    (project / "app.py").write_text("my work\n", encoding="utf-8")
    with pytest.raises(MergeRefused, match=r"Revert of .* uncommitted changes in app\.py"):
        gg.revert(merged)
    assert read_text(project / "app.py") == "my work\n"
    assert sha_of(project) == merged


def test_revert_refuses_a_conflict_with_later_commits(gg: GenerationGit, project: Path) -> None:
    merged = gg.merge(generation(gg, 1, {"app.py": "x = 2\n"}))
    later = user_commit(project, "app.py", "x = 3\n")
    with pytest.raises(MergeRefused, match=r"conflicts with later commits on main in app\.py"):
        gg.revert(merged)
    assert sha_of(project) == later
    assert len(git(project, "worktree", "list").splitlines()) == 1


def test_revert_refuses_a_commit_not_on_main(gg: GenerationGit) -> None:
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    with pytest.raises(GitError, match="is not a commit on main"):
        gg.revert(sha_of(ws.path, "HEAD"))
    with pytest.raises(GitError, match="is not a commit on main"):
        gg.revert("0" * 40)


def test_remove_after_merge_is_a_no_op(gg: GenerationGit, project: Path) -> None:
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    merged = gg.merge(ws)
    gg.remove(ws)
    assert sha_of(project) == merged
    nothing_left(project, 1)


def test_merge_into_a_checkout_whose_git_dir_is_elsewhere(tmp_path: Path) -> None:
    repo = tmp_path / "R"
    git(tmp_path, "init", "-q", "-b", "main", f"--separate-git-dir={tmp_path / 'real.git'}", "R")
    (repo / "app.py").write_text("x = 1\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    gg = GenerationGit(repo)
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    gen_sha = sha_of(ws.path, "HEAD")
    assert gg.merge(ws) == gen_sha
    assert sha_of(repo) == gen_sha
    assert read_text(repo / "app.py") == "x = 2\n"
    assert git(repo, "status", "--porcelain") == ""
    assert (repo / ".git").is_file()
    nothing_left(repo, 1)
