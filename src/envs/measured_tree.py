"""The tree a measurement runs in: a `git clone --shared` in scratch holding the listed files."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import GitRun, git
from self_improving_agent.envs.overlay import copy_tree


@dataclass(frozen=True)
class MeasuredTree:
    """The private copy, and the object stores its git metadata borrows (read-only)."""

    path: Path
    objects: tuple[Path, ...] = ()


def _git(cwd: Path, *args: str) -> GitRun:
    """git in cwd, never prompting, output captured; a git that cannot start or hangs fails."""
    try:
        return git(cwd, *args, timeout=120)
    except GitError as exc:
        return GitRun(1, b"", str(exc))


def borrowed_objects(clone: Path) -> tuple[Path, ...]:
    """The object folders clone reads through alternates, followed transitively."""
    found: list[Path] = []
    pending = [clone / ".git" / "objects"]
    while pending:
        info = pending.pop() / "info" / "alternates"
        try:
            lines = info.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in (raw.strip() for raw in lines):
            path = Path(line)
            if line and not line.startswith("#") and path.is_absolute() and path not in found:
                found.append(path.resolve())
                pending.append(path)
    return tuple(found)


def shared_clone(repo: Path, into: Path) -> bool:
    """into as a shared clone of repo at its HEAD with its local branches, nothing checked out.

    The clone reads repo's objects and writes only its own .git, so tests that use git see a
    repository, while the real one stays unwritable.
    """
    made = _git(into.parent, "clone", "--quiet", "--shared", "--no-checkout", str(repo), str(into))
    if made.returncode != 0:
        return False
    # Tests may name any local branch (main, say), as they can in the real checkout.
    heads = ["fetch", "--quiet", "--update-head-ok", str(repo), "+refs/heads/*:refs/heads/*"]
    if _git(into, *heads).returncode != 0 or _git(into, "read-tree", "HEAD").returncode != 0:
        shutil.rmtree(into / ".git", ignore_errors=True)
        return False
    return True


def sparse_paths(repo: Path) -> list[str]:
    """Files a sparse checkout leaves out of the work tree (git's skip-worktree entries)."""
    listed = _git(repo, "ls-files", "-t", "-z")
    entries = listed.stdout.decode("utf-8", "replace").split("\0") if listed.returncode == 0 else []
    return [entry[2:] for entry in entries if entry.startswith("S ")]


def restore_sparse(repo: Path, into: Path) -> None:
    """Write HEAD's version of the files a sparse checkout of repo leaves out into the clone.

    The tests HEAD holds are measured although the checkout does not show them.
    """
    paths = sparse_paths(repo)
    if paths:
        try:
            git(
                into,
                "checkout-index",
                "-f",
                "-z",
                "--stdin",
                stdin="\0".join(paths).encode(),
                timeout=120,
            )
        except GitError:
            return


def measured_copy(repo: Path, files: list[str], into: Path) -> MeasuredTree:
    """The listed files of repo in into, over a shared clone when repo has a commit to clone."""
    into.parent.mkdir(parents=True, exist_ok=True)
    cloned = shared_clone(repo, into)
    if cloned:
        restore_sparse(repo, into)
    copy_tree(repo, files, into)
    return MeasuredTree(into, borrowed_objects(into) if cloned else ())
