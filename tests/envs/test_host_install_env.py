"""The host's own installs (uv with network, outside the sandbox) get an allowlisted environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from self_improving_agent.envs.build import uv

VALUE = "pwd-" + "z9" * 8


def test_a_variable_named_in_a_declaration_is_not_expanded_by_uv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uv expands ${VAR} in requirements; a host variable off the allowlist stays unexpanded."""
    monkeypatch.setenv("MY_DB_PWD", VALUE)
    (tmp_path / "req.txt").write_text("probe @ file:///nowhere/${MY_DB_PWD}/probe\n")
    args = ["pip", "install", "--dry-run", "--offline", "--python", sys.executable, "-r", "req.txt"]
    run = uv(args, tmp_path)
    assert run.returncode != 0
    assert VALUE not in run.stdout + run.stderr
    assert "nowhere" in run.stdout + run.stderr
