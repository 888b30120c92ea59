"""What a candidate broke: lost tests with their reports, new findings, imports, the budget."""

from __future__ import annotations

from typing import Any

from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.core.regressions import evidence_lines, find_regressions

TEST_ID = "tests/test_calc.py::test_add"


def pass_rate(outcomes: dict[str, str], failures: dict[str, str] | None = None) -> BenchResult:
    """A test_pass_rate result with per-test outcomes."""
    raw: dict[str, Any] = {"outcomes": outcomes, "failures": failures or {}}
    return BenchResult(name="test_pass_rate", score=0.5, raw=raw)


def lint(count: int, *findings: tuple[str, int, str]) -> BenchResult:
    """A lint_score result with its count and file:line findings."""
    evidence = [{"path": p, "line": n, "message": m} for p, n, m in findings]
    return BenchResult(
        name="lint_score", score=0.9, raw={"violations": count, "evidence": evidence}
    )


def test_nothing_broken_is_empty() -> None:
    before = [pass_rate({TEST_ID: "passed"}), lint(1, ("pkg/a.py", 3, "F401 x"))]
    after = [pass_rate({TEST_ID: "passed"}), lint(1, ("pkg/a.py", 9, "F401 x"))]
    found = find_regressions(before, after, ["pkg/a.py"])
    assert found.empty()
    assert found.summary() == "no regression"


def test_lost_test_keeps_its_report_and_names_the_benchmarks_to_rerun() -> None:
    before = [pass_rate({TEST_ID: "passed", "tests/test_calc.py::test_b": "failed"})]
    report = "assert -1 == 3\n>       assert add(1, 2) == 3"
    after = [pass_rate({TEST_ID: "failed"}, {TEST_ID: report})]
    found = find_regressions(before, after, ["pkg/calc.py"])
    assert [(t.id, t.excerpt) for t in found.lost_tests] == [(TEST_ID, report)]
    assert found.benchmarks == ["test_pass_rate"]
    lines = evidence_lines(found)
    assert lines[0].startswith(f"- test {TEST_ID} passed before and fails now:")
    assert "    assert -1 == 3" in lines[0]


def test_new_findings_only_in_changed_files_and_moved_ones_are_not_new() -> None:
    before = lint(2, ("pkg/a.py", 3, "F401 os imported but unused"), ("pkg/b.py", 1, "E501"))
    after = lint(
        4,
        ("pkg/a.py", 5, "F401 os imported but unused"),
        ("pkg/a.py", 7, "F841 local variable y is never used"),
        ("pkg/b.py", 1, "E501"),
        ("pkg/c.py", 2, "E711"),
    )
    found = find_regressions([before], [after], ["pkg/a.py"])
    assert found.lint == ["pkg/a.py:7: F841 local variable y is never used"]
    assert found.benchmarks == ["lint_score"]


def test_a_rise_beyond_the_kept_findings_still_counts() -> None:
    found = find_regressions([lint(30)], [lint(32)], ["pkg/a.py"])
    assert found.lint == [
        "lint_score: 2 new violations (their file:line is beyond the findings kept)"
    ]


def test_broken_import_failed_check_and_failed_benchmark() -> None:
    ok = BenchResult(name="import_check", score=1.0, raw={"errors": {}})
    broken = BenchResult(
        name="import_check", score=0.5, raw={"errors": {"pkg.a": "NameError: name 'x'"}}
    )
    types_ok = BenchResult(name="type_check", score=1.0)
    types_error = BenchResult(name="type_check", score=0.0, status="error", detail="mypy exited 2")
    found = find_regressions(
        [ok, types_ok], [broken, types_error], ["pkg/a.py"], ["`make` exited 2"]
    )
    assert found.imports == ["pkg.a: NameError: name 'x'"]
    assert found.checks == [
        "`make` exited 2",
        "benchmark type_check was ok before and is error now: mypy exited 2",
    ]
    assert set(found.benchmarks) == {"import_check", "type_check"}
    assert found.summary() == "1 broken import(s), 2 failed check(s)"


def test_evidence_is_cut_to_its_budget_and_says_how_much_is_left_out() -> None:
    outcomes = {f"tests/test_x.py::test_{i}": "passed" for i in range(50)}
    failures = {t: "assert False\n" + "E   " + "x" * 400 for t in outcomes}
    found = find_regressions([pass_rate(outcomes)], [pass_rate({}, failures)], [])
    lines = evidence_lines(found, budget_tokens=500)
    assert len(found.lost_tests) == 50
    assert lines[-1] == f"- (+{50 - (len(lines) - 1)} more not shown)"
    assert sum(len(line) for line in lines[:-1]) <= 500 * 4
