"""Main's own test files measure a candidate that changed tests: it cannot rewrite its judges;
its new tests run apart and never score."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from self_improving_agent.base.config import BenchmarksSection, Settings
from self_improving_agent.base.models import Change
from self_improving_agent.base.store import Store
from self_improving_agent.cli.run import merge_generation
from self_improving_agent.core.generation import GenerationOutcome, RunOptions, run_generation
from self_improving_agent.core.session import open_deps
from self_improving_agent.providers.mock import MockProvider
from self_improving_agent.reports.report_files import load_report
from self_improving_agent.reports.report_view import render_report
from tests.conftest import git, provider_args
from tests.loop_kit import SAMPLE_FILES, build, plan, review, sample_repo, write_script

MUL = '"""Products."""\n\n\ndef mul(a: int, b: int) -> int:\n    return a * b\n'
DOCUMENTED = MUL.replace("    return", '    """Multiply a by b."""\n    return')
TEST_CALC = SAMPLE_FILES["tests/test_calc.py"]
SETTINGS = Settings(benchmarks=BenchmarksSection(python=sys.executable, flaky_reruns=1))


def generation(tmp_path: Path, changes: dict[str, str]) -> tuple[GenerationOutcome, Path]:
    """One auto-merging generation writing changes (mul documented too, for a score gain)."""
    repo = sample_repo(tmp_path / "repo", {"pkg/mul.py": MUL})
    writes = {"pkg/mul.py": DOCUMENTED, **changes}
    script: dict[str, Any] = {
        "architect": [plan(sorted(writes), "Document mul")],
        "builder": [build(*(Change(file=f, content=text) for f, text in writes.items()))],
        "reviewer": [review()],
        "delay_s": 0,
    }
    path = write_script(tmp_path / "script.json", script)
    provider = MockProvider(
        *provider_args(SETTINGS, "mock"), environ={"AGENT_MOCK_SCRIPT": str(path)}
    )
    with Store.for_repo(repo) as store:
        deps = open_deps(repo, SETTINGS, store, lambda _line: None, provider)
        return run_generation(deps, RunOptions(auto_merge=True)), repo


def report_of(outcome: GenerationOutcome) -> dict[str, Any]:
    """The generation's report."""
    data: dict[str, Any] = json.loads(Path(outcome.report_path).read_text(encoding="utf-8"))
    return data


@pytest.mark.slow
def test_a_behaviour_change_with_its_test_rewritten_waits_for_a_person(tmp_path: Path) -> None:
    """Main's test_add_negative fails against the change; the change's own version passes."""
    calc = SAMPLE_FILES["pkg/calc.py"].replace(
        "    return a + b",
        "    if a < 0 or b < 0:\n        raise ValueError(a, b)\n    return a + b",
    )
    tests = "import pytest\n" + TEST_CALC.replace(
        "    assert add(-1, -2) == -3", "    with pytest.raises(ValueError):\n        add(-1, -2)"
    )
    outcome, repo = generation(tmp_path, {"pkg/calc.py": calc, "tests/test_calc.py": tests})
    assert outcome.status == "pending", outcome.reason
    assert "waiting for a person to `agent merge 1`" in outcome.reason
    assert "main's versions of 1 test(s) in test files this change rewrote" in outcome.reason
    report = report_of(outcome)
    assert report["tests_check"]["restored"] == ["tests/test_calc.py"]
    assert report["tests_check"]["for_person"] == ["tests/test_calc.py::test_add_negative"]
    # Counted as on main: the rewrite neither lowers nor raises the pass rate.
    assert report["benchmarks"]["test_pass_rate"]["after"] == 1.0
    assert "+    with pytest.raises(ValueError):" in report["decision"]["evidence"]
    shown = render_report(load_report(repo / "reports", 1), color=False)
    assert "the change's new tests (run apart, never scored): 0 passed" in shown
    assert "    measured in main's version: tests/test_calc.py" in shown
    assert "  ! needs a person: main's versions of 1 test(s)" in shown
    assert "+    with pytest.raises(ValueError):" in shown
    before = git(repo, "rev-parse", "main")
    merge_generation(repo, SETTINGS, 1)
    assert git(repo, "rev-parse", "main") != before
    assert "raise ValueError" in (repo / "pkg/calc.py").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_conftest_that_hides_a_break_is_judged_without_it(tmp_path: Path) -> None:
    """The candidate breaks add and patches it back from a new conftest: main's tests see it."""
    broken = SAMPLE_FILES["pkg/calc.py"].replace("return a + b", "return a - b")
    conftest = (
        '"""Test setup."""\n\nimport pkg.calc\n\n\n'
        "def _add(a: int, b: int) -> int:\n"
        '    """Sum."""\n'
        "    return a + b\n\n\n"
        "pkg.calc.add = _add\n"
    )
    outcome, repo = generation(tmp_path, {"pkg/calc.py": broken, "tests/conftest.py": conftest})
    assert outcome.status == "rejected", outcome.reason
    assert "2 test(s) that passed before do not pass now" in outcome.reason
    check = report_of(outcome)["tests_check"]
    assert check["left_out"] == ["tests/conftest.py"]
    assert check["confirmed"] == [
        "tests/test_calc.py::test_add",
        "tests/test_calc.py::test_add_negative",
    ]
    # Measured without the new conftest, so the break shows in the score itself.
    assert report_of(outcome)["benchmarks"]["test_pass_rate"]["after"] == 0.0
    assert "return a + b" in (repo / "pkg/calc.py").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize(("assertion", "status"), [("3", "accepted"), ("4", "rejected")])
def test_new_tests_run_apart_and_never_score(tmp_path: Path, assertion: str, status: str) -> None:
    """A new test is reported apart; passing it merges, failing it is refused (main would hold
    a failing test), and either way the pass rate is main's tests' own."""
    new_test = f"\n\ndef test_add_more() -> None:\n    assert add(1, 2) == {assertion}\n"
    outcome, repo = generation(tmp_path, {"tests/test_calc.py": TEST_CALC + new_test})
    assert outcome.status == status, outcome.reason
    report = report_of(outcome)
    check = report["tests_check"]
    assert check["own_tests"] and check["restored"] == ["tests/test_calc.py"]
    passed = 1 if status == "accepted" else 0
    assert check["new_counts"]["total"] == 1 and check["new_counts"]["passed"] == passed
    assert report["benchmarks"]["test_pass_rate"]["after"] == 1.0
    assert report["decision"]["needs_human"] == []
    shown = render_report(load_report(repo / "reports", 1), color=False)
    assert f"the change's new tests (run apart, never scored): {passed} passed" in shown
    if status == "rejected":
        assert "1 new test(s) of the change do not pass: tests/test_calc.py::test_add_more" in (
            outcome.reason
        )
