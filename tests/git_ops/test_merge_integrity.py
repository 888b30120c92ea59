"""After any fault, HEAD, index, status and branches are all as before the merge or all as after."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from self_improving_agent.base.errors import MergeConflict, MergeRefused
from self_improving_agent.git_ops.worktree import GenerationGit, Workspace
from tests.conftest import git, make_repo


class RepoState(NamedTuple):
    """What a user sees of a checkout: HEAD, the index, `git status` and the branches."""

    head: str
    index: str
    status: str
    branches: str


def state(checkout: Path) -> RepoState:
    """The checkout's state as git reports it."""
    return RepoState(
        head=git(checkout, "rev-parse", "HEAD").strip(),
        index=git(checkout, "ls-files", "--stage"),
        status=git(checkout, "status", "--porcelain=v1", "--untracked-files=all"),
        branches=git(checkout, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"),
    )


def consistent_after(checkout: Path, branch: str) -> None:
    """The checkout shows the new tip of branch: index and files equal its tree, nothing staged."""
    assert git(checkout, "rev-parse", "HEAD").strip() == git(checkout, "rev-parse", branch).strip()
    assert git(checkout, "status", "--porcelain=v1") == ""


def generation(gg: GenerationGit, n: int, files: dict[str, str]) -> Workspace:
    """Generation n with files written and committed in its worktree."""
    ws = gg.create(n)
    for rel, text in files.items():
        (ws.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws.path / rel).write_text(text, encoding="utf-8")
    assert gg.commit(ws, f"generation {n}") is not None
    return ws


def hook(repo: Path, name: str, marker: Path) -> None:
    """A user hook that records that it ran and fails."""
    path = repo / ".git" / "hooks" / name
    path.write_text(f"#!/bin/sh\necho {name} >> {marker}\nexit 1\n", encoding="utf-8")
    path.chmod(0o755)


@pytest.mark.parametrize("lock", ["index.lock", "HEAD.lock", "refs/heads/main.lock"])
def test_a_stale_lock_refuses_the_merge_whole_and_names_the_file(project: Path, lock: str) -> None:
    gg = GenerationGit(project)
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    stale = project / ".git" / lock
    stale.touch()
    before = state(project)
    problem = gg.lock_problem()
    assert problem is not None and str(stale) in problem and f"rm {stale}" in problem
    with pytest.raises(MergeRefused, match="another git process may be working"):
        gg.merge(ws)
    stale.unlink()
    assert state(project) == before
    assert gg.has_branch(1)
    gg.merge(gg.workspace(1))
    consistent_after(project, "main")
    assert (project / "app.py").read_text(encoding="utf-8") == "x = 2\n"


def test_a_checkout_that_cannot_follow_leaves_the_ref_where_it_was(project: Path) -> None:
    gg = GenerationGit(project)
    ws = generation(gg, 1, {"pkg/new.py": "y = 1\n"})
    # An untracked file where the generation puts a folder: the checkout cannot follow.
    (project / "pkg").write_text("the user's own file\n", encoding="utf-8")
    before = state(project)
    with pytest.raises(MergeRefused, match=r"could not follow.*so main stays at"):
        gg.merge(ws)
    assert state(project) == before
    assert (project / "pkg").read_text(encoding="utf-8") == "the user's own file\n"
    assert git(project, "reflog", "-n1", "--format=%gs", "main").startswith("agent: undo")
    (project / "pkg").unlink()
    gg.merge(gg.workspace(1))
    consistent_after(project, "main")


def test_uncommitted_changes_in_the_way_refuse_without_touching_anything(project: Path) -> None:
    gg = GenerationGit(project)
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    (project / "app.py").write_text("x = 'mine'\n", encoding="utf-8")
    before = state(project)
    with pytest.raises(MergeRefused, match=r"uncommitted changes in app\.py") as caught:
        gg.merge(ws)
    assert not isinstance(caught.value, MergeConflict)
    assert state(project) == before
    git(project, "stash", "-q")
    gg.merge(gg.workspace(1))
    consistent_after(project, "main")


def test_user_hooks_never_run_and_never_fail_the_agents_git_work(
    project: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "hooks-ran"
    for name in ("post-checkout", "reference-transaction", "pre-commit", "post-merge"):
        hook(project, name, marker)
    gg = GenerationGit(project)
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    gg.merge(ws)
    gg.remove(ws)
    assert not marker.exists()
    consistent_after(project, "main")


def test_a_failed_worktree_creation_leaves_no_worktree_or_branch(project: Path) -> None:
    # A required filter that fails makes the new worktree's checkout fail half-way.
    git(project, "config", "filter.broken.clean", "cat")
    git(project, "config", "filter.broken.smudge", "false")
    git(project, "config", "filter.broken.required", "true")
    (project / ".gitattributes").write_text("*.md filter=broken\n", encoding="utf-8")
    git(project, "add", ".gitattributes")
    git(project, "commit", "-q", "-m", "attributes")
    gg = GenerationGit(project)
    with pytest.raises(Exception, match="git worktree failed"):
        gg.create(1)
    assert git(project, "branch", "--list", "agent/*") == ""
    assert len(git(project, "worktree", "list").splitlines()) == 1
    assert not (gg.worktrees / "gen-1").exists()
    assert git(project, "for-each-ref", "refs/agent/") == ""


@pytest.fixture
def trunk_and_feature(tmp_path: Path) -> Path:
    """A repository whose main line is trunk, with the user's checkout on feature."""
    repo = make_repo(tmp_path / "repo", {"app.py": "x = 1\n"})
    git(repo, "branch", "-m", "main", "trunk")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "feature.txt").write_text("work in progress\n", encoding="utf-8")
    git(repo, "add", "feature.txt")
    git(repo, "commit", "-q", "-m", "feature work")
    (repo / "scratch.txt").write_text("uncommitted\n", encoding="utf-8")
    return repo


def test_a_generation_merges_into_the_branch_it_was_built_from(trunk_and_feature: Path) -> None:
    repo = trunk_and_feature
    ws = generation(GenerationGit(repo, "trunk"), 1, {"app.py": "x = 2\n"})
    before = state(repo)
    # `agent merge 1` later, without --main-branch: HEAD's branch (feature) is the default.
    later = GenerationGit(repo, "feature")
    assert later.built_from(1) == "trunk"
    later.merge(later.workspace(1))
    assert git(repo, "show", "trunk:app.py") == "x = 2\n"
    after = state(repo)
    assert (after.head, after.index, after.status) == (before.head, before.index, before.status)
    assert "refs/heads/feature " + before.head in after.branches
    note = later.checkout_note("trunk")
    assert note.startswith("trunk is not checked out, so only its ref moved")
    del ws


def test_the_main_line_checked_out_elsewhere_is_brought_along_or_left_whole(
    trunk_and_feature: Path, tmp_path: Path
) -> None:
    repo = trunk_and_feature
    other = tmp_path / "other"
    git(repo, "worktree", "add", "-q", str(other), "trunk")
    gg = GenerationGit(repo, "trunk")
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    admin = Path(git(other, "rev-parse", "--absolute-git-dir").strip())
    (admin / "index.lock").touch()
    before_other, before_user = state(other), state(repo)
    with pytest.raises(MergeRefused, match=re.escape(str(admin / "index.lock"))):
        gg.merge(ws)
    assert (state(other), state(repo)) == (before_other, before_user)
    (admin / "index.lock").unlink()
    gg.merge(gg.workspace(1))
    consistent_after(other, "trunk")
    assert (other / "app.py").read_text(encoding="utf-8") == "x = 2\n"
    assert gg.checkout_note("trunk") == f"the checkout of trunk in {other} was brought along"
    user = state(repo)
    assert (user.head, user.index, user.status) == (
        before_user.head,
        before_user.index,
        before_user.status,
    )


MERGE_IN_NAMESPACE = """
import subprocess, sys
from pathlib import Path
from self_improving_agent.base.errors import MergeRefused
from self_improving_agent.git_ops.worktree import GenerationGit

folder = sys.argv[2]
subprocess.run(["mount", "--bind", "-o", "ro", folder, folder], check=True)
gg = GenerationGit(Path(sys.argv[1]))
try:
    gg.merge(gg.workspace(1))
except MergeRefused as exc:
    print(exc)
    sys.exit(3)
"""


def _can_bind_mount() -> bool:
    """Whether this process may make a private mount namespace (root with unshare)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = ["unshare", "-m", "--propagation", "private", "true"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _can_bind_mount(), reason="needs root and unshare for a bind mount")
def test_a_read_only_folder_half_way_leaves_everything_as_before(
    project: Path, tmp_path: Path
) -> None:
    (project / "pkg").mkdir()
    (project / "pkg" / "mod.py").write_text("y = 1\n", encoding="utf-8")
    git(project, "add", "pkg")
    git(project, "commit", "-q", "-m", "pkg")
    gg = GenerationGit(project)
    # app.py comes before pkg/ and is written; pkg/mod.py then fails on the read-only mount.
    generation(gg, 1, {"app.py": "x = 2\n", "new.txt": "new\n", "pkg/mod.py": "y = 2\n"})
    before = state(project)
    script = tmp_path / "merge.py"
    script.write_text(MERGE_IN_NAMESPACE, encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    private = ["unshare", "-m", "--propagation", "private"]
    done = subprocess.run(
        [*private, sys.executable, str(script), str(project), str(project / "pkg")],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert "could not follow" in done.stdout and "so main stays at" in done.stdout
    assert state(project) == before
    assert (project / "app.py").read_text(encoding="utf-8") == "x = 1\n"
    assert not (project / "new.txt").exists()
    gg.merge(gg.workspace(1))
    consistent_after(project, "main")


def test_the_users_filters_and_autocrlf_still_apply_in_the_agents_worktrees(
    project: Path,
) -> None:
    git(project, "config", "filter.shout.smudge", "tr a-z A-Z")
    git(project, "config", "filter.shout.clean", "tr A-Z a-z")
    git(project, "config", "core.autocrlf", "true")
    (project / ".gitattributes").write_text("*.txt filter=shout\n", encoding="utf-8")
    (project / "quiet.txt").write_text("hello\nworld\n", encoding="utf-8")
    git(project, "add", ".gitattributes", "quiet.txt")
    git(project, "commit", "-q", "-m", "filtered")
    ws = GenerationGit(project).create(1)
    assert (ws.path / "quiet.txt").read_bytes() == b"HELLO\r\nWORLD\r\n"
    assert (ws.path / "app.py").read_bytes() == b"x = 1\r\n"


def test_a_main_line_with_a_slash_in_its_name_is_locked_and_merged(project: Path) -> None:
    git(project, "checkout", "-q", "-b", "release/2.x")
    gg = GenerationGit(project, "release/2.x")
    ws = generation(gg, 1, {"app.py": "x = 2\n"})
    stale = project / ".git" / "refs" / "heads" / "release" / "2.x.lock"
    stale.touch()
    with pytest.raises(MergeRefused, match=re.escape(str(stale))):
        gg.merge(ws)
    stale.unlink()
    gg.merge(gg.workspace(1))
    consistent_after(project, "release/2.x")
    assert git(project, "show", "main:app.py") == "x = 1\n"
