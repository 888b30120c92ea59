"""A candidate stopped by the early stage: main's tests it lost, the full suite never run."""

from __future__ import annotations

from self_improving_agent.benchmarks.early import EarlyVerdict
from self_improving_agent.benchmarks.runner import SuiteResult
from self_improving_agent.core.candidate import Candidate


def early_rejection(before: SuiteResult, verdict: EarlyVerdict) -> Candidate:
    """The candidate as the early stage left it: nothing measured, every benchmark skipped."""
    reason = (
        f"the early stage: {verdict.lost[0]} passed on main and failed on every rerun"
        f" ({len(verdict.failing)} of {len(verdict.ran)} affected tests failed)"
    )
    return Candidate(
        after=SuiteResult(total=0.0, results=[], cached=False, key="", sandbox=before.sandbox),
        before=list(before.results),
        counted_delta=0.0,
        rejection=reason,
        skipped=[r.name for r in before.results],
    )
