"""A merge that landed is recorded accepted, whatever its clean-up afterwards runs into."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from self_improving_agent.base.store import Store
from self_improving_agent.core.session import recover
from tests.conftest import git
from tests.core.test_generation import (
    assert_nothing_left,
    improving_script,
    main_sha,
    run_one,
    session,
    target,
)
from tests.git_ops.test_ref_integrity import LOCK_AFTER_MOVE


def test_a_lock_taken_after_main_moved_never_turns_the_merge_into_a_rejection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = target(tmp_path)
    start = main_sha(repo)
    lock = repo / ".git" / "packed-refs.lock"
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    wrapper.write_text(LOCK_AFTER_MOVE.format(git=shutil.which("git"), lock=lock))
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    outcome = run_one(repo, tmp_path, improving_script(), auto_merge=True)
    assert lock.exists()
    assert outcome.status == "accepted", outcome.reason
    assert outcome.reason.startswith("merged as ")
    assert "agent/gen-1 stays until the next start removes it" in outcome.reason
    assert f"git's lock file {lock} exists" in outcome.reason
    # The record matches the refs: main holds the generation, and so do HEAD, index and files.
    merged = main_sha(repo)
    assert merged != start and outcome.reason.startswith(f"merged as {merged[:10]}")
    assert git(repo, "status", "--porcelain") == ""
    with Store.for_repo(repo) as store:
        entry = store.get_generation(outcome.generation)
        assert entry is not None and entry.status == "accepted"
    # The next start, with the lock gone, removes what the clean-up left.
    lock.unlink()
    monkeypatch.undo()
    with session(repo, tmp_path, improving_script()) as deps:
        recover(deps)
    assert_nothing_left(repo)
