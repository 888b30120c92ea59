"""Keep the agent's own folders out of a repository's `git status` via .git/info/exclude."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git


def exclude_file(repo: Path) -> Path | None:
    """The info/exclude file git reads for repo, or None when repo is not a git work tree."""
    try:
        done = git(repo, "rev-parse", "--git-path", "info/exclude")
    except GitError:
        return None
    if done.returncode != 0:
        return None
    path = Path(done.stdout.decode("utf-8", errors="replace").strip())
    return path if path.is_absolute() else repo / path


def ensure_excluded(repo: Path, patterns: Iterable[str]) -> list[str]:
    """Append missing patterns to info/exclude (never .gitignore); returns those added."""
    path = exclude_file(repo)
    if path is None:
        return []
    # Bytes, not text: the user's own lines may be in any encoding and are kept as they are.
    data = path.read_bytes() if path.is_file() else b""
    existing = data.decode("utf-8", "surrogateescape").splitlines()
    missing = [p for p in patterns if p not in existing]
    if missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        prefix = "\n" if data and not data.endswith(b"\n") else ""
        with path.open("ab") as handle:
            handle.write((prefix + "\n".join(missing) + "\n").encode("utf-8"))
    return missing
