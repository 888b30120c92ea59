"""A candidate stopped by the early stage: main's tests it lost, the full suite never run."""

from __future__ import annotations

from self_improving_agent.benchmarks.early import EarlyVerdict
from self_improving_agent.benchmarks.runner import SuiteResult
from self_improving_agent.core.candidate import Candidate


def early_rejection(before: SuiteResult, verdict: EarlyVerdict) -> Candidate:
    """The candidate as the early stage left it: nothing measured, every benchmark skipped."""
    shown = ", ".join(verdict.lost[:5]) + (" ..." if len(verdict.lost) > 5 else "")
    reason = (
        f"the early stage: {len(verdict.lost)} of main's passing tests failed on every rerun"
        f" ({shown}), of {len(verdict.ran)} affected tests run"
    )
    return Candidate(
        after=SuiteResult(total=0.0, results=[], cached=False, key="", sandbox=before.sandbox),
        before=list(before.results),
        counted_delta=0.0,
        rejection=reason,
        skipped=[r.name for r in before.results],
    )
