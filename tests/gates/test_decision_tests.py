"""The decision over the lost-test check: flaky tests left out, rewritten tests for a person."""

from __future__ import annotations

from self_improving_agent.base.models import EditResult, Review
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.lost_check import FlakyTest, LostTestCheck
from self_improving_agent.gates.decision import gather_facts, make_merge_decision
from self_improving_agent.gates.decision_model import Decision
from self_improving_agent.gates.verdict import GateVerdict

ONE, TWO = "tests/test_a.py::test_one", "tests/test_b.py::test_two"
PASSED = {ONE: "passed", TWO: "passed"}


def results(outcomes: dict[str, str], docs: float) -> list[BenchResult]:
    """A test run with outcomes (score 1.0, so only the lost-test rule sees them) and docs."""
    return [
        BenchResult(name="test_pass_rate", score=1.0, raw={"outcomes": outcomes}),
        BenchResult(name="doc_coverage", score=docs),
    ]


def decide(after: dict[str, str], files: list[str], check: LostTestCheck | None) -> Decision:
    """The decision for a docs gain whose after-run recorded after, judged with check."""
    facts = gather_facts(
        results(PASSED, 0.5),
        results(after, 0.8),
        0.15,
        review=Review(approved=True, score=0.9, findings=[]),
        review_consensus=0.6,
        edits=[EditResult(file=files[0], op="write", applied=True)],
        files_changed=files,
        check=check,
    )
    return make_merge_decision(facts, [GateVerdict(allowed=True, gate="g")], 0.0, True)


def flaky(test_id: str) -> FlakyTest:
    """A test that passed on its first rerun."""
    return FlakyTest(test_id=test_id, candidate_reruns=["passed"], main_reruns=[], why="rerun")


def test_a_flaky_test_is_not_lost_and_is_named() -> None:
    after = {ONE: "failed", TWO: "passed"}
    assert not decide(after, ["a.py"], None).accepted
    decision = decide(after, ["a.py"], LostTestCheck(reruns=2, flaky=[flaky(ONE)]))
    assert decision.accepted, decision.reasons
    assert f"(1 flaky test(s) not counted: {ONE})" in " ".join(decision.reasons)


def test_a_flaky_test_does_not_excuse_another() -> None:
    after = {ONE: "failed", TWO: "error"}
    decision = decide(after, ["a.py"], LostTestCheck(reruns=2, flaky=[flaky(ONE)]))
    assert not decision.accepted
    assert f"1 test(s) that passed before do not pass now: {TWO}" in decision.reasons


def test_main_tests_judge_a_change_that_rewrote_them() -> None:
    """Main's version of test_a fails against the change (the measurement); its own passes."""
    files = ["pkg.py", "tests/test_a.py"]
    check = LostTestCheck(
        own_tests=True, restored=["tests/test_a.py"], outcomes=dict(PASSED), for_person=[ONE]
    )
    decision = decide({ONE: "failed", TWO: "passed"}, files, check)
    assert decision.accepted
    assert decision.needs_human and ONE in decision.needs_human[0]


def test_main_tests_failing_in_an_untouched_file_are_lost() -> None:
    files = ["pkg.py", "tests/test_a.py"]
    check = LostTestCheck(
        reruns=2, own_tests=True, restored=["tests/test_a.py"], outcomes=dict(PASSED)
    )
    decision = decide({ONE: "passed", TWO: "failed"}, files, check)
    assert not decision.accepted
    assert f"1 test(s) that passed before do not pass now: {TWO}" in decision.reasons
    assert decision.needs_human == []


def test_its_own_version_of_a_test_failing_is_lost() -> None:
    """Main's version passes, the change's own version fails: main would hold a failing test."""
    files = ["pkg.py", "tests/test_a.py"]
    check = LostTestCheck(own_tests=True, restored=["tests/test_a.py"], outcomes={ONE: "failed"})
    decision = decide(PASSED, files, check)
    assert not decision.accepted
    assert f"1 test(s) that passed before do not pass now: {ONE}" in decision.reasons


def test_changed_tests_whose_own_run_fails_or_adds_a_failing_test_are_refused() -> None:
    files = ["pkg.py", "tests/conftest.py"]
    failing_new = LostTestCheck(
        own_tests=True, outcomes=dict(PASSED), new_not_passed={"tests/test_c.py::t": "failed"}
    )
    for check, reason in [
        (None, "its own tests were not run"),
        (LostTestCheck(own_tests=True, error="pytest exited 3"), "pytest exited 3"),
        (failing_new, "1 new test(s) of the change do not pass: tests/test_c.py::t"),
    ]:
        decision = decide(PASSED, files, check)
        assert not decision.accepted
        assert any(reason in r for r in decision.reasons), decision.reasons
