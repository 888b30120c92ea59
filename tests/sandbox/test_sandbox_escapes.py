"""Round-2 escapes, each tried without a sandbox (it gets out) and under bwrap and Landlock."""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.cli.app import app
from self_improving_agent.sandbox import cgroups, namespaces
from self_improving_agent.sandbox.proc import Limits, run_tool, tool_env
from self_improving_agent.sandbox.sandbox import SandboxMode, record, sandbox_for
from tests.conftest import make_repo
from tests.sandbox.escape_probes import (
    FORK_BOMB,
    KEY_PROBE,
    KEY_SPEC_SESSION,
    KEY_SPEC_USER,
    MEMORY_BOMB,
    PROBE,
    Keys,
    key_calls,
    observers,
    remove_sysv,
    sysv_ids,
)
from tests.sandbox.sandbox_kit import kill_all, mechanism_params, processes_with, survivors

MODES = [pytest.param("off", id="off"), *mechanism_params()]
# What each escape is called in Landlock's list of what it leaves open.
NAMED = {
    "unix_tmp": "unix sockets",
    "unix_var": "unix sockets",
    "unix_abstract": "abstract unix sockets",
    "udp_host_loopback": "UDP",
    "cred_tmp": "home directory",
    "cred_var": "existence, size and times of host files",
    "etc_shadow_exists": "existence, size and times of host files",
    "run_exists": "/run",
    "dev_shm": "/dev/shm",
    "host_cmdline": "command lines",
    "signal_host": "signals",
    "sysv_shm": "SysV",
    "straggler": "outlive",
}


@dataclass(frozen=True)
class Outcome:
    """Which escapes reached the host, judged on the host's side where it can see them."""

    escaped: frozenset[str]
    seen: dict[str, tuple[str, object]]


def _probe(tmp_path: Path, mode: SandboxMode) -> Outcome:
    """Run PROBE under mode with every host-side observer in place, then clean up after it."""
    tree, var_dir = tmp_path / "tree", Path("/var/tmp") / f"agent-escape-{uuid.uuid4().hex}"
    tree.mkdir()
    creds = {}
    for name, home in (("cred_tmp", tmp_path / "home"), ("cred_var", var_dir / "home")):
        cred = home / ".aws" / "credentials"
        cred.parent.mkdir(parents=True)
        cred.write_text("aws_secret_access_key = FAKE-planted-credential\n", encoding="utf-8")
        creds[name] = str(cred)
    shm = Path("/dev/shm") / f"agent-escape-{uuid.uuid4().hex}"
    key, marker = int.from_bytes(os.urandom(3), "big") + 1, f"agent-escape-{uuid.uuid4().hex}"
    try:
        with observers(tmp_path, var_dir) as seen_by_host:
            args = {
                **creds,
                "unix_tmp": seen_by_host.unix_tmp,
                "unix_var": seen_by_host.unix_var,
                "abstract": seen_by_host.abstract,
                "udp_port": seen_by_host.udp.getsockname()[1],
                "shm": str(shm),
                "host_pid": os.getpid(),
                "sysv_key": key,
                "marker": marker,
            }
            spec = sandbox_for(mode, tmp_path / "scratch", [tree])
            env = tool_env(os.environ, {})
            cmd = [sys.executable, "-c", PROBE, json.dumps(args)]
            run = run_tool(cmd, tree, env, 120, sandbox=spec)
            assert run.returncode == 0, run.tail()
            seen = {k: tuple(v) for k, v in json.loads(run.stdout).items()}
            escaped = set(seen_by_host.received)
            if seen_by_host.udp_arrived(5.0 if mode == "off" else 0.5):
                escaped.add("udp_host_loopback")
        left = survivors(marker, 1.0 if mode == "off" else 5.0)
        escaped |= {"straggler"} if left else set()
        escaped |= {"dev_shm"} if shm.exists() else set()
        escaped |= {"sysv_shm"} if sysv_ids(key) else set()
        inside = {"cred_tmp", "cred_var", "etc_shadow_exists", "run_exists"}
        inside |= {"host_cmdline", "signal_host"}
        escaped |= {name for name in inside if seen[name][0] == "ok"}
    finally:
        kill_all(processes_with(marker))
        shm.unlink(missing_ok=True)
        remove_sysv(key)
        shutil.rmtree(var_dir, ignore_errors=True)
    return Outcome(frozenset(escaped), seen)


