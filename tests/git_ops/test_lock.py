"""The repository lock: one writer at a time, shared by worktrees, free when its holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.base.errors import LockHeld
from self_improving_agent.cli.app import app
from self_improving_agent.git_ops.lock import common_dir, repo_lock
from tests.conftest import git

HOLDER = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from self_improving_agent.git_ops.lock import repo_lock\n"
    "with repo_lock(Path(sys.argv[1])):\n"
    "    print('held', flush=True)\n"
    "    time.sleep(600)\n"
)


def _hold_in_child(repo: Path) -> subprocess.Popen[str]:
    """A child process that holds repo's lock; returns once it said so on its stdout."""
    root = Path(__file__).resolve().parents[2]
    script = repo.parent / "holder.py"
    script.write_text(HOLDER, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(repo)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "held\n"
    return proc


def test_a_second_writer_is_refused_with_the_holders_pid(repo: Path) -> None:
    with repo_lock(repo) as path:
        assert path == common_dir(repo) / "agent.lock"
        held = rf"another agent run \(pid {os.getpid()}, started at"
        with pytest.raises(LockHeld, match=held), repo_lock(repo):
            pass
    with repo_lock(repo):
        pass


def test_a_linked_worktree_shares_the_lock(repo: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "side", str(linked))
    with repo_lock(repo), pytest.raises(LockHeld), repo_lock(linked):
        pass


def test_the_lock_of_a_killed_process_is_taken_over(repo: Path) -> None:
    proc = _hold_in_child(repo)
    try:
        with pytest.raises(LockHeld, match=rf"pid {proc.pid}, started at"), repo_lock(repo):
            pass
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    with repo_lock(repo):
        pass


@pytest.mark.parametrize("args", [["merge", "1"], ["discard", "1"], ["bench"], ["run"]])
def test_writing_commands_refuse_while_another_run_works(
    repo: Path, args: list[str], clean_env: None
) -> None:
    (repo / ".agent").mkdir()
    env = {"AGENT_PROVIDER": "offline"}
    with repo_lock(repo):
        result = CliRunner().invoke(app, [*args, "--repo", str(repo)], env=env)
    assert result.exit_code == 1
    assert "another agent run (pid" in result.stderr
    assert "Traceback" not in result.stderr


def test_reset_refuses_while_another_run_works(repo: Path, clean_env: None) -> None:
    from self_improving_agent.base.store import Store

    Store.for_repo(repo).close()
    with repo_lock(repo):
        result = CliRunner().invoke(app, ["reset", "--yes", "--repo", str(repo)])
    assert result.exit_code == 1
    assert "another agent run (pid" in result.stderr
