"""The runner on real fixture repositories: every figure, cache, litter, secrets, timeouts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from self_improving_agent.base.config import BenchmarksSection, SandboxSection
from self_improving_agent.base.errors import BenchmarkError, ConfigError
from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks import runner
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.runner import (
    SuiteResult,
    _guarded,
    run_benchmarks,
    weighted_total,
)
from self_improving_agent.benchmarks.scratch import (
    KEPT_TOOL_CACHES,
    SCRATCH_PREFIX,
    sweep_scratch,
    tool_cache_dir,
)
from tests.benchmarks.conftest import SECRETS, live_group_members, write_config
from tests.conftest import git, make_repo, own_sections

CHEAP = ["lint_score", "doc_coverage", "file_organization"]
Suite = tuple[SuiteResult, str, str, list[tuple[str, bool]]]


@pytest.fixture(scope="module")
def suite(sample: Path) -> Iterator[Suite]:
    """The whole suite run once on the sample with secrets in the environment."""
    before = git(sample, "status", "--porcelain", "--untracked-files=all")
    events: list[tuple[str, bool]] = []
    with pytest.MonkeyPatch.context() as mp:
        for name, value in SECRETS.items():
            mp.setenv(name, value)
        with Store.for_repo(sample) as store:
            result = run_benchmarks(
                sample,
                own_sections(),
                store=store,
                progress=lambda name, res: events.append((name, res is not None)),
            )
    after = git(sample, "status", "--porcelain", "--untracked-files=all")
    yield result, before, after, events


def by_name(suite: SuiteResult) -> dict[str, BenchResult]:
    """Results keyed by benchmark name."""
    return {r.name: r for r in suite.results}


def test_every_benchmark_reports_the_known_numbers(suite: Suite) -> None:
    result = by_name(suite[0])
    assert [r.status for r in result.values()] == ["ok"] * 9
    tests = result["test_pass_rate"].raw
    assert (tests["passed"], tests["failed"], tests["skipped"], tests["total"]) == (3, 1, 1, 5)
    assert result["test_pass_rate"].score == 0.75
    assert tests["outcomes"]["tests/test_calc.py::test_wrong"] == "failed"
    assert tests["outcomes"]["tests/test_calc.py::test_skipped"] == "skipped"
    assert result["type_check"].raw["errors"] == 1
    assert result["lint_score"].raw["violations"] == 1
    assert result["lint_score"].raw["by_rule"] == {"F401": 1}
    assert result["doc_coverage"].raw["documented"] == 5
    assert result["doc_coverage"].raw["total"] == 7
    assert result["import_check"].raw["importable"] == 2
    assert "RuntimeError: boom" in result["import_check"].raw["errors"]["pkg.broken"]
    assert result["security_scan"].raw["by_rule"] == {"code/eval-exec": 1}
    assert result["file_organization"].raw["checks"]["no_stray_root_files"] is False
    assert result["file_organization"].score == pytest.approx(5 / 6)


def test_tool_benchmarks_keep_their_findings_with_file_and_line(suite: Suite) -> None:
    result = by_name(suite[0])
    lint = result["lint_score"].raw["evidence"]
    assert lint == [{"path": "pkg/calc.py", "line": 3, "message": lint[0]["message"]}]
    assert lint[0]["message"].startswith("F401 ") and "os" in lint[0]["message"]
    mypy = result["type_check"].raw["evidence"]
    assert [(f["path"], f["line"]) for f in mypy] == [("pkg/calc.py", 17)]
    assert "Incompatible return value" in mypy[0]["message"]
    uncovered = {f["message"].split(":")[0]: f for f in result["code_coverage"].raw["evidence"]}
    assert uncovered["risky"]["path"] == "pkg/calc.py" and uncovered["risky"]["line"] == 20
    assert "1 of 1 lines not covered" in uncovered["risky"]["message"]
    complexity = result["code_complexity"].raw["evidence"]
    assert {f["path"] for f in complexity} <= {"pkg/calc.py", "pkg/__init__.py", "pkg/broken.py"}
    assert all("cyclomatic complexity" in f["message"] for f in complexity)


def test_total_is_the_weighted_mean(suite: Suite) -> None:
    result = suite[0]
    assert result.total == pytest.approx(sum(r.score for r in result.results) / 9)
    assert result.cached is False


def test_progress_reports_start_and_end(suite: Suite) -> None:
    events = suite[3]
    assert sorted(name for name, done in events if done) == sorted(by_name(suite[0]))
    assert len(events) == 18


def test_the_working_tree_is_left_as_it_was(suite: Suite, sample: Path) -> None:
    assert suite[1] == suite[2]
    assert not list(sample.rglob("__pycache__"))
    assert not list(sample.glob(".coverage*"))


def test_secrets_never_reach_the_target(suite: Suite) -> None:
    """The sample's own test_env_dump asserts no secret name or value is in its environment."""
    outcomes = by_name(suite[0])["test_pass_rate"].raw["outcomes"]
    assert outcomes["tests/test_calc.py::test_env_dump"] == "passed"


