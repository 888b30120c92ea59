"""One generation's worktree as a value, and paths compared with their links resolved."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class Workspace(BaseModel):
    """One generation's worktree: number, folder, branch and the main commit it started from."""

    model_config = ConfigDict(frozen=True)

    number: int
    path: Path
    branch: str = Field(description="agent/gen-N; empty for a dry run's scratch worktree.")
    base_sha: str
    target: str = Field("", description="The branch it was built from and merges into.")

    @property
    def ref(self) -> str:
        """The full name of its branch, never ambiguous with a tag or a remote's branch."""
        return f"refs/heads/{self.branch}"


def real_path(path: Path) -> Path:
    """Path with symlinks resolved, so /tmp and /private/tmp compare equal."""
    return Path(os.path.realpath(path))
