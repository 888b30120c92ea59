"""`agent run/loop/status/merge/discard` through the CLI on real temp repositories."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from self_improving_agent.base.migrations import MIGRATIONS
from self_improving_agent.cli.app import app
from tests.conftest import git
from tests.core.test_generation import (
    assert_nothing_left,
    improving_script,
    main_sha,
    target,
)
from tests.loop_kit import write_script

runner = CliRunner()
AGENT = [sys.executable, str(Path(__file__).resolve().parents[1] / "main.py")]


@pytest.fixture(autouse=True)
def _no_agent_env(clean_env: None) -> None:
    """Each CLI test sees only the AGENT_* variables it sets."""


def invoke(repo: Path, script: Path | None, *args: str) -> tuple[int, str, str]:
    """Run the CLI on repo with the mock script and return exit code, stdout and stderr."""
    env = {"COLUMNS": "300", "AGENT_MOCK_SCRIPT": str(script) if script else ""}
    if args[0] in ("run", "loop"):
        env["AGENT_PROVIDER"] = "mock"
    result = runner.invoke(app, [*args, "--repo", str(repo)], env=env)
    return result.exit_code, result.stdout, result.stderr


def script_file(tmp_path: Path, script: dict[str, Any], name: str = "script.json") -> Path:
    """Write a mock script next to (not inside) the repository."""
    return write_script(tmp_path / name, script)


def report(repo: Path, number: int) -> dict[str, Any]:
    """reports/gen-N.json of repo."""
    data: dict[str, Any] = json.loads((repo / f"reports/gen-{number}.json").read_text())
    return data


def test_good_generation_is_merged_with_auto_merge(tmp_path: Path) -> None:
    repo = target(tmp_path)
    before = main_sha(repo)
    script = script_file(tmp_path, improving_script())
    code, out, err = invoke(repo, script, "run", "--provider", "mock", "--auto-merge")
    assert code == 0, err
    assert out.startswith("gen 1 accepted (+")
    assert git(repo, "rev-parse", "main~1").strip() == before
    assert '"""Multiply a by b."""' in (repo / "pkg/mul.py").read_text()
    data = report(repo, 1)
    assert data["status"] == "accepted"
    assert data["decision"]["accepted"] is True
    assert "1 change(s) applied" in data["decision"]["reasons"]
    assert data["dry_run"] is False
    assert_nothing_left(repo)


def test_pending_then_merge_and_discard(tmp_path: Path) -> None:
    repo = target(tmp_path)
    before = main_sha(repo)
    one = improving_script()
    twice = {name: one[name] * 2 for name in ("architect", "builder", "reviewer")}
    script = script_file(tmp_path, twice)
    code, out, _ = invoke(repo, script, "loop", "--max-gen", "2", "--provider", "mock")
    assert code == 0
    assert "gen 1 pending" in out and "gen 2 pending" in out
    assert main_sha(repo) == before
    _, status, _ = invoke(repo, None, "status")
    assert "open:       gen 1 pending" in status and "open:       gen 2 pending" in status

    code, out, _ = invoke(repo, None, "merge", "1")
    assert code == 0 and out.startswith("gen 1 merged into main")
    assert '"""Multiply a by b."""' in (repo / "pkg/mul.py").read_text()
    code, out, _ = invoke(repo, None, "discard", "2")
    assert code == 0 and out.strip() == "gen 2 discarded"
    assert git(repo, "rev-parse", "--verify", "refs/agent/rejected/gen-2").strip()
    _, history, _ = invoke(repo, None, "history", "--json")
    assert [e["status"] for e in json.loads(history)] == ["accepted", "rejected"]
    assert_nothing_left(repo)

    code, _, err = invoke(repo, None, "merge", "2")
    assert code == 1 and "generation 2 is rejected, not pending" in err


def test_dry_run_leaves_no_commit_branch_or_worktree(tmp_path: Path) -> None:
    repo = target(tmp_path)
    before = main_sha(repo)
    script = script_file(tmp_path, improving_script())
    code, out, _ = invoke(repo, script, "run", "--provider", "mock", "--auto-merge", "--dry-run")
    assert code == 0
    assert out.startswith("gen 1 accepted") and "dry run:" in out
    assert main_sha(repo) == before
    assert git(repo, "for-each-ref", "--format=%(refname)").split() == ["refs/heads/main"]
    assert report(repo, 1)["dry_run"] is True
    assert_nothing_left(repo)


def test_circuit_breaker_stops_the_loop(tmp_path: Path) -> None:
    repo = target(tmp_path)
    script = script_file(tmp_path, improving_script(architect=[]))
    code, out, err = invoke(repo, script, "loop", "--max-gen", "5", "--provider", "mock")
    assert code == 1
    assert out.count("rejected") == 3
    assert "stopping: 3 generations failed in a row" in err
    config = tmp_path / "agent.toml"
    config.write_text("[agent]\nmax_consecutive_failures = 1\n")
    code, out, err = invoke(
        repo, script, "loop", "--max-gen", "5", "--provider", "mock", "--config", str(config)
    )
    assert code == 1
    assert out.strip().startswith("gen 4 rejected") and out.count("rejected") == 1
    assert "stopping: 1 generations failed in a row" in err
    assert_nothing_left(repo)


def test_missing_api_key_is_a_setup_error_before_any_branch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    repo = target(tmp_path)
    code, _, err = invoke(repo, None, "run", "--provider", "anthropic")
    assert code == 1
    assert "ANTHROPIC_API_KEY" in err and "Traceback" not in err
    assert git(repo, "branch", "--list", "agent/*").strip() == ""
    assert not (repo / ".agent/worktrees").exists()


@pytest.mark.parametrize(
    "args", [["loop", "--max-gen", "0"], ["run", "--auto-merge", "--bogus"], ["merge", "x"]]
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    code, _, _ = invoke(target(tmp_path), None, *args)
    assert code == 2


def _waiting_for_architect(repo: Path) -> bool:
    """Generation 1 runs its plan phase and main's scores are stored, so no benchmark runs."""
    db = repo / ".agent/agent.db"
    if not db.exists():
        return False
    # Read-only, so the poll never creates the file; the schema is ready once every migration
    # ran, and before that the tables may not exist yet.
    try:
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] < len(MIGRATIONS):
                return False
            row = conn.execute(
                "SELECT status, phase FROM generations WHERE generation = 1"
            ).fetchone()
            cached = conn.execute("SELECT count(*) FROM bench_cache").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:  # the loop is still creating the file or its tables
        return False
    return bool(row == ("running", "plan") and cached)


