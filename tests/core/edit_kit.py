"""What the editing tests share: a worktree of several file kinds and applying changes to it."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.base.models import Change, EditResult
from self_improving_agent.core.editing import apply_changes
from tests.conftest import make_repo

MODULE = 'def greet(name):\n    return "hi " + name\n\n\ndef part():\n    return 1\n'


def edit_worktree(path: Path) -> Path:
    """A worktree with a Python module, a JSON file, a TOML file and a text file."""
    return make_repo(
        path,
        {
            "pkg/mod.py": MODULE,
            "data.json": '{"a": 1}\n',
            "conf.toml": 'name = "x"\n',
            "notes.txt": "alpha\nbeta",
        },
    )


def apply(wt: Path, *changes: Change) -> list[EditResult]:
    """Apply changes with only the built-in path gate."""
    return apply_changes(wt, changes, [])


def read(wt: Path, rel: str) -> str:
    """A worktree file's text."""
    return (wt / rel).read_text(encoding="utf-8")