def result(name: str, score: float) -> BenchResult:
    """A bare result."""
    return BenchResult(name=name, score=score)


def test_weighted_total_is_pure_arithmetic() -> None:
    results = [result("a", 1.0), result("b", 0.5), result("c", 0.0)]
    weights = {"a": 2.0, "c": 0.0}
    assert weighted_total(results, weights) == pytest.approx(2.5 / 3)
    assert weighted_total(results, {"a": 0, "b": 0, "c": 0}) == 0.0


def test_cache_hit_and_invalidation_by_an_uncommitted_edit(repo: Path) -> None:
    (repo / "mod.py").write_text('"""Mod."""\n', encoding="utf-8")
    with Store.for_repo(repo) as store:
        first = run_benchmarks(repo, own_sections(), only=CHEAP, store=store)
        second = run_benchmarks(repo, own_sections(), only=CHEAP, store=store)
        forced = run_benchmarks(repo, own_sections(), only=CHEAP, store=store, use_cache=False)
        (repo / "mod.py").write_text('"""Mod."""\n\n\ndef f():\n    pass\n', encoding="utf-8")
        edited = run_benchmarks(repo, own_sections(), only=CHEAP, store=store)
    assert (first.cached, second.cached, forced.cached, edited.cached) == (
        False,
        True,
        False,
        False,
    )
    assert second.key == first.key == forced.key != edited.key
    assert second.results == first.results
    assert edited.results[1].raw["total"] == first.results[1].raw["total"] + 1


def test_warm_cache_answers_without_running_a_tool(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.for_repo(repo) as store:
        cold = run_benchmarks(repo, own_sections(), only=CHEAP, store=store)

        def no_tool(*args: object, **kwargs: object) -> None:
            raise AssertionError("a warm cache must not measure")

        monkeypatch.setattr(runner, "measure", no_tool)
        warm = run_benchmarks(repo, own_sections(), only=CHEAP, store=store)
    assert warm.cached
    assert warm.results == cold.results


def test_only_rejects_unknown_names(repo: Path) -> None:
    with pytest.raises(BenchmarkError, match="--only speed: unknown benchmark"):
        run_benchmarks(repo, own_sections(), only=["speed"])


def test_a_bad_benchmark_config_is_a_config_error(repo: Path) -> None:
    write_config(repo, {"weights": {"lint_score": -1}})
    with pytest.raises(ConfigError, match=r"weights\.lint_score = -1"):
        run_benchmarks(repo, own_sections())


def test_a_folder_outside_git_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match="is not a git repository"):
        run_benchmarks(tmp_path, own_sections())


@pytest.mark.slow
def test_a_sleeping_test_times_out_and_leaves_no_process(tmp_path: Path) -> None:
    pids = tmp_path / "pids.json"
    test = (
        "import json, os, subprocess, sys, time\n\n\ndef test_sleep():\n"
        "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"    with open({str(pids)!r}, 'w') as handle:\n"
        "        json.dump([os.getpid(), os.getpgid(0), child.pid], handle)\n"
        "    time.sleep(600)\n"
    )
    repo = make_repo(tmp_path / "slow", {"tests/test_slow.py": test})
    # Long enough for pytest to start and reach the test on a loaded machine (3 s was not).
    write_config(repo, {"enabled": ["test_pass_rate"], "timeouts": {"test_pass_rate": 15}})
    start = time.perf_counter()
    # Unsandboxed, so the pids file lands on the host; tests/base/test_sandbox_* cover bwrap.
    sections = MeasureSections(
        benchmarks=BenchmarksSection(python=sys.executable), sandbox=SandboxSection(mode="off")
    )
    suite = run_benchmarks(repo, sections)
    # Far below the 600 s the test sleeps, however loaded the machine.
    assert time.perf_counter() - start < 300
    (res,) = suite.results
    assert (res.status, res.score) == ("timeout", 0.0)
    pid, pgid, _child = json.loads(pids.read_text(encoding="utf-8"))
    assert pgid == pid
    assert live_group_members(pgid) == []


