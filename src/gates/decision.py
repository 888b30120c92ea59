"""The merge decision: facts computed once, Cedar's merge facts and the pure Decision over them."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from self_improving_agent.base.models import EditResult, Review
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.context import containment_findings
from self_improving_agent.benchmarks.lost_check import LostTestCheck
from self_improving_agent.benchmarks.pass_rate import NAME as TESTS
from self_improving_agent.benchmarks.pass_rate import recorded_outcomes
from self_improving_agent.gates.decision_model import Decision
from self_improving_agent.gates.lost_rule import check_problem, judge_lost
from self_improving_agent.gates.policy import MergeFacts
from self_improving_agent.gates.verdict import GateVerdict

# An outcome that means the test body did not run.
NOT_RUN = "skipped"


class DecisionFacts(BaseModel):
    """What a generation did, measured once, for both Cedar's `merge` and the final Decision."""

    applied_changes: int = Field(ge=0)
    files_changed: int = Field(ge=0)
    review: Review | None
    review_consensus: float
    score_delta: float = Field(description="Weighted total after minus before, as measured.")
    benchmark_problems: list[str] = Field(description="Benchmarks ok before and not ok after.")
    tests_ok: bool = Field(description="The test benchmark ran and finished ok after the change.")
    tests_dropped: str | None = Field(description="Why the test pass rate fell, or None.")
    lost_test_ids: list[str]
    lost_test_reasons: list[str]
    tests_run: int = Field(ge=0, description="Tests the after-run executed (not skipped).")
    review_approved: bool = Field(description="Approved with at least the consensus score.")
    tests_passed: bool = Field(description="Tests ok after, not dropped, none lost.")
    evaluator_errors: list[str] = Field(
        default_factory=list, description="Custom benchmarks that could not score the candidate."
    )
    stage_rejection: str | None = Field(None, description="A stage threshold the candidate missed.")
    noise: list[str] = Field(
        default_factory=list, description="Repeated benchmarks whose change counted as 0."
    )
    flaky_test_ids: list[str] = Field(
        default_factory=list, description="Lost tests whose reruns flipped: not counted as lost."
    )
    tests_for_human: list[str] = Field(
        default_factory=list,
        description="Main's versions of tests in files the candidate rewrote that fail against it.",
    )
    test_check_problem: str | None = Field(
        None, description="Why main's tests could not judge a candidate that changed tests."
    )
    held_for_person: list[str] = Field(
        default_factory=list,
        description="What `agent vet` holds for a person: capabilities gained, files that run "
        "outside the sandbox, changed tests or tool settings.",
    )
    held_evidence: str = Field(
        "", description="The diff of the held tests, tool settings and suppressions."
    )


def gather_facts(
    before: Sequence[BenchResult],
    after: Sequence[BenchResult],
    score_delta: float,
    *,
    review: Review | None,
    review_consensus: float,
    edits: Sequence[EditResult],
    files_changed: Sequence[str],
    stage_rejection: str | None = None,
    skipped: Sequence[str] = (),
    noise: Sequence[str] = (),
    check: LostTestCheck | None = None,
    held: Sequence[str] = (),
    evidence: str = "",
) -> DecisionFacts:
    """Every fact the decision needs, from the before/after results and the generation's parts."""
    before_by_name = {r.name: r for r in before}
    after_by_name = {r.name: r for r in after}
    problems = []
    for name, old in before_by_name.items():
        new = after_by_name.get(name)
        if new is None and name in skipped:
            continue
        if new is None:
            problems.append(f"benchmark {name} was not measured after the change")
        elif old.status == "ok" and new.status != "ok":
            problems.append(f"benchmark {name} was {old.status} before and is {new.status} now")
    old_tests, new_tests = before_by_name.get(TESTS), after_by_name.get(TESTS)
    dropped = None
    if old_tests is not None and new_tests is not None and new_tests.score < old_tests.score:
        dropped = f"{TESTS} dropped from {old_tests.score:.3f} to {new_tests.score:.3f}"
    old_outcomes, new_outcomes = recorded_outcomes(before), recorded_outcomes(after)
    if TESTS in skipped:
        # An earlier stage stopped the candidate before its tests ran: none of them was lost.
        old_outcomes = {}
    verdict = judge_lost(old_outcomes, new_outcomes, check)
    lost_ids = verdict.lost
    problem = check_problem(files_changed, old_outcomes, check)
    tests_ok = new_tests is not None and new_tests.status == "ok"
    return DecisionFacts(
        applied_changes=sum(1 for e in edits if e.applied),
        files_changed=len(files_changed),
        review=review,
        review_consensus=review_consensus,
        score_delta=score_delta,
        benchmark_problems=problems,
        tests_ok=tests_ok,
        tests_dropped=dropped,
        lost_test_ids=lost_ids,
        lost_test_reasons=verdict.reasons,
        tests_run=sum(1 for outcome in new_outcomes.values() if outcome != NOT_RUN),
        review_approved=review is not None and review.approved and review.score >= review_consensus,
        tests_passed=tests_ok and dropped is None and not lost_ids and problem is None,
        evaluator_errors=[
            *evaluator_errors(before, "main's tree"),
            *evaluator_errors(after),
            *(f"containment finding in {f}" for f in containment_findings([*before, *after])),
        ],
        stage_rejection=stage_rejection,
        noise=list(noise),
        flaky_test_ids=verdict.flaky,
        tests_for_human=verdict.for_human,
        test_check_problem=problem,
        held_for_person=list(held),
        held_evidence=evidence,
    )


