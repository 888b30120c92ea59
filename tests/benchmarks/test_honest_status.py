"""Errors that look like results never pass as results: a whole sentence and a non-zero exit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.benchmarks import pass_rate
from self_improving_agent.benchmarks.pytest_run import run_pytest
from self_improving_agent.cli.app import app
from tests.benchmarks.conftest import context
from tests.conftest import make_repo

runner = CliRunner()


def test_tests_that_cannot_import_the_project_are_an_error(tmp_path: Path) -> None:
    # A pyproject per folder and none at the top: nothing installs alpha, so no test reaches it.
    files = {
        "libs/alpha/pyproject.toml": '[project]\nname = "alpha"\nversion = "1"\n',
        "libs/alpha/src/alpha/__init__.py": "X = 1\n",
        "libs/alpha/tests/test_alpha.py": "import alpha\n\n\ndef test_x():\n    assert alpha.X\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    result = pass_rate.measure(run_pytest(context(repo, tmp_path / "s"), 120))
    assert result.status == "error"
    assert result.detail.startswith("1 test modules cannot import the project's own alpha")
    assert result.raw["environment_error"] is True


def test_a_missing_submodule_of_the_project_is_a_failure_not_an_error(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "tests/test_gone.py": "from pkg import gone\n\n\ndef test_x():\n    assert gone\n",
        "tests/test_ok.py": "def test_ok():\n    pass\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    result = pass_rate.measure(run_pytest(context(repo, tmp_path / "s"), 120))
    assert (result.status, result.raw["passed"], result.raw["errors"]) == ("ok", 1, 1)


def test_a_repository_with_no_commits_is_an_error_in_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AGENT_BENCHMARKS__PYTHON")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    repo = tmp_path / "fresh"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "__init__.py").write_text("X = 1\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    result = runner.invoke(app, ["bench", "--repo", str(repo), "--only", "test_pass_rate"])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == (
        f"test_pass_rate error: {repo} has no commits yet, and the environment is built from the "
        "committed tree; commit the project (git add -A && git commit -m 'first commit') and "
        "run again"
    )
    assert "Traceback" not in result.output


def test_an_environment_that_cannot_be_built_is_a_whole_sentence_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AGENT_BENCHMARKS__PYTHON")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("UV_OFFLINE", "1")
    files = {
        "setup.py": "from setuptools import setup\n\nsetup(name='pkg')\n",
        "requirements-test.txt": "no-such-package-anywhere==1.0\n",
        "pkg/__init__.py": "X = 1\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    result = runner.invoke(app, ["bench", "--repo", str(repo), "--only", "test_pass_rate"])
    assert result.exit_code == 1
    last = result.stdout.splitlines()[-1]
    assert last.startswith(
        "test_pass_rate error: installing the test dependencies (requirements-test.txt) failed: "
    )
    assert last.endswith("fix the declarations on the main branch, or set [benchmarks] python")
    assert "(see below)" in result.stdout
