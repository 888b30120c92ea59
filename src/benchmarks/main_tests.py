"""test_pass_rate over main's tests: the tests a candidate added are counted apart, never scored."""

from __future__ import annotations

from collections.abc import Mapping

from self_improving_agent.benchmarks.pass_rate import NAME as TESTS
from self_improving_agent.benchmarks.pass_rate import count_outcomes, score_pass_rate
from self_improving_agent.benchmarks.runner import SuiteResult, weighted_total

NOT_PASSED = "failed"


def counted(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, str]:
    """Main's tests as the candidate ran them; one gone or newly skipped counts as not passed,
    so deleting or skipping a test, failing on main or not, never raises the rate."""
    out = {}
    for test_id, was in before.items():
        now = after.get(test_id)
        if now is None or (now == "skipped" and was != "skipped"):
            now = "skipped" if was == "skipped" else NOT_PASSED
        out[test_id] = now
    return out


def added(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, str]:
    """The outcomes of tests main did not have."""
    return {t: o for t, o in after.items() if t not in before}


def rate(outcomes: Mapping[str, str]) -> float | None:
    """Passed over ran (skipped ones left out); None when none ran."""
    ran = [o for o in outcomes.values() if o != "skipped"]
    return sum(o == "passed" for o in ran) / len(ran) if ran else None


def main_tests_only(
    after: SuiteResult, before: Mapping[str, str], weights: Mapping[str, float]
) -> SuiteResult:
    """after with test_pass_rate scored over main's tests only (before's ids), total recomputed."""
    results = []
    for result in after.results:
        outcomes = result.raw.get("outcomes")
        if result.name == TESTS and result.status == "ok" and isinstance(outcomes, dict):
            measured = {str(t): str(o) for t, o in outcomes.items()}
            kept = counted(before, measured)
            counts = count_outcomes(kept)
            score = score_pass_rate(counts["passed"], counts["total"], counts["skipped"])
            new = len(added(before, measured))
            if score != result.score or new:
                detail = f"{result.detail}; main's {len(kept)} test(s) counted, {new} other(s) not"
                raw = {**result.raw, "score_as_measured": result.score}
                result = result.model_copy(update={"score": score, "detail": detail, "raw": raw})
        results.append(result)
    return after.model_copy(update={"results": results, "total": weighted_total(results, weights)})
