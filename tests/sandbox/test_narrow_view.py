"""Landlock shows the run what bwrap shows: another checkout's store and .env are not there."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from self_improving_agent.base.cleanup import remove_tree
from self_improving_agent.sandbox.proc import Limits, run_tool, sandbox_env
from self_improving_agent.sandbox.sandbox import sandbox_for
from tests.sandbox.sandbox_kit import mechanism_params

MARK = "NARROW-" + "k7" * 8
READ = """import json, sys
found = {}
for path in sys.argv[1:]:
    try:
        with open(path) as handle:
            found[path] = handle.read()
    except OSError as exc:
        found[path] = type(exc).__name__
print(json.dumps(found))
"""


@pytest.fixture
def checkout() -> Iterator[Path]:
    """A main checkout outside every folder a sandbox hides wholesale (/tmp, /home, /run)."""
    root = Path(tempfile.mkdtemp(prefix="agent-narrow-", dir="/var/tmp"))
    (root / ".agent").mkdir()
    (root / ".agent" / "agent.db").write_text(MARK, encoding="utf-8")
    (root / ".env").write_text(f"TOKEN={MARK}\n", encoding="utf-8")
    yield root
    remove_tree(root)


def read_in(mode: str, tmp_path: Path, paths: list[str]) -> dict[str, str]:
    """What a run under mode read of paths (the text, or the error's name)."""
    tree, scratch = tmp_path / "tree", tmp_path / "scratch"
    tree.mkdir(exist_ok=True)
    (tree / "read.py").write_text(READ, encoding="utf-8")
    spec = sandbox_for(mode, scratch, [tree])  # type: ignore[arg-type]
    cmd = [sys.executable, str(tree / "read.py"), *paths]
    run = run_tool(cmd, tree, sandbox_env({}), 60, Limits(60, 2048), spec)
    assert run.returncode == 0, run.stderr
    found: dict[str, str] = json.loads(run.stdout)
    return found


@pytest.mark.parametrize("mode", [*mechanism_params(), pytest.param("off", id="off")])
def test_another_checkouts_store_and_env_are_hidden(
    tmp_path: Path, checkout: Path, mode: str
) -> None:
    secrets = [str(checkout / ".agent" / "agent.db"), str(checkout / ".env")]
    found = read_in(mode, tmp_path, [*secrets, "/etc/passwd"])
    assert "root:" in found["/etc/passwd"]
    if mode == "off":
        assert all(MARK in found[p] for p in secrets)
        return
    assert all(found[p] in ("PermissionError", "FileNotFoundError") for p in secrets), found


@pytest.mark.skipif(os.geteuid() != 0, reason="root's file permissions are what is tested")
@pytest.mark.parametrize("mode", [*mechanism_params(), pytest.param("off", id="off")])
def test_root_keeps_its_file_permissions_over_what_the_run_sees_only(
    tmp_path: Path, checkout: Path, mode: str
) -> None:
    """A mode-0 file in the tree reads as it would for root; hidden files stay out of reach."""
    tree = tmp_path / "tree"
    tree.mkdir()
    locked = tree / "locked.txt"
    locked.write_text("mine\n", encoding="utf-8")
    locked.chmod(0)
    found = read_in(mode, tmp_path, [str(locked), str(checkout / ".env"), "/etc/shadow"])
    assert found[str(locked)] == "mine\n"
    if mode != "off":
        assert found[str(checkout / ".env")] in ("PermissionError", "FileNotFoundError")
        assert found["/etc/shadow"] in ("PermissionError", "FileNotFoundError")
