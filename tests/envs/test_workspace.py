"""Workspaces: every member importable and measured, a member that cannot build named."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.base.config import Settings
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.runner import run_benchmarks
from self_improving_agent.cli.env_view import show_env
from self_improving_agent.envs.build import install_args
from self_improving_agent.envs.declarations import member_declarations, read_declarations
from self_improving_agent.envs.workspace import measured_members, member_dirs
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


def uv_member(name: str, deps: str = "", coverage: str = "") -> dict[str, str]:
    """A uv workspace member under packages/ depending on deps, with its own coverage config."""
    project = f'{BUILD}[project]\nname = "{name}"\nversion = "1"\ndependencies = [{deps}]\n'
    return {**member(name), f"libs/{name}/pyproject.toml": project + coverage}


def workspace_suite(tmp_path: Path, files: dict[str, str]) -> dict[str, BenchResult]:
    """Every per-project benchmark of a workspace repository, by name."""
    repo = make_repo(tmp_path / "repo", files)
    only = ["test_pass_rate", "code_coverage", "lint_score", "type_check"]
    return {r.name: r for r in run_benchmarks(repo, own_sections(), only=only).results}


def test_a_uv_workspace_is_measured_per_member_and_combined(tmp_path: Path) -> None:
    # alpha's own coverage config also measures beta, whose `unused` only alpha's test calls:
    # coverage is the union of both runs' lines, not their sum.
    coverage = '[tool.coverage.run]\nsource = ["alpha", "beta"]\n'
    alpha = uv_member("alpha", '"beta"', coverage)
    alpha["libs/alpha/tests/test_uses_beta.py"] = (
        "import beta\n\n\ndef test_beta_unused():\n    assert beta.unused() == 0\n"
    )
    beta = uv_member("beta")
    beta["libs/beta/src/beta/__init__.py"] = f"import os\n{beta['libs/beta/src/beta/__init__.py']}"
    root = '[tool.uv.workspace]\nmembers = ["libs/*"]\n'
    root += "[tool.uv.sources]\nbeta = { workspace = true }\n"
    found = workspace_suite(tmp_path, {"pyproject.toml": root, **alpha, **beta})
    tests, cov, lint = found["test_pass_rate"], found["code_coverage"], found["lint_score"]
    assert (tests.status, tests.raw["passed"], tests.raw["total"]) == ("ok", 3, 3), tests.detail
    assert "libs/alpha/tests/test_uses_beta.py::test_beta_unused" in tests.raw["outcomes"]
    # alpha: 3 of 4 (its `unused` never runs); beta: all 5 with the union of the two runs.
    assert (cov.status, cov.raw["covered"], cov.raw["statements"]) == ("ok", 8, 9), cov.detail
    # F401 and I001 of beta's import, found by beta's own run and named from the top.
    assert lint.raw["violations"] == 2
    assert {e["path"] for e in lint.raw["evidence"]} == {"libs/beta/src/beta/__init__.py"}
    # Each member's score weighs by its lines: beta, one line longer and not clean, weighs more.
    members = lint.raw["members"]
    assert members["libs/alpha"]["score"] == 1.0 > members["libs/beta"]["score"]
    expected = (1.0 * 6 + members["libs/beta"]["score"] * 7) / 13
    assert abs(lint.score - expected) < 1e-9
    assert found["type_check"].status == "ok"


def test_a_pyproject_per_folder_repo_with_only_tool_config_at_the_root(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[tool.ruff]\nline-length = 100\n",
        **member("alpha"),
        **member("beta"),
    }
    tests = workspace_suite(tmp_path, files)["test_pass_rate"]
    assert (tests.status, tests.raw["passed"], tests.raw["total"]) == ("ok", 2, 2), tests.detail
    assert tests.raw["members"]["libs/beta"]["status"] == "ok"


def test_a_members_declarations_leave_its_siblings_to_the_tree() -> None:
    alpha = uv_member("alpha", '"beta[fast]>=1", "attrs"')
    alpha["libs/alpha/pyproject.toml"] += '[dependency-groups]\ntest = ["beta", "pytest-mock"]\n'
    files = {"pyproject.toml": '[tool.uv.workspace]\nmembers = ["libs/*"]\n', **alpha}
    files.update(uv_member("beta"))
    decl = member_declarations(sorted(files), files.get, "libs/alpha")
    assert decl.siblings == {"beta": "../beta"}
    assert (decl.requirements, decl.sibling_requires) == (["pytest-mock"], ["beta"])
    assert decl.source == "libs/alpha: dependency-groups test"
    assert measured_members(sorted(files), {"project": {"name": "root"}}) == []


def test_env_show_names_each_members_own_environment(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {**member("alpha", "freezegun"), **member("beta")})
    settings = Settings()
    text = show_env(repo, settings)
    assert text.count("workspace member ") == 2
    assert "workspace member libs/alpha:\nnot built yet" in text
    assert "from:         libs/alpha: extras test on" in text
    assert "from:         libs/beta: the project alone plus pytest on" in text


def test_a_uv_root_without_a_build_system_is_virtual_as_uv_reads_it() -> None:
    files = ["pyproject.toml", "libs/a/pyproject.toml", "apps/b/pyproject.toml"]
    uv = {"workspace": {"members": ["libs/*", "apps/*"]}}
    root = {"project": {"name": "mono", "dependencies": []}, "tool": {"uv": uv}}
    assert measured_members(files, root) == ["apps/b", "libs/a"]
    built = {**root, "build-system": {"requires": ["hatchling"]}}
    assert measured_members(files, built) == []
    packaged = {**root, "tool": {"uv": {**uv, "package": True}}}
    assert measured_members(files, packaged) == []
