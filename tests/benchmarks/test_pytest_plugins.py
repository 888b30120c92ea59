"""The agent's pytest options follow the plugins the project's own addopts disable or enable."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from self_improving_agent.base.config import BenchmarksSection
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.pytest_plugins import (
    COV_PLUGIN,
    XDIST_PLUGIN,
    loaded_plugins,
    project_addopts,
    usable_plugins,
)
from self_improving_agent.benchmarks.pytest_run import pytest_args
from self_improving_agent.benchmarks.runner import run_benchmarks
from tests.conftest import make_repo

WANTED = (COV_PLUGIN, XDIST_PLUGIN)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pytest.ini", "[pytest]\naddopts = -p no:cov -q\n"),
        ("pyproject.toml", '[tool.pytest.ini_options]\naddopts = ["-pno:pytest_cov"]\n'),
        ("tox.ini", "[tox]\n[pytest]\naddopts = -p  no:cov\n"),
        ("setup.cfg", "[tool:pytest]\naddopts =\n    -p no:cov\n"),
    ],
)
def test_a_plugin_disabled_in_any_pytest_config_file_is_not_loaded(
    tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert loaded_plugins(tmp_path, {}, WANTED) == {XDIST_PLUGIN}


def test_the_file_pytest_picks_wins_and_later_options_re_enable(tmp_path: Path) -> None:
    # pytest.ini is read even without addopts; tox.ini's options then never apply.
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "tox.ini").write_text("[pytest]\naddopts = -p no:xdist\n", encoding="utf-8")
    assert project_addopts(tmp_path) == ""
    assert loaded_plugins(tmp_path, {}, WANTED) == set(WANTED)
    setenv = {"PYTEST_ADDOPTS": "-p no:xdist -p xdist"}
    assert loaded_plugins(tmp_path, setenv, WANTED) == set(WANTED)
    only = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_ADDOPTS": "-p pytest_cov"}
    assert loaded_plugins(tmp_path, only, WANTED) == {COV_PLUGIN}


def test_options_of_an_unloaded_plugin_are_never_passed(tmp_path: Path) -> None:
    rc = tmp_path / "rc"
    assert "--no-cov" not in pytest_args(rc, tmp_path, 1, loaded=frozenset({XDIST_PLUGIN}))
    assert "--no-cov" in pytest_args(rc, tmp_path, 1, loaded=frozenset(WANTED))
    serial = pytest_args(rc, tmp_path, 2, loaded=frozenset({COV_PLUGIN}))
    assert serial[:2] == ["coverage", "run"] and "-n" not in serial


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("addopts", ["-p no:cov", "-p no:xdist --no-cov", "-p no:cacheprovider"])
def test_a_project_disabling_plugins_is_measured(
    tmp_path: Path, addopts: str, workers: int
) -> None:
    config = f'[tool.pytest.ini_options]\naddopts = "{addopts}"\n'
    repo = make_repo(
        tmp_path / "repo",
        {
            "pyproject.toml": config,
            "pkg/__init__.py": "def one():\n    return 1\n\n\ndef two():\n    return 2\n",
            "tests/test_pkg.py": "from pkg import one\n\n\ndef test_one():\n    assert one()\n",
        },
    )
    sections = MeasureSections(BenchmarksSection(python=sys.executable, pytest_workers=workers))
    tests, coverage = run_benchmarks(
        repo, sections, only=["test_pass_rate", "code_coverage"]
    ).results
    assert (tests.status, tests.raw["passed"]) == ("ok", 1), tests.detail
    assert (coverage.status, coverage.raw["covered"], coverage.raw["statements"]) == ("ok", 3, 4)


def test_a_plugin_the_environment_lacks_is_never_loaded(tmp_path: Path) -> None:
    assert usable_plugins(tmp_path, {}, frozenset({"pytest", "pytest-xdist"})) == {XDIST_PLUGIN}
    assert usable_plugins(tmp_path, {}, None) == set(WANTED)
