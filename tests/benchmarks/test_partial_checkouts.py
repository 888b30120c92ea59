"""Submodules and sparse checkouts: the measured tree holds what HEAD holds, or says why not."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.benchmarks.runner import run_benchmarks
from self_improving_agent.benchmarks.submodules import submodule_files, submodule_paths
from tests.conftest import git, make_repo, own_sections

READER = """from pathlib import Path

import pytest

DATA = Path(__file__).parent / "vendor"


@pytest.mark.parametrize("name", ["a.txt", "b.txt", "c.txt"])
def test_reads(name):
    assert (DATA / name).read_text() == name
"""


def with_submodule(tmp_path: Path) -> Path:
    """A repository whose tests read three files from the submodule tests/vendor."""
    data = make_repo(tmp_path / "data", {n: n for n in ("a.txt", "b.txt", "c.txt")})
    repo = make_repo(tmp_path / "repo", {"pkg/__init__.py": "", "tests/test_data.py": READER})
    allow = ("-c", "protocol.file.allow=always")
    git(repo, *allow, "submodule", "add", "-q", str(data), "tests/vendor")
    git(repo, "commit", "-qm", "vendor the data")
    return repo


def test_an_initialised_submodule_is_measured(tmp_path: Path) -> None:
    repo = with_submodule(tmp_path)
    assert submodule_paths(repo) == ["tests/vendor"]
    assert submodule_files(repo) == [
        "tests/vendor/a.txt",
        "tests/vendor/b.txt",
        "tests/vendor/c.txt",
    ]
    suite = run_benchmarks(repo, own_sections(), only=["test_pass_rate"])
    result = suite.results[0]
    assert (result.status, result.raw["passed"], result.raw["total"]) == ("ok", 3, 3)


def test_a_missing_submodule_the_tests_need_is_an_error_naming_the_fix(tmp_path: Path) -> None:
    origin = with_submodule(tmp_path)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    suite = run_benchmarks(clone, own_sections(), only=["test_pass_rate", "code_coverage"])
    for result in suite.results:
        assert result.status == "error"
        assert result.detail == (
            "the tests need the git submodule tests/vendor, which is not checked out; run "
            "`git submodule update --init tests/vendor` in the repository and measure again"
        )


def test_a_sparse_checkout_measures_the_tests_head_holds(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "X = 1\n",
        "tests/test_x.py": "import pkg\n\n\ndef test_x():\n    assert pkg.X\n",
    }
    origin = make_repo(tmp_path / "origin", files)
    sparse = tmp_path / "sparse"
    git(tmp_path, "clone", "-q", str(origin), str(sparse))
    git(sparse, "sparse-checkout", "set", "--no-cone", "/pkg/")
    assert not (sparse / "tests").exists()
    result = run_benchmarks(sparse, own_sections(), only=["test_pass_rate"]).results[0]
    assert (result.status, result.raw["passed"], result.raw["total"]) == ("ok", 1, 1)
    assert not (sparse / "tests").exists()
