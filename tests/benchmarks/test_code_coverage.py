"""code_coverage: the JSON summary, the score, and agreement with coverage.py run by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from self_improving_agent.benchmarks import code_coverage
from self_improving_agent.benchmarks.code_coverage import score_coverage, summarize
from self_improving_agent.benchmarks.pytest_run import run_pytest
from tests.benchmarks.conftest import context


def _file(covered: int, statements: int) -> dict[str, object]:
    """One file entry of a coverage JSON report."""
    return {"summary": {"covered_lines": covered, "num_statements": statements}}


def test_summarize_leaves_out_tests() -> None:
    report = {
        "files": {
            "pkg/a.py": _file(3, 4),
            "tests/test_a.py": _file(10, 10),
            "conftest.py": _file(1, 1),
            "main.py": _file(0, 4),
        }
    }
    assert summarize(report) == {
        "percent": 37.5,
        "covered": 3,
        "statements": 8,
        "files": 2,
        "evidence": [],
    }


def test_summarize_rejects_an_unexpected_shape() -> None:
    with pytest.raises(ValueError):
        summarize({"files": {"a.py": {"summary": {}}}})


def test_score_is_percent_over_100_and_monotonic() -> None:
    assert score_coverage(37.5) == 0.375
    assert score_coverage(120) == 1.0
    assert score_coverage(10) < score_coverage(11)


def test_agrees_with_coverage_run_by_hand(sample: Path, tmp_path: Path) -> None:
    measured = code_coverage.measure(run_pytest(context(sample, tmp_path / "scratch"), 60))
    env = {"PATH": "/usr/bin:/bin", "COVERAGE_FILE": str(tmp_path / "cov")}
    report = tmp_path / "by_hand.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--cov=pkg",
            f"--cov-report=json:{report}",
        ],
        cwd=sample,
        capture_output=True,
        env={**env, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    totals = json.loads(report.read_text(encoding="utf-8"))["totals"]
    assert measured.raw["covered"] == totals["covered_lines"]
    assert measured.raw["statements"] == totals["num_statements"]
    assert measured.score == pytest.approx(totals["percent_covered"] / 100, abs=1e-4)
