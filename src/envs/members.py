"""Installing a workspace's members over a measurement's overlay, each one named if it fails."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.envs.build import uv
from self_improving_agent.envs.workspace import members_of
from self_improving_agent.sandbox.sandbox import SandboxSpec


def install_members(
    python: Path, tree: Path, scratch: Path, extra: dict[str, str], sandbox: SandboxSpec | None
) -> str:
    """Install each member editable over the overlay; the sentence naming one that fails, or ""."""
    args = ["pip", "install", "-q", "--python", str(python), "--no-deps", "--no-index"]
    for member in members_of(tree):
        run = uv([*args, "--no-build-isolation", "-e", str(tree / member)], scratch, extra, sandbox)
        if run.returncode != 0:
            # uv's last words are often a hint split over lines: keep the cause, not a fragment.
            lines = [line.strip() for line in run.tail().splitlines() if line.strip()]
            tail = " / ".join(lines[-3:])
            return (
                f"the workspace member {member} cannot be built ({tail}); fix its project file, "
                "or, with [benchmarks] python, install its build backend (its [build-system] "
                "requires) into that interpreter"
            )
    return ""
