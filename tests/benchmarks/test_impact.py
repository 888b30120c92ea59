"""The test-impact map from main's full run, and the early stage it chooses tests for."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from self_improving_agent.base.config import BenchmarksSection
from self_improving_agent.base.gitcmd import git
from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.early import early_stage, plan_early
from self_improving_agent.benchmarks.impact import ImpactMap, load_map, pytest_hook, tree_of
from self_improving_agent.benchmarks.runner import SuiteResult, run_benchmarks
from tests.benchmarks.conftest import context
from tests.conftest import make_repo

TESTS_ONLY = ["test_pass_rate", "code_coverage"]
# The agent's own interpreter, in the sandbox, with the map on.
MAPPED = MeasureSections(benchmarks=BenchmarksSection(python=sys.executable, test_impact=True))
FILES = {
    "pkg/__init__.py": "",
    "pkg/a.py": "def f():\n    return 1\n",
    "pkg/b.py": "def g():\n    return 2\n",
    "tests/test_a.py": "from pkg.a import f\n\n\ndef test_f():\n    assert f() == 1\n",
    "tests/test_b.py": (
        "import pytest\n\nfrom pkg.b import g\n\n\n@pytest.fixture\ndef v():\n"
        "    from pkg.a import f\n\n    return f()\n\n\ndef test_g(v):\n    assert g() == 2\n"
    ),
}
MAP = ImpactMap(
    {
        "pkg/a.py": frozenset({"tests/test_a.py::test_f", "tests/test_b.py::test_g"}),
        "pkg/b.py": frozenset({"tests/test_b.py::test_g"}),
    }
)


def test_plan_runs_the_tests_that_executed_the_change_plus_changed_tests() -> None:
    present = {"tests/test_new.py"}
    plan = plan_early(["pkg/b.py", "tests/test_new.py"], MAP, present)
    assert plan.ids == ("tests/test_b.py::test_g", "tests/test_new.py")
    assert plan.full == ""


@pytest.mark.parametrize(
    ("changed", "why"),
    [
        (["pkg/a.py", "tests/conftest.py"], "cannot see: tests/conftest.py"),
        (["pyproject.toml"], "cannot see: pyproject.toml"),
        (["tests/data/input.json"], "cannot see: tests/data/input.json"),
        (["setup.py"], "cannot see: setup.py"),
        (["pkg/unrun.py"], "no test executed"),
    ],
)
def test_a_change_the_map_cannot_see_runs_the_full_suite(changed: list[str], why: str) -> None:
    plan = plan_early(changed, MAP, set())
    assert plan.ids == ()
    assert why in plan.full


def test_no_map_runs_the_full_suite() -> None:
    assert plan_early(["pkg/a.py"], None, set()).full == "no test-impact map for main's tree"


@pytest.fixture
def measured(tmp_path: Path) -> tuple[Path, Store, SuiteResult]:
    """A project whose main tree was measured in full, with its store open."""
    repo = make_repo(tmp_path / "repo", FILES)
    store = Store.for_repo(repo)
    before = run_benchmarks(repo, MAPPED, only=TESTS_ONLY, store=store)
    return repo, store, before


@pytest.mark.slow
def test_main_s_full_run_records_which_tests_ran_each_file(
    measured: tuple[Path, Store, SuiteResult],
) -> None:
    repo, store, _ = measured
    with store:
        found = load_map(store, tree_of(repo) or "")
    assert found is not None
    # The fixture's setup runs pkg/a.py for test_g: contexts cover setup, not only the call.
    assert found.tests_of("pkg/a.py") == MAP.files["pkg/a.py"]
    assert found.tests_of("pkg/b.py") == MAP.files["pkg/b.py"]


def _candidate(repo: Path, files: dict[str, str]) -> tuple[Path, str, list[str]]:
    """A worktree of main with files changed and committed: its path, main's commit, changes."""
    base = git(repo, "rev-parse", "HEAD").stdout.decode().strip()
    tree = repo.parent / "candidate"
    git(repo, "worktree", "add", "-q", "-b", "cand", str(tree), base)
    for rel, text in files.items():
        (tree / rel).write_text(text, encoding="utf-8")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "candidate")
    return tree, base, sorted(files)


@pytest.mark.slow
def test_a_breaking_change_is_lost_in_the_early_stage_running_only_affected_tests(
    measured: tuple[Path, Store, SuiteResult],
) -> None:
    repo, store, before = measured
    tree, base, changed = _candidate(repo, {"pkg/b.py": "def g():\n    return 3\n"})
    notes: list[str] = []
    with store:
        verdict = early_stage(store, MAPPED, "HEAD", notes.append, tree, base, changed, before)
    assert verdict is not None
    # Only the test that executed pkg/b.py ran: test_a's test never did.
    assert verdict.ran == ("tests/test_b.py::test_g",)
    assert verdict.lost == ("tests/test_b.py::test_g",)


@pytest.mark.slow
def test_a_conftest_change_skips_the_early_stage_for_the_full_suite(
    measured: tuple[Path, Store, SuiteResult],
) -> None:
    repo, store, before = measured
    tree, base, changed = _candidate(repo, {"tests/conftest.py": "X = 1\n"})
    notes: list[str] = []
    with store:
        verdict = early_stage(store, MAPPED, "HEAD", notes.append, tree, base, changed, before)
    assert verdict is None
    assert notes == [
        "early stage skipped, the full suite runs:"
        " a change the test-impact map cannot see: tests/conftest.py"
    ]


def test_the_plugin_is_written_once_for_runs_that_share_a_context(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    ctx = context(repo, tmp_path / "scratch")
    host = ctx.host_dir
    first = pytest_hook(ctx)
    assert pytest_hook(ctx) == first
    assert first[0] == ["-p", "_agent_test_contexts"]
    assert (host / "impact-plugin" / "_agent_test_contexts.py").is_file()
