"""run_tool: timeouts kill the group, secrets never reach the child, limits are set."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from self_improving_agent.sandbox.proc import limiter, run_tool, tool_env
from tests.benchmarks.conftest import live_group_members

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def test_tool_env_drops_secrets_and_tool_steering_variables() -> None:
    env = tool_env(
        {
            "PATH": "/bin",
            "GITHUB_TOKEN": "t",
            "ANTHROPIC_API_KEY": "k",
            "AWS_SECRET_ACCESS_KEY": "s",
            "DB_PASSWORD": "p",
            "PYTEST_ADDOPTS": "-x",
            "COVERAGE_PROCESS_START": "x",
            "HOME": "/h",
        },
        {"COVERAGE_FILE": "/tmp/c"},
    )
    assert env == {
        "PATH": "/bin",
        "HOME": "/h",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUTF8": "1",
        "COVERAGE_FILE": "/tmp/c",
    }


def test_the_child_sees_no_secret(tmp_path: Path) -> None:
    environ = {**ENV, "GITHUB_TOKEN": "ghp_x", "SERVICE_SECRET_VALUE": "s3", "MY_KEY": "k"}
    code = "import json, os; print(json.dumps(dict(os.environ)))"
    run = run_tool([sys.executable, "-c", code], tmp_path, tool_env(environ, {}), 30)
    seen = json.loads(run.stdout)
    assert run.returncode == 0
    assert not {"GITHUB_TOKEN", "SERVICE_SECRET_VALUE", "MY_KEY"} & set(seen)


def test_limits_are_applied_in_the_child(tmp_path: Path) -> None:
    code = (
        "import resource; print(resource.getrlimit(resource.RLIMIT_CPU)[0],"
        " resource.getrlimit(resource.RLIMIT_AS)[0])"
    )
    run = run_tool([sys.executable, "-c", code], tmp_path, ENV, 30, limiter(17, 2048))
    assert run.stdout.split() == ["17", str(2048 * 1024 * 1024)]


def test_a_memory_hog_dies_at_the_limit(tmp_path: Path) -> None:
    code = "x = bytearray(512 * 1024 * 1024)"
    run = run_tool([sys.executable, "-c", code], tmp_path, ENV, 30, limiter(30, 256))
    assert run.returncode != 0
    assert "MemoryError" in run.tail()


def test_timeout_kills_the_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child"
    code = (
        "import subprocess, sys, time\n"
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(c.pid))\n"
        "time.sleep(60)\n"
    )
    run = run_tool([sys.executable, "-c", code], tmp_path, ENV, 1.5)
    assert run.timed_out
    assert run.duration_s < 10
    assert pidfile.read_text(encoding="utf-8").isdigit()
    assert live_group_members(run.pid) == []


def test_a_missing_program_is_a_result_not_an_exception(tmp_path: Path) -> None:
    run = run_tool(["/no/such/tool"], tmp_path, ENV, 5)
    assert run.returncode == 127
    assert "cannot start /no/such/tool" in run.tail()


def test_a_sandboxed_run_gets_an_allowlist_never_host_values() -> None:
    from self_improving_agent.sandbox.proc import sandbox_env

    host = {"PATH": "/bin", "LC_ALL": "C", "DATABASE_URL": "postgres://u:p@h/db", "HOME": "/root"}
    env = sandbox_env({"MODE": "test"}, host)
    assert env == {
        "PATH": "/bin",
        "LC_ALL": "C",
        "MODE": "test",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUTF8": "1",
        "PYTHONNOUSERSITE": "1",
    }
