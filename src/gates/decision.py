"""The generation state machine and the merge decision it ends with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from src.base.models import EditResult, Review
from src.benchmarks.base import BenchResult
from src.benchmarks.pass_rate import NAME as TESTS
from src.benchmarks.pass_rate import recorded_outcomes
from src.benchmarks.runner import weighted_total
from src.gates.anti_gaming import lost_test_ids
from src.gates.decision_model import Decision
from src.gates.verdict import GateVerdict


def _make_merge_decision(
    before: Sequence[BenchResult],
    after: Sequence[BenchResult],
    review: Review | None,
    edits: Sequence[EditResult],
    gates: Sequence[GateVerdict],
    weights: Mapping[str, float],
    review_consensus: float,
    benchmark_threshold: float,
) -> Decision:
    """Accept only when every condition holds; each failed condition is one reason (fail closed)."""
    reasons: list[str] = []
    applied = sum(1 for e in edits if e.applied)
    if applied == 0:
        reasons.append("no change was applied")
    if review is None:
        reasons.append("no review")
    else:
        if not review.approved:
            reasons.append("the Reviewer did not approve")
        if review.score < review_consensus:
            reasons.append(f"review score {review.score:.2f} < consensus {review_consensus:.2f}")
    before_by_name = {r.name: r for r in before}
    after_by_name = {r.name: r for r in after}
    for name, old in before_by_name.items():
        new = after_by_name.get(name)
        if new is None:
            reasons.append(f"benchmark {name} was not measured after the change")
        elif old.status == "ok" and new.status != "ok":
            reasons.append(f"benchmark {name} was {old.status} before and is {new.status} now")
    delta = weighted_total(after, weights) - weighted_total(before, weights)
    if not delta > benchmark_threshold:
        reasons.append(f"total score delta {delta:+.4f} is not above {benchmark_threshold:+.4f}")
    old_tests, new_tests = before_by_name.get(TESTS), after_by_name.get(TESTS)
    if old_tests is not None and new_tests is not None and new_tests.score < old_tests.score:
        reasons.append(f"{TESTS} dropped from {old_tests.score:.3f} to {new_tests.score:.3f}")
    lost = lost_test_ids(recorded_outcomes(before), recorded_outcomes(after))
    if lost:
        shown = ", ".join(lost[:5]) + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
        reasons.append(f"{len(lost)} test(s) that passed before do not pass now: {shown}")
    for gate in gates:
        if not gate.allowed:
            reasons.append(f"gate {gate.gate} denied: " + "; ".join(gate.reasons or ["no reason"]))
    if reasons:
        return Decision(accepted=False, reasons=reasons)
    return Decision(
        accepted=True,
        reasons=[
            f"{applied} change(s) applied",
            f"review approved with score {review.score:.2f}" if review else "",
            f"total score delta {delta:+.4f} > {benchmark_threshold:+.4f}",
            "no test that passed before fails now",
            f"{len(gates)} gate(s) allowed",
        ],
    )
