"""test_pass_rate: junit parsing, the score, and agreement with pytest run by hand."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from self_improving_agent.benchmarks import code_coverage, pass_rate
from self_improving_agent.benchmarks.pass_rate import count_outcomes, parse_junit, score_pass_rate
from self_improving_agent.benchmarks.pytest_run import run_pytest
from tests.benchmarks.conftest import context
from tests.conftest import make_repo

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_a" name="test_ok" file="tests/test_a.py" line="1"/>
<testcase classname="tests.test_a.TestK" name="test_p[1-2]" file="tests/test_a.py" line="5">
<failure message="x"/></testcase>
<testcase classname="tests.test_a" name="test_s" file="tests/test_a.py"><skipped/></testcase>
<testcase classname="tests.test_a" name="test_e" file="tests/test_a.py"><error/></testcase>
<testcase classname="" name="tests.test_bad"><error message="collection failure"/></testcase>
</testsuite></testsuites>"""


def test_parse_junit_gives_pytest_node_ids_and_outcomes() -> None:
    assert parse_junit(JUNIT) == {
        "tests/test_a.py::test_ok": "passed",
        "tests/test_a.py::TestK::test_p[1-2]": "failed",
        "tests/test_a.py::test_s": "skipped",
        "tests/test_a.py::test_e": "error",
        "tests/test_bad.py": "error",
    }


def test_counts_and_score_treat_errors_as_failures() -> None:
    counts = count_outcomes(parse_junit(JUNIT))
    assert counts == {"passed": 1, "failed": 1, "errors": 2, "skipped": 1, "total": 5}
    assert score_pass_rate(counts["passed"], counts["total"], counts["skipped"]) == 0.25
    assert score_pass_rate(0, 2, 2) == 0.0
    assert score_pass_rate(3, 4, 0) < score_pass_rate(4, 4, 0)


def test_agrees_with_pytest_run_by_hand(sample: Path, tmp_path: Path) -> None:
    ctx = context(sample, tmp_path / "scratch")
    prun = run_pytest(ctx, 60)
    measured = pass_rate.measure(prun)
    by_hand = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rN"],
        cwd=sample,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
    ).stdout
    summary = dict(
        (kind, int(n)) for n, kind in re.findall(r"(\d+) (passed|failed|skipped)", by_hand)
    )
    assert (measured.raw["passed"], measured.raw["failed"], measured.raw["skipped"]) == (
        summary["passed"],
        summary["failed"],
        summary["skipped"],
    )
    assert code_coverage.measure(prun).status == "ok"


def test_collection_errors_of_the_trees_own_code_count_as_failures(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "tests/test_ok.py": "def test_ok():\n    pass\n",
        "tests/test_bad.py": "import pkg.gone\n",
    }
    repo = make_repo(tmp_path / "r", files)
    ctx = context(repo, tmp_path / "s")
    result = pass_rate.measure(run_pytest(ctx, 60))
    assert (result.raw["passed"], result.raw["errors"], result.score) == (1, 1, 0.5)
    assert result.raw["outcomes"]["tests/test_bad.py"] == "error"
    assert result.status == "ok"


def test_a_missing_third_party_module_is_an_environment_error(tmp_path: Path) -> None:
    files = {"tests/test_ok.py": "def test_ok():\n    pass\n", "tests/test_bad.py": "import nope\n"}
    repo = make_repo(tmp_path / "r", files)
    ctx = context(repo, tmp_path / "s")
    result = pass_rate.measure(run_pytest(ctx, 60))
    assert (result.status, result.score) == ("error", 0.0)
    assert result.detail == (
        "1 test modules failed to import: No module named nope; add it to your test "
        "dependencies or set [benchmarks] python"
    )
    assert result.raw["missing_modules"] == {"tests/test_bad.py": "nope"}


def test_no_tests_collected_scores_zero_and_says_so(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"mod.py": "x = 1\n"})
    result = pass_rate.measure(run_pytest(context(repo, tmp_path / "s"), 60))
    assert (result.score, result.status, result.detail) == (0.0, "failed", "no tests collected")


def test_a_failing_test_keeps_its_assertion_message_and_traceback_lines(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/half.py": "def half(x):\n    y = x // 3\n    return y\n",
        "tests/test_half.py": (
            "from pkg.half import half\n\n\n"
            "def test_half():\n    # a comment the excerpt leaves out\n"
            "    assert half(8) == 4\n\n\n"
            "def test_ok():\n    assert half(0) == 0\n"
        ),
    }
    repo = make_repo(tmp_path / "r", files)
    result = pass_rate.measure(run_pytest(context(repo, tmp_path / "s"), 60))
    failures = result.raw["failures"]
    assert list(failures) == ["tests/test_half.py::test_half"]
    excerpt = failures["tests/test_half.py::test_half"]
    assert excerpt.splitlines()[0].startswith("assert 2 == 4")
    assert ">       assert half(8) == 4" in excerpt
    assert "tests/test_half.py:6: AssertionError" in excerpt
    assert "a comment" not in excerpt
