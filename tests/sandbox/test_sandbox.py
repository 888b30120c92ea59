"""The sandbox: choosing a mechanism, bwrap's command line, Landlock's rules, real escapes."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.cli.app import app
from self_improving_agent.sandbox import bwrap, landlock, namespaces, sandbox
from self_improving_agent.sandbox.proc import run_tool, tool_env
from self_improving_agent.sandbox.sandbox import (
    SandboxError,
    SandboxMode,
    choose,
    record,
    sandbox_for,
)
from tests.conftest import git, make_repo
from tests.sandbox.sandbox_kit import kill_all, listener, mechanism_params, survivors

PROBE = r"""
import json, os, socket, subprocess, sys
main, cred, host_tmp, port, agent, marker = sys.argv[1:7]
seen = {}
def attempt(name, action):
    try:
        seen[name] = ("ok", action())
    except Exception as exc:
        seen[name] = ("denied", type(exc).__name__)
attempt("tree", lambda: open("written.txt", "w").write("in the tree"))
attempt("main", lambda: open(os.path.join(main, "ESCAPED"), "w").write("x"))
attempt("host_tmp", lambda: open(host_tmp, "w").write("x"))
attempt("cred", lambda: open(cred).read())
attempt("host_port", lambda: socket.create_connection(("127.0.0.1", int(port)), 3).send(b"hi"))
attempt("agent_environ", lambda: open(f"/proc/{agent}/environ", "rb").read().hex())
def loopback():
    server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
    socket.create_connection(server.getsockname(), 3).send(b"ping")
    return server.accept()[0].recv(4).decode()
attempt("loopback", loopback)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", marker],
                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(json.dumps(seen))
"""


def test_off_runs_bare_and_says_so() -> None:
    """off is asked for: no wrapping, and the record says nothing is restricted."""
    assert choose("off") == "off"
    rec = record("off")
    assert rec.restricts == [] and "full rights" in rec.not_covered[0]


def test_an_explicit_mode_that_cannot_run_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bwrap asked for on a machine without it fails, naming the fix, never silently off."""
    monkeypatch.setenv("PATH", str(tmp_path))
    bwrap.probe.cache_clear()
    try:
        with pytest.raises(SandboxError, match=r'mode = "bwrap" is not available here.*install'):
            choose("bwrap")
    finally:
        bwrap.probe.cache_clear()


def test_auto_with_nothing_warns_once_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No bwrap and no Landlock: auto runs uncontained after one WARNING line per process."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(landlock, "abi_version", lambda: 0)
    bwrap.probe.cache_clear()
    sandbox._warn_uncontained.cache_clear()
    try:
        assert [choose("auto"), choose("auto")] == ["none", "none"]
    finally:
        bwrap.probe.cache_clear()
    err = capsys.readouterr().err
    assert err.count("WARNING: no sandbox available") == 1
    assert len(err.splitlines()) == 1


def test_bwrap_binds_only_the_system_and_the_run_in_depth_order() -> None:
    """No root bind: system dirs and named /etc files read-only, sized tmpfs, parents first."""
    home, venv, tree = Path("/home/u"), Path("/home/u/.venv"), Path("/home/u/proj/tree")
    argv = bwrap.wrap(
        "bwrap",
        ["python", "-V"],
        tree,
        writable=[tree, Path("/tmp/scratch")],
        readable=[venv, Path("/opt/tool")],
        hidden=[home, Path("/tmp")],
        seccomp_fd=7,
    )
    joined = " ".join(argv)
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session"):
        assert flag in argv
    assert "--ro-bind / /" not in joined and "--proc /proc" in joined
    assert "/run" not in joined and "/var" not in joined and "/etc/shadow" not in joined
    assert "--ro-bind-try /etc/ld.so.cache /etc/ld.so.cache" in joined
    size = f"--size {bwrap.TMPFS_BYTES}"
    assert f"{size} --tmpfs /tmp" in joined and f"{size} --tmpfs /home/u" in joined
    assert "--ro-bind-try /home/u/.venv /home/u/.venv" in joined
    assert "--ro-bind-try /opt/tool /opt/tool" in joined
    assert joined.index("--tmpfs /home/u") < joined.index("--bind /home/u/proj/tree")
    assert joined.index("--bind /home/u/proj/tree") < joined.index("--remount-ro / --seccomp 7")
    assert argv[-4:] == ["/home/u/proj/tree", "--", "python", "-V"]


