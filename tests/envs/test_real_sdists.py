"""Real sdists from the package index: where their test dependencies and coverage settings are
found, and one measured end to end against coverage.py run by hand in its own environment."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from uv import find_uv_bin

from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.coverage_config import read_coverage_config
from self_improving_agent.benchmarks.runner import run_benchmarks
from self_improving_agent.envs.archive import extract_data
from self_improving_agent.envs.resolve import committed_declarations
from tests.conftest import git

pytestmark = [pytest.mark.slow, pytest.mark.network]


def sdist(name: str, version: str, tmp_path: Path) -> Path:
    """The unpacked sdist of name==version from the package index, committed as a git repo."""
    into = tmp_path / "download"
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
    subprocess.run([*pip, "-d", str(into), f"{name}=={version}"], check=True, timeout=900)
    archive = next(into.glob("*.tar.gz"))
    with tarfile.open(archive) as tar:
        extract_data(tar, tmp_path)
    repo = tmp_path / archive.name.removesuffix(".tar.gz")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "sdist")
    return repo


@pytest.mark.parametrize(
    ("name", "version", "source", "requirements"),
    [
        ("pytest-mock", "3.15.1", "tox.ini [testenv]", ["coverage", "mock", "pytest-asyncio"]),
        ("pyproject-hooks", "1.2.0", "noxfile.py session test", ["-r dev-requirements.txt"]),
        ("tomlkit", "0.13.3", "Poetry group dev", None),
    ],
)
def test_the_test_dependencies_of_real_sdists(
    name: str, version: str, source: str, requirements: list[str] | None, tmp_path: Path
) -> None:
    decl = committed_declarations(sdist(name, version, tmp_path), "HEAD")
    assert decl.source == source
    if requirements is not None:
        assert decl.requirements == requirements
    else:
        assert any(req.startswith("pytest>=7.2.0,<8") for req in decl.requirements)


def test_the_coverage_settings_of_a_real_sdist(tmp_path: Path) -> None:
    config = read_coverage_config(sdist("sqlparse", "0.5.3", tmp_path))
    assert (config.origin, config.names_source()) == ("pyproject.toml", True)


def test_a_real_sdist_measures_as_coverage_run_by_hand(tmp_path: Path) -> None:
    repo = sdist("pyproject-hooks", "1.2.0", tmp_path)
    suite = run_benchmarks(repo, MeasureSections(), only=["test_pass_rate", "code_coverage"])
    tests, coverage = suite.results
    # By hand, in a venv of its own: the project and its nox session's requirements.
    venv = tmp_path / "by-hand"
    uv = find_uv_bin()
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    python = str(venv / "bin" / "python")
    deps = ["-e", ".", "-r", "dev-requirements.txt", "coverage"]
    subprocess.run([uv, "pip", "install", "-q", "--python", python, *deps], cwd=repo, check=True)
    run = [python, "-m", "coverage"]
    done = subprocess.run(
        [*run, "run", "--source=src/pyproject_hooks", "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    passed = int(re.search(r"(\d+) passed", done.stdout).group(1))  # type: ignore[union-attr]
    report = subprocess.run([*run, "report", "--precision=2"], cwd=repo, capture_output=True)
    total = float(report.stdout.decode().splitlines()[-1].split()[-1].rstrip("%"))
    assert tests.raw["passed"] == passed
    assert coverage.raw["percent"] == pytest.approx(total, abs=1.0)
