"""Scratch cleanup never follows a link planted inside, as root and as an unprivileged user."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

import self_improving_agent.base.cleanup as cleanup_module
from self_improving_agent.base.cleanup import remove_tree, scratch_dir

# Run as nobody: plant links to the user's own file and folder in a folder made read-only,
# then let the named cleanup remove the scratch; print what happened to the targets.
PLANT = """
import importlib.util, json, os, sys, tempfile
spec = importlib.util.spec_from_file_location("cleanup", sys.argv[1])
cleanup = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cleanup)
home = tempfile.mkdtemp(prefix="agent-cleanup-home-")
secret = os.path.join(home, "secret")
with open(secret, "w") as out:
    out.write("mine")
os.chmod(secret, 0o600)
keep = os.path.join(home, "keep")
os.mkdir(keep)
open(os.path.join(keep, "file"), "w").close()
spec = importlib.util.spec_from_file_location("agent_tempfile", sys.argv[2])
agent_tempfile = importlib.util.module_from_spec(spec)
spec.loader.exec_module(agent_tempfile)
use = agent_tempfile.TemporaryDirectory if sys.argv[3] == "stdlib" else cleanup.scratch_dir
with use(prefix="agent-cleanup-") as scratch:
    # One link per read-only folder: the first failed unlink is the link itself.
    for name, target in (("to_file", secret), ("to_dir", keep)):
        locked = os.path.join(scratch, "locked-" + name)
        os.mkdir(locked)
        os.symlink(target, os.path.join(locked, name))
        os.chmod(locked, 0o500)
print(json.dumps({
    "secret_mode": oct(os.stat(secret).st_mode & 0o777),
    "keep": sorted(os.listdir(keep)),
    "scratch_left": os.path.exists(scratch),
}))
cleanup.remove_tree(__import__("pathlib").Path(home))
"""


def _plant(tmp_path: Path) -> tuple[Path, Path, Path]:
    outside_file, outside_dir = tmp_path / "secret", tmp_path / "keep"
    outside_file.write_text("mine", encoding="utf-8")
    outside_file.chmod(0o600)
    outside_dir.mkdir()
    (outside_dir / "file").write_text("x", encoding="utf-8")
    scratch = tmp_path / "scratch"
    locked = scratch / "a" / "locked"
    locked.mkdir(parents=True)
    (locked / "to_file").symlink_to(outside_file)
    (locked / "to_dir").symlink_to(outside_dir)
    (scratch / "to_dir").symlink_to(outside_dir)
    os.mkfifo(scratch / "fifo")
    deep = scratch / "deep"
    for _ in range(200):
        deep /= "d"
    deep.mkdir(parents=True)
    # A read-only folder holding only folders: their rmdir needs it writable again.
    (scratch / "ro" / "sub").mkdir(parents=True)
    (scratch / "ro").chmod(0o500)
    for path in (locked, scratch / "a"):
        path.chmod(0)
    return outside_file, outside_dir, scratch


def test_remove_tree_removes_links_and_locked_folders_and_touches_no_target(
    tmp_path: Path,
) -> None:
    outside_file, outside_dir, scratch = _plant(tmp_path)
    remove_tree(scratch)
    assert not scratch.exists()
    assert stat.S_IMODE(outside_file.stat().st_mode) == 0o600
    assert outside_file.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in outside_dir.iterdir()) == ["file"]


def test_remove_tree_on_a_symlink_removes_only_the_link(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "f").write_text("x", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(target)
    remove_tree(link)
    assert not link.is_symlink()
    assert (target / "f").exists()


def test_scratch_dir_is_gone_after_the_block() -> None:
    with scratch_dir("agent-cleanup-test-") as path:
        Path(path, "x").write_text("y", encoding="utf-8")
    assert not Path(path).exists()


def _as_nobody(which: str) -> dict[str, object]:
    python = shutil.which("python3", path="/usr/bin:/bin")
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or python is None or setpriv is None:
        pytest.skip("needs root, setpriv and a system python3 to run as nobody")
    cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python]
    probe = subprocess.run([*cmd, "-c", "pass"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("the system python3 cannot run as nobody here")
    # The agent's own interpreter's tempfile and this cleanup, copied where nobody can read them.
    with scratch_dir("agent-cleanup-lib-") as lib:
        os.chmod(lib, 0o755)
        copies = []
        for source in (cleanup_module.__file__, tempfile.__file__):
            copy = Path(lib, Path(source).name)
            copy.write_text(Path(source).read_text(encoding="utf-8"), encoding="utf-8")
            copy.chmod(0o644)
            copies.append(str(copy))
        done = subprocess.run(
            [*cmd, "-c", PLANT, *copies, which],
            capture_output=True,
            text=True,
            check=False,
            cwd=lib,
            env={"PATH": "/usr/bin:/bin", "TMPDIR": tempfile.gettempdir()},
        )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_as_an_unprivileged_user_the_planted_links_stay_unfollowed() -> None:
    assert _as_nobody("ours") == {
        "secret_mode": "0o600",
        "keep": ["file"],
        "scratch_left": False,
    }


def test_control_the_stdlib_cleanup_chmods_through_a_planted_link() -> None:
    """The class is real: this interpreter's TemporaryDirectory makes the target 0o700."""
    if "_dont_follow_symlinks" in Path(tempfile.__file__).read_text(encoding="utf-8"):
        pytest.skip("this interpreter's tempfile has the fix for gh-91133 (no follow on chmod)")
    assert _as_nobody("stdlib")["secret_mode"] == "0o700"


def test_no_module_cleans_scratch_with_the_stdlib() -> None:
    """TemporaryDirectory's cleanup may chmod through links: scratch_dir is the one way."""
    src = Path(cleanup_module.__file__).parents[1]
    users = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if "TemporaryDirectory(" in p.read_text(encoding="utf-8") and p.name != "cleanup.py"
    ]
    assert users == []


def test_the_folder_holding_the_tree_is_never_changed(tmp_path: Path) -> None:
    holder = tmp_path / "holder"
    (holder / "tree" / "sub").mkdir(parents=True)
    holder.chmod(0o555)
    try:
        remove_tree(holder / "tree")
        # Root may remove in a read-only folder; either way the folder keeps its mode.
        assert stat.S_IMODE(holder.stat().st_mode) == 0o555
    except PermissionError:
        assert stat.S_IMODE(holder.stat().st_mode) == 0o555
    finally:
        holder.chmod(0o755)