@pytest.fixture(scope="module")
def off_outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """The probe with the sandbox off."""
    return _probe(tmp_path_factory.mktemp("off"), "off")


def test_without_a_sandbox_every_escape_reaches_the_host(off_outcome: Outcome) -> None:
    """The control: each probe is a real escape on this machine."""
    assert off_outcome.escaped == frozenset(NAMED), off_outcome.seen


@pytest.mark.parametrize("mode", mechanism_params())
def test_each_escape_is_contained_or_named(tmp_path: Path, mode: SandboxMode) -> None:
    """bwrap contains all; Landlock contains the rest of them and names what it cannot."""
    outcome = _probe(tmp_path, mode)
    if mode == "bwrap":
        assert outcome.escaped == frozenset(), outcome.seen
        return
    not_covered = record("landlock").not_covered
    for escape in outcome.escaped:
        assert any(NAMED[escape] in line for line in not_covered), (escape, not_covered)
    if namespaces.available():
        # Its own namespaces, host sockets masked, reads only of what bwrap shows, /etc private.
        assert outcome.escaped == frozenset(), outcome.seen


@pytest.fixture(scope="module")
def keys() -> Keys:
    """This test process in a fresh session keyring of its own: plants there touch nothing else."""
    found = Keys()
    found.join_fresh_session()
    return found


@pytest.mark.skipif(key_calls() is None, reason="keyring syscall numbers unknown for this arch")
@pytest.mark.parametrize("mode", MODES)
def test_the_keyring_is_empty_and_closed_inside(
    tmp_path: Path, mode: SandboxMode, keys: Keys
) -> None:
    """Keys planted in @s and @u are unreadable inside and nothing is left behind; off leaks."""
    planted, left = f"agent-test-planted-{uuid.uuid4().hex}", f"agent-test-left-{uuid.uuid4().hex}"
    try:
        # @u first: planting goes through the session keyring, where add_key would update.
        for ring in (KEY_SPEC_USER, KEY_SPEC_SESSION):
            keys.plant(planted, "FAKE-key-payload", ring)
        spec = sandbox_for(mode, tmp_path / "scratch", [tmp_path])
        cmd = [sys.executable, "-c", KEY_PROBE, json.dumps(key_calls()), planted, left]
        run = run_tool(cmd, tmp_path, tool_env(os.environ, {}), 60, sandbox=spec)
        seen = json.loads(run.stdout)
        left_behind = [keys.find(left, ring) for ring in (KEY_SPEC_SESSION, KEY_SPEC_USER)]
    finally:
        for ring in (KEY_SPEC_SESSION, KEY_SPEC_USER):
            keys.remove(planted, ring)
            keys.remove(left, ring)
    if mode == "off":
        assert seen["read_session"] == seen["read_user"] == "FAKE-key-payload"
        assert None not in left_behind
        return
    assert all(value == "errno 1" for value in seen.values()), seen
    assert left_behind == [None, None]


def _cgroups_or_skip(mode: str) -> None:
    """Skip a sandboxed bomb where the machine offers no cgroup to bound it."""
    if mode != "off" and cgroups.layout() is None:
        pytest.skip("no writable pids and memory cgroup here: named in the report")


@pytest.mark.parametrize("mode", MODES)
def test_a_fork_bomb_stops_at_the_process_limit(tmp_path: Path, mode: SandboxMode) -> None:
    """300 forks: all succeed off; inside, the run's 64 processes end it, and it says so."""
    _cgroups_or_skip(mode)
    (tmp_path / "tree").mkdir()
    spec = sandbox_for(mode, tmp_path / "scratch", [tmp_path / "tree"])
    cmd, env = [sys.executable, "-c", FORK_BOMB, "300"], tool_env(os.environ, {})
    run = run_tool(cmd, tmp_path / "tree", env, 120, Limits(120, 1024, processes=64), spec)
    if mode == "off":
        assert (run.stdout.strip(), run.exhausted) == ("300", None)
        return
    assert int(run.stdout.strip()) < 64
    assert run.exhausted == "the run reached its process limit (64)"


