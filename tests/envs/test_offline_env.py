"""A src-layout project with a third-party test dependency, measured in an environment that uv
builds from local wheels only (no package index): counts, breakage, caching and a clean tree."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from self_improving_agent.base.config import BenchmarksSection, SandboxSection
from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.runner import SuiteResult, run_benchmarks
from self_improving_agent.envs.resolve import built_env, plan_env
from self_improving_agent.sandbox.sandbox import _hidden
from tests.conftest import git, make_repo
from tests.envs.wheels import make_wheel, repack_closure
from tests.sandbox.sandbox_kit import mechanism_params

ONLY = ["test_pass_rate", "code_coverage", "import_check", "type_check"]
PYPROJECT = """[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "tinycalc"
version = "1.0"

[project.optional-dependencies]
test = ["tinyhelper"]
"""
TESTS = """from tinyhelper import double

import tinycalc


def test_add():
    assert tinycalc.add(1, 2) == 3


def test_double():
    assert double(tinycalc.add(1, 1)) == 4


def test_three():
    assert tinycalc.add(0, 0) == 0
"""
FILES = {
    "pyproject.toml": PYPROJECT,
    "src/tinycalc/__init__.py": '"""Adds."""\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n',  # noqa: E501
    "tests/test_calc.py": TESTS,
    ".gitignore": "*.egg-info/\n",
}


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Local wheels only: uv may not reach any index; caches in a private folder."""
    wheels = tmp_path_factory.mktemp("wheels")
    repack_closure(wheels, ["pytest", "pytest-cov", "pytest-xdist", "coverage", "setuptools"])
    make_wheel(wheels, "tinyhelper", "1.0", {"tinyhelper.py": "def double(x):\n    return 2 * x\n"})
    patch = pytest.MonkeyPatch()
    # uv has no environment variable for --no-index; offline mode keeps it off every index.
    patch.setenv("UV_OFFLINE", "1")
    patch.setenv("UV_FIND_LINKS", str(wheels))
    patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg")))
    yield wheels
    patch.undo()


def built_settings() -> MeasureSections:
    """Sections that let the agent build the environment (no interpreter named)."""
    return MeasureSections()


def status(repo: Path) -> str:
    """git status with untracked and ignored files."""
    return git(repo, "status", "--porcelain", "--untracked-files=all", "--ignored")


def bench(repo: Path, store: Store | None = None) -> SuiteResult:
    """The env benchmarks of repo, measured with the built environment."""
    return run_benchmarks(repo, built_settings(), only=ONLY, store=store, ref="main")


def by_name(suite: SuiteResult) -> dict[str, object]:
    """name -> (status, passed or score)."""
    return {r.name: (r.status, r.raw.get("passed", r.score)) for r in suite.results}


def test_the_built_environment_measures_the_tree(offline: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "tinycalc", FILES)
    before = status(repo)
    notes: list[str] = []
    env = built_env(repo, "main", notes.append)
    assert env.source == "extras test" and env.origin == "built"
    assert "tinyhelper" in env.packages and "tinycalc" not in env.packages
    assert notes and notes[0].startswith("building the measuring environment from extras test")
    suite = bench(repo)
    results = {r.name: r for r in suite.results}
    assert (results["test_pass_rate"].status, results["test_pass_rate"].raw["passed"]) == ("ok", 3)
    assert results["import_check"].score == 1.0
    assert results["type_check"].status == "ok"
    assert results["code_coverage"].raw["files"] == 1
    assert status(repo) == before
    # The same declarations answer from the cache folder without building again.
    assert built_env(repo, "main", notes.append) == env and len(notes) == 2


def test_a_broken_package_shows_in_the_score(offline: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "tinycalc", FILES)
    init = repo / "src/tinycalc/__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "raise ImportError\n", encoding="utf-8")
    results = {r.name: r for r in bench(repo).results}
    assert results["test_pass_rate"].raw["passed"] == 0
    assert results["test_pass_rate"].score == 0.0
    assert results["import_check"].score == 0.0


def test_an_undeclared_test_dependency_is_an_error_that_says_the_fix(
    offline: Path, tmp_path: Path
) -> None:
    files = {**FILES, "pyproject.toml": PYPROJECT.replace('test = ["tinyhelper"]', "test = []")}
    repo = make_repo(tmp_path / "tinycalc", files)
    result = next(r for r in bench(repo).results if r.name == "test_pass_rate")
    assert result.status == "error"
    assert "No module named tinyhelper; add it to your test dependencies" in result.detail


def test_the_cache_key_follows_the_environment(offline: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "tinycalc", FILES)
    with Store.for_repo(repo) as store:
        first = bench(repo, store)
        again = bench(repo, store)
        own = run_benchmarks(
            repo,
            MeasureSections(benchmarks=BenchmarksSection(python=sys.executable)),
            only=ONLY,
            store=store,
            ref="main",
        )
    assert (first.cached, again.cached, own.cached) == (False, True, False)
    assert first.key == again.key != own.key
    assert plan_env(repo, "main").fingerprint in str(built_env(repo, "main", None).python)


@pytest.mark.parametrize("mechanism", mechanism_params())
def test_a_built_environment_under_a_hidden_folder_measures_inside_the_sandbox(
    offline: Path, tmp_path: Path, mechanism: str
) -> None:
    """The env lives under the host's /tmp, which the sandbox hides: it must be bound back."""
    repo = make_repo(tmp_path / "tinycalc", FILES)
    env = built_env(repo, "main", None)
    assert any(p in env.python.parents for p in _hidden()), "the env must sit in a hidden folder"
    sandbox = SandboxSection(mode=mechanism)  # type: ignore[arg-type]
    suite = run_benchmarks(repo, MeasureSections(sandbox=sandbox), only=ONLY, ref="main")
    assert suite.sandbox is not None and suite.sandbox.mechanism == mechanism
    results = {r.name: r for r in suite.results}
    assert {r.sandbox for r in suite.results} == {mechanism}
    assert (results["test_pass_rate"].status, results["test_pass_rate"].raw["passed"]) == ("ok", 3)
    assert results["import_check"].score == 1.0
    assert results["type_check"].status == "ok"


SETUP_PROBE = """from setuptools import setup

try:
    with open({mark!r}, "w") as handle:
        handle.write(open({cred!r}).read())
except OSError:
    pass
setup(name="tinycalc", version="1.0", package_dir={{"": "src"}}, packages=["tinycalc"],
      install_requires=["tinyhelper"])
"""


@pytest.mark.parametrize("mode", [*mechanism_params(), pytest.param("off", id="off")])
def test_building_the_environment_runs_the_projects_setup_py_only_in_the_sandbox(
    offline: Path, tmp_path: Path, mode: str
) -> None:
    """setup.py says what the project needs, from inside the sandbox; off is the control."""
    cred = tmp_path / "home" / ".aws" / "credentials"
    cred.parent.mkdir(parents=True)
    cred.write_text("aws_secret_access_key = FAKE-ENV-BUILD\n", encoding="utf-8")
    mark = tmp_path / "home" / "SETUP_RAN_HERE"
    files = {
        "setup.py": SETUP_PROBE.format(mark=str(mark), cred=str(cred)),
        "pyproject.toml": PYPROJECT.split("[project]")[0],
        "src/tinycalc/__init__.py": FILES["src/tinycalc/__init__.py"],
        "tests/test_calc.py": TESTS,
    }
    repo = make_repo(tmp_path / "tinycalc", files)
    env = built_env(repo, "main", None, rebuild=True, mode=mode)  # type: ignore[arg-type]
    # Its install_requires came from the metadata the sandboxed build wrote.
    assert "tinyhelper" in env.packages and "tinycalc" not in env.packages
    assert mark.exists() is (mode == "off")
