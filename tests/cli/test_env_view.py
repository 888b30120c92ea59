"""`agent env show|rebuild` through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.cli.app import app
from tests.conftest import make_repo

runner = CliRunner()


def test_show_names_the_given_interpreter(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    result = runner.invoke(app, ["env", "show", "--repo", str(repo), "--python", sys.executable])
    assert result.exit_code == 0, result.stderr
    assert f"interpreter:  {Path(sys.executable).absolute()}" in result.stdout
    assert "from:         given" in result.stdout and "pytest" in result.stdout


def test_show_describes_an_unbuilt_environment_without_building_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("AGENT_BENCHMARKS__PYTHON")
    repo = make_repo(tmp_path / "r", {"requirements-test.txt": "freezegun\n"})
    result = runner.invoke(app, ["env", "show", "--repo", str(repo)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"not built yet: {tmp_path / 'xdg'}")
    assert "from:         requirements-test.txt on main" in result.stdout
    assert "why:          requirements files named for tests" in result.stdout
    assert not (tmp_path / "xdg").exists()


def test_an_interpreter_without_pytest_is_refused_in_one_sentence(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    result = runner.invoke(app, ["bench", "--repo", str(repo), "--python", str(bare)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {bare / 'bin' / 'python'} has no pytest; install pytest into it, or unset "
        "[benchmarks] python so the agent builds an environment\n"
    )