def test_an_environment_reached_through_sys_path_is_bound_back_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An overlay's .pth puts an env's site-packages on sys.path; its bin/ (ruff, uv) comes too."""
    env = tmp_path / "env"
    site = env / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    spec = sandbox.SandboxSpec("bwrap", tmp_path / "scratch")
    argv = sandbox.launch(spec, ["true"], tmp_path, {}).argv
    assert f"--ro-bind-try {env.resolve()} {env.resolve()}" in " ".join(argv)


def test_landlock_coverage_names_what_it_cannot_do() -> None:
    """An old ABI records TCP as not covered; ABI 4+ blocks TCP wholesale, loopback included."""
    old, new = landlock.coverage(3), landlock.coverage(6)
    assert any("TCP" in line for line in old.not_covered)
    assert any("TCP" in line for line in new.restricts)
    assert any("UDP" in line for line in new.not_covered)
    assert any("outlive" in line for line in new.not_covered)


Probe = tuple[dict[str, tuple[str, object]], list[bytes], list[int], Path, Path]


def probe(tmp_path: Path, mode: SandboxMode) -> Probe:
    """Run PROBE under mode: what it saw, what the host listener got, survivors, main, host tmp."""
    main, tree, scratch = tmp_path / "main", tmp_path / "main" / "tree", tmp_path / "scratch"
    tree.mkdir(parents=True)
    cred = tmp_path / "home" / ".aws" / "credentials"
    cred.parent.mkdir(parents=True)
    cred.write_text("aws_secret_access_key = FAKE-planted-credential\n", encoding="utf-8")
    host_tmp = Path("/tmp") / f"agent-escape-{uuid.uuid4().hex}"
    marker = f"agent-sandbox-survivor-{uuid.uuid4().hex}"
    spec = sandbox_for(mode, scratch, [tree])
    with listener() as server:
        args = [str(main), str(cred), str(host_tmp), str(server.port), str(os.getpid()), marker]
        env = tool_env(os.environ, {})
        run = run_tool([sys.executable, "-c", PROBE, *args], tree, env, 60, sandbox=spec)
        assert run.returncode == 0, run.tail()
        seen = {k: tuple(v) for k, v in json.loads(run.stdout).items()}
        left = survivors(marker, 1.0 if mode == "off" else 5.0)
        kill_all(left)
    return seen, server.accepted, left, main, host_tmp


def test_without_a_sandbox_every_escape_gets_through(tmp_path: Path) -> None:
    """The control: off lets the probe write, read, connect and outlive, and the host sees it."""
    seen, accepted, left, main, host_tmp = probe(tmp_path, "off")
    try:
        assert [seen[k][0] for k in ("main", "host_tmp", "cred", "host_port")] == ["ok"] * 4
        assert accepted == [b"hi"] and left and (main / "ESCAPED").is_file()
    finally:
        host_tmp.unlink(missing_ok=True)


@pytest.mark.parametrize("mode", mechanism_params())
def test_escapes_fail_inside_and_leave_the_host_alone(tmp_path: Path, mode: SandboxMode) -> None:
    """Each escape is tried from inside; the host sees no write, no connection, no survivor."""
    seen, accepted, left, main, host_tmp = probe(tmp_path, mode)
    tree = main / "tree"
    assert accepted == []
    assert seen["tree"][0] == "ok" and (tree / "written.txt").is_file()
    for escape in ("cred", "host_port"):
        assert seen[escape][0] == "denied", (escape, seen[escape])
    # Under bwrap a write below /tmp lands in the sandbox's private tmpfs and vanishes with it.
    assert seen["main"][0] == ("ok" if mode == "bwrap" else "denied")
    assert not (main / "ESCAPED").exists() and not host_tmp.exists()
    own = Path(f"/proc/{os.getpid()}/environ").read_bytes().hex()
    assert seen["agent_environ"] != ("ok", own)
    if mode == "bwrap" or namespaces.available():
        # Its own network namespace: a private loopback, and every process dies with the run.
        assert seen["loopback"] == ("ok", "ping")
        assert left == []
    else:
        assert seen["loopback"][0] == "denied"
        assert any("outlive" in line for line in record("landlock").not_covered)


def test_no_sandbox_spec_still_ties_the_child_to_the_agent(tmp_path: Path) -> None:
    """Unsandboxed runs get PR_SET_PDEATHSIG: the child's death signal is SIGKILL."""
    code = "import ctypes; s = ctypes.c_int(); "
    code += "ctypes.CDLL(None).prctl(2, ctypes.byref(s), 0, 0, 0); print(s.value)"
    run = run_tool([sys.executable, "-c", code], tmp_path, tool_env(os.environ, {}), 30)
    assert run.stdout.strip() == "9"


def test_config_validate_says_which_sandbox_runs_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """validate names the mechanism; an explicit mode this machine lacks is exit 1, one line."""
    runner = CliRunner()
    out = runner.invoke(app, ["config", "validate", "--repo", str(tmp_path)]).output
    assert f"sandbox: mode auto runs {choose('auto')} here" in out
    config = tmp_path / "agent.toml"
    config.write_text('[sandbox]\nmode = "bwrap"\n', encoding="utf-8")
    monkeypatch.setenv("PATH", str(tmp_path))
    bwrap.probe.cache_clear()
    try:
        result = runner.invoke(app, ["config", "validate", "--config", str(config)])
    finally:
        bwrap.probe.cache_clear()
    assert result.exit_code == 1
    assert result.stderr.startswith('error: [sandbox] mode = "bwrap" is not available here')


@pytest.mark.parametrize("mode", mechanism_params())
def test_a_gitdir_link_in_a_writable_tree_binds_nothing(tmp_path: Path, mode: str) -> None:
    """A `.git` file pointing at a hidden checkout does not make the sandbox show that checkout."""
    repo = make_repo(tmp_path / "repo")
    git(repo, "worktree", "add", "-q", "--detach", str(tmp_path / "wt"))
    spec = sandbox_for(mode, tmp_path / "scratch", [tmp_path / "wt"])  # type: ignore[arg-type]
    env = tool_env(os.environ, {})
    run = run_tool(["git", "log", "--format=%s"], tmp_path / "wt", env, 30, sandbox=spec)
    assert run.returncode != 0
    assert "initial" not in run.stdout


@pytest.mark.parametrize("mode", mechanism_params())
def test_a_script_folder_on_sys_path_stays_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: SandboxMode
) -> None:
    """The agent's script folder or a rootdir on sys.path (a checkout's .env) is not bound."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / ".env").write_text("TOKEN=FAKE-planted\n", encoding="utf-8")
    monkeypatch.setattr(sys, "path", [str(checkout), *sys.path])
    (tmp_path / "tree").mkdir()
    spec = sandbox_for(mode, tmp_path / "scratch", [tmp_path / "tree"])
    code = f"import os; print(os.path.exists({str(checkout / '.env')!r}))"
    run = run_tool(
        [sys.executable, "-c", code], tmp_path / "tree", tool_env(os.environ, {}), 30, sandbox=spec
    )
    assert run.stdout.strip() == "False", run.tail()