def evaluator_errors(results: Sequence[BenchResult], tree: str = "the candidate") -> list[str]:
    """Each custom benchmark that crashed, timed out or printed no score, in its own words.

    Main's tree counts too: a change measured against an evaluator that failed there has no
    trustworthy delta.
    """
    return [
        f"evaluator {r.name} could not score {tree} ({r.status}): {r.detail}"
        for r in results
        if r.custom and r.status in ("error", "timeout")
    ]


def merge_facts(facts: DecisionFacts, gates: Sequence[GateVerdict]) -> MergeFacts:
    """What Cedar's `merge` is asked with: the same facts, and whether the gates so far allowed."""
    return MergeFacts(
        tests_passed=facts.tests_passed,
        safety_passed=all(g.allowed for g in gates),
        review_approved=facts.review_approved,
        score_delta=facts.score_delta,
        files_changed=facts.files_changed,
    )


def make_merge_decision(
    facts: DecisionFacts,
    gates: Sequence[GateVerdict],
    benchmark_threshold: float,
    require_tests: bool,
) -> Decision:
    """Accept only when every condition holds; each failed condition is one reason (fail closed)."""
    reasons: list[str] = []
    if facts.applied_changes == 0:
        reasons.append("no change was applied")
    review = facts.review
    if review is None:
        reasons.append("no review")
    else:
        if not review.approved:
            reasons.append("the Reviewer did not approve")
        if review.score < facts.review_consensus:
            reasons.append(
                f"review score {review.score:.2f} < consensus {facts.review_consensus:.2f}"
            )
    reasons += facts.benchmark_problems
    reasons += facts.evaluator_errors
    if facts.stage_rejection is not None:
        reasons.append(f"stopped at {facts.stage_rejection}")
    delta = facts.score_delta
    if not delta > benchmark_threshold:
        noise = f" ({'; '.join(facts.noise)})" if facts.noise else ""
        reasons.append(
            f"total score delta {delta:+.4f} is not above {benchmark_threshold:+.4f}{noise}"
        )
    if facts.tests_dropped is not None:
        reasons.append(facts.tests_dropped)
    lost = facts.lost_test_ids
    if lost:
        shown = ", ".join(lost[:5]) + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
        reasons.append(f"{len(lost)} test(s) that passed before do not pass now: {shown}")
    if facts.test_check_problem is not None:
        reasons.append(facts.test_check_problem)
    if require_tests and facts.tests_run == 0 and facts.stage_rejection is None:
        reasons.append(
            "no test ran after the change ([safety] require_tests is on); add tests or turn it off"
        )
    for gate in gates:
        if not gate.allowed:
            reasons.append(f"gate {gate.gate} denied: " + "; ".join(gate.reasons or ["no reason"]))
    if reasons:
        return Decision(accepted=False, reasons=reasons)
    return Decision(
        accepted=True,
        reasons=[
            f"{facts.applied_changes} change(s) applied",
            f"review approved with score {review.score:.2f}" if review else "",
            f"total score delta {delta:+.4f} > {benchmark_threshold:+.4f}",
            "no test that passed before fails now" + _flaky_note(facts.flaky_test_ids),
            f"{len(gates)} gate(s) allowed",
        ],
        needs_human=_human_reasons(facts.tests_for_human) + facts.held_for_person,
        evidence=facts.held_evidence,
    )


def _flaky_note(flaky: Sequence[str]) -> str:
    """The flaky tests the lost-test rule left out, named."""
    return f" ({len(flaky)} flaky test(s) not counted: {', '.join(flaky)})" if flaky else ""


def _human_reasons(tests: Sequence[str]) -> list[str]:
    """Why main's own tests keep a change from merging without a person."""
    if not tests:
        return []
    shown = ", ".join(tests[:5]) + (f" and {len(tests) - 5} more" if len(tests) > 5 else "")
    return [
        f"main's versions of {len(tests)} test(s) in test files this change rewrote fail "
        f"against it: {shown}; a person must confirm the rewrite"
    ]
