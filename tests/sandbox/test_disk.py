"""The disk watchdog: a run filling its writable trees past its budget is killed, as root too."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from self_improving_agent.sandbox.disk import MIB, DiskWatch
from self_improving_agent.sandbox.proc import Limits, run_tool, sandbox_env
from self_improving_agent.sandbox.sandbox import sandbox_for
from tests.sandbox.sandbox_kit import mechanism_params

MODES = [*mechanism_params(), pytest.param("off", id="off")]
# 40 files of 32 MiB, reserved with fallocate: at most 1.25 GiB even if nothing stopped it.
FILL = """import os, sys, time
for i in range(40):
    fd = os.open(os.path.join(sys.argv[1], f"fill-{i}"), os.O_WRONLY | os.O_CREAT)
    os.posix_fallocate(fd, 0, 32 * 1024 * 1024)
    os.close(fd)
    time.sleep(0.05)
print("filled", flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_run_filling_its_tree_past_the_budget_is_killed(tmp_path: Path, mode: str) -> None:
    tree, scratch = tmp_path / "tree", tmp_path / "scratch"
    tree.mkdir()
    scratch.mkdir()
    (tree / "fill.py").write_text(FILL, encoding="utf-8")
    spec = sandbox_for(mode, scratch, [tree])  # type: ignore[arg-type]
    limits = Limits(cpu_s=60, memory_mb=1024, disk_bytes=64 * MIB)
    cmd = [sys.executable, str(tree / "fill.py"), str(tree)]
    run = run_tool(cmd, tree, sandbox_env({}), 300, limits, spec)
    assert not run.timed_out
    assert run.exhausted is not None and "MiB of disk" in run.exhausted
    assert "filled" not in run.stdout
    left = sum(os.lstat(p).st_blocks * 512 for p in tree.glob("fill-*"))
    assert 64 * MIB <= left < 40 * 32 * MIB


def test_space_used_elsewhere_is_not_the_runs(tmp_path: Path) -> None:
    tree, elsewhere = tmp_path / "tree", tmp_path / "elsewhere"
    tree.mkdir()
    elsewhere.mkdir()
    watch = DiskWatch([tree], 8 * MIB)
    fd = os.open(elsewhere / "big", os.O_WRONLY | os.O_CREAT)
    os.posix_fallocate(fd, 0, 32 * MIB)
    os.close(fd)
    assert watch.exceeded() is None
    fd = os.open(tree / "big", os.O_WRONLY | os.O_CREAT)
    os.posix_fallocate(fd, 0, 32 * MIB)
    os.close(fd)
    assert watch.filled() >= 32 * MIB
    assert "past its budget of 8 MiB" in (watch.exceeded() or "")


THREADS = """import threading
hold = threading.Event()
started = 0
try:
    for _ in range(1100):
        threading.Thread(target=hold.wait).start()
        started += 1
except RuntimeError:
    pass
print(started, flush=True)
hold.set()
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_run_given_no_limits_still_has_the_process_limit(tmp_path: Path, mode: str) -> None:
    """A build backend or self-hosting check (no limits passed) cannot hold 1,100 threads."""
    from self_improving_agent.sandbox import cgroups

    if mode != "off" and cgroups.layout() is None:
        pytest.skip("no writable pids and memory cgroup here: named in the report")
    spec = sandbox_for(mode, tmp_path / "scratch", [tmp_path])  # type: ignore[arg-type]
    run = run_tool([sys.executable, "-c", THREADS], tmp_path, sandbox_env({}), 120, sandbox=spec)
    if mode == "off":
        assert (run.stdout.strip(), run.exhausted) == ("1100", None)
        return
    assert int(run.stdout.strip()) < 1024
    assert run.exhausted == "the run reached its process limit (1024)"


@pytest.mark.parametrize("mode", mechanism_params())
def test_dev_shm_is_a_sized_tmpfs(tmp_path: Path, mode: str) -> None:
    """/dev/shm holds at most 512 MiB, like /tmp, HOME and TMPDIR."""
    size = "import os\nfound = os.statvfs('/dev/shm')\nprint(found.f_blocks * found.f_frsize)\n"
    spec = sandbox_for(mode, tmp_path / "scratch", [tmp_path])  # type: ignore[arg-type]
    run = run_tool([sys.executable, "-c", size], tmp_path, sandbox_env({}), 60, sandbox=spec)
    assert run.returncode == 0, run.stderr
    assert 0 < int(run.stdout) <= 512 * MIB
