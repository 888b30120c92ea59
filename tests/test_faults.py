"""The fault matrix: real signals, two runs at once, lost state and odd paths on real repositories.

For each case: no report or ref lost or overwritten, nothing left running or lying around, the
store agrees with main, and the user's tree and index are as the user left them.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from self_improving_agent.base.models import Change
from tests.conftest import git
from tests.core.test_generation import assert_nothing_left, improving_script, main_sha, target
from tests.loop_kit import build, write_script
from tests.test_main_loop import AGENT, _start_waiting_loop, invoke, report

pytestmark = pytest.mark.usefixtures("clean_env")

# The agent runs git without hooks, so a `git` ahead of the real one on PATH holds the window
# between main's ref update and everything after it open until released.
MERGE_WINDOW = """#!/bin/sh
main() {{
    env -u GIT_DIR -u GIT_WORK_TREE {git} -C '{repo}' rev-parse -q --verify refs/heads/main
}}
before=$(main)
{git} "$@"
code=$?
if [ ! -e '{mark}' ] && [ "$(main)" != "$before" ]; then
    : > '{mark}'
    while [ ! -e '{release}' ]; do sleep 0.05; done
fi
exit $code
"""


def history(repo: Path) -> list[tuple[int, str]]:
    """(number, status) of every recorded generation."""
    _, out, _ = invoke(repo, None, "history", "--json")
    return [(e["generation"], e["status"]) for e in json.loads(out)]


def wait_for(condition: object, proc: subprocess.Popen[bytes], what: str) -> None:
    """Poll an observable condition while proc runs; fail with what when proc ends first."""
    deadline = time.monotonic() + 120
    while not condition():  # type: ignore[operator]
        assert proc.poll() is None, f"the agent ended before {what}"
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.05)


def agent(
    repo: Path, script: Path, *args: str, extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`agent` in its own session (so a group kill reaches its children), mock provider."""
    env = {**os.environ, "AGENT_MOCK_SCRIPT": str(script), **(extra or {})}
    return subprocess.Popen(
        [*AGENT, *args, "--provider", "mock", "--repo", str(repo)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)]
)
def test_a_stop_signal_mid_generation_cleans_up_and_records(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    repo = target(tmp_path)
    (repo / "pkg/mine.py").write_text("# user work\n")
    git(repo, "add", "pkg/mine.py")
    before, index = main_sha(repo), git(repo, "status", "--porcelain")
    proc = _start_waiting_loop(repo, tmp_path)
    proc.send_signal(sig)
    assert proc.wait(timeout=60) == code
    assert report(repo, 1)["status"] == "interrupted"
    assert history(repo) == [(1, "interrupted")]
    assert main_sha(repo) == before
    assert git(repo, "status", "--porcelain") == index
    git(repo, "reset", "-q")
    (repo / "pkg/mine.py").unlink()
    assert_nothing_left(repo)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_stop_between_the_ref_update_and_the_store_is_recovered_to_the_truth(
    tmp_path: Path, sig: signal.Signals
) -> None:
    repo = target(tmp_path)
    mark, release = tmp_path / "in-window", tmp_path / "release"
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    real_git = shutil.which("git")
    assert real_git is not None
    wrapper.write_text(MERGE_WINDOW.format(git=real_git, repo=repo, mark=mark, release=release))
    wrapper.chmod(0o755)
    script = write_script(tmp_path / "script.json", improving_script())
    path = f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"
    proc = agent(repo, script, "run", "--auto-merge", extra={"PATH": path})
    wait_for(mark.exists, proc, "main's ref update")
    if sig == signal.SIGKILL:
        os.killpg(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    else:
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == 143
    release.write_text("")
    merged = main_sha(repo)
    assert git(repo, "log", "-1", "--format=%s", merged).startswith("agent gen-1")

    assert invoke(repo, None, "status")[0] == 0
    script = write_script(tmp_path / "none.json", improving_script(architect=[]))
    err = invoke(repo, script, "run")[2]
    assert history(repo)[0] == (1, "accepted")
    assert report(repo, 1)["status"] == "accepted"
    # The checkout was not brought along before the stop: one line says how, nothing is reset.
    assert "read-tree -m -u" in err
    command = err.split("`")[1]
    subprocess.run(shlex.split(command), check=True)
    assert git(repo, "status", "--porcelain") == ""
    assert '"""Multiply a by b."""' in (repo / "pkg/mul.py").read_text()
    assert_nothing_left(repo)


@pytest.mark.slow
def test_a_second_loop_is_refused_while_the_first_works(tmp_path: Path) -> None:
    repo = target(tmp_path)
    before = main_sha(repo)
    proc = _start_waiting_loop(repo, tmp_path)
    try:
        script = write_script(tmp_path / "script.json", improving_script())
        code, out, err = invoke(repo, script, "loop", "--max-gen", "1", "--auto-merge")
        assert code == 1 and out == ""
        assert f"another agent run (pid {proc.pid}, started at" in err
        code, _, err = invoke(repo, None, "reset", "--yes")
        assert code == 1 and "another agent run" in err
        assert (repo / ".agent/worktrees/gen-1").is_dir()
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
    assert history(repo) == [(1, "interrupted")]
    assert main_sha(repo) == before
    assert_nothing_left(repo)


def test_a_lost_store_reuses_no_number_report_or_ref(tmp_path: Path) -> None:
    repo = target(tmp_path)
    rejecting = write_script(tmp_path / "no.json", improving_script(reviewer=[]))
    invoke(repo, rejecting, "run")
    parked = git(repo, "rev-parse", "refs/agent/rejected/gen-1").strip()
    first_report = (repo / "reports/gen-1.json").read_bytes()
    for path in (repo / ".agent").glob("agent.db*"):
        path.unlink()
    _code, out, err = invoke(repo, rejecting, "run")
    assert out.startswith("gen 2 rejected"), err
    assert (repo / "reports/gen-1.json").read_bytes() == first_report
    assert git(repo, "rev-parse", "refs/agent/rejected/gen-1").strip() == parked
    assert git(repo, "rev-parse", "refs/agent/rejected/gen-2").strip() != parked
    assert_nothing_left(repo)


def test_a_users_agent_gen_1_branch_is_left_alone(tmp_path: Path) -> None:
    repo = target(tmp_path)
    git(repo, "branch", "agent/gen-1")
    mine = git(repo, "rev-parse", "agent/gen-1").strip()
    script = write_script(tmp_path / "script.json", improving_script())
    code, out, err = invoke(repo, script, "run", "--auto-merge")
    assert code == 0 and out.startswith("gen 2 accepted"), err
    assert git(repo, "rev-parse", "agent/gen-1").strip() == mine
    assert git(repo, "branch", "--list", "agent/*").split() == ["agent/gen-1"]


def test_a_dollar_in_the_repository_path_is_taken_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    literal = target(tmp_path / "a$FAULT_NAME")
    decoy = target(tmp_path / "aelsewhere")
    monkeypatch.setenv("FAULT_NAME", "elsewhere")
    before = main_sha(decoy)
    script = write_script(tmp_path / "script.json", improving_script())
    code, out, err = invoke(literal, script, "run", "--auto-merge")
    assert code == 0 and out.startswith("gen 1 accepted"), err
    assert '"""Multiply a by b."""' in (literal / "pkg/mul.py").read_text()
    assert main_sha(decoy) == before
    assert not (decoy / ".agent").exists() and not (decoy / "reports").exists()
    assert_nothing_left(literal)


@pytest.mark.parametrize("where", ["pkg", "bare", "plain"])
def test_nothing_is_created_under_a_repo_that_is_not_a_work_trees_top(
    tmp_path: Path, where: str
) -> None:
    repo = target(tmp_path)
    folder = {"pkg": repo / "pkg", "bare": tmp_path / "bare.git", "plain": tmp_path / "plain"}[
        where
    ]
    if where == "bare":
        git(tmp_path, "clone", "-q", "--bare", str(repo), str(folder))
    folder.mkdir(exist_ok=True)
    before = sorted(p.name for p in folder.iterdir())
    script = write_script(tmp_path / "script.json", improving_script())
    code, _, err = invoke(folder, script, "run")
    assert code == 1 and "Traceback" not in err
    assert sorted(p.name for p in folder.iterdir()) == before


@pytest.mark.slow
def test_ctrl_c_stops_a_running_test_at_once(tmp_path: Path) -> None:
    pidfile = tmp_path / "test.pid"
    slow = (
        "import os, time\n\n\ndef test_slow():\n"
        f"    open({str(pidfile) + '.tmp'!r}, 'w').write(str(os.getpid()))\n"
        f"    os.replace({str(pidfile) + '.tmp'!r}, {str(pidfile)!r})\n"
        "    time.sleep(120)\n"
    )
    timeouts = '{"timeouts": {"test_pass_rate": 300, "code_coverage": 300}}'
    repo = target(tmp_path, {"tests/test_slow.py": slow, "config/benchmarks.json": timeouts})
    script = write_script(tmp_path / "script.json", improving_script())
    # Unsandboxed, so the test's pid file lands where this test can see it.
    proc = agent(repo, script, "run", extra={"AGENT_SANDBOX__MODE": "off"})
    wait_for(pidfile.exists, proc, "the slow test started")
    tool = int(pidfile.read_text())
    stopped = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert time.monotonic() - stopped < 15
    deadline = time.monotonic() + 10
    while Path(f"/proc/{tool}").exists() and _alive(tool):
        assert time.monotonic() < deadline, "the test process outlived the agent"
        time.sleep(0.05)
    assert report(repo, 1)["status"] == "interrupted"
    assert_nothing_left(repo)


def _alive(pid: int) -> bool:
    """Whether pid is a live (not zombie) process."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_huge_generation_number_is_one_sentence(tmp_path: Path) -> None:
    code, _, err = invoke(target(tmp_path), None, "merge", "99999999999999999999999")
    assert code == 2 and "Traceback" not in err


BAD_REPLIES = {
    "append-flood": (
        [build(*[Change(file="pkg/mul.py", op="append", content="#\n")] * 10_000)],
        "gen 1 rejected: implement failed: the build edits pkg/mul.py 10000 times; the limit is 50",
    ),
    "deep-reply": (
        ['{"changes": ' + "[" * 100_000 + "]" * 100_000 + "}"] * 2,
        "gen 1 rejected: implement failed: the builder reply was unusable twice: the reply holds "
        "no valid JSON object: invalid JSON at line 1: it is nested 100001 levels deep",
    ),
    "surrogate-path": (
        ['{"changes": [{"file": "pkg/\\udcff.py", "content": "X = 1\\n"}]}'] * 2,
        "gen 1 rejected: implement failed: the builder reply was unusable twice: the reply is "
        "refused: a string holds a lone surrogate",
    ),
    "nul-path": (
        ['{"changes": [{"file": "pkg/a\\u0000.py", "content": "X = 1\\n"}]}'] * 2,
        "gen 1 rejected: implement failed: the builder reply was unusable twice: the reply does "
        "not match the Build schema: changes.0.file: Value error, a path must not contain",
    ),
    "ignored-path": (
        [build(Change(file="build/gen.py", content="X = 1\n"))] * 2,
        "gen 1 rejected: implement failed: no edit could be applied: refused by gate 'path': "
        "build/gen.py: git ignores this path",
    ),
}


@pytest.mark.parametrize("case", list(BAD_REPLIES))
def test_a_reply_the_agent_cannot_use_ends_its_generation_in_one_sentence(
    tmp_path: Path, case: str
) -> None:
    replies, expected = BAD_REPLIES[case]
    repo = target(tmp_path, {".gitignore": "build/\n"})
    before = main_sha(repo)
    script = write_script(tmp_path / "script.json", improving_script(builder=replies))
    started = time.monotonic()
    code, out, err = invoke(repo, script, "run", "--auto-merge")
    assert time.monotonic() - started < 60
    # A result line's further parts are printed on indented lines of their own.
    assert code == 0 and out.replace("\n    ", "; ").startswith(expected), out + err
    assert "Traceback" not in out + err
    assert report(repo, 1)["status"] == "rejected"
    assert history(repo) == [(1, "rejected")]
    assert main_sha(repo) == before
    assert_nothing_left(repo)


def test_a_deeply_nested_mock_script_is_one_sentence_at_start_up(tmp_path: Path) -> None:
    repo = target(tmp_path)
    script = tmp_path / "deep.json"
    script.write_text('{"architect": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    code, out, err = invoke(repo, script, "run")
    assert code == 1 and out == ""
    assert err.strip().endswith("it is nested 100001 levels deep; the limit is 64; flatten it")
    assert len(err.strip().splitlines()) == 1
    assert not (repo / ".agent").exists() and not (repo / "reports").exists()


def test_a_file_name_that_is_not_utf8_ends_the_generation_in_one_sentence(tmp_path: Path) -> None:
    repo = target(tmp_path)
    (repo / os.fsdecode(b"notes\xfe.txt")).write_text("n\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "odd name")
    script = write_script(tmp_path / "script.json", improving_script())
    code, out, err = invoke(repo, script, "run", "--auto-merge")
    assert code == 0 and "Traceback" not in out + err
    assert out.startswith("gen 1 rejected: plan failed: the file name b'notes\\xfe.txt' in"), err
    assert report(repo, 1)["status"] in ("rejected", "failed")
    assert_nothing_left(repo)


@pytest.mark.slow
def test_a_huge_file_and_a_1_mb_reply_end_within_time_and_memory() -> None:
    # The script's own limits are 60 s and 1 GB; 180 s here keeps a loaded machine from failing it.
    script = Path(__file__).resolve().parents[1] / "scripts" / "bounded_work.py"
    done = subprocess.run(
        [sys.executable, str(script), "--max-seconds", "180"], capture_output=True, text=True
    )
    cases = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert [c["case"] for c in cases] == ["huge-file/offline", "huge-file/mock", "big-reply/mock"]
    assert all(c["exit"] == 0 and c["agent_peak_rss_mb"] < 1024 for c in cases)