def _start_waiting_loop(repo: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    """`agent loop` in a subprocess whose Architect answers only after a minute."""
    slow = script_file(tmp_path, {**improving_script(), "delay_s": 60}, "slow.json")
    env = {**os.environ, "AGENT_MOCK_SCRIPT": str(slow)}
    proc = subprocess.Popen(
        [*AGENT, "loop", "--max-gen", "1", "--provider", "mock", "--repo", str(repo)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not _waiting_for_architect(repo):
        assert time.monotonic() < deadline, "the loop never reached the plan phase"
        assert proc.poll() is None, "the loop ended early"
        time.sleep(0.1)
    return proc


def test_sigkill_mid_generation_is_recovered_on_the_next_start(tmp_path: Path) -> None:
    repo = target(tmp_path)
    proc = _start_waiting_loop(repo, tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert git(repo, "for-each-ref", "--format=%(refname)", "refs/heads/agent").split() == [
        "refs/heads/agent/gen-1"
    ]
    assert (repo / ".agent/worktrees/gen-1").is_dir()

    script = script_file(tmp_path, improving_script())
    code, out, err = invoke(repo, script, "run", "--provider", "mock", "--auto-merge")
    assert code == 0, err
    assert "gen 1 was left running by a stopped process: marked interrupted" in err
    assert out.startswith("gen 2 accepted")
    _, history, _ = invoke(repo, None, "history", "--json")
    entries = json.loads(history)
    assert [(e["generation"], e["status"]) for e in entries] == [
        (1, "interrupted"),
        (2, "accepted"),
    ]
    assert "during phase plan" in entries[0]["reason"]
    assert_nothing_left(repo)


def test_ctrl_c_exits_130_and_records_interrupted(tmp_path: Path) -> None:
    repo = target(tmp_path)
    before = main_sha(repo)
    proc = _start_waiting_loop(repo, tmp_path)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 130
    assert report(repo, 1)["status"] == "interrupted"
    _, history, _ = invoke(repo, None, "history", "--json")
    assert json.loads(history)[0]["status"] == "interrupted"
    assert main_sha(repo) == before
    assert_nothing_left(repo)


def test_a_master_repository_runs_with_no_config(tmp_path: Path) -> None:
    repo = target(tmp_path)
    git(repo, "branch", "-m", "main", "master")
    before = git(repo, "rev-parse", "master").strip()
    script = script_file(tmp_path, improving_script())
    code, out, err = invoke(repo, script, "run", "--provider", "mock", "--auto-merge")
    assert code == 0, err
    assert out.startswith("gen 1 accepted (+")
    assert git(repo, "rev-parse", "master~1").strip() == before
    assert report(repo, 1)["status"] == "accepted"


def test_a_missing_main_branch_is_refused_before_any_work(tmp_path: Path) -> None:
    repo = target(tmp_path)
    code, _, err = invoke(repo, None, "run", "--provider", "offline", "--main-branch", "nope")
    assert code == 1
    assert err.strip() == (
        f"error: Branch 'nope' does not exist in {repo}; create it, or pass --main-branch / set "
        "[agent] main_branch to your main line."
    )
    assert not (repo / "reports/gen-1.json").exists()
    assert git(repo, "branch", "--list", "agent/*").strip() == ""
    assert not (repo / ".agent/agent.db").exists()
