"""test_pass_rate over main's tests: nothing a change adds, drops or skips raises it."""

from __future__ import annotations

from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.benchmarks.main_tests import added, counted, main_tests_only, rate
from self_improving_agent.benchmarks.runner import SuiteResult

MAIN = {"t::ok": "passed", "t::bad": "failed", "t::skip": "skipped", "t::err": "error"}


def suite(outcomes: dict[str, str], score: float) -> SuiteResult:
    """A run of tests and docs, weighted 1:1."""
    results = [
        BenchResult(name="test_pass_rate", score=score, raw={"outcomes": outcomes}),
        BenchResult(name="doc_coverage", score=0.5),
    ]
    return SuiteResult(total=(score + 0.5) / 2, results=results, cached=False, key="k")


def test_a_test_gone_or_newly_skipped_counts_as_not_passed() -> None:
    after = {"t::ok": "passed", "t::skip": "skipped", "t::new": "passed"}
    assert counted(MAIN, after) == {
        "t::ok": "passed",
        "t::bad": "failed",
        "t::skip": "skipped",
        "t::err": "failed",
    }
    assert counted(MAIN, {**MAIN, "t::bad": "skipped"})["t::bad"] == "failed"
    assert added(MAIN, after) == {"t::new": "passed"}


def test_no_way_of_hiding_a_failing_test_raises_the_rate() -> None:
    on_main = rate(counted(MAIN, MAIN))
    for hidden in ({}, {"t::bad": "skipped"}, {"t::bad": "passed"}):
        outcomes = {t: o for t, o in MAIN.items() if t != "t::bad"} | hidden
        outcomes |= {"t::bad_renamed": "passed", "t::new": "passed"}
        if hidden.get("t::bad") == "passed":
            # Fixing the code so main's test passes is the one way up.
            assert rate(counted(MAIN, outcomes)) == 2 / 3
        else:
            assert rate(counted(MAIN, outcomes)) == on_main == 1 / 3


def test_the_score_is_main_s_tests_and_the_total_follows() -> None:
    after = suite({**MAIN, "t::bad": "skipped", "t::new": "passed"}, score=3 / 4)
    judged = main_tests_only(after, MAIN, {"test_pass_rate": 1.0, "doc_coverage": 1.0})
    tests = judged.results[0]
    assert tests.score == 1 / 3 and tests.raw["score_as_measured"] == 3 / 4
    assert judged.total == (1 / 3 + 0.5) / 2
    assert "main's 4 test(s) counted, 1 other(s) not" in tests.detail
