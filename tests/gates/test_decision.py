"""The pure merge decision: every rule alone rejects, all of them together accept."""

from __future__ import annotations

from typing import Any

import pytest

from self_improving_agent.base.models import EditResult, Review
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.runner import weighted_total
from self_improving_agent.gates.decision import gather_facts, make_merge_decision, merge_facts
from self_improving_agent.gates.decision_model import Decision
from self_improving_agent.gates.verdict import GateVerdict

OUTCOMES = {"tests/test_a.py::test_one": "passed", "tests/test_a.py::test_two": "passed"}


def results(tests: float = 1.0, docs: float = 0.5, **changes: Any) -> list[BenchResult]:
    """A test run with per-test outcomes plus a doc score; changes override the test run."""
    test_run = BenchResult(name="test_pass_rate", score=tests, raw={"outcomes": dict(OUTCOMES)})
    return [test_run.model_copy(update=changes), BenchResult(name="doc_coverage", score=docs)]


def decide(**over: Any) -> Decision:
    """The decision for a good change (docs 0.5 -> 0.8), with any input replaced."""
    args: dict[str, Any] = {
        "before": results(),
        "after": results(docs=0.8),
        "review": Review(approved=True, score=0.9, findings=[]),
        "edits": [EditResult(file="a.py", op="write", applied=True)],
        "gates": [GateVerdict(allowed=True, gate="cedar:merge")],
        "weights": {},
        "review_consensus": 0.6,
        "benchmark_threshold": 0.0,
    }
    args.update(over)
    weights = args["weights"]
    facts = gather_facts(
        args["before"],
        args["after"],
        weighted_total(args["after"], weights) - weighted_total(args["before"], weights),
        review=args["review"],
        review_consensus=args["review_consensus"],
        edits=args["edits"],
        files_changed=["a.py"],
    )
    return make_merge_decision(
        facts, args["gates"], args["benchmark_threshold"], args.get("require_tests", True)
    )


def test_all_good_accepts_with_reasons() -> None:
    decision = decide()
    assert decision.accepted
    assert decision.reasons[0] == "1 change(s) applied"
    assert "total score delta +0.1500 > +0.0000" in decision.reasons


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"edits": [EditResult(file="a.py", op="write", applied=False)]}, "no change was applied"),
        ({"review": None}, "no review"),
        (
            {"review": Review(approved=False, score=0.9, findings=[])},
            "the Reviewer did not approve",
        ),
        (
            {"review": Review(approved=True, score=0.5, findings=[])},
            "review score 0.50 < consensus 0.60",
        ),
        ({"after": results()}, "total score delta +0.0000 is not above +0.0000"),
        ({"benchmark_threshold": 0.2}, "total score delta +0.1500 is not above +0.2000"),
        (
            {"after": results(tests=0.9, docs=1.0)},
            "test_pass_rate dropped from 1.000 to 0.900",
        ),
        (
            {"after": results(docs=0.8, raw={"outcomes": {"tests/test_a.py::test_one": "passed"}})},
            "1 test(s) that passed before do not pass now: tests/test_a.py::test_two",
        ),
        (
            {"after": results(docs=0.8, status="timeout")},
            "benchmark test_pass_rate was ok before and is timeout now",
        ),
        ({"after": results(docs=0.8)[1:]}, "benchmark test_pass_rate was not measured after"),
        (
            {"gates": [GateVerdict(allowed=False, reasons=["protected file"], gate="anti-gaming")]},
            "gate anti-gaming denied: protected file",
        ),
        (
            {"gates": [GateVerdict(allowed=False, gate="smoke")]},
            "gate smoke denied: no reason",
        ),
    ],
    ids=[
        "no-edit",
        "no-review",
        "not-approved",
        "low-score",
        "no-gain",
        "threshold",
        "tests-drop",
        "lost-test",
        "timeout",
        "missing",
        "gate",
        "gate-no-reason",
    ],
)
def test_each_rule_alone_rejects(over: dict[str, Any], reason: str) -> None:
    decision = decide(**over)
    assert not decision.accepted
    assert any(r.startswith(reason) for r in decision.reasons), decision.reasons


def test_weights_decide_the_total() -> None:
    assert not decide(weights={"doc_coverage": 0.0}).accepted


SKIPPED = {"tests/test_a.py::test_one": "skipped", "tests/test_a.py::test_two": "skipped"}


def test_no_test_run_rejects_when_tests_are_required() -> None:
    """An after-run whose tests were all skipped (or recorded none) executed no test."""
    for outcomes in (SKIPPED, {}):
        before = results(raw={"outcomes": outcomes})
        after = results(docs=0.8, raw={"outcomes": outcomes})
        decision = decide(before=before, after=after)
        assert not decision.accepted
        assert any(r.startswith("no test ran after the change") for r in decision.reasons)
        assert decide(before=before, after=after, require_tests=False).accepted


def test_cedar_and_the_decision_see_the_same_facts() -> None:
    """Cedar's merge facts are the decision's facts: lost tests fail both, the delta is one."""
    after = results(docs=0.8, raw={"outcomes": {"tests/test_a.py::test_one": "passed"}})
    facts = gather_facts(
        results(),
        after,
        0.15,
        review=Review(approved=True, score=0.9, findings=[]),
        review_consensus=0.6,
        edits=[EditResult(file="a.py", op="write", applied=True)],
        files_changed=["a.py"],
    )
    cedar = merge_facts(facts, [GateVerdict(allowed=True, gate="smoke")])
    assert (cedar.tests_passed, cedar.review_approved, cedar.safety_passed) == (False, True, True)
    assert (cedar.score_delta, cedar.files_changed) == (0.15, 1)
    assert facts.lost_test_ids == ["tests/test_a.py::test_two"]


def test_an_evaluator_error_rejects_even_when_the_total_rises() -> None:
    speed = BenchResult(
        name="speed", score=0.0, status="error", custom=True, detail="no JSON: oops"
    )
    before = [*results(), speed]
    after = [*results(docs=1.0), speed]
    decision = decide(before=before, after=after)
    assert not decision.accepted
    assert decision.reasons == [
        "evaluator speed could not score main's tree (error): no JSON: oops",
        "evaluator speed could not score the candidate (error): no JSON: oops",
    ]
    fixed = speed.model_copy(update={"status": "ok", "score": 0.9})
    # A candidate that scores where main could not still has no trustworthy delta.
    assert not decide(before=before, after=[*results(), fixed]).accepted
    built_in = speed.model_copy(update={"custom": False, "name": "lint_score"})
    assert decide(before=[*results(), built_in], after=[*results(docs=1.0), built_in]).accepted


def test_a_stage_rejection_is_the_reason_and_unrun_tests_are_not_lost() -> None:
    facts = gather_facts(
        results(),
        [BenchResult(name="speed", score=0.1, custom=True)],
        -0.2,
        review=Review(approved=True, score=0.9, findings=[]),
        review_consensus=0.6,
        edits=[EditResult(file="a.py", op="write", applied=True)],
        files_changed=["a.py"],
        stage_rejection="stage 0: speed scored 0.100, below its threshold 0.300",
        skipped=["test_pass_rate", "doc_coverage"],
    )
    assert facts.lost_test_ids == [] and facts.benchmark_problems == []
    decision = make_merge_decision(facts, [], 0.0, require_tests=True)
    assert decision.reasons == [
        "stopped at stage 0: speed scored 0.100, below its threshold 0.300",
        "total score delta -0.2000 is not above +0.0000",
    ]
