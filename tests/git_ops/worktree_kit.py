"""What the GenerationGit tests share: generations and user commits on real repositories."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.git_ops.worktree import GenerationGit, Workspace
from tests.conftest import git

AGENT = "self-improving-agent <agent@localhost>"


def sha_of(repo: Path, ref: str = "main") -> str:
    """The commit ref points to."""
    return git(repo, "rev-parse", ref).strip()


def read_text(path: Path) -> str:
    """A file's text."""
    return path.read_text(encoding="utf-8")


def generation(gg: GenerationGit, n: int, files: dict[str, str]) -> Workspace:
    """Generation n with files written and committed in its worktree."""
    ws = gg.create(n)
    for rel, text in files.items():
        (ws.path / rel).write_text(text, encoding="utf-8")
    assert gg.commit(ws, f"generation {n}") is not None
    return ws


def user_commit(repo: Path, rel: str, text: str) -> str:
    """The user commits to main in their own tree meanwhile."""
    (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"user edits {rel}")
    return sha_of(repo)


def nothing_left(repo: Path, n: int) -> None:
    """Generation n left no worktree, branch or worktree entry behind."""
    assert not (repo / ".agent" / "worktrees" / f"gen-{n}").exists()
    assert git(repo, "branch", "--list", f"agent/gen-{n}") == ""
    assert len(git(repo, "worktree", "list").splitlines()) == 1
