"""Workspaces: every member importable and measured, a member that cannot build named."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.benchmarks.runner import run_benchmarks
from self_improving_agent.envs.build import install_args
from self_improving_agent.envs.declarations import read_declarations
from self_improving_agent.envs.workspace import member_dirs
from tests.conftest import make_repo, own_sections

BUILD = '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'


def member(name: str, test_deps: str = "") -> dict[str, str]:
    """One member project under libs/ with a src layout, a test and an optional test extra."""
    extras = f'[project.optional-dependencies]\ntest = ["{test_deps}"]\n' if test_deps else ""
    project = f'{BUILD}[project]\nname = "{name}"\nversion = "1"\n{extras}'
    test = f"import {name}\n\n\ndef test_{name}():\n    assert {name}.half(4) == 2\n"
    code = "def half(n):\n    return n // 2\n\n\ndef unused():\n    return 0\n"
    return {
        f"libs/{name}/pyproject.toml": project,
        f"libs/{name}/src/{name}/__init__.py": code,
        f"libs/{name}/tests/test_{name}.py": test,
    }


def test_members_are_found_under_a_bare_root_or_from_uv() -> None:
    files = ["libs/a/pyproject.toml", "libs/b/setup.py", "libs/a/tests/fixture/pyproject.toml"]
    assert member_dirs(files, False, {}) == ["libs/a", "libs/b"]
    assert member_dirs(files, True, {}) == []
    uv = {"tool": {"uv": {"workspace": {"members": ["libs/a"]}}}}
    assert member_dirs(files, True, uv) == ["libs/a"]


def test_each_members_test_dependencies_go_into_the_one_environment(tmp_path: Path) -> None:
    files = {**member("alpha", "freezegun"), **member("beta")}
    decl = read_declarations(sorted(files), files.get)
    assert decl.members == {"libs/alpha": ["test"], "libs/beta": []}
    assert "libs/alpha: extras test" in decl.source
    # The members themselves are built only inside the sandbox, never by the host's install.
    assert not [a for a in install_args(decl, tmp_path) if a.startswith(("./", "."))]


def test_a_workspace_is_measured_over_all_its_members(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {**member("alpha"), **member("beta")})
    suite = run_benchmarks(repo, own_sections(), only=["test_pass_rate", "code_coverage"])
    tests, coverage = suite.results
    assert (tests.status, tests.raw["passed"], tests.raw["total"]) == ("ok", 2, 2)
    # Both members' lines: 4 statements each, `unused` never run in either.
    assert (coverage.raw["covered"], coverage.raw["statements"]) == (6, 8)


def test_a_member_that_cannot_be_built_is_an_error_naming_it(tmp_path: Path) -> None:
    broken = member("beta")
    broken["libs/beta/pyproject.toml"] = BUILD.replace("setuptools.build_meta", "no.such.backend")
    repo = make_repo(tmp_path / "repo", {**member("alpha"), **broken})
    result = run_benchmarks(repo, own_sections(), only=["test_pass_rate"]).results[0]
    assert result.status == "error"
    assert result.detail.startswith("the workspace member libs/beta cannot be built (")
