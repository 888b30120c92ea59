"""The repository map the Architect is shown, drawn from the mind's read-only view of the tree."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from self_improving_agent.analysis.mapview import kind, render
from self_improving_agent.analysis.repomap import is_blocked, python_module


def tree_files(root: Path) -> list[str]:
    """Every regular file of the view, repo-relative and sorted: the view is the committed tree."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink()
    )


def map_of(root: Path, token_budget: int, blocked_patterns: Sequence[str]) -> str:
    """A map of the view's files within token_budget, code ranked by use, no blocked file."""
    files = [f for f in tree_files(root) if not is_blocked(f, blocked_patterns)]
    modules = {f: python_module(root, f) for f in files if kind(f) != "other"}
    return render(files, modules, token_budget)
