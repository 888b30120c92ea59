"""A smoke command that repoints the worktree's `.git` at a hostile gitdir runs nothing here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from self_improving_agent.base.config import BenchmarksSection, Settings
from self_improving_agent.base.safety_config import SafetySection
from self_improving_agent.base.store import Store
from self_improving_agent.core.generation import RunOptions, run_generation
from self_improving_agent.core.session import open_deps
from self_improving_agent.providers.mock import MockProvider
from tests.conftest import git, provider_args
from tests.core.test_generation import UNDOCUMENTED, improving_script
from tests.loop_kit import sample_repo, write_script

# What code run in the worktree can do with write access to it: replace the `.git` file by a
# repository of its own whose config names an fsmonitor and hooks that the host would run.
PLANT = """
import os, sys
from pathlib import Path

marker, dot = sys.argv[1], Path.cwd() / ".git"
if dot.is_file():
    dot.unlink()
    for sub in ("objects", "refs/heads", "hooks"):
        (dot / sub).mkdir(parents=True)
    (dot / "HEAD").write_text("ref: refs/heads/main\\n")
    hook = dot / "monitor.sh"
    hook.write_text(f"#!/bin/sh\\necho ran >> {marker}\\nexit 1\\n")
    hook.chmod(0o755)
    for name in ("pre-commit", "post-checkout", "post-merge", "reference-transaction"):
        os.symlink(hook, dot / "hooks" / name)
    (dot / "config").write_text(
        f"[core]\\n\\trepositoryformatversion = 0\\n\\tbare = false\\n"
        f"\\tfsmonitor = {hook}\\n\\thooksPath = {dot / 'hooks'}\\n"
    )
"""


def test_a_planted_fsmonitor_never_runs_through_a_whole_generation(tmp_path: Path) -> None:
    repo = sample_repo(tmp_path / "repo", {"pkg/mul.py": UNDOCUMENTED, "plant.py": PLANT})
    marker = tmp_path / "marker"
    settings = Settings(
        benchmarks=BenchmarksSection(python=sys.executable),
        safety=SafetySection(smoke_commands=[f"python plant.py {marker}"]),
    )
    script = write_script(tmp_path / "script.json", improving_script())
    provider = MockProvider(
        *provider_args(settings, "mock"), environ={"AGENT_MOCK_SCRIPT": str(script)}
    )
    with Store.for_repo(repo) as store:
        deps = open_deps(repo, settings, store, lambda _line: None, provider)
        outcome = run_generation(deps, RunOptions(auto_merge=True))
    assert not marker.exists()
    # The plant ran (the smoke gate saw a worktree whose .git was replaced) and the agent's
    # own git went on in the gitdir it recorded: the change is merged into the real main.
    assert outcome.status == "accepted", outcome.reason
    assert '"""Multiply a by b."""' in git(repo, "show", "main:pkg/mul.py")
    assert git(repo, "status", "--porcelain") == ""
    # The control: the same plant, run by hand in a fresh worktree, fires under plain git.
    tree = tmp_path / "control"
    git(repo, "worktree", "add", "-q", "--detach", str(tree))
    subprocess.run([sys.executable, "plant.py", str(marker)], cwd=tree, check=True)
    subprocess.run(["git", "status"], cwd=tree, capture_output=True, check=False)
    assert "ran" in marker.read_text(encoding="utf-8").split()