def test_a_crashing_tool_is_an_error_result_with_its_stderr(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "crash",
        {
            "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--no-such-flag"\n',
            "tests/test_a.py": "def test_a():\n    pass\n",
        },
    )
    suite = run_benchmarks(repo, own_sections(), only=["test_pass_rate", "code_coverage"])
    for res in suite.results:
        assert (res.status, res.score) == ("error", 0.0)
    assert "--no-such-flag" in suite.results[0].detail


def test_a_bug_in_a_benchmark_becomes_error_results() -> None:
    def broken() -> list[BenchResult]:
        raise KeyError("oops")

    results = _guarded((["lint_score", "doc_coverage"], broken))
    assert [(r.name, r.status, r.score) for r in results] == [
        ("lint_score", "error", 0.0),
        ("doc_coverage", "error", 0.0),
    ]
    assert "KeyError" in results[0].detail


def test_a_worktree_under_dot_agent_is_measured_alone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "main", {"a.py": "import os\n"})
    with Store.for_repo(repo) as store:
        worktree = repo / ".agent" / "worktrees" / "gen-1"
        git(repo, "worktree", "add", "-q", str(worktree), "-b", "agent/gen-1")
        (worktree / "b.py").write_text("import sys\n", encoding="utf-8")
        main_suite = run_benchmarks(repo, own_sections(), only=["lint_score"], store=store)
        gen_suite = run_benchmarks(worktree, own_sections(), only=["lint_score"], store=store)
    assert main_suite.results[0].raw["violations"] == 1
    assert gen_suite.results[0].raw["violations"] == 2
    assert main_suite.key != gen_suite.key
    assert git(repo, "status", "--porcelain") == ""
    assert git(worktree, "status", "--porcelain") == "?? b.py\n"


def test_pytest_runs_in_parallel_only_when_configured(tmp_path: Path) -> None:
    from self_improving_agent.benchmarks.pytest_run import pytest_args

    rc = tmp_path / "coveragerc"
    assert "-n" not in pytest_args(rc, tmp_path)
    assert pytest_args(rc, tmp_path)[:5] == ["coverage", "run", f"--rcfile={rc}", "-m", "pytest"]
    args = pytest_args(rc, tmp_path, workers=3)
    assert args[:3] == ["pytest", "-n", "3"]
    assert "--cov-report=json:" + str(tmp_path / "coverage.json") in args


def test_a_parallel_test_run_counts_the_same_as_a_serial_one(tmp_path: Path) -> None:
    tests = "".join(f"def test_{i}():\n    assert {i} % 3\n\n\n" for i in range(1, 7))
    repo = make_repo(
        tmp_path / "repo",
        {"pkg/__init__.py": "X = 1\n", "tests/test_many.py": tests},
    )
    only = ["test_pass_rate", "code_coverage"]
    serial = run_benchmarks(repo, own_sections(), only=only)
    workers = BenchmarksSection(pytest_workers=2, python=sys.executable)
    parallel = run_benchmarks(repo, MeasureSections(benchmarks=workers), only=only)
    for one, two in zip(serial.results, parallel.results, strict=True):
        assert (one.status, one.score) == (two.status, two.score) == ("ok", one.score)
    raw = parallel.results[0].raw
    assert (raw["passed"], raw["failed"], raw["total"]) == (4, 2, 6)


def test_tool_caches_are_pruned_to_the_last_few_trees(tmp_path: Path) -> None:
    root = tmp_path / ".agent" / "cache"
    for n in range(7):
        (root / f"tree-{n}").mkdir(parents=True)
        os.utime(root / f"tree-{n}", (n, n))
    with Store(tmp_path / ".agent" / "agent.db") as store:
        newest = tool_cache_dir(tmp_path / "tree-new", store, tmp_path)
    left = sorted(p.name for p in root.iterdir())
    assert len(left) == KEPT_TOOL_CACHES
    assert left == sorted([newest.name, "tree-6", "tree-5", "tree-4"])


def test_scratch_of_a_dead_process_is_swept(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    gone = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{dead.pid}-"))
    mine = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    try:
        assert gone in sweep_scratch()
        assert not gone.exists() and mine.exists()
    finally:
        shutil.rmtree(mine)
