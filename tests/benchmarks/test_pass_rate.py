"""test_pass_rate: the outcome stream, the score, and agreement with pytest run by hand."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from self_improving_agent.base.safe_files import UnsafeResult
from self_improving_agent.benchmarks import code_coverage, pass_rate
from self_improving_agent.benchmarks.outcome_stream import read_stream
from self_improving_agent.benchmarks.pass_rate import count_outcomes, score_pass_rate
from self_improving_agent.benchmarks.pytest_run import run_pytest
from tests.benchmarks.conftest import context
from tests.conftest import make_repo


def line(record: dict[str, object]) -> bytes:
    """One record as the plugin writes it."""
    return json.dumps(record).encode() + b"\n"


STREAM = b"".join(
    line(r)
    for r in (
        {"start": 1},
        {"id": "tests/test_bad.py", "when": "collect", "outcome": "failed", "text": "E boom"},
        {"id": "tests/test_a.py::test_ok", "when": "setup", "outcome": "passed"},
        {"id": "tests/test_a.py::test_ok", "when": "call", "outcome": "passed"},
        {"id": "tests/test_a.py::test_ok", "when": "teardown", "outcome": "passed"},
        {"id": "tests/test_a.py::K::test_p[1-2]", "when": "call", "outcome": "failed"},
        {"id": "tests/test_a.py::test_s", "when": "setup", "outcome": "skipped"},
        {"id": "tests/test_a.py::test_e", "when": "call", "outcome": "passed"},
        {"id": "tests/test_a.py::test_e", "when": "teardown", "outcome": "failed"},
        {"end": 1},
    )
)


def test_the_stream_gives_node_ids_and_outcomes_an_error_outside_the_call_winning() -> None:
    facts = read_stream(STREAM)
    assert facts is not None and facts.exit_status == 1
    assert facts.outcomes == {
        "tests/test_bad.py": "error",
        "tests/test_a.py::test_ok": "passed",
        "tests/test_a.py::K::test_p[1-2]": "failed",
        "tests/test_a.py::test_s": "skipped",
        "tests/test_a.py::test_e": "error",
    }


def test_a_stream_without_its_end_is_no_session_and_one_written_after_it_a_finding() -> None:
    assert read_stream(STREAM.rsplit(b"{", 1)[0]) is None
    with pytest.raises(UnsafeResult, match="after the session ended"):
        read_stream(STREAM + line({"id": "x", "when": "call", "outcome": "passed"}))
    with pytest.raises(UnsafeResult, match="not JSON"):
        read_stream(b"<testsuite/>\n" + STREAM)


def test_counts_and_score_treat_errors_as_failures() -> None:
    facts = read_stream(STREAM)
    assert facts is not None
    counts = count_outcomes(facts.outcomes)
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


def test_a_missing_module_that_is_a_file_of_the_tree_is_an_error(tmp_path: Path) -> None:
    # Two folders named tests, as two workspace members' suites: the tree holds tests/helpers.py
    # under lib/, yet the root's tests package answers the import, so the module cannot load.
    files = {
        "tests/__init__.py": "",
        "tests/test_ok.py": "def test_ok():\n    pass\n",
        "tests/test_uses.py": "from tests.helpers import X\n\n\ndef test_x():\n    assert X\n",
        "lib/tests/__init__.py": "",
        "lib/tests/helpers.py": "X = 1\n",
    }
    repo = make_repo(tmp_path / "r", files)
    result = pass_rate.measure(run_pytest(context(repo, tmp_path / "s"), 60))
    assert (result.status, result.raw["passed"]) == ("error", 1), result.detail
    assert result.raw["missing_modules"] == {"tests/test_uses.py": "tests.helpers"}
    assert "cannot import the project's own tests.helpers, which is in the tree" in result.detail