@pytest.mark.parametrize("mode", MODES)
def test_a_memory_bomb_stops_at_the_memory_limit(tmp_path: Path, mode: SandboxMode) -> None:
    """Four children of 120 MiB: all hold it off; inside, 256 MiB in all ends it, and it says so."""
    _cgroups_or_skip(mode)
    (tmp_path / "tree").mkdir()
    spec = sandbox_for(mode, tmp_path / "scratch", [tmp_path / "tree"])
    cmd, env = [sys.executable, "-c", MEMORY_BOMB, "4", "120"], tool_env(os.environ, {})
    run = run_tool(cmd, tmp_path / "tree", env, 120, Limits(120, 256), spec)
    if mode == "off":
        assert (run.stdout.strip(), run.exhausted) == ("4", None)
        return
    assert run.exhausted is not None and "memory limit (256 MiB)" in run.exhausted
    assert run.stdout.strip() != "4"


FORKING_TEST = """import os


def test_forks_until_refused():
    read, write = os.pipe()
    for _ in range(5000):
        if os.fork() == 0:
            os.read(read, 1)
            os._exit(0)
"""


@pytest.fixture
def no_agent_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The benchmark config of the test repository, nothing from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("AGENT_") and name != "AGENT_BENCHMARKS__PYTHON":
            monkeypatch.delenv(name)
    yield


@pytest.mark.slow
@pytest.mark.parametrize("mode", mechanism_params())
def test_a_fork_bomb_in_the_tests_makes_the_measurement_an_error(
    tmp_path: Path, mode: str, no_agent_env: None
) -> None:
    """`agent bench` on a suite that forks without end: an error naming the limit, agent alive."""
    _cgroups_or_skip(mode)
    repo = make_repo(tmp_path / "r", {"tests/test_fork.py": FORKING_TEST})
    args = ["bench", "--repo", str(repo), "--json", "--no-cache", "--only", "test_pass_rate"]
    result = CliRunner().invoke(app, [*args, "--sandbox", mode])
    bench = json.loads(result.stdout)["benchmarks"]
    rate = next(b for b in bench if b["name"] == "test_pass_rate")
    assert rate["status"] == "error", rate
    assert "process limit" in rate["detail"]


FILL = r"""
import os
written = 0
with open(os.path.join(os.environ["TMPDIR"], "fill"), "wb") as out:
    for _ in range(600):
        try:
            out.write(b"x" * 1024 * 1024)
            out.flush()
        except OSError:
            break
        written += 1
print(written)
"""


@pytest.mark.parametrize("mode", MODES)
def test_scratch_has_a_quota(tmp_path: Path, mode: SandboxMode) -> None:
    """600 MiB into TMPDIR: all of it lands off; inside, the private tmpfs stops it at 512 MiB."""
    (tmp_path / "tree").mkdir()
    scratch_tmp = tmp_path / "scratch" / "tmp"
    scratch_tmp.mkdir(parents=True)
    spec = sandbox_for(mode, tmp_path / "scratch", [tmp_path / "tree"])
    # Off, the same folder is TMPDIR by hand; a sandbox sets it itself.
    env = tool_env(os.environ, {"TMPDIR": str(scratch_tmp)})
    run = run_tool(
        [sys.executable, "-c", FILL], tmp_path / "tree", env, 120, Limits(120, 2048), spec
    )
    written = int(run.stdout.strip())
    host_file = scratch_tmp / "fill"
    if mode == "off":
        assert written == 600 and host_file.stat().st_size == 600 * 1024 * 1024
        return
    assert written <= 512 and not host_file.exists()
